/**
 * The BIOS memory map (arch/x86/kernel/e820.c, 4.17): parse it from dmesg, print it the way
 * e820__print_table() does, and build the map QEMU/SeaBIOS hands a guest of a given size.
 */
import { PAGE_SHIFT } from '@mmkit/core';
import { MachineSpecError, showValue, checkByteCount, checkLineLength, formatBytes, quoteLine } from './errors.js';

export type E820Type =
  | 'usable'
  | 'reserved'
  | 'ACPI data'
  | 'ACPI NVS'
  | 'unusable'
  | 'persistent (type 7)'
  | 'reserved (kernel)';

/** One e820 entry: [addr, addr + size) in bytes. */
export interface E820Entry {
  addr: number;
  size: number;
  type: E820Type;
}

export const E820_TYPES: readonly E820Type[] = [
  'usable',
  'reserved',
  'ACPI data',
  'ACPI NVS',
  'unusable',
  'persistent (type 7)',
  'reserved (kernel)',
];

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The highest address we accept: pfns and byte addresses must stay exact in a double. */
const MAX_ADDR = Number.MAX_SAFE_INTEGER;

function isE820Type(s: string): s is E820Type {
  return (E820_TYPES as readonly string[]).includes(s);
}

/** E820_TYPE_RAM and E820_TYPE_RESERVED_KERN: what e820__memblock_setup() adds to memblock.memory. */
export function isRam(type: E820Type): boolean {
  return type === 'usable' || type === 'reserved (kernel)';
}

function hexToNumber(hex: string, lineNo: number): number {
  const v = BigInt(hex.startsWith('0x') || hex.startsWith('0X') ? hex : `0x${hex}`);
  if (v > BigInt(MAX_ADDR)) {
    throw new MachineSpecError(`line ${lineNo}: address ${hex} is beyond 2^53, which mmkit cannot represent exactly`);
  }
  return Number(v);
}

function parseType(raw: string, lineNo: number): E820Type {
  const t = raw.trim();
  if (isE820Type(t)) return t;
  throw new MachineSpecError(
    `line ${lineNo}: unknown e820 type ${quoteLine(t)} (expected one of: ${E820_TYPES.join(', ')})`,
  );
}

// "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable" (3.x and later: inclusive end)
const DMESG_RE = /BIOS-e820:\s*\[mem\s+(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]\s+(\S.*?)\s*$/;
// "BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)" (2.6 kernels: exclusive end)
const OLD_DMESG_RE = /BIOS-e820:\s*([0-9a-fA-F]+)\s*-\s*([0-9a-fA-F]+)\s*\((.+)\)\s*$/;
// "0x0-0x9fbff usable" (inclusive end, as dmesg prints it)
const PLAIN_RE = /^(0x[0-9a-fA-F]+)\s*-\s*(0x[0-9a-fA-F]+)\s+(\S.*?)\s*$/;
const TIMESTAMP_RE = /^\s*(<\d+>)?\s*\[\s*\d+\.\d+\]\s?/;

interface ParsedEntry extends E820Entry {
  line: number;
}

/**
 * Parse an e820 map: the "BIOS-e820:" lines of dmesg (with or without timestamps; every
 * other line, such as "x86/PAT: ..." or "e820: update ...", is ignored) or plain
 * "0x0-0x9fbff usable" lines. Ends are inclusive, as dmesg prints them. Entries come back
 * sorted by address; overlapping entries, malformed entry lines and text without any entry
 * are a MachineSpecError with the line number.
 */
export function parseE820(text: string): E820Entry[] {
  if (typeof text !== 'string') throw new MachineSpecError('e820 map must be a string');
  const entries: ParsedEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    checkLineLength(lines[i], lineNo);
    const line = lines[i].replace(TIMESTAMP_RE, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    let start: number;
    let endExclusive: number;
    let type: E820Type;
    let m: RegExpExecArray | null;
    if ((m = DMESG_RE.exec(line))) {
      start = hexToNumber(m[1], lineNo);
      endExclusive = hexToNumber(m[2], lineNo) + 1;
      type = parseType(m[3], lineNo);
    } else if ((m = OLD_DMESG_RE.exec(line))) {
      start = hexToNumber(m[1], lineNo);
      endExclusive = hexToNumber(m[2], lineNo);
      type = parseType(m[3], lineNo);
    } else if ((m = PLAIN_RE.exec(line))) {
      start = hexToNumber(m[1], lineNo);
      endExclusive = hexToNumber(m[2], lineNo) + 1;
      type = parseType(m[3], lineNo);
    } else if (/BIOS-e820/.test(line) || /^0x[0-9a-fA-F]/.test(line) || /^[0-9a-fA-F]+\s*-\s*(0x)?[0-9a-fA-F]+\s/.test(line)) {
      throw new MachineSpecError(`line ${lineNo}: malformed e820 entry: ${quoteLine(lines[i].trim())}`);
    } else {
      continue; // x86/PAT, e820: update/remove, and other dmesg noise
    }
    if (endExclusive <= start) {
      throw new MachineSpecError(`line ${lineNo}: e820 entry ends before it starts: ${quoteLine(lines[i].trim())}`);
    }
    entries.push({ addr: start, size: endExclusive - start, type, line: lineNo });
  }
  if (entries.length === 0) {
    throw new MachineSpecError(
      'no e820 entries found: expected dmesg lines like "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable" or "0x0-0x9fbff usable"',
    );
  }
  entries.sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const cur = entries[i];
    if (cur.addr < prev.addr + prev.size) {
      throw new MachineSpecError(
        `line ${cur.line}: e820 entry [${hex(cur.addr)}-${hex(cur.addr + cur.size - 1)}] overlaps line ${prev.line} [${hex(prev.addr)}-${hex(prev.addr + prev.size - 1)}]`,
      );
    }
  }
  return entries.map(({ addr, size, type }) => ({ addr, size, type }));
}

function hex(n: number, width = 0): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

/** e820__print_table(): "BIOS-e820: [mem 0x%016llx-0x%016llx] <type>", one line per entry. */
export function formatE820(entries: E820Entry[]): string {
  return validateE820(entries)
    .map((e) => `BIOS-e820: [mem ${hex(e.addr, 16)}-${hex(e.addr + e.size - 1, 16)}] ${e.type}\n`)
    .join('');
}

/**
 * Check a map given as objects: whole non-negative byte counts, known types, no overlap.
 * Returns the entries sorted by address.
 */
export function validateE820(input: readonly E820Entry[]): E820Entry[] {
  const entries: unknown = input;
  if (!Array.isArray(entries)) throw new MachineSpecError('e820 map must be an array of entries or dmesg text');
  if (entries.length === 0) throw new MachineSpecError('e820 map is empty');
  const out = (entries as unknown[]).map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new MachineSpecError(`e820 entry ${i} is not an object`);
    const e = raw as Partial<E820Entry>;
    const addr = checkByteCount(`e820 entry ${i} addr`, e.addr);
    const size = checkByteCount(`e820 entry ${i} size`, e.size, { positive: true });
    if (addr + size > MAX_ADDR + 1) throw new MachineSpecError(`e820 entry ${i} ends beyond 2^53`);
    const type = e.type;
    if (typeof type !== 'string' || !isE820Type(type)) {
      throw new MachineSpecError(`e820 entry ${i}: unknown type '${showValue(type)}' (expected one of: ${E820_TYPES.join(', ')})`);
    }
    return { addr, size, type, index: i };
  });
  out.sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < out.length; i++) {
    if (out[i].addr < out[i - 1].addr + out[i - 1].size) {
      throw new MachineSpecError(`e820 entry ${out[i].index} overlaps entry ${out[i - 1].index}`);
    }
  }
  return out.map(({ addr, size, type }) => ({ addr, size, type }));
}

/** Where SeaBIOS puts the top of RAM below 4 GiB on a pc machine with more than 3 GiB. */
export const QEMU_PC_LOWMEM = 3 * GiB;
/** SeaBIOS keeps the last 132 KiB of low RAM for itself ("reserved" in the map). */
const SEABIOS_RESERVED = 0x21000;

/**
 * The map QEMU (pc machine) and SeaBIOS give a guest with `bytes` of RAM:
 *   0 - 0x9fbff usable, 0x9fc00 - 0x9ffff reserved (EBDA), 0xf0000 - 0xfffff reserved (BIOS),
 *   1 MiB - (lowmem - 132 KiB) usable and the last 132 KiB of lowmem reserved, where lowmem is
 *   the RAM below 4 GiB: all of it up to 3 GiB, else 3 GiB (so 0xbffdf000 ends the usable part);
 *   0xfeffc000 - 0xfeffffff reserved (KVM identity map/TSS), 0xfffc0000 - 0xffffffff reserved
 *   (BIOS ROM), and the rest of the RAM from 4 GiB up.
 * `arch` only documents the guest: the firmware map is the same for a 32-bit kernel.
 */
export function e820ForMemSize(bytes: number, arch: 'x86_64' | 'i386' = 'x86_64'): E820Entry[] {
  if (arch !== 'x86_64' && arch !== 'i386') throw new MachineSpecError(`unknown arch '${showValue(arch)}' (x86_64 or i386)`);
  checkByteCount('mem', bytes, { positive: true });
  if (bytes < 2 * MiB) throw new MachineSpecError(`mem ${formatBytes(bytes)} is too small: a PC needs at least 2 MiB`);
  if (bytes % (1 << PAGE_SHIFT) !== 0) throw new MachineSpecError(`mem ${bytes} is not a multiple of the 4 KiB page size`);
  const lowmem = Math.min(bytes, QEMU_PC_LOWMEM);
  const entries: E820Entry[] = [
    { addr: 0, size: 0x9fc00, type: 'usable' },
    { addr: 0x9fc00, size: 0x400, type: 'reserved' },
    { addr: 0xf0000, size: 0x10000, type: 'reserved' },
    { addr: MiB, size: lowmem - SEABIOS_RESERVED - MiB, type: 'usable' },
    { addr: lowmem - SEABIOS_RESERVED, size: SEABIOS_RESERVED, type: 'reserved' },
    { addr: 0xfeffc000, size: 0x4000, type: 'reserved' },
    { addr: 0xfffc0000, size: 0x40000, type: 'reserved' },
  ];
  if (bytes > lowmem) entries.push({ addr: 4 * GiB, size: bytes - lowmem, type: 'usable' });
  return entries;
}

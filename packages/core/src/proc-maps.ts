/**
 * /proc/PID/maps lines (fs/proc/task_mmu.c of 4.17: show_vma_header_prefix() and
 * show_map_vma()), rendered from data and parsed back.
 *
 * A line is `%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ` (start, end, r/w/x, s for VM_MAYSHARE
 * or p, the file offset vm_pgoff << PAGE_SHIFT, the device's major and minor in hex, the inode in
 * decimal) and then, when there is a name, spaces up to column 73 (seq_setwidth(25 + 6 *
 * sizeof(void *) - 1) then seq_pad(' ')) and the name: the file's path, or [heap], [stack],
 * [vdso], [vvar], [vsyscall]. A line without a name ends in the space after the inode.
 */

/** One line of /proc/PID/maps, as data. */
export interface MapsEntry {
  readonly start: number;
  readonly end: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  /** 's' (VM_MAYSHARE) rather than 'p'. */
  readonly mayshare: boolean;
  /** The file offset in bytes (vm_pgoff << PAGE_SHIFT; 0 for anonymous memory). */
  readonly offset: number;
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
  /** The path, [heap], [stack], [vdso], ...; '' for none. */
  readonly name: string;
}

/** The width show_map_vma() pads to before the name: 25 + sizeof(void *) * 6 - 1 on a 64-bit kernel. */
export const MAPS_NAME_COLUMN = 25 + 8 * 6 - 1;

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/** One line of /proc/PID/maps with its newline. */
export function formatMapsLine(e: MapsEntry): string {
  const prefix = `${hex(e.start, 8)}-${hex(e.end, 8)} ${e.read ? 'r' : '-'}${e.write ? 'w' : '-'}${e.exec ? 'x' : '-'}${e.mayshare ? 's' : 'p'} `
    + `${hex(e.offset, 8)} ${hex(e.major, 2)}:${hex(e.minor, 2)} ${e.inode} `;
  if (e.name === '') return `${prefix}\n`;
  return `${prefix.padEnd(MAPS_NAME_COLUMN, ' ')} ${e.name}\n`;
}

/** The whole file. */
export function formatMaps(entries: Iterable<MapsEntry>): string {
  let out = '';
  for (const e of entries) out += formatMapsLine(e);
  return out;
}

/** A maps text that is not what Linux prints: names the line. */
export class MapsParseError extends Error {
  constructor(readonly line: number, message: string) {
    super(`maps line ${line}: ${message}`);
    this.name = 'MapsParseError';
  }
}

/** The most lines parseMaps() reads (vm.max_map_count is 65530 by default; sysctl allows more, 2^24 is plenty). */
export const MAPS_MAX_LINES = 1 << 24;

const LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([sp]) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)(?: +(.*))?$/;

function parseHexAddr(text: string, line: number, what: string): number {
  if (text.length > 16) throw new MapsParseError(line, `${what} ${text} has more than 16 hex digits`);
  const big = BigInt(`0x${text}`);
  // Above 2^53 only the vsyscall page (0xffffffffff600000) is found in real files; it is exact as a
  // multiple of 4096 below 2^64 only if its low 12 bits are 0, which parseMaps() checks.
  if (big > BigInt(Number.MAX_SAFE_INTEGER) && (big & 0xfffn) !== 0n) throw new MapsParseError(line, `${what} ${text} is not page-aligned`);
  return Number(big);
}

/** Parse /proc/PID/maps text: one MapsEntry a line (a trailing newline or none; no blank lines inside). */
export function parseMaps(text: string): MapsEntry[] {
  if (typeof text !== 'string') throw new TypeError('parseMaps: the maps text must be a string');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > MAPS_MAX_LINES) throw new MapsParseError(MAPS_MAX_LINES + 1, `more than ${MAPS_MAX_LINES} lines`);
  const out: MapsEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const m = LINE.exec(lines[i]);
    if (!m) throw new MapsParseError(n, `not a /proc/PID/maps line: ${JSON.stringify(lines[i].slice(0, 120))}`);
    const start = parseHexAddr(m[1], n, 'start');
    const end = parseHexAddr(m[2], n, 'end');
    if (start % 4096 !== 0 || end % 4096 !== 0) throw new MapsParseError(n, 'start and end must be page-aligned');
    if (end <= start) throw new MapsParseError(n, `end ${m[2]} is not above start ${m[1]}`);
    if (m[7].length > 16) throw new MapsParseError(n, `offset ${m[7]} has more than 16 hex digits`);
    const offset = Number(BigInt(`0x${m[7]}`));
    if (!Number.isSafeInteger(offset) || offset % 4096 !== 0) throw new MapsParseError(n, `offset ${m[7]} is not a page-aligned file offset below 2^53`);
    if (m[8].length > 3 || m[9].length > 5) throw new MapsParseError(n, `device ${m[8]}:${m[9]} is out of range`);
    const inode = Number(m[10]);
    if (!Number.isSafeInteger(inode)) throw new MapsParseError(n, `inode ${m[10]} is out of range`);
    out.push({
      start, end, read: m[3] === 'r', write: m[4] === 'w', exec: m[5] === 'x', mayshare: m[6] === 's', offset,
      major: parseInt(m[8], 16), minor: parseInt(m[9], 16), inode, name: m[11] ?? '',
    });
  }
  return out;
}

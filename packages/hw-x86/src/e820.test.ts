import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MachineSpecError, e820ForMemSize, formatE820, parseE820, type E820Entry, type E820Type } from './index.js';

const GiB = 2 ** 30;

// dmesg of a 4.x QEMU guest with 4 GiB (pc machine), with the lines around the map.
const QEMU_4G_DMESG = `[    0.000000] Linux version 4.17.0 (gcc version 7.3.0) #1 SMP
[    0.000000] x86/fpu: x87 FPU will use FXSAVE
[    0.000000] e820: BIOS-provided physical RAM map:
[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bffdefff] usable
[    0.000000] BIOS-e820: [mem 0x00000000bffdf000-0x00000000bfffffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved
[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable
[    0.000000] NX (Execute Disable) protection: active
[    0.000000] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved
[    0.000000] e820: remove [mem 0x000a0000-0x000fffff] usable
[    0.000000] x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT
`;

describe('parseE820', () => {
  it('reads the BIOS-e820 lines of dmesg and ignores the rest', () => {
    const map = parseE820(QEMU_4G_DMESG);
    expect(map).toHaveLength(8);
    expect(map[0]).toEqual({ addr: 0, size: 0x9fc00, type: 'usable' });
    expect(map[3]).toEqual({ addr: 0x100000, size: 0xbffdf000 - 0x100000, type: 'usable' });
    expect(map[7]).toEqual({ addr: 4 * GiB, size: 1 * GiB, type: 'usable' });
    // the same machine e820ForMemSize models
    expect(map).toEqual(e820ForMemSize(4 * GiB));
  });

  it('reads lines without timestamps, the plain form and the 2.6 form', () => {
    expect(parseE820('BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable')).toEqual([
      { addr: 0, size: 0x9fc00, type: 'usable' },
    ]);
    expect(parseE820('0x0-0x9fbff usable\n0x100000-0x7ffdefff usable\n0x7ffdf000-0x7fffffff reserved\n')).toEqual([
      { addr: 0, size: 0x9fc00, type: 'usable' },
      { addr: 0x100000, size: 0x7fedf000, type: 'usable' },
      { addr: 0x7ffdf000, size: 0x21000, type: 'reserved' },
    ]);
    expect(parseE820(' BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)\n BIOS-e820: 00000000000e0000 - 0000000000100000 (reserved)')).toEqual([
      { addr: 0, size: 0x9fc00, type: 'usable' },
      { addr: 0xe0000, size: 0x20000, type: 'reserved' },
    ]);
  });

  it('reads every type dmesg prints', () => {
    const text = [
      '0x0-0xfff usable',
      '0x1000-0x1fff reserved',
      '0x2000-0x2fff ACPI data',
      '0x3000-0x3fff ACPI NVS',
      '0x4000-0x4fff unusable',
      '0x5000-0x5fff persistent (type 7)',
      '0x6000-0x6fff reserved (kernel)',
    ].join('\n');
    expect(parseE820(text).map((e) => e.type)).toEqual([
      'usable', 'reserved', 'ACPI data', 'ACPI NVS', 'unusable', 'persistent (type 7)', 'reserved (kernel)',
    ]);
  });

  it('sorts entries by address', () => {
    expect(parseE820('0x100000-0x1fffff usable\n0x0-0x9fbff usable').map((e) => e.addr)).toEqual([0, 0x100000]);
  });

  it('refuses overlapping entries, naming both lines', () => {
    expect(() => parseE820('0x0-0x9fbff usable\n0x9f000-0x9ffff reserved')).toThrow(/line 2.*overlaps line 1/);
  });

  it('refuses garbage with the line number', () => {
    expect(() => parseE820('hello world')).toThrow(MachineSpecError);
    expect(() => parseE820('hello world')).toThrow(/no e820 entries/);
    expect(() => parseE820('0x0-0x9fbff usable\n[    0.000000] BIOS-e820: [mem 0x100000-] usable')).toThrow(/line 2: malformed/);
    expect(() => parseE820('0x0-0x9fbff usable\n0x100000-0x1fffff bogus')).toThrow(/line 2: unknown e820 type "bogus"/);
    expect(() => parseE820('0x1000-0xfff usable')).toThrow(/line 1: e820 entry ends before it starts/);
    expect(() => parseE820('0x0-0x9fbff usable\n0x100000 usable')).toThrow(/line 2: malformed/);
    expect(() => parseE820('')).toThrow(MachineSpecError);
  });
});

describe('formatE820', () => {
  it('prints the dmesg form', () => {
    expect(formatE820([{ addr: 0, size: 0x9fc00, type: 'usable' }])).toBe(
      'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n',
    );
  });

  it('round-trips through parseE820', () => {
    const types: E820Type[] = ['usable', 'reserved', 'ACPI data', 'ACPI NVS', 'unusable', 'persistent (type 7)', 'reserved (kernel)'];
    const mapArb = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 20 }), fc.constantFrom(...types)), {
        minLength: 1,
        maxLength: 20,
      })
      .map((parts) => {
        let addr = 0;
        const out: E820Entry[] = [];
        for (const [gap, size, type] of parts) {
          addr += gap * 4096;
          out.push({ addr, size: size * 1024, type });
          addr += size * 1024;
        }
        return out;
      });
    fc.assert(
      fc.property(mapArb, (map) => {
        expect(parseE820(formatE820(map))).toEqual(map);
      }),
    );
  });

  it('refuses bad entries', () => {
    expect(() => formatE820([{ addr: -4096, size: 4096, type: 'usable' }])).toThrow(/must not be negative/);
    expect(() => formatE820([{ addr: 0, size: 0, type: 'usable' }])).toThrow(/greater than 0/);
    expect(() => formatE820([{ addr: 0, size: 4096, type: 'ram' as E820Type }])).toThrow(/unknown type 'ram'/);
    expect(() => formatE820([])).toThrow(/empty/);
  });
});

describe('e820ForMemSize', () => {
  const usable = (map: E820Entry[]) => map.filter((e) => e.type === 'usable').reduce((n, e) => n + e.size, 0);

  it('puts small guests entirely below 4 GiB, with SeaBIOS keeping the top 132 KiB', () => {
    const map = e820ForMemSize(2 * GiB);
    expect(map).toContainEqual({ addr: 0x100000, size: 0x7ffdf000 - 0x100000, type: 'usable' });
    expect(map).toContainEqual({ addr: 0x7ffdf000, size: 0x21000, type: 'reserved' });
    expect(map.some((e) => e.addr >= 4 * GiB)).toBe(false);
  });

  it('stops RAM below 4 GiB at 0xbffdf000 above 3 GiB and puts the rest from 4 GiB', () => {
    const map = e820ForMemSize(22 * GiB);
    expect(map).toContainEqual({ addr: 0x100000, size: 0xbffdf000 - 0x100000, type: 'usable' });
    expect(map).toContainEqual({ addr: 0xbffdf000, size: 0x21000, type: 'reserved' });
    expect(map).toContainEqual({ addr: 0xfeffc000, size: 0x4000, type: 'reserved' });
    expect(map).toContainEqual({ addr: 0xfffc0000, size: 0x40000, type: 'reserved' });
    expect(map).toContainEqual({ addr: 4 * GiB, size: 19 * GiB, type: 'usable' });
    // all RAM but the 1 KiB EBDA and the BIOS's 132 KiB, and the 640 KiB-1 MiB hole
    expect(usable(map)).toBe(22 * GiB - 0x400 - 0x21000 - 0x60000);
  });

  it('refuses sizes it cannot lay out', () => {
    expect(() => e820ForMemSize(-1)).toThrow(MachineSpecError);
    expect(() => e820ForMemSize(1024 * 1024)).toThrow(/too small/);
    expect(() => e820ForMemSize(4 * GiB + 1)).toThrow(/multiple of the 4 KiB page/);
    expect(() => e820ForMemSize(1.5)).toThrow(/whole number/);
  });
});

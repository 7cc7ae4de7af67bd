import { readFileSync } from 'node:fs';
import { I386_ZONES, X86_64_ZONES } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { MachineSpecError, layoutFromZoneinfo, parseZoneinfo, type ZoneinfoFile } from './index.js';
import { managedPages } from './managed.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** Every zone of the layout has exactly the file's spanned, present and managed pages. */
function expectSameZones(file: ZoneinfoFile): void {
  const l = layoutFromZoneinfo(file);
  for (const z of file.zones) {
    const idx = l.zones.names.indexOf(z.name);
    const zl = l.nodes[z.nid].zones[idx];
    expect({ nid: z.nid, name: z.name, spanned: zl.spanned, present: zl.present, managed: managedPages(l, z.nid, idx) }).toEqual({
      nid: z.nid,
      name: z.name,
      spanned: z.spanned,
      present: z.present,
      managed: z.managed,
    });
    if (z.startPfn !== undefined && z.spanned > 0) expect(zl.startPfn).toBe(z.startPfn);
  }
}

// A small file in the 4.17 format: a 2-CPU guest with 2 GiB, one node; unpopulated zones
// print no statistics, no pagesets and no start_pfn.
const SMALL_4_17 = `Node 0, zone      DMA
  per-node stats
      nr_inactive_anon 1000
      nr_active_anon 2000
  pages free     3977
        min      33
        low      41
        high     49
        spanned  4095
        present  3998
        managed  3977
        protection: (0, 1928, 1928, 1928, 1928)
      nr_free_pages 3977
      nr_zone_inactive_anon 0
  pagesets
    cpu: 0
              count: 0
              high:  0
              batch: 1
  vm stats threshold: 4
    cpu: 1
              count: 0
              high:  0
              batch: 1
  vm stats threshold: 4
  node_unreclaimable:  0
  start_pfn:           1
  node_inactive_ratio: 0
Node 0, zone    DMA32
  pages free     480000
        min      16042
        low      20052
        high     24062
        spanned  520159
        present  520159
        managed  493737
        protection: (0, 0, 0, 0, 0)
      nr_free_pages 480000
  pagesets
    cpu: 0
              count: 120
              high:  186
              batch: 31
  vm stats threshold: 24
    cpu: 1
              count: 30
              high:  186
              batch: 31
  vm stats threshold: 24
  node_unreclaimable:  0
  start_pfn:           4096
  node_inactive_ratio: 0
Node 0, zone   Normal
  pages free     0
        min      0
        low      0
        high     0
        spanned  0
        present  0
        managed  0
        protection: (0, 0, 0, 0, 0)
Node 0, zone  Movable
  pages free     0
        min      0
        low      0
        high     0
        spanned  0
        present  0
        managed  0
        protection: (0, 0, 0, 0, 0)
Node 0, zone   Device
  pages free     0
        min      0
        low      0
        high     0
        spanned  0
        present  0
        managed  0
        protection: (0, 0, 0, 0, 0)
`;

describe('parseZoneinfo', () => {
  it('reads a real 4.4-era x86-64 file (scanned, all_unreclaimable, inactive_ratio lines)', () => {
    const f = parseZoneinfo(fixture('zoneinfo-x86_64-4.4.txt'));
    expect(f.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal']);
    expect(f.zones[0]).toEqual({
      nid: 0, name: 'DMA', free: 3977, min: 16, low: 20, high: 24, spanned: 4095, present: 3998, managed: 3977,
      protection: [0, 2812, 15866, 15866], startPfn: 1,
      pagesets: [0, 1, 2, 3].map((cpu) => ({ cpu, count: 0, high: 0, batch: 1 })),
    });
    expect(f.zones[1]).toMatchObject({ min: 2991, low: 3738, high: 4486, spanned: 1044480, present: 782304, managed: 720692, startPfn: 4096 });
    expect(f.zones[1].pagesets.map((p) => p.count)).toEqual([164, 173, 122, 163]);
    expect(f.zones[2]).toMatchObject({ spanned: 3407872, present: 3407872, managed: 3341870, startPfn: 1048576, protection: [0, 0, 0, 0] });
  });

  it('reads a real 4.11 file with per-node stats (ppc64, node 1 all Movable)', () => {
    const f = parseZoneinfo(fixture('zoneinfo-ppc64-4.11.txt'));
    expect(f.zones.map((z) => [z.nid, z.name, z.startPfn])).toEqual([
      [0, 'DMA', 0],
      [1, 'Movable', 65536],
    ]);
    expect(f.zones[1]).toMatchObject({ free: 65536, min: 63, low: 128, high: 193, spanned: 65536, present: 65536, managed: 65536 });
    expect(f.zones[0].pagesets).toEqual([{ cpu: 0, count: 2, high: 6, batch: 1 }]);
  });

  it('reads the 4.17 format, where unpopulated zones have no start_pfn', () => {
    const f = parseZoneinfo(SMALL_4_17);
    expect(f.zones).toHaveLength(5);
    expect(f.zones[2]).toEqual({
      nid: 0, name: 'Normal', free: 0, min: 0, low: 0, high: 0, spanned: 0, present: 0, managed: 0, protection: [0, 0, 0, 0, 0], pagesets: [],
    });
    expect(f.zones[1].pagesets).toEqual([
      { cpu: 0, count: 120, high: 186, batch: 31 },
      { cpu: 1, count: 30, high: 186, batch: 31 },
    ]);
  });

  it('refuses malformed files with the line number', () => {
    const lines = SMALL_4_17.split('\n');
    const edit = (i: number, text: string) => lines.map((l, j) => (j === i ? text : l)).join('\n');
    expect(() => parseZoneinfo('')).toThrow(/no zones found/);
    expect(() => parseZoneinfo('hello\nworld')).toThrow(/line 1: expected a "Node N, zone NAME" header/);
    expect(() => parseZoneinfo(edit(4, '  pages free     lots'))).toThrow(/line 5: not a zoneinfo line/);
    expect(() => parseZoneinfo(edit(5, '        min'))).toThrow(/line 6: not a zoneinfo line/);
    expect(() => parseZoneinfo(edit(11, '        protection: (0, x)'))).toThrow(/line 12: malformed protection/);
    expect(() => parseZoneinfo(edit(10, ''))).toThrow(/line 1: zone Node 0 DMA lacks managed/);
    expect(() => parseZoneinfo(edit(9, '        present  5000'))).toThrow(/present 5000 > spanned 4095/);
    expect(() => parseZoneinfo(edit(16, '              batch: one'))).toThrow(/line 17/);
    expect(() => parseZoneinfo(edit(16, '  start_pfn:           1'))).toThrow(/line 17: pageset of cpu 0 lacks count, high, batch/);
    expect(() => parseZoneinfo(edit(16, '              kount: 0'))).toThrow(/line 20: pageset of cpu 0 lacks count/);
    expect(() => parseZoneinfo(edit(0, 'Node x, zone DMA'))).toThrow(/line 1/);
    expect(() => parseZoneinfo(SMALL_4_17 + SMALL_4_17)).toThrow(/zone Node 0 DMA appears twice \(first on line 1\)/);
  });
});

describe('layoutFromZoneinfo', () => {
  it('rebuilds the real x86-64 machine with exactly its spanned/present/managed pages', () => {
    const f = parseZoneinfo(fixture('zoneinfo-x86_64-4.4.txt'));
    expectSameZones(f);
    const l = layoutFromZoneinfo(f);
    expect(l.zones).toBe(X86_64_ZONES);
    expect(l.nodes).toHaveLength(1);
    expect(l.nodes[0].zones[X86_64_ZONES.NORMAL]).toEqual({ nid: 0, zoneIdx: 2, startPfn: 1048576, spanned: 3407872, present: 3407872 });
    expect(l.nodes[0].zones[X86_64_ZONES.MOVABLE].spanned).toBe(0);
    expect(l.maxPfn).toBe(1048576 + 3407872);
    expect(l.memory[0]).toEqual({ start: 1, end: 1 + 3998 });
    expect(l.reserved[0]).toEqual({ start: 1, end: 1 + 3998 - 3977 });
  });

  it('rebuilds the real 4.11 two-node machine', () => {
    const f = parseZoneinfo(fixture('zoneinfo-ppc64-4.11.txt'));
    expectSameZones(f);
    const l = layoutFromZoneinfo(f);
    expect(l.nodes.map((n) => [n.startPfn, n.spanned, n.present])).toEqual([
      [0, 65536, 65536],
      [65536, 65536, 65536],
    ]);
    expect(l.distance).toEqual([10, 20, 20, 10]);
  });

  it('packs zones without start_pfn after the previous one', () => {
    const f = parseZoneinfo(SMALL_4_17.replace('  start_pfn:           4096\n', ''));
    expectSameZones(f);
    expect(layoutFromZoneinfo(f).nodes[0].zones[X86_64_ZONES.DMA32].startPfn).toBe(4096);
  });

  it('takes the i386 zone configuration from a HighMem zone', () => {
    const file: ZoneinfoFile = {
      zones: [
        { nid: 0, name: 'DMA', free: 0, min: 0, low: 0, high: 0, spanned: 4095, present: 3998, managed: 3975, protection: [], startPfn: 1, pagesets: [] },
        { nid: 0, name: 'Normal', free: 0, min: 0, low: 0, high: 0, spanned: 225280, present: 221246, managed: 210000, protection: [], startPfn: 4096, pagesets: [] },
        { nid: 0, name: 'HighMem', free: 0, min: 0, low: 0, high: 0, spanned: 294879, present: 294879, managed: 294879, protection: [], startPfn: 229376, pagesets: [] },
      ],
    };
    expectSameZones(file);
    expect(layoutFromZoneinfo(file).zones).toBe(I386_ZONES);
  });

  it('refuses zones it cannot lay out', () => {
    const zone = { free: 0, min: 0, low: 0, high: 0, protection: [], pagesets: [] };
    expect(() => layoutFromZoneinfo({ zones: [{ ...zone, nid: 0, name: 'Weird', spanned: 1, present: 1, managed: 1 }] })).toThrow(/zone 'Weird' of node 0 is not a zone of x86_64/);
    expect(() =>
      layoutFromZoneinfo({
        zones: [
          { ...zone, nid: 0, name: 'HighMem', spanned: 10, present: 10, managed: 10, startPfn: 100 },
          { ...zone, nid: 0, name: 'DMA32', spanned: 10, present: 10, managed: 10, startPfn: 0 },
        ],
      }),
    ).toThrow(/DMA32.*not a zone of i386/);
    expect(() =>
      layoutFromZoneinfo({
        zones: [
          { ...zone, nid: 0, name: 'DMA', spanned: 100, present: 100, managed: 100, startPfn: 0 },
          { ...zone, nid: 0, name: 'DMA32', spanned: 100, present: 100, managed: 100, startPfn: 50 },
        ],
      }),
    ).toThrow(/overlap/);
    expect(() => layoutFromZoneinfo({ zones: [{ ...zone, nid: 0, name: 'DMA', spanned: 10, present: 5, managed: 6 }] })).toThrow(MachineSpecError);
    expect(() => layoutFromZoneinfo({ zones: [] })).toThrow(/no zones/);
  });
});

/** One complete zone block, for the range tests. */
function zoneBlock(nid: number | string, name: string, startPfn: number | string, spanned: number | string, cpu: number | string = 0): string {
  return `Node ${nid}, zone ${name}
  pages free     10
        min      1
        low      2
        high     3
        spanned  ${spanned}
        present  ${spanned}
        managed  ${spanned}
        protection: (0, 0, 0, 0, 0)
  pagesets
    cpu: ${cpu}
              count: 0
              high:  0
              batch: 1
  start_pfn:           ${startPfn}
`;
}

describe('zoneinfo input is range-checked (issue 10 item 9)', () => {
  it('refuses node ids beyond MAX_NUMNODES before sizing anything by them', () => {
    for (const nid of [1024, 1000000, 4294967295, '99999999999999999999999']) {
      expect(() => layoutFromZoneinfo(parseZoneinfo(zoneBlock(nid, 'DMA', 1, 4095)))).toThrow(/line 1: node .* is beyond MAX_NUMNODES \(1024\)/);
    }
    expect(layoutFromZoneinfo(parseZoneinfo(zoneBlock(3, 'DMA', 1, 4095))).nodes).toHaveLength(4);
  });
  it('refuses counts and pfns no machine has', () => {
    expect(() => parseZoneinfo(zoneBlock(0, 'DMA', 1, '99999999999999999999'))).toThrow(/line 6: spanned 99999999999999999999 is too large/);
    expect(() => layoutFromZoneinfo(parseZoneinfo(zoneBlock(0, 'Normal', 2 ** 40, 4096)))).toThrow(/Node 0 Normal ends at pfn .* beyond the 2\^34 pfns x86_64 addresses \(MAX_PHYSMEM_BITS 46\)/);
    expect(() => parseZoneinfo(zoneBlock(0, 'DMA', 1, 4095, 100000))).toThrow(/line 11: cpu 100000 is beyond NR_CPUS \(8192\)/);
  });
  it('refuses zones out of order within a node (DMA above DMA32)', () => {
    const text = zoneBlock(0, 'DMA', 1048576, 4096) + zoneBlock(0, 'DMA32', 4096, 4096);
    expect(() => layoutFromZoneinfo(parseZoneinfo(text))).toThrow(/zone Node 0 DMA starts at pfn 1048576, above Node 0 DMA32 \(pfn 4096\): zones of a node are in address order/);
    expect(() => layoutFromZoneinfo(parseZoneinfo(zoneBlock(0, 'DMA', 1, 4095) + zoneBlock(0, 'DMA32', 4096, 4096)))).not.toThrow();
  });
});

import { I386_ZONES, X86_64_ZONES, findUsableZoneForMovable, isHighmemIdx, type MemoryLayout } from '@mmkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MachineSpecError, setupMemory, type MachineSpec } from './index.js';
import { managedPages } from './managed.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const Z = X86_64_ZONES;
const pfn = (bytes: number) => bytes / 4096;
const zone = (l: MemoryLayout, nid: number, idx: number) => l.nodes[nid].zones[idx];

/** The invariants every layout must keep, whatever the machine. */
function checkLayout(l: MemoryLayout): void {
  const sortedDisjoint = (rs: readonly { start: number; end: number }[]) =>
    rs.every((r, i) => r.end > r.start && (i === 0 || rs[i - 1].end <= r.start));
  expect(sortedDisjoint(l.memory)).toBe(true);
  expect(sortedDisjoint(l.reserved)).toBe(true);
  for (const r of l.reserved) expect(l.memory.some((m) => m.start <= r.start && r.end <= m.end)).toBe(true);
  for (const c of l.cma) {
    expect(l.memory.some((m) => m.start <= c.start && c.end <= m.end)).toBe(true);
    expect(l.reserved.some((r) => r.start < c.end && c.start < r.end)).toBe(false);
  }
  expect(l.maxPfn).toBe(l.memory[l.memory.length - 1].end);
  expect(l.distance).toHaveLength(l.nodes.length ** 2);
  let totalPresent = 0;
  let prevEnd = 0;
  for (const n of l.nodes) {
    expect(n.zones).toHaveLength(l.zones.nrZones);
    let present = 0;
    for (const z of n.zones) {
      expect(z.present).toBeLessThanOrEqual(z.spanned);
      if (z.spanned === 0) continue;
      // zones of a node are in order and disjoint, inside the node
      expect(z.startPfn).toBeGreaterThanOrEqual(prevEnd);
      expect(z.startPfn).toBeGreaterThanOrEqual(n.startPfn);
      expect(z.startPfn + z.spanned).toBeLessThanOrEqual(n.startPfn + n.spanned);
      prevEnd = z.startPfn + z.spanned;
      expect(managedPages(l, n.nid, z.zoneIdx)).toBeGreaterThanOrEqual(0);
      present += z.present;
    }
    expect(n.present).toBe(present);
    totalPresent += present;
  }
  expect(totalPresent).toBe(l.memory.reduce((s, r) => s + r.end - r.start, 0));
}

describe('movable_zone (find_usable_zone_for_movable)', () => {
  it('is the highest zone but Movable with pfns: HighMem only when there is memory above max_low_pfn', () => {
    const cases: [MachineSpec, number][] = [
      [{ arch: 'i386', mem: 512 * MiB, movablecore: 128 * MiB }, I386_ZONES.NORMAL],
      [{ arch: 'i386', mem: 2 * GiB, movablecore: 512 * MiB }, I386_ZONES.HIGHMEM],
      [{ mem: 2 * GiB, movablecore: 512 * MiB }, Z.DMA32],
      [{ mem: 8 * GiB, movablecore: 1 * GiB }, Z.NORMAL],
    ];
    for (const [spec, want] of cases) {
      const l = setupMemory(spec);
      expect(l.movableZone, JSON.stringify(spec)).toBe(want);
      expect(findUsableZoneForMovable(l.zones, l.nodes), `from the zones: ${JSON.stringify(spec)}`).toBe(want);
      expect(isHighmemIdx(l.zones, l.zones.MOVABLE, l.movableZone), JSON.stringify(spec)).toBe(want === I386_ZONES.HIGHMEM && l.zones === I386_ZONES);
    }
  });
});

describe('zones of x86-64 (zone_sizes_init)', () => {
  it('puts DMA below 16 MiB, DMA32 below 4 GiB and Normal above, with the 3-4 GiB hole in DMA32', () => {
    const l = setupMemory({ mem: 8 * GiB });
    checkLayout(l);
    expect(l.zones).toBe(X86_64_ZONES);
    expect(l.nodes).toHaveLength(1);
    // page 0 and 640 KiB-1 MiB are not memory (trim_bios_range): DMA spans 1..4096
    expect(zone(l, 0, Z.DMA)).toEqual({ nid: 0, zoneIdx: Z.DMA, startPfn: 1, spanned: 4095, present: 3998 });
    // DMA32 spans up to 4 GiB, but RAM stops at 0xbffdf000
    expect(zone(l, 0, Z.DMA32)).toEqual({ nid: 0, zoneIdx: Z.DMA32, startPfn: 4096, spanned: pfn(4 * GiB) - 4096, present: 0xbffdf - 0x100 - (4096 - 0x100) });
    expect(zone(l, 0, Z.NORMAL)).toEqual({ nid: 0, zoneIdx: Z.NORMAL, startPfn: pfn(4 * GiB), spanned: pfn(5 * GiB), present: pfn(5 * GiB) });
    expect(zone(l, 0, Z.MOVABLE).spanned).toBe(0);
    expect(zone(l, 0, Z.DEVICE).spanned).toBe(0);
    expect(l.maxPfn).toBe(pfn(9 * GiB));
    expect(l.nodes[0]).toMatchObject({ startPfn: 1, spanned: pfn(9 * GiB) - 1 });
  });

  it('has no Normal zone when all memory is below 4 GiB', () => {
    const l = setupMemory({ mem: 2 * GiB });
    checkLayout(l);
    expect(zone(l, 0, Z.DMA32).startPfn + zone(l, 0, Z.DMA32).spanned).toBe(0x7ffdf);
    expect(zone(l, 0, Z.NORMAL).spanned).toBe(0);
  });

  it('rounds usable e820 ranges inward to pages', () => {
    const l = setupMemory({
      e820: '0x0-0x9fbff usable\n0x100000-0x2000fff usable\n0x2001800-0x40007ff usable',
      reserve: { kernelImage: 0, memmap: false },
    });
    expect(l.memory).toEqual([
      { start: 1, end: 0x9f },
      { start: 0x100, end: 0x2001 },
      { start: 0x2002, end: 0x4000 },
    ]);
  });

  it('keeps page 0 and the ISA hole when firmware reservations are off', () => {
    const l = setupMemory({ e820: '0x0-0xfffff usable\n0x100000-0x3ffffff usable', reserve: { firmware: false, kernelImage: 0, memmap: false } });
    expect(l.memory).toEqual([{ start: 0, end: 0x4000 }]);
    expect(l.reserved).toEqual([]);
    expect(zone(l, 0, Z.DMA)).toMatchObject({ startPfn: 0, spanned: 4096, present: 4096 });
  });
});

describe('memblock reservations', () => {
  it('reserves the first 64 KiB and the trampoline below 1 MiB: 3977 DMA pages stay, as on a real QEMU guest', () => {
    const l = setupMemory({ mem: 4 * GiB });
    expect(l.reserved.slice(0, 2)).toEqual([
      { start: 1, end: 16 },
      { start: 0x99, end: 0x9f },
    ]);
    expect(managedPages(l, 0, Z.DMA)).toBe(3977);
  });

  it('reserves the kernel image at 16 MiB', () => {
    const l = setupMemory({ mem: 4 * GiB, reserve: { kernelImage: 20 * MiB + 1, memmap: false, firmware: false } });
    expect(l.reserved).toEqual([{ start: pfn(16 * MiB), end: pfn(36 * MiB) + 1 }]);
    expect(managedPages(l, 0, Z.DMA32)).toBe(zone(l, 0, Z.DMA32).present - pfn(20 * MiB) - 1);
  });

  it('reserves 2 MiB of struct pages per present 128 MiB section, at the top of each node', () => {
    const l = setupMemory({ mem: 16 * GiB, nodes: 2, reserve: { kernelImage: 0, firmware: false } });
    checkLayout(l);
    // node 0: sections 0-23 below 3 GiB and 4-9 GiB (48); node 1: 9-17 GiB (64)
    const n0end = l.nodes[0].startPfn + l.nodes[0].spanned;
    const n1end = l.nodes[1].startPfn + l.nodes[1].spanned;
    expect(l.reserved).toEqual([
      { start: n0end - (24 + 40) * 512, end: n0end },
      { start: n1end - 64 * 512, end: n1end },
    ]);
  });

  it('rounds extra reservations outward to pages and clips them to memory', () => {
    const l = setupMemory({
      mem: 4 * GiB,
      reserve: { kernelImage: 0, memmap: false, firmware: false, extra: [{ addr: 0x200800, size: 0x1000 }, { addr: 0xbffd0000, size: 0x100000 }] },
    });
    expect(l.reserved).toEqual([
      { start: 0x200, end: 0x202 },
      { start: 0xbffd0, end: 0xbffdf },
    ]);
  });
});

describe('fake NUMA (numa=fake=N, split_nodes_interleave)', () => {
  it('splits 16 GiB into two nodes of 8 GiB of memory each, node 0 growing past the hole', () => {
    const l = setupMemory({ mem: 16 * GiB, nodes: 2 });
    checkLayout(l);
    expect(l.nodes.map((n) => n.present)).toEqual([3998 + 782303 + pfn(5 * GiB), pfn(8 * GiB)]);
    expect(l.nodes[1].startPfn).toBe(pfn(9 * GiB));
    expect(zone(l, 1, Z.DMA).spanned + zone(l, 1, Z.DMA32).spanned).toBe(0);
    expect(l.distance).toEqual([10, 20, 20, 10]);
  });

  it('creates fewer nodes when holes make the first ones take more, as Linux does', () => {
    // 2 GiB / 7 = 288 MiB per node; node 0 grows to 320 MiB past the holes below 1 MiB,
    // and the sixth node takes what is left
    const l = setupMemory({ mem: 2 * GiB, nodes: 7 });
    checkLayout(l);
    expect(l.nodes).toHaveLength(6);
    expect(l.nodes[1].startPfn).toBe(pfn(320 * MiB));
    expect(l.nodes[5].startPfn).toBe(pfn((320 + 4 * 288) * MiB));
  });

  it('gives nodes sizes in 32 MiB steps and the remainder to the last node', () => {
    const l = setupMemory({ mem: 4 * GiB, nodes: 3 });
    checkLayout(l);
    const bounds = l.nodes.slice(1).map((n) => n.startPfn);
    for (const b of bounds) expect(b % pfn(32 * MiB)).toBe(0);
    const sizes = l.nodes.map((n) => n.present);
    // (4 GiB - 133 pages of holes) / 3 = 1365.3 MiB: 1344 MiB plus one 32 MiB "big" node
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(pfn(64 * MiB));
    expect(l.distance).toEqual([10, 20, 20, 20, 10, 20, 20, 20, 10]);
  });

  it('makes every node roughly equal for many nodes and sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 8 }), (gib, nodes) => {
        const l = setupMemory({ mem: gib * GiB, nodes, reserve: { memmap: gib >= 2 } });
        checkLayout(l);
        // Linux creates fewer nodes when the holes make the first ones take more
        expect(l.nodes.length).toBeLessThanOrEqual(nodes);
        expect(l.nodes.length).toBeGreaterThanOrEqual(nodes - 1);
        const sizes = l.nodes.map((n) => n.present);
        const share = Math.floor(sizes.reduce((a, b) => a + b, 0) / nodes);
        // every node but the last holds its share rounded down to 32 MiB, plus at most 32 MiB
        // for a "big" node and 32 MiB of slack past holes
        for (const s of sizes.slice(0, -1)) {
          expect(s).toBeGreaterThanOrEqual(share - (share % pfn(32 * MiB)));
          expect(s).toBeLessThanOrEqual(share - (share % pfn(32 * MiB)) + pfn(64 * MiB));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('ZONE_MOVABLE', () => {
  it('kernelcore= leaves that much for the kernel and makes the rest of the highest zone movable', () => {
    const l = setupMemory({ mem: 8 * GiB, kernelcore: 4 * GiB, reserve: { memmap: false } });
    checkLayout(l);
    const below4g = zone(l, 0, Z.DMA).present + zone(l, 0, Z.DMA32).present;
    const movableStart = zone(l, 0, Z.MOVABLE).startPfn;
    // kernelcore counts DMA/DMA32 first, then Normal up to 4 GiB of pages, aligned up to 4 MiB
    expect(movableStart).toBe(Math.ceil((pfn(4 * GiB) + pfn(4 * GiB) - below4g) / 1024) * 1024);
    expect(zone(l, 0, Z.NORMAL).startPfn + zone(l, 0, Z.NORMAL).spanned).toBe(movableStart);
    expect(zone(l, 0, Z.MOVABLE).startPfn + zone(l, 0, Z.MOVABLE).spanned).toBe(pfn(9 * GiB));
  });

  it('movablecore= is kernelcore = total - movablecore (rounded to MAX_ORDER_NR_PAGES)', () => {
    const l = setupMemory({ mem: 4 * GiB, movablecore: GiB });
    checkLayout(l);
    expect(zone(l, 0, Z.NORMAL).spanned).toBe(0);
    expect(zone(l, 0, Z.MOVABLE)).toMatchObject({ startPfn: pfn(4 * GiB), spanned: pfn(GiB), present: pfn(GiB) });
  });

  it('percentages work on total memory', () => {
    const a = setupMemory({ mem: 8 * GiB, movablecore: { percent: 25 } });
    const b = setupMemory({ mem: 8 * GiB, kernelcore: { percent: 75 } });
    checkLayout(a);
    expect(zone(a, 0, Z.MOVABLE).spanned).toBeGreaterThan(pfn(2 * GiB) - 1024);
    expect(Math.abs(zone(a, 0, Z.MOVABLE).startPfn - zone(b, 0, Z.MOVABLE).startPfn)).toBeLessThanOrEqual(1024);
    expect(setupMemory({ mem: 8 * GiB, kernelcore: { percent: 100 } }).nodes[0].zones[Z.MOVABLE].spanned).toBe(0);
  });

  it('spreads kernelcore evenly across nodes', () => {
    const l = setupMemory({ mem: 16 * GiB, nodes: 2, kernelcore: 8 * GiB, reserve: { memmap: false } });
    checkLayout(l);
    // node 1 keeps 4 GiB of Normal, its other 4 GiB is movable
    expect(zone(l, 1, Z.NORMAL).spanned).toBe(pfn(4 * GiB));
    expect(zone(l, 1, Z.MOVABLE).spanned).toBe(pfn(4 * GiB));
    // node 0 has 3 GiB below 4 GiB already: 1 GiB more of Normal
    expect(zone(l, 0, Z.NORMAL).spanned).toBe(Math.ceil((pfn(4 * GiB) - zone(l, 0, Z.DMA).present - zone(l, 0, Z.DMA32).present) / 1024) * 1024);
    expect(zone(l, 0, Z.MOVABLE).spanned).toBeGreaterThan(0);
  });

  it('movable_node makes all of a hotpluggable node ZONE_MOVABLE, its struct pages living elsewhere', () => {
    const l = setupMemory({ mem: 16 * GiB, nodes: 2, movableNodes: [1] });
    checkLayout(l);
    expect(zone(l, 1, Z.NORMAL).spanned).toBe(0);
    expect(zone(l, 1, Z.MOVABLE)).toMatchObject({ startPfn: pfn(9 * GiB), spanned: pfn(8 * GiB), present: pfn(8 * GiB) });
    expect(managedPages(l, 1, Z.MOVABLE)).toBe(pfn(8 * GiB));
    expect(zone(l, 0, Z.MOVABLE).spanned).toBe(0);
  });

  it('places a CMA area at the top of its node, managed by ZONE_MOVABLE, the zones below ending where it starts', () => {
    const l = setupMemory({ mem: 8 * GiB, nodes: 2, cma: [{ size: 100 * MiB }] });
    checkLayout(l);
    const end = l.nodes[1].startPfn + l.nodes[1].spanned;
    expect(l.cma).toEqual([{ start: end - pfn(100 * MiB), end }]);
    expect(zone(l, 1, Z.MOVABLE)).toMatchObject({ startPfn: end - pfn(100 * MiB), spanned: pfn(100 * MiB), present: pfn(100 * MiB) });
    expect(managedPages(l, 1, Z.MOVABLE)).toBe(pfn(100 * MiB));
    expect(zone(l, 1, Z.NORMAL).startPfn + zone(l, 1, Z.NORMAL).spanned).toBe(end - pfn(100 * MiB));
    // the node's struct pages go below the area
    expect(l.reserved[l.reserved.length - 1].end).toBe(end - pfn(100 * MiB));
  });

  it('under the migratetype CMA policy (4.16, 4.17-final) leaves a CMA area in the zone its pfns belong to: no ZONE_MOVABLE', () => {
    const seed = setupMemory({ mem: 8 * GiB, nodes: 2, cma: [{ size: 100 * MiB }] });
    const l = setupMemory({ mem: 8 * GiB, nodes: 2, cma: [{ size: 100 * MiB }] }, { cmaPolicy: 'migratetype' });
    checkLayout(l);
    expect(l.cma).toEqual(seed.cma);
    const end = l.nodes[1].startPfn + l.nodes[1].spanned;
    expect(zone(l, 1, Z.MOVABLE).spanned).toBe(0);
    expect(zone(l, 1, Z.NORMAL).startPfn + zone(l, 1, Z.NORMAL).spanned).toBe(end);
    expect(zone(l, 1, Z.NORMAL).present).toBe(zone(seed, 1, Z.NORMAL).present + zone(seed, 1, Z.MOVABLE).present);
  });

  it('aligns CMA areas to 4 MiB and honours the node', () => {
    const l = setupMemory({ mem: 8 * GiB, nodes: 2, cma: [{ size: 1 * MiB, node: 0 }, { size: 5 * MiB, node: 0 }] });
    checkLayout(l);
    expect(l.cma.map((c) => c.end - c.start)).toEqual([pfn(12 * MiB)]);
    expect(l.cma[0].start % 1024).toBe(0);
    expect(zone(l, 0, Z.MOVABLE).startPfn).toBe(l.cma[0].start);
    expect(zone(l, 1, Z.MOVABLE).spanned).toBe(0);
  });
});

describe('i386 with CONFIG_HIGHMEM', () => {
  const I = I386_ZONES;

  it('has DMA < 16 MiB, Normal < 896 MiB and HighMem above', () => {
    const l = setupMemory({ arch: 'i386', mem: 2 * GiB });
    checkLayout(l);
    expect(l.zones).toBe(I386_ZONES);
    expect(zone(l, 0, I.DMA)).toMatchObject({ startPfn: 1, spanned: 4095 });
    expect(zone(l, 0, I.NORMAL)).toMatchObject({ startPfn: 4096, spanned: pfn(896 * MiB) - 4096 });
    expect(zone(l, 0, I.HIGHMEM)).toMatchObject({ startPfn: pfn(896 * MiB), spanned: 0x7ffdf - pfn(896 * MiB) });
    // the flat mem_map (32 bytes per page) lives in lowmem
    expect(managedPages(l, 0, I.HIGHMEM)).toBe(zone(l, 0, I.HIGHMEM).present);
  });

  it('takes ZONE_MOVABLE out of HighMem', () => {
    const l = setupMemory({ arch: 'i386', mem: 2 * GiB, movablecore: 512 * MiB });
    checkLayout(l);
    expect(zone(l, 0, I.MOVABLE).startPfn).toBe(pfn(1536 * MiB));
    expect(zone(l, 0, I.HIGHMEM).startPfn + zone(l, 0, I.HIGHMEM).spanned).toBe(pfn(1536 * MiB));
    expect(zone(l, 0, I.NORMAL).spanned).toBe(pfn(896 * MiB) - 4096);
  });

  it('ignores memory above 64 GiB (PAE)', () => {
    const l = setupMemory({ arch: 'i386', mem: 80 * GiB });
    expect(l.maxPfn).toBe(pfn(64 * GiB));
  });

  it('has no Normal/HighMem split below 896 MiB', () => {
    const l = setupMemory({ arch: 'i386', mem: 512 * MiB });
    expect(zone(l, 0, I.HIGHMEM).spanned).toBe(0);
    expect(zone(l, 0, I.NORMAL).startPfn + zone(l, 0, I.NORMAL).spanned).toBe(pfn(512 * MiB) - 0x21);
  });
});

describe('big machines', () => {
  it('lays out 64 GiB with 8 nodes and 4 TiB with 2 nodes (range arithmetic, no per-page work)', () => {
    checkLayout(setupMemory({ mem: 64 * GiB, nodes: 8, cma: [{ size: 256 * MiB }], kernelcore: { percent: 50 } }));
    const l = setupMemory({ mem: 4096 * GiB, nodes: 2 });
    checkLayout(l);
    expect(l.maxPfn).toBe(pfn(4097 * GiB));
  });
});

describe('bad machine specs', () => {
  const bad: [string, MachineSpec, RegExp][] = [
    ['negative mem', { mem: -4 * GiB }, /mem must not be negative/],
    ['fractional mem', { mem: 1.5 * GiB + 0.5 }, /mem must be a whole number/],
    ['mem and e820', { mem: GiB, e820: '0x0-0x9fbff usable' }, /either mem .* or e820/],
    ['garbage e820', { e820: 'this is not a memory map' }, /no e820 entries/],
    ['e820 entry with negative size', { e820: [{ addr: 0, size: -4096, type: 'usable' }] }, /size must not be negative/],
    ['nodes=0', { mem: GiB, nodes: 0 }, /nodes .* >= 1/],
    ['nodes=1.5', { mem: GiB, nodes: 1.5 }, /nodes .* whole number/],
    ['more nodes than 32 MiB pieces', { mem: 256 * MiB, nodes: 9, reserve: { kernelImage: 0, memmap: false } }, /not enough memory for numa=fake=9/],
    ['nodes on i386', { arch: 'i386', mem: 2 * GiB, nodes: 2 }, /only x86_64/],
    ['movablecore > memory', { mem: 4 * GiB, movablecore: 5 * GiB }, /movablecore 5 GiB is more than the machine's/],
    ['negative kernelcore', { mem: 4 * GiB, kernelcore: -1 }, /kernelcore must not be negative/],
    ['kernelcore 150%', { mem: 4 * GiB, kernelcore: { percent: 150 } }, /percent must be a whole number from 0 to 100/],
    ['movable node holding the kernel', { mem: 8 * GiB, nodes: 2, movableNodes: [0] }, /node 0 holds the kernel image/],
    ['movable node that does not exist', { mem: 8 * GiB, nodes: 2, movableNodes: [2] }, /node 2 does not exist/],
    ['movable_node with kernelcore', { mem: 8 * GiB, nodes: 2, movableNodes: [1], kernelcore: GiB }, /give one or the other/],
    ['negative CMA', { mem: 4 * GiB, cma: [{ size: -MiB }] }, /cma\[0\]\.size must not be negative/],
    ['CMA bigger than the node', { mem: 4 * GiB, cma: [{ size: 8 * GiB }] }, /cma\[0\]: no free/],
    ['CMA on a missing node', { mem: 4 * GiB, cma: [{ size: MiB, node: 3 }] }, /cma\[0\]\.node 3 does not exist/],
    ['kernel image beyond memory', { mem: 32 * MiB, reserve: { kernelImage: 30 * MiB } }, /kernel image .* needs usable RAM/],
    ['negative extra reservation', { mem: GiB, reserve: { extra: [{ addr: 0, size: -1 }] } }, /reserve\.extra\[0\]\.size must not be negative/],
    ['no RAM', { e820: '0x0-0xfff reserved' }, /no usable RAM/],
    ['no low memory for the trampoline', { e820: '0x100000-0x7fffffff usable' }, /real-mode trampoline/],
    ['unknown arch', { arch: 'arm64' as 'i386' }, /unknown arch 'arm64'/],
    ['unknown reserve option', { mem: GiB, reserve: { kernel: 1 } } as MachineSpec, /reserve: unknown option 'kernel'/],
  ];
  for (const [what, spec, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => setupMemory(spec)).toThrow(MachineSpecError);
      expect(() => setupMemory(spec)).toThrow(message);
    });
  }
});

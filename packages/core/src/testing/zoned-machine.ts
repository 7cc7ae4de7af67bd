/**
 * Zoned test machines for unit-testing a page allocator on its own (its package may import
 * @mmkit/core only): a MemoryLayout with x86-64 (DMA < 16 MiB, DMA32 < 4 GiB, Normal) or i386
 * (DMA < 16 MiB, Normal < 896 MiB, HighMem) zones, optional ZONE_MOVABLE at the top of each
 * node, holes and reserved ranges; the Zones, the memmap initialised as the kernel's boot does
 * (memmapInitZone()), PageContents, a Scheduler and the PageAllocatorServices; and the rest of
 * the kernel's boot sequence for any implementation (memblock_free_all() zone by zone, then
 * init_per_zone_wmark_min()). The conformance suites boot the real kernel instead.
 */
import {
  PageContents,
  PageStore,
  Scheduler,
  Zone,
  findUsableZoneForMovable,
  memmapInitZone,
  resolveDebugConfig,
  subtractRanges,
  zoneConfigFor,
  type DebugOptions,
  type Gfp,
  type MemoryLayout,
  type NodeLayout,
  type PageAllocator,
  type PageAllocatorConfig,
  type PageAllocatorServices,
  type PfnRange,
  type ZoneLayout,
  type ZoneLayoutConfig,
} from '../index.js';

export const MIB_PAGES = 256;
export const GIB_PAGES = 1 << 18;

export interface ZonedMachineSpec {
  readonly arch?: 'x86_64' | 'i386';
  /** Memory of each node in MiB; nodes follow each other from pfn 0. */
  readonly nodesMiB: readonly number[];
  /** ZONE_MOVABLE: MiB taken from the top of each node (a number for every node, or one each). */
  readonly movableMiB?: number | readonly number[];
  readonly nrCpus?: number;
  /** memblock.reserved (pfns): stays PG_reserved, never freed. */
  readonly reserved?: readonly PfnRange[];
  /** Holes (pfns) in memblock.memory. */
  readonly holes?: readonly PfnRange[];
  /** node_distance table (default 10 local, 20 remote). */
  readonly distance?: readonly number[];
  readonly config?: Partial<PageAllocatorConfig>;
  /** The debugging configuration (CONFIG_DEBUG_VM, ...; default 4.17's: off). */
  readonly debug?: DebugOptions;
}

function zoneBounds(zones: ZoneLayoutConfig): { idx: number; start: number; end: number }[] {
  const out: { idx: number; start: number; end: number }[] = [];
  const dmaEnd = 16 * MIB_PAGES;
  if (zones.arch === 'x86_64') {
    out.push({ idx: zones.DMA, start: 0, end: dmaEnd });
    out.push({ idx: zones.DMA32, start: dmaEnd, end: 4 * GIB_PAGES });
    out.push({ idx: zones.NORMAL, start: 4 * GIB_PAGES, end: Number.MAX_SAFE_INTEGER });
  } else {
    out.push({ idx: zones.DMA, start: 0, end: dmaEnd });
    out.push({ idx: zones.NORMAL, start: dmaEnd, end: 896 * MIB_PAGES });
    out.push({ idx: zones.HIGHMEM, start: 896 * MIB_PAGES, end: Number.MAX_SAFE_INTEGER });
  }
  return out;
}

function overlap(a: PfnRange, start: number, end: number): number {
  return Math.max(0, Math.min(a.end, end) - Math.max(a.start, start));
}

/** Build the MemoryLayout of a machine spec. */
export function buildLayout(spec: ZonedMachineSpec): MemoryLayout {
  const zones = zoneConfigFor(spec.arch ?? 'x86_64');
  const holes = spec.holes ?? [];
  const present = (start: number, end: number) => end - start - holes.reduce((n, h) => n + overlap(h, start, end), 0);
  const nodes: NodeLayout[] = [];
  let pfn = 0;
  spec.nodesMiB.forEach((mib, nid) => {
    const start = pfn;
    const end = start + mib * MIB_PAGES;
    const movableMiB = typeof spec.movableMiB === 'number' ? spec.movableMiB : (spec.movableMiB?.[nid] ?? 0);
    const movableStart = end - movableMiB * MIB_PAGES;
    const zl: ZoneLayout[] = [];
    for (let idx = 0; idx < zones.nrZones; idx++) zl.push({ nid, zoneIdx: idx, startPfn: 0, spanned: 0, present: 0 });
    for (const b of zoneBounds(zones)) {
      const s = Math.max(start, b.start);
      const e = Math.min(movableStart, b.end);
      if (s < e) zl[b.idx] = { nid, zoneIdx: b.idx, startPfn: s, spanned: e - s, present: present(s, e) };
    }
    if (movableStart < end) zl[zones.MOVABLE] = { nid, zoneIdx: zones.MOVABLE, startPfn: movableStart, spanned: end - movableStart, present: present(movableStart, end) };
    nodes.push({ nid, startPfn: start, spanned: end - start, present: present(start, end), zones: zl });
    pfn = end;
  });
  const maxPfn = pfn;
  const memory: PfnRange[] = [];
  let cur = 0;
  for (const h of [...holes].sort((a, b) => a.start - b.start)) {
    if (h.start > cur) memory.push({ start: cur, end: h.start });
    cur = Math.max(cur, h.end);
  }
  if (cur < maxPfn) memory.push({ start: cur, end: maxPfn });
  const n = nodes.length;
  const distance = spec.distance ?? Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 10 : 20));
  return { zones, nodes, maxPfn, memory, reserved: [...(spec.reserved ?? [])], distance, cma: [], movableZone: findUsableZoneForMovable(zones, nodes) };
}

export interface ZonedTestMachine {
  readonly layout: MemoryLayout;
  readonly zoneConfig: ZoneLayoutConfig;
  readonly zones: readonly Zone[];
  readonly pages: PageStore;
  readonly contents: PageContents;
  readonly sched: Scheduler;
  /** What a page allocator factory is handed. */
  readonly services: PageAllocatorServices;
  /** bad_page() reports. */
  readonly badPages: { pfn: number; reason: string }[];
  readonly logs: { level: string; message: string }[];
  /** should_fail_alloc_page(): replace to inject failures. */
  failAlloc: (gfp: Gfp, order: number) => boolean;
}

/** A machine with its memmap initialised, ready for a page allocator's factory. */
export function createZonedTestMachine(spec: ZonedMachineSpec): ZonedTestMachine {
  const layout = buildLayout(spec);
  const nrCpus = spec.nrCpus ?? 2;
  const sched = new Scheduler({ nrCpus });
  const pages = new PageStore(layout.maxPfn);
  const contents = new PageContents({ maxPfn: layout.maxPfn });
  const zones: Zone[] = [];
  for (const node of layout.nodes) for (const z of node.zones) zones.push(new Zone(z, layout.zones, nrCpus));
  // The free memory bootPageAllocator() hands over is left zero by memmap init, as the kernel's boot does.
  const handover = subtractRanges(subtractRanges(layout.memory, layout.reserved), layout.cma);
  for (const zone of zones) memmapInitZone(pages, zone, handover);
  const badPages: { pfn: number; reason: string }[] = [];
  const logs: { level: string; message: string }[] = [];
  const machine = {
    failAlloc: (_gfp: Gfp, _order: number) => false,
  } as { failAlloc: (gfp: Gfp, order: number) => boolean };
  const config: PageAllocatorConfig = { thp: false, pcp: true, ...spec.config };
  const services: PageAllocatorServices = {
    layout,
    zoneConfig: layout.zones,
    zones,
    pages,
    contents,
    sched,
    config,
    cpuToNode: (cpu) => Math.floor((cpu * layout.nodes.length) / sched.nrCpus),
    debug: resolveDebugConfig(spec.debug),
    shouldFailAlloc: (gfp, order) => machine.failAlloc(gfp, order),
    badPage: (pfn, reason) => void badPages.push({ pfn, reason }),
    log: (level, message) => void logs.push({ level, message }),
  };
  return Object.assign(machine, { layout, zoneConfig: layout.zones, zones, pages, contents, sched, services, badPages, logs });
}

/**
 * The kernel's boot after the factory: memblock_free_all() (every present page outside
 * memblock.reserved, zone by zone), then initWatermarks() unless told not to.
 */
export function bootPageAllocator(machine: ZonedTestMachine, allocator: PageAllocator, options: { watermarks?: boolean } = {}): void {
  for (const range of subtractRanges(machine.layout.memory, machine.layout.reserved)) {
    for (const zone of machine.zones) {
      const start = Math.max(range.start, zone.zoneStartPfn);
      const end = Math.min(range.end, zone.zoneEndPfn);
      if (start < end) allocator.freeBootmem(start, end - start);
    }
  }
  if (options.watermarks ?? true) allocator.initWatermarks();
}

/**
 * Small simulated machines for the tests and the benchmark, built by hand from @mmkit/core:
 * a MemoryLayout with x86-64 (DMA < 16 MiB, DMA32 < 4 GiB, Normal) or i386 (DMA < 16 MiB,
 * Normal < 896 MiB, HighMem) zones, optional ZONE_MOVABLE at the top of each node, holes and
 * reserved ranges; the Zones, PageStore, PageContents, Scheduler and services; then the boot
 * sequence of the kernel (memblock_free_all() per zone, init_per_zone_wmark_min()).
 */
import {
  MAX_ORDER,
  MIGRATE_TYPES,
  PageContents,
  PageStore,
  Scheduler,
  Zone,
  subtractRanges,
  zoneConfigFor,
  type Gfp,
  type MemoryLayout,
  type NodeLayout,
  type PageAllocator,
  type PageAllocatorConfig,
  type PageAllocatorFactory,
  type PageAllocatorServices,
  type PfnRange,
  type ZoneLayout,
  type ZoneLayoutConfig,
} from '@mmkit/core';
import { createBuddyAllocator } from './index.js';

export const MIB_PAGES = 256;
export const GIB_PAGES = 1 << 18;

export interface MachineSpec {
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
  /** Another implementation (a subclass of BuddyAllocator, for instance). */
  readonly factory?: PageAllocatorFactory;
  /** Skip initWatermarks() (to look at the state before it). */
  readonly noWatermarks?: boolean;
}

export interface Machine<A extends PageAllocator = PageAllocator> {
  readonly layout: MemoryLayout;
  readonly zoneConfig: ZoneLayoutConfig;
  readonly zones: readonly Zone[];
  readonly pages: PageStore;
  readonly contents: PageContents;
  readonly sched: Scheduler;
  readonly services: PageAllocatorServices;
  readonly allocator: A;
  readonly badPages: { pfn: number; reason: string }[];
  readonly logs: { level: string; message: string }[];
  /** should_fail_alloc_page(): replace to inject failures. */
  failAlloc: (gfp: Gfp, order: number) => boolean;
  /** NR_FREE_PAGES of each zone right after boot. */
  readonly bootFreePages: number[];
  /** The free blocks right after boot, "zoneNum:pfn:order" sorted. */
  readonly bootBlocks: string[];
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
export function buildLayout(spec: MachineSpec): MemoryLayout {
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
  return { zones, nodes, maxPfn, memory, reserved: [...(spec.reserved ?? [])], distance, cma: [] };
}


/** Build and boot a machine. */
export function createMachine<A extends PageAllocator = PageAllocator>(spec: MachineSpec): Machine<A> {
  const layout = buildLayout(spec);
  const nrCpus = spec.nrCpus ?? 2;
  const sched = new Scheduler({ nrCpus });
  const pages = new PageStore(layout.maxPfn);
  const contents = new PageContents();
  const zones: Zone[] = [];
  for (const node of layout.nodes) for (const z of node.zones) zones.push(new Zone(z, layout.zones, nrCpus));
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
    shouldFailAlloc: (gfp, order) => machine.failAlloc(gfp, order),
    badPage: (pfn, reason) => void badPages.push({ pfn, reason }),
    log: (level, message) => void logs.push({ level, message }),
  };
  const allocator = (spec.factory ?? createBuddyAllocator)(services) as A;
  for (const range of subtractRanges(layout.memory, layout.reserved)) {
    for (const zone of zones) {
      const start = Math.max(range.start, zone.zoneStartPfn);
      const end = Math.min(range.end, zone.zoneEndPfn);
      if (start < end) allocator.freeBootmem(start, end - start);
    }
  }
  if (!spec.noWatermarks) allocator.initWatermarks();
  return Object.assign(machine, {
    layout,
    zoneConfig: layout.zones,
    zones,
    pages,
    contents,
    sched,
    services,
    allocator,
    badPages,
    logs,
    bootFreePages: zones.map((z) => z.freePages),
    bootBlocks: freeBlocks(allocator),
  });
}

/** The free blocks, "zoneNum:pfn:order", sorted. */
export function freeBlocks(allocator: PageAllocator): string[] {
  const out: string[] = [];
  allocator.forEachFreeBlock((zone, pfn, order) => out.push(`${zone.zoneNum}:${pfn}:${order}`));
  return out.sort();
}

/**
 * Walk the free lists and the per-cpu lists and compare every counter with what they hold.
 * Returns the differences (empty when consistent). With `perPage` (the default) every page of
 * every free block is also checked (free once, refcount 0, inside its zone); without, only the
 * counters, which is cheap enough to run after every step of a property test.
 */
export function checkCounters(m: Machine, perPage = true): string[] {
  const errors: string[] = [];
  const { pages, zones, allocator } = m;
  const orders = MAX_ORDER;
  const types = MIGRATE_TYPES;
  // per zone: [freePages, nrFree[orders], nrFreeByType[orders * types]]
  const stride = 1 + orders + orders * types;
  const acc = new Float64Array(zones.length * stride);
  const seen = perPage ? new Uint8Array(pages.maxPfn) : undefined;
  allocator.forEachFreeBlock((zone, pfn, order, mt) => {
    const base = zone.zoneNum * stride;
    const size = 2 ** order;
    acc[base] += size;
    acc[base + 1 + order]++;
    acc[base + 1 + orders + order * types + mt]++;
    if (!seen) return;
    if (!pages.isBuddy(pfn) || pages.private[pfn] !== order) errors.push(`block ${pfn} order ${order} is not marked buddy`);
    if (pfn % size !== 0) errors.push(`block ${pfn} order ${order} is misaligned`);
    if (pfn < zone.zoneStartPfn || pfn + size > zone.zoneEndPfn) errors.push(`block ${pfn} order ${order} is outside zone ${zone.name}`);
    for (let p = pfn; p < pfn + size; p++) {
      if (seen[p]) errors.push(`pfn ${p} is free twice`);
      seen[p] = 1;
      if (pages.refcount[p] !== 0) errors.push(`free pfn ${p} has refcount ${pages.refcount[p]}`);
    }
  });
  const nrCpus = m.sched.nrCpus;
  const pcp = new Uint32Array(zones.length * nrCpus);
  allocator.forEachPcpPage((zone, cpu, pfn) => {
    if (seen) {
      if (seen[pfn]) errors.push(`pcp pfn ${pfn} is also free or on another pcp list`);
      seen[pfn] = 2;
    }
    pcp[zone.zoneNum * nrCpus + cpu]++;
  });
  for (const zone of zones) {
    const z = zone.zoneNum;
    const base = z * stride;
    if (zone.freePages !== acc[base]) errors.push(`zone ${z}: freePages ${zone.freePages} but lists hold ${acc[base]}`);
    for (let o = 0; o < orders; o++) {
      if (zone.nrFree[o] !== acc[base + 1 + o]) errors.push(`zone ${z} order ${o}: nrFree ${zone.nrFree[o]} but lists hold ${acc[base + 1 + o]}`);
      for (let mt = 0; mt < types; mt++) {
        const i = o * types + mt;
        if (zone.nrFreeByType[i] !== acc[base + 1 + orders + i]) errors.push(`zone ${z} order ${o} type ${mt}: ${zone.nrFreeByType[i]} but lists hold ${acc[base + 1 + orders + i]}`);
      }
    }
    for (let cpu = 0; cpu < nrCpus; cpu++) {
      const count = zone.pageset[cpu].count;
      if (count !== pcp[z * nrCpus + cpu]) errors.push(`zone ${z} cpu ${cpu}: pcp count ${count} but lists hold ${pcp[z * nrCpus + cpu]}`);
      const sum = zone.pcpCount[cpu * 3] + zone.pcpCount[cpu * 3 + 1] + zone.pcpCount[cpu * 3 + 2];
      if (sum !== count) errors.push(`zone ${z} cpu ${cpu}: pcpCount sums to ${sum}, count is ${count}`);
    }
  }
  return errors;
}

/** Free blocks whose buddy of the same order is free too (in the same zone): not coalesced. */
export function uncoalescedPairs(m: Machine): string[] {
  const out: string[] = [];
  const { pages } = m;
  m.allocator.forEachFreeBlock((zone, pfn, order) => {
    if (order >= MAX_ORDER - 1) return;
    const buddy = pfn ^ (1 << order);
    if (buddy < pages.maxPfn && pages.isBuddy(buddy) && pages.private[buddy] === order && pages.zoneNum[buddy] === zone.zoneNum && buddy > pfn) {
      const mtA = pages.getPageblockMigratetype(pfn);
      const mtB = pages.getPageblockMigratetype(buddy);
      if (order < 9 || (mtA !== 5 && mtB !== 5) || mtA === mtB) out.push(`${zone.name}: ${pfn} and ${buddy} (order ${order})`);
    }
  });
  return out;
}

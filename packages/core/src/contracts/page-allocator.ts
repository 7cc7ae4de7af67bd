/**
 * The page allocator contract (mm/page_alloc.c): the zoned buddy allocator with its free
 * lists, pageblock migratetypes, per-cpu lists, watermarks and lowmem reserves.
 *
 * Split by who calls it:
 * - PageAllocatorApi: what other subsystems call (slub and slab use these two calls only);
 * - PageAllocatorAdmin: what the kernel's boot and sysctls need;
 * - PageAllocatorIntrospection: what /proc, the invariant checker and the suites read.
 * An implementation is a factory `(services) => PageAllocator`, all three in one object.
 *
 * Boot (the kernel does it, in this order): memmap_init_zone() of every zone (core's
 * memmapInitZone(): zone links, every page reserved with one reference but the free memory,
 * left zero and recorded as awaiting handover; every pageblock MIGRATE_MOVABLE); the factory;
 * freeBootmem() for each free range (memblock_free_all(): not
 * the CMA areas, which memblock keeps reserved); initWatermarks(), which also activates the CMA
 * areas. Then allocations and frees.
 */
import type { CmaPolicy, MemoryLayout, ZoneLayoutConfig } from '../mmzone.js';
import type { Gfp, MigrateType, Pfn } from '../units.js';
import type { Zone } from '../zone.js';
import type { KernelServices } from './services.js';

export interface PageAllocatorConfig {
  /**
   * Transparent hugepages enabled (always or madvise) so khugepaged starts: it raises
   * min_free_kbytes to its recommended value (set_recommended_min_free_kbytes()).
   */
  readonly thp: boolean;
  /** Order-0 pages go through the per-cpu lists (Linux always does; off for measurements). */
  readonly pcp: boolean;
  /** vm.min_free_kbytes given at boot (as if written right after boot); else computed. */
  readonly minFreeKbytes?: number;
  /** vm.watermark_scale_factor at boot (default 10). */
  readonly watermarkScaleFactor?: number;
  /** vm.lowmem_reserve_ratio at boot (default: 4.17's). */
  readonly lowmemReserveRatio?: readonly number[];
  /**
   * How CMA areas (layout.cma) are managed (default 'zone-movable', the seed's; 'migratetype'
   * is 4.16's and 4.17-final's). The layout already puts the areas in the policy's zones.
   */
  readonly cmaPolicy?: CmaPolicy;
}

/** What the page allocator is handed: the machine with its zones (struct zone), and the kernel's hooks. */
export interface PageAllocatorServices extends KernelServices {
  readonly layout: MemoryLayout;
  readonly zoneConfig: ZoneLayoutConfig;
  /** Every zone of every node, flat: zones[nid * MAX_NR_ZONES + zone_idx]. */
  readonly zones: readonly Zone[];
  readonly config: PageAllocatorConfig;
  /** should_fail_alloc_page(): fail_page_alloc fault injection. */
  shouldFailAlloc(gfp: Gfp, order: number): boolean;
  /**
   * Optional: element 0 is nonzero while shouldFailAlloc() may answer true (fail_page_alloc
   * armed: probability > 0 and times != 0), zero while it answers false without side effects.
   * An allocator tests it before calling shouldFailAlloc(), so fault injection that is off
   * costs one branch per allocation. Without it the allocator calls shouldFailAlloc() every time.
   */
  readonly failAllocArmed?: Uint8Array;
  /** bad_page(): report "BUG: Bad page state" for a page that is freed or allocated in a bad state. */
  badPage(pfn: Pfn, reason: string): void;
}

/** Optional parts of the contract an implementation declares (the grader reports "not provided"). */
export interface PageAllocatorFeatures {
  /** Per-cpu page lists (struct per_cpu_pages, drain_all_pages). */
  readonly pcp: boolean;
  /** MIGRATE_HIGHATOMIC reserve for high-order atomic allocations. */
  readonly highatomic: boolean;
}

/** The allocation API other subsystems call (include/linux/gfp.h). */
export interface PageAllocatorApi {
  /**
   * __alloc_pages_nodemask(): 2^order contiguous pages, or NO_PAGE. The preferred node defaults
   * to the current CPU's node. An order >= MAX_ORDER fails (with a warning unless __GFP_NOWARN);
   * an invalid zone combination is a kernel bug (throws InvalidGfpError). `gfp` is a gfp mask
   * (isGfpMask(): an integer in [0, __GFP_BITS_MASK]); the kernel's allocPages() refuses any
   * other value with a RangeError before it reaches the implementation, which may assume it.
   */
  allocPages(gfp: Gfp, order: number, preferredNid?: number): Pfn;
  /**
   * __free_pages(): drop a reference to a block; the last one gives it back. What a bad free
   * does depends on the configuration (services.debug), as in 4.17: with CONFIG_DEBUG_VM a
   * double free is reported through badPage() when it happens and changes nothing; without it
   * the page count goes below zero, nothing is freed, and the allocation that next takes the
   * page off a free list reports it (check_new_page()). The conformance rules
   * page-allocator.free.* say what each case does.
   */
  freePages(pfn: Pfn, order: number): void;
}

/** What the kernel's boot and its sysctl files need. */
export interface PageAllocatorAdmin {
  /**
   * Boot: hand pages [startPfn, startPfn + nrPages) to the allocator (memblock_free_all ->
   * __free_pages_core): they count as managed pages of their zone and become free. Pages
   * awaiting handover (PageStore.takeHandover()) are zero and are taken whole; others must be
   * reserved (refcount 1). A page handed over twice is an Error, and the call frees nothing.
   * With deferred struct page init the kernel hands the deferred ranges over later
   * (page_alloc_init_late()).
   */
  freeBootmem(startPfn: Pfn, nrPages: number): void;
  /**
   * Boot, the allocator's initcalls in Linux's order: cma_init_reserved_areas() (every
   * pageblock of layout.cma made MIGRATE_CMA and freed, init_cma_reserved_pageblock()) as a
   * pure_initcall under the zone-movable CMA policy; init_per_zone_wmark_min();
   * cma_init_reserved_areas() as a core_initcall linked after it under the migratetype policy;
   * then khugepaged's recommendation when config.thp.
   */
  initWatermarks(): void;
  /** drain_all_pages(NULL): every CPU's per-cpu lists back to the buddy lists. */
  drainAllPages(): void;

  /** vm.min_free_kbytes. */
  readonly minFreeKbytes: number;
  /** vm.watermark_scale_factor. */
  readonly watermarkScaleFactor: number;
  /** vm.lowmem_reserve_ratio: MAX_NR_ZONES entries. */
  readonly lowmemReserveRatio: readonly number[];
  /** Write vm.min_free_kbytes: 0, or -EINVAL for a negative or non-integer value. Recomputes watermarks. */
  setMinFreeKbytes(kbytes: number): number;
  /** Write vm.watermark_scale_factor: 0, or -EINVAL outside [1, 1000]. */
  setWatermarkScaleFactor(factor: number): number;
  /**
   * Write vm.lowmem_reserve_ratio: MAX_NR_ZONES integers; 0, or -EINVAL for a wrong count or a
   * non-integer. As 4.17's setup_per_zone_lowmem_reserve(), a ratio below 1 is stored as 0 and
   * means no reserve. Recomputes the reserves.
   */
  setLowmemReserveRatio(ratios: readonly number[]): number;
}

/** What /proc, the invariant checker and the conformance suites read. Data, never text. */
export interface PageAllocatorIntrospection {
  readonly name: string;
  readonly supports: PageAllocatorFeatures;
  /** zone_watermark_ok(). */
  zoneWatermarkOk(zone: Zone, order: number, mark: number, classzoneIdx: number, allocFlags: number): boolean;
  /** Every free block in the buddy free lists (not the per-cpu lists). */
  forEachFreeBlock(visit: (zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType) => void): void;
  /** Every page on a per-cpu list. */
  forEachPcpPage(visit: (zone: Zone, cpu: number, pfn: Pfn) => void): void;
  /** totalreserve_pages: what the allocator keeps back (max lowmem_reserve + high watermark per zone). */
  totalreservePages(): number;
}

/** The whole contract, as one implementation object provides it. */
export interface PageAllocator extends PageAllocatorApi, PageAllocatorAdmin, PageAllocatorIntrospection {}

export type PageAllocatorFactory = (services: PageAllocatorServices) => PageAllocator;

/**
 * A factory whose property of this name is true runs the implementation in another thread (the
 * grader's isolate for an untrusted submission): the kernel then keeps struct page
 * (PageStore.sharedState()) and its zones (Zone.storage) on SharedArrayBuffers, which such a
 * factory hands to that thread, as KernelConfig.sharedMemory asks.
 */
export const NEEDS_SHARED_MEMORY = Symbol.for('mmkit.needsSharedMemory');

/** Whether a page allocator factory asks for shared memory (NEEDS_SHARED_MEMORY). */
export function needsSharedMemory(factory: unknown): boolean {
  return typeof factory === 'function' && (factory as { [NEEDS_SHARED_MEMORY]?: unknown })[NEEDS_SHARED_MEMORY] === true;
}

/**
 * `wrapper`, a factory that calls `wrapped` (a suite's or a grader's wrapper around the factory
 * under test), made to ask for what `wrapped` asks: NEEDS_SHARED_MEMORY, so a kernel booted with
 * the wrapper puts its state where the wrapped factory's other thread can reach it. Returns
 * `wrapper`. Every wrapper of a factory under test should be made through this.
 */
export function wrappingFactory<W extends (...args: never[]) => unknown>(wrapper: W, wrapped: unknown): W {
  if (needsSharedMemory(wrapped)) Object.defineProperty(wrapper, NEEDS_SHARED_MEMORY, { value: true });
  return wrapper;
}

/**
 * Draft, for CMA and memory hotplug (mm/page_isolation.c, alloc_contig_range() in
 * mm/page_alloc.c). Implemented by the page allocator (@mmkit/buddy); used by @mmkit/cma, which
 * empties a range by migrating its movable pages away (through PageMigration) between
 * isolating it and taking it. Every call returns 0 or -errno (-EBUSY when a page cannot be
 * isolated or moved).
 */
export interface PageIsolation {
  /** start_isolate_page_range(): mark the pageblocks of [startPfn, endPfn) MIGRATE_ISOLATE and move their free pages to the isolate lists. */
  startIsolatePageRange(startPfn: Pfn, endPfn: Pfn, migratetype: MigrateType): number;
  /** undo_isolate_page_range(): give the pageblocks back their migratetype. */
  undoIsolatePageRange(startPfn: Pfn, endPfn: Pfn, migratetype: MigrateType): void;
  /** test_pages_isolated(): 0 when every page of the range is free and isolated, else -EBUSY. */
  testPagesIsolated(startPfn: Pfn, endPfn: Pfn): number;
  /** alloc_contig_range(): isolate, migrate what is in use away, take [startPfn, endPfn) off the free lists. */
  allocContigRange(startPfn: Pfn, endPfn: Pfn, migratetype: MigrateType, gfp: Gfp): number;
  /** free_contig_range(). */
  freeContigRange(pfn: Pfn, nrPages: number): void;
}

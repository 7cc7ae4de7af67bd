/**
 * The state of SLUB, in one place: what mm/slub.c and mm/slab_common.c keep in globals
 * (slab_caches, kmalloc_caches[]), the way from a page to its cache (page->slab_cache, here an
 * id in page->mapping), the kmalloc_large() blocks, the services of the machine, and the
 * resolved hook table. The per-cache, per-cpu, per-node and per-slab state lives in each
 * SlubCache (cache.ts), in typed arrays.
 *
 * No behaviour beyond initialisation: the mechanisms are functions over this state
 * (slab-page.ts, debug.ts, cpu-slab.ts, free.ts, alloc.ts, shrink.ts, create.ts, kmalloc.ts,
 * kmalloc-large.ts), and createSlubAllocator() (index.ts) builds the state before it runs
 * kmem_cache_init(), the first step that may call a hook.
 */
import type { Gfp, KasanHooks, KmemCache, PageContents, PageStore, PhysMemory, Scheduler, SlabAllocatorServices } from '@mmkit/core';
import type { SlubCache } from './cache.js';
import type { SlubHooks } from './hooks.js';

export class SlubState {
  readonly services: SlabAllocatorServices;
  /** struct page of every pfn. */
  readonly pages: PageStore;
  /** The memory objects live in. */
  readonly phys: PhysMemory;
  /** phys.contents: the pool the cpu slabs' direct views point into (SlubCache.cpuWords, pinned there). */
  readonly contents: PageContents;
  /** The CPUs (services.sched), for currentCpu. */
  readonly sched: Scheduler;
  /** services.kasan, read once (the services are fixed at creation). */
  readonly kasan: KasanHooks | undefined;
  /**
   * services.shouldFailSlab() (slab_pre_alloc_hook() -> should_failslab()), taken once and bound
   * to the services: every allocation calls it, and a property load from the services object
   * on that path costs more than the call (V8 leaves it generic).
   */
  readonly shouldFailSlab: (cache: KmemCache, gfp: Gfp) => boolean;
  /** services.failSlabArmed: shouldFailSlab() is called only while element 0 is nonzero, or for a gfp that is no gfp_t. */
  readonly failSlabArmed: Uint8Array;
  /** cpu_to_node() of each CPU, asked once (the mapping is fixed at boot). */
  readonly nodeOfCpu: Int32Array;
  /** nr_cpu_ids. */
  readonly nrCpus: number;
  /** nr_node_ids (at least 1). */
  readonly nrNodes: number;
  /** MAX_NR_ZONES of the layout (page_to_nid() from a page's zone number). */
  readonly nrZones: number;
  /** The resolved hook table: DEFAULT_SLUB_HOOKS with the factory's overrides. */
  readonly hooks: SlubHooks;
  /** slab_caches, creation order. */
  readonly slabCaches: SlubCache[] = [];
  /** page->slab_cache: cache by the id kept in page->mapping (index 0 unused). */
  readonly byId: (SlubCache | undefined)[] = [undefined];
  /** kmalloc_caches[index]. */
  readonly kmallocCaches: SlubCache[] = [];
  /** kmalloc_dma_caches[index] (CONFIG_ZONE_DMA): "dma-kmalloc-<size>", for kmalloc(GFP_DMA). */
  readonly kmallocDmaCaches: SlubCache[] = [];
  /** The boot caches of kmem_cache_init(): struct kmem_cache and struct kmem_cache_node are their objects. */
  kmemCache: SlubCache | undefined;
  kmemCacheNode: SlubCache | undefined;
  /** kmalloc_large() blocks: head pfn -> order (compound_order()). */
  readonly largeOrders = new Map<number, number>();
  /**
   * Scratch of kmem_cache_free_bulk(): entries already handled (Linux NULLs p[i] instead).
   * Grown by doubling when a call needs more; never read across calls.
   */
  bulkDone = new Uint8Array(64);
  /** The WARN_ONCE() of cache_from_obj() per call site (bit 0 kmem_cache_free(), bit 1 kmem_cache_free_bulk()): warned already. */
  cacheFromObjWarned = 0;

  constructor(services: SlabAllocatorServices, hooks: SlubHooks) {
    this.services = services;
    this.pages = services.pages;
    this.phys = services.phys;
    this.contents = services.phys.contents;
    this.sched = services.sched;
    this.kasan = services.kasan;
    this.shouldFailSlab = services.shouldFailSlab.bind(services);
    this.failSlabArmed = services.failSlabArmed ?? Uint8Array.of(1);
    this.nodeOfCpu = new Int32Array(services.sched.nrCpus);
    for (let cpu = 0; cpu < services.sched.nrCpus; cpu++) this.nodeOfCpu[cpu] = services.cpuToNode(cpu);
    this.nrCpus = services.sched.nrCpus;
    this.nrNodes = Math.max(1, services.layout.nodes.length);
    this.nrZones = services.layout.zones.nrZones;
    this.hooks = hooks;
  }
}

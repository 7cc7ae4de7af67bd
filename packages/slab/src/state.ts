/**
 * The state of SLAB (mm/slab.c, Linux 4.17), in one place: the services, the slab_caches list,
 * the caches by id (page->slab_cache), the per-slab table, the poison templates, the kmalloc
 * caches, the per-CPU slab_reap_work with its timing, and the resolved hook table.
 *
 * Fields only: what SLAB does with them is in the mechanism modules (lookup.ts,
 * debug-checks.ts, grow.ts, free.ts, alloc.ts, reap.ts, slab-common.ts, init.ts), functions
 * over this state named after their Linux counterparts. The constructor computes what
 * kmem_cache_init() derives from the machine (slab_max_order) and calls no hook; the boot steps
 * that create caches and start the reap timers run from the factory (index.ts) once the state
 * exists. Per-slab, per-cpu and per-node figures live in typed arrays (slab-table.ts, cache.ts).
 */
import { PAGE_SIZE, type DelayedWork, type Gfp, type KasanHooks, type KmemCache, type PageStore, type Scheduler, type SlabAllocatorServices } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import { SLAB_MAX_ORDER_HI, SLAB_MAX_ORDER_LO } from './constants.js';
import { ObjectBytes } from './debug.js';
import type { SlabHooks } from './hooks.js';
import { kmallocSizes } from './kmalloc.js';
import { SlabTable } from './slab-table.js';

export class SlabState {
  readonly services: SlabAllocatorServices;
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
  /** cpu_to_node() of each CPU, asked once (numa_mem_id(): the mapping is fixed at boot). */
  readonly nodeOfCpu: Int32Array;
  readonly pages: PageStore;
  readonly bytes: ObjectBytes;
  /** The resolved hook table: DEFAULT_SLAB_HOOKS with the factory's overrides. */
  readonly hooks: SlabHooks;
  readonly slabs = new SlabTable();
  /**
   * The allocation bitmap (SlabTable.inUse) is kept and frees are checked: CONFIG_DEBUG_SLAB,
   * or KASAN (whose quarantine release checks it). Otherwise (4.17's default) a free is pushed
   * onto the array cache unchecked, as ___cache_free() does, and nothing per object is written.
   */
  readonly tracked: boolean;
  /** slab_caches: the live caches in creation order. */
  readonly cacheList: SlabCache[] = [];
  /** Caches by id (page->slab_cache); undefined once destroyed. */
  readonly cacheById: (SlabCache | undefined)[] = [undefined];
  readonly nrNodes: number;
  readonly nrZones: number;
  /** Poison templates per cache id (POISON_FREE, POISON_INUSE). */
  readonly poisonFree: (Uint8Array | undefined)[] = [undefined];
  readonly poisonInuse: (Uint8Array | undefined)[] = [undefined];
  /** cache_from_obj()'s WARN_ONCE(): warned already. */
  cacheFromObjWarned = false;

  /** The kmalloc size classes, ascending (kmalloc_info[]). */
  readonly kmallocSizes: readonly number[] = kmallocSizes();
  /** kmalloc_caches[] by kmalloc_index(). */
  readonly kmallocCaches: (SlabCache | undefined)[] = [];
  /** kmalloc_dma_caches[] (CONFIG_ZONE_DMA): "dma-kmalloc-<n>", for kmalloc(GFP_DMA). */
  readonly kmallocDmaCaches: (SlabCache | undefined)[] = [];
  /** The kmem_cache cache: every other cache's struct kmem_cache is one of its objects. */
  kmemCache: SlabCache | undefined;
  /** slab_max_order (kmem_cache_init()): raised when there is more than 32 MiB of memory. */
  readonly slabMaxOrder: number;

  /** REAPTIMEOUT_AC: 2 * HZ between two cache_reap() runs of a CPU. */
  readonly reaptimeoutAc: number;
  /** REAPTIMEOUT_NODE: 4 * HZ between two reaps of a node's shared array and free slabs. */
  readonly reaptimeoutNode: number;
  /** per-cpu slab_reap_work (start_cpu_timer()). */
  readonly reapWork: DelayedWork[] = [];
  /** cache_reap() runs per CPU since boot. */
  readonly reapRuns: Int32Array;

  constructor(services: SlabAllocatorServices, hooks: SlabHooks) {
    this.services = services;
    this.sched = services.sched;
    this.kasan = services.kasan;
    this.shouldFailSlab = services.shouldFailSlab.bind(services);
    this.failSlabArmed = services.failSlabArmed ?? Uint8Array.of(1);
    this.nodeOfCpu = new Int32Array(this.sched.nrCpus);
    for (let cpu = 0; cpu < this.sched.nrCpus; cpu++) this.nodeOfCpu[cpu] = services.cpuToNode(cpu);
    this.pages = services.pages;
    this.bytes = new ObjectBytes(services.contents, services.phys);
    this.hooks = hooks;
    this.tracked = services.debug.debugSlab || services.kasan !== undefined;
    let maxNid = 0;
    for (const node of services.layout.nodes) maxNid = Math.max(maxNid, node.nid);
    this.nrNodes = maxNid + 1;
    this.nrZones = services.layout.zones.nrZones;

    let totalram = 0;
    for (const r of services.layout.memory) totalram += r.end - r.start;
    for (const r of services.layout.reserved) totalram -= r.end - r.start;
    this.slabMaxOrder = totalram > (32 << 20) / PAGE_SIZE ? SLAB_MAX_ORDER_HI : SLAB_MAX_ORDER_LO;

    this.reaptimeoutAc = 2 * this.sched.hz;
    this.reaptimeoutNode = 4 * this.sched.hz;
    this.reapRuns = new Int32Array(this.sched.nrCpus);
  }
}

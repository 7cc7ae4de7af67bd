/**
 * struct kmem_cache of SLAB (include/linux/slab_def.h, 4.17) with its per-cpu array caches
 * (struct array_cache) and per-node struct kmem_cache_node, all in typed arrays.
 */
import { PfnListSet, SLAB_POISON, SLAB_RED_ZONE, type KmemCache, type ObjAddr, type PageStore } from '@mmkit/core';
import type { CacheLayout, SlabMgmt } from './layout.js';

/** The three slab lists of a kmem_cache_node; list number = node * NR_SLAB_LISTS + which. */
export const SLABS_PARTIAL = 0;
export const SLABS_FULL = 1;
export const SLABS_FREE = 2;
export const NR_SLAB_LISTS = 3;

/** REAPTIMEOUT_NODE in units of HZ. */
const REAPTIMEOUT_NODE_SECONDS = 4;

export class SlabCache implements KmemCache {
  readonly name: string;
  readonly objectSize: number;
  readonly size: number;
  readonly align: number;
  readonly flags: number;
  /** A small integer ≥ 1 kept in page->mapping of the slab's head page (page->slab_cache). */
  readonly id: number;
  readonly ctor: ((addr: ObjAddr) => void) | undefined;
  readonly num: number;
  readonly gfporder: number;
  readonly colour: number;
  readonly colourOff: number;
  readonly objOffset: number;
  /** SLAB_POISON or SLAB_RED_ZONE: cache_alloc_debugcheck_after() / cache_free_debugcheck() have work. */
  readonly redzoneOrPoison: boolean;
  /** A constructor that runs at each allocation (SLAB_POISON poisons the objects it built). */
  readonly ctorAtAlloc: boolean;
  /**
   * slab_alloc() has work after the object is taken beyond __GFP_ZERO: the debug checks
   * (redzoneOrPoison, ctorAtAlloc), the allocation bitmap or KASAN's hook (the state is
   * tracked). False: the fast path of slabAlloc(), decided by this one branch.
   */
  readonly postAllocWork: boolean;
  /** 1 / size: obj_to_index()'s reciprocal_divide() as a multiplication (lookup.ts indexInSlab()). */
  readonly reciprocalSize: number;
  /** num * size: an offset below it lies in one of a slab's objects (obj_to_index() < num, without the division). */
  readonly objectsBytes: number;
  readonly mgmt: SlabMgmt;
  readonly freelistSize: number;
  /** cachep->allocflags: __GFP_COMP, plus GFP_DMA / __GFP_RECLAIMABLE from the cache flags. */
  readonly allocflags: number;
  /** A cache of kmem_cache_init() (kmem_cache, kmalloc-<n>, dma-kmalloc-<n>): never destroyed. */
  readonly isKmalloc: boolean;
  destroyed = false;
  /** How many new slabs of this cache are running the constructor now (nested when it allocates). */
  ctorRunning = 0;
  /**
   * The slab the last checked free found (free.ts kmemCacheFree(); mmkit's, no Linux
   * counterpart), in an untracked state and a cache without red zone or poison only: its id and
   * the address of its first object (s_mem + obj_offset), so that the next free into it needs no
   * page lookup: an address whose offset from hitStart is a whole number below objectsBytes lies
   * in one of its objects. Infinity when none; slabDestroy() forgets the slab it gives back.
   */
  hitSlab = -1;
  hitStart = Number.POSITIVE_INFINITY;
  /** The object of the kmem_cache cache that is this cache's struct kmem_cache (0: none, as kmem_cache's own, kmem_cache_boot). */
  kmemCacheObj = 0;
  /** Per node, the kmalloc'ed object that is this cache's struct kmem_cache_node. */
  readonly nodeObjs: Float64Array;

  // Tunables (enable_cpucache() / do_tune_cpucache()).
  readonly limit: number;
  readonly batchcount: number;
  readonly shared: number;

  // struct array_cache per CPU: entry[] at acEntry[cpu * limit ...].
  readonly acAvail: Int32Array;
  readonly acTouched: Uint8Array;
  readonly acEntry: Float64Array;

  // struct kmem_cache_node per node.
  readonly nrNodes: number;
  readonly lists: PfnListSet;
  readonly freeObjects: Float64Array;
  readonly freeLimit: Float64Array;
  readonly totalSlabs: Float64Array;
  readonly freeSlabs: Float64Array;
  readonly freeTouched: Uint8Array;
  readonly nextReap: Float64Array;
  readonly colourNext: Int32Array;
  /** n->shared: limit shared * batchcount, entry[] at sharedEntry[node * sharedLimit ...]. */
  readonly sharedLimit: number;
  readonly sharedAvail: Int32Array;
  readonly sharedTouched: Uint8Array;
  readonly sharedEntry: Float64Array;

  constructor(args: {
    name: string;
    objectSize: number;
    layout: CacheLayout;
    id: number;
    ctor: ((addr: ObjAddr) => void) | undefined;
    allocflags: number;
    isKmalloc: boolean;
    nrCpus: number;
    nrNodes: number;
    cpusOfNode: (node: number) => number;
    pages: PageStore;
    jiffies: number;
    hz: number;
    /** SlabState.tracked (CONFIG_DEBUG_SLAB or KASAN). */
    tracked: boolean;
  }) {
    const { layout } = args;
    this.name = args.name;
    this.objectSize = args.objectSize;
    this.size = layout.size;
    this.align = layout.align;
    this.flags = layout.flags;
    this.id = args.id;
    this.ctor = args.ctor;
    this.num = layout.num;
    this.gfporder = layout.gfporder;
    this.colour = layout.colour;
    this.colourOff = layout.colourOff;
    this.objOffset = layout.objOffset;
    this.redzoneOrPoison = (layout.flags & (SLAB_POISON | SLAB_RED_ZONE)) !== 0;
    this.ctorAtAlloc = args.ctor !== undefined && (layout.flags & SLAB_POISON) !== 0;
    this.postAllocWork = this.redzoneOrPoison || this.ctorAtAlloc || args.tracked;
    this.reciprocalSize = 1 / layout.size;
    this.objectsBytes = layout.num * layout.size;
    this.mgmt = layout.mgmt;
    this.freelistSize = layout.freelistSize;
    this.allocflags = args.allocflags;
    this.isKmalloc = args.isKmalloc;

    // enable_cpucache(): the array cache limit by object size, shared arrays on SMP.
    const size = this.size;
    let limit: number;
    if (size > 131072) limit = 1;
    else if (size > 4096) limit = 8;
    else if (size > 1024) limit = 24;
    else if (size > 256) limit = 54;
    else limit = 120;
    this.limit = limit;
    this.shared = size <= 4096 && args.nrCpus > 1 ? 8 : 0;
    this.batchcount = Math.floor((limit + 1) / 2);

    this.acAvail = new Int32Array(args.nrCpus);
    this.acTouched = new Uint8Array(args.nrCpus);
    this.acEntry = new Float64Array(args.nrCpus * limit);

    const nodes = args.nrNodes;
    this.nrNodes = nodes;
    this.lists = new PfnListSet(args.pages, nodes * NR_SLAB_LISTS);
    this.freeObjects = new Float64Array(nodes);
    this.freeLimit = new Float64Array(nodes);
    this.totalSlabs = new Float64Array(nodes);
    this.freeSlabs = new Float64Array(nodes);
    this.freeTouched = new Uint8Array(nodes);
    this.nextReap = new Float64Array(nodes);
    this.colourNext = new Int32Array(nodes);
    this.nodeObjs = new Float64Array(nodes);
    this.sharedLimit = this.shared * this.batchcount;
    this.sharedAvail = new Int32Array(nodes);
    this.sharedTouched = new Uint8Array(nodes);
    this.sharedEntry = new Float64Array(nodes * this.sharedLimit);
    const reapTimeout = REAPTIMEOUT_NODE_SECONDS * args.hz;
    for (let node = 0; node < nodes; node++) {
      // setup_kmem_cache_node(): free_limit = (1 + nr_cpus_node(node)) * batchcount + num.
      this.freeLimit[node] = (1 + args.cpusOfNode(node)) * this.batchcount + this.num;
      // init_cache_node(): next_reap = jiffies + REAPTIMEOUT_NODE + (cachep % REAPTIMEOUT_NODE),
      // the cache's address standing in as its id spread over the timeout.
      this.nextReap[node] = args.jiffies + reapTimeout + ((this.id * 61) % reapTimeout);
    }
  }
}

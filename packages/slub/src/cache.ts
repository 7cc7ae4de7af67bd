/**
 * struct kmem_cache of SLUB (include/linux/slub_def.h, 4.17) with its per-cpu
 * struct kmem_cache_cpu, its per-node struct kmem_cache_node, and the per-slab fields Linux
 * keeps in struct page (freelist, inuse, objects, frozen), all in typed arrays.
 *
 * Slabs of a cache are numbered by a slot (a small integer kept in page->private of the slab's
 * head page); the slot indexes the per-slab arrays and a byte per object of state that makes
 * the misuse checks O(1) (Linux walks the freelist in on_freelist() with slub_debug).
 */
import { PfnListSet, type KmemCache, type ObjAddr, type PageStore } from '@mmkit/core';
import type { CacheGeometry } from './sizes.js';

/** Object state: on a freelist (c->freelist or page->freelist). */
export const OBJ_FREE = 0;
/** Object state: handed out. */
export const OBJ_ALLOCATED = 1;
/**
 * Object state: freed by its user but not back on a freelist: KASAN's quarantine holds it, or
 * slab_free() is between the checks and do_slab_free().
 */
export const OBJ_DETACHED = 2;

const INITIAL_SLOTS = 8;

/** cpuWords of a CPU whose view is off, slabWords of a slab without one. */
export const NO_WORDS = new Uint32Array(0);

/** SlubCache.cpuState: numbers per CPU (at cpu * CPU_STATE), and their places. */
export const CPU_STATE = 4;
/** c->freelist (0 = empty). */
export const CPU_FREELIST = 0;
/**
 * The cpu slab's direct view (cpu-slab.ts setCpuSlab()): CPU_START, the address of its first
 * object, and CPU_END, of its last whole one (START 1 and END 0 when the view is off, so no
 * address is inside); CPU_WORD, the byte offset in cpuWords[cpu] of the slab's first byte plus
 * s->offset, so (object - start + word) >>> 2 indexes the low word of object's free pointer.
 */
export const CPU_START = 1;
export const CPU_END = 2;
export const CPU_WORD = 3;

/** SlubCache.slabState: numbers per slab (at slot * SLAB_STATE), and their places. */
export const SLAB_STATE = 8;
/** The address of the slab's first page (pfn * PAGE_SIZE), -1 for a slot without a slab. */
export const SLAB_BASE = 0;
/** SLAB_BASE plus the offset of its last whole object ((PAGE_SIZE << order) - size), -1 for a slot without a slab. */
export const SLAB_END = 1;
/** The slab's direct view (pinSlab()): CPU_WORD's number for this slab, -1 without a view (or isolated). */
export const SLAB_WORD = 2;
/** page->freelist (0 = none). */
export const SLAB_FREELIST = 3;
/** page->inuse. */
export const SLAB_INUSE = 4;
/** page->frozen (1: the slab is some CPU's c->page or on a per-cpu partial list). */
export const SLAB_FROZEN = 5;

/** c->freelist. */
export function cpuFreelist(s: SlubCache, cpu: number): number {
  return s.cpuState[cpu * CPU_STATE + CPU_FREELIST];
}

/** c->freelist = object. */
export function setCpuFreelist(s: SlubCache, cpu: number, object: number): void {
  s.cpuState[cpu * CPU_STATE + CPU_FREELIST] = object;
}

/** page->freelist of the slab at slot. */
export function slabFreelist(s: SlubCache, slot: number): number {
  return s.slabState[slot * SLAB_STATE + SLAB_FREELIST];
}

/** page->freelist = object. */
export function setSlabFreelist(s: SlubCache, slot: number, object: number): void {
  s.slabState[slot * SLAB_STATE + SLAB_FREELIST] = object;
}

export class SlubCache implements KmemCache {
  readonly size: number;
  readonly flags: number;
  /** s->inuse. */
  readonly inuse: number;
  /** s->offset: the free pointer's place in an object. */
  readonly offset: number;
  /** s->red_left_pad. */
  readonly redLeftPad: number;
  /** __OBJECT_POISON. */
  readonly objectPoison: boolean;
  /** alloc_debug_processing()'s red zone or poison work after each allocation (s->red_left_pad or __OBJECT_POISON). */
  readonly allocDebug: boolean;
  /** s->oo. */
  readonly order: number;
  readonly objects: number;
  /** s->min. */
  readonly minOrder: number;
  readonly minObjects: number;
  /** s->min_partial. */
  readonly minPartial: number;
  /** s->allocflags: __GFP_COMP for order > 0, GFP_DMA, __GFP_RECLAIMABLE. */
  readonly allocflags: number;
  /** Set once kmem_cache_destroy() succeeded. */
  destroyed = false;
  /** How many new slabs of this cache are running the constructor now (nested when it allocates). */
  ctorRunning = 0;
  /** A cache of kmem_cache_init() (kmem_cache, kmem_cache_node, kmalloc-*, dma-kmalloc-*): never destroyed. */
  boot = false;
  /** The object of the kmem_cache cache that is this cache's struct kmem_cache (0 = none yet). */
  kmemCacheObj = 0;
  /** Per node, the object of the kmem_cache_node cache that is this cache's struct kmem_cache_node. */
  readonly nodeObjs: Float64Array;
  /** Scratch buffers of the debug checks (SLAB_RED_ZONE, __OBJECT_POISON), sized once. */
  readonly dbgLeft: Uint8Array;
  readonly dbgRight: Uint8Array;
  readonly dbgObject: Uint8Array;

  // struct kmem_cache_cpu, per CPU.
  /**
   * c->freelist and the cpu slab's direct view (mmkit's, no Linux counterpart; cpu-slab.ts
   * setCpuSlab()), CPU_STATE numbers per CPU (CPU_FREELIST, CPU_START, CPU_END, CPU_WORD): in
   * one array so that the fast paths read them with one map and bounds check. The view is its
   * slab's (slabWords, SLAB_WORD) where the slab has one, and lets the fast paths read and write
   * free pointers without going through PhysMemory.
   */
  readonly cpuState: Float64Array;
  /** c->page as a slot (-1 = none). */
  readonly cpuSlab: Int32Array;
  readonly cpuWords: Uint32Array[];
  /** c->partial: the first slab (slot) of the per-cpu partial list, -1 = empty. */
  readonly cpuPartialList: Int32Array;
  /**
   * s->cpu_partial (set_cpu_partial()): how many free objects the per-cpu partial lists may
   * hold before put_cpu_partial() drains them to the node; 0 for debug caches
   * (kmem_cache_has_cpu_partial()).
   */
  readonly cpuPartial: number;
  /** kmem_cache_debug(): SLAB_DEBUG_FLAGS set, all allocations and frees take the slow paths. */
  readonly debug: boolean;
  /**
   * mmkit's per-object states (objState) are kept, and the free checks of
   * free_debug_processing() run: SLAB_CONSISTENCY_CHECKS (slub_debug=F, 4.17's
   * free_consistency_checks()), or KASAN (whose quarantine release checks them; KASAN itself
   * catches double and invalid frees in 4.17). Otherwise (4.17's default) nothing is checked on free, nothing per object is
   * written, and misuse corrupts the freelists as it does in Linux (the invariant checker sees
   * it: freelistCorruption()).
   */
  readonly tracked: boolean;
  /** CONFIG_SLAB_FREELIST_HARDENED: set_freepointer()'s BUG_ON(object == fp). */
  readonly hardened: boolean;
  /** A free checks more than the bounds (tracked, or kmem_cache_debug()): slabFreeObject()'s slow way. */
  readonly freeDebug: boolean;
  /** do_slab_free() has work before the freelist (hardened or tracked): doSlabFreeChecks(). */
  readonly doSlabFreeChecks: boolean;
  /**
   * The fast paths of kmem_cache_alloc() and kmem_cache_free() (alloc.ts slabAllocFast(),
   * free.ts slabFreeFast()) may serve this cache: no debug work at all (not kmem_cache_debug(),
   * not tracked, no red zone or poison) and slab_free() is 4.17's own (the hook not replaced).
   * Otherwise every call takes the general paths, where the checks and hooks are: one branch.
   */
  readonly fastPaths: boolean;

  // struct kmem_cache_node, per node.
  /** n->partial through page->lru of the head pages; n->nr_partial is its length. */
  readonly partial: PfnListSet;
  /** n->nr_slabs. */
  readonly nrSlabs: Int32Array;
  /** n->total_objects: the sum of page->objects over the node's slabs. */
  readonly totalObjects: Float64Array;
  /**
   * The pages of the node's slabs, the sum of 1 << compound_order(page): what allocate_slab()
   * and __free_slab() add to and take from NR_SLAB_(UN)RECLAIMABLE. A slab of the fallback
   * order (s->min) has fewer pages and objects than one of s->oo.
   */
  readonly totalPages: Float64Array;

  // Per slab (by slot): what Linux keeps in struct page.
  /** Objects per slab at most (the stride of objState). */
  readonly stride: number;
  slabPfn: Int32Array;
  /**
   * SLAB_STATE numbers per slab: SLAB_BASE, SLAB_END, SLAB_WORD (its direct view),
   * SLAB_FREELIST (page->freelist), SLAB_INUSE (page->inuse) and SLAB_FROZEN (page->frozen), in
   * one array for the fast free (free.ts slabFreeFast()).
   */
  slabState: Float64Array;
  /** page->objects. */
  slabObjects: Int32Array;
  /** compound_order(page). */
  slabOrder: Uint8Array;
  /** page_to_nid(page). */
  slabNode: Int32Array;
  /** A corrupt free pointer was found: the slab is never allocated from again. */
  slabIsolated: Uint8Array;
  /** page->next: the next slab on a per-cpu partial list (-1 = end). */
  slabNext: Int32Array;
  /** page->pages / page->pobjects of the first slab of a per-cpu partial list. */
  slabPages: Int32Array;
  slabPobjects: Int32Array;
  /**
   * A slab's direct view (mmkit's; slab-page.ts pinSlab()): a fastPaths cache whose free pointer
   * is 8-aligned pins each new slab's pages in the page-contents pool when they sit in
   * consecutive slots of one chunk (always for order 0), until discard_slab(). slabWords[slot]:
   * that chunk's 32-bit words (NO_WORDS: no view; SLAB_WORD tells where the slab is in them);
   * slabPin[slot]: the pool slot pinned (0: none).
   */
  slabWords: Uint32Array[];
  slabPin: Int32Array;
  /**
   * The slab that the last fast free found (free.ts slabFreeFast(); mmkit's, no Linux
   * counterpart): its slot, its SLAB_BASE and SLAB_END and its words (slabWords), so that the
   * next free into the same slab needs no page->private lookup. Never a slab that is some CPU's
   * c->page (slabOfFree() does not remember one, setCpuSlab() forgets it), so a free in the range
   * is __slab_free()'s, and always one with a view (SLAB_WORD >= 0: slabOfFree() does not
   * remember a slab without one, freepointerCorrupt() forgets a slab it isolates), so
   * kmemCacheFree() writes the free pointer through hitWords without testing. An empty range
   * (1, 0) when none: freeSlot() forgets a slot given back.
   */
  hitSlot = 0;
  hitBase = 1;
  hitEnd = 0;
  hitWords: Uint32Array = NO_WORDS;

  /** Forget hitSlot. */
  forgetHit(): void {
    this.hitBase = 1;
    this.hitEnd = 0;
    this.hitWords = NO_WORDS;
  }
  /** OBJ_* per object, stride bytes per slot. */
  objState: Uint8Array;
  private freeSlots: Int32Array;
  private nrFreeSlots = 0;
  private nextSlot = 0;

  constructor(
    /** The id kept in page->mapping (page->slab_cache) of the cache's slabs, >= 1. */
    readonly id: number,
    readonly name: string,
    readonly objectSize: number,
    readonly align: number,
    flags: number,
    readonly ctor: ((addr: ObjAddr) => void) | undefined,
    geometry: CacheGeometry,
    minPartial: number,
    cpuPartial: number,
    debug: boolean,
    tracked: boolean,
    hardened: boolean,
    allocflags: number,
    nrCpus: number,
    nrNodes: number,
    pages: PageStore,
    /** The state's slab_free() is 4.17's (DEFAULT_SLUB_HOOKS.slabFree). */
    defaultSlabFree: boolean,
  ) {
    this.flags = flags;
    // `| 0`: small integers, so V8 keeps these fields as Smis (a computed double would make them boxed numbers on the fast paths).
    this.size = geometry.size | 0;
    this.inuse = geometry.inuse | 0;
    this.offset = geometry.offset | 0;
    this.redLeftPad = geometry.redLeftPad | 0;
    this.objectPoison = geometry.objectPoison;
    this.allocDebug = geometry.redLeftPad !== 0 || geometry.objectPoison;
    this.order = geometry.order | 0;
    this.objects = geometry.objects | 0;
    this.minOrder = geometry.minOrder | 0;
    this.minObjects = geometry.minObjects | 0;
    this.minPartial = minPartial;
    this.cpuPartial = cpuPartial;
    this.debug = debug;
    this.tracked = tracked;
    this.hardened = hardened;
    this.freeDebug = tracked || debug;
    this.doSlabFreeChecks = hardened || tracked;
    this.fastPaths = defaultSlabFree && !debug && !tracked && !this.allocDebug;
    this.cpuPartialList = new Int32Array(nrCpus).fill(-1);
    this.allocflags = allocflags;
    this.dbgLeft = new Uint8Array(this.redLeftPad);
    this.dbgRight = new Uint8Array(this.redLeftPad ? this.inuse - objectSize : 0);
    this.dbgObject = new Uint8Array(this.objectPoison ? objectSize : 0);
    this.cpuState = new Float64Array(nrCpus * CPU_STATE);
    for (let cpu = 0; cpu < nrCpus; cpu++) this.cpuState[cpu * CPU_STATE + CPU_START] = 1; // view off: START 1, END 0
    this.cpuSlab = new Int32Array(nrCpus).fill(-1);
    this.cpuWords = Array.from({ length: nrCpus }, () => NO_WORDS);
    this.partial = new PfnListSet(pages, nrNodes);
    this.nrSlabs = new Int32Array(nrNodes);
    this.totalObjects = new Float64Array(nrNodes);
    this.totalPages = new Float64Array(nrNodes);
    this.nodeObjs = new Float64Array(nrNodes);
    this.stride = Math.max(geometry.objects, geometry.minObjects);
    this.slabPfn = new Int32Array(INITIAL_SLOTS).fill(-1);
    this.slabState = new Float64Array(INITIAL_SLOTS * SLAB_STATE).fill(-1);
    this.slabObjects = new Int32Array(INITIAL_SLOTS);
    this.slabOrder = new Uint8Array(INITIAL_SLOTS);
    this.slabNode = new Int32Array(INITIAL_SLOTS);
    this.slabIsolated = new Uint8Array(INITIAL_SLOTS);
    this.slabNext = new Int32Array(INITIAL_SLOTS).fill(-1);
    this.slabPages = new Int32Array(INITIAL_SLOTS);
    this.slabPobjects = new Int32Array(INITIAL_SLOTS);
    this.slabWords = Array.from({ length: INITIAL_SLOTS }, () => NO_WORDS);
    this.slabPin = new Int32Array(INITIAL_SLOTS);
    this.objState = new Uint8Array(INITIAL_SLOTS * this.stride);
    this.freeSlots = new Int32Array(INITIAL_SLOTS);
  }

  /** A slot for a new slab (grows the per-slab arrays by doubling). */
  allocSlot(): number {
    if (this.nrFreeSlots > 0) return this.freeSlots[--this.nrFreeSlots];
    if (this.nextSlot === this.slabPfn.length) this.grow();
    return this.nextSlot++;
  }

  freeSlot(slot: number): void {
    if (slot === this.hitSlot) this.forgetHit();
    this.slabPfn[slot] = -1;
    this.slabState.fill(-1, slot * SLAB_STATE, slot * SLAB_STATE + SLAB_STATE);
    this.freeSlots[this.nrFreeSlots++] = slot;
  }

  /** Slots in use now (for iteration: 0 .. slotLimit, skipping slabPfn === -1). */
  get slotLimit(): number {
    return this.nextSlot;
  }

  private grow(): void {
    const n = this.slabPfn.length * 2;
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.slabPfn = grow(this.slabPfn, (k) => new Int32Array(k).fill(-1));
    this.slabState = grow(this.slabState, (k) => new Float64Array(k * SLAB_STATE).fill(-1));
    this.slabObjects = grow(this.slabObjects, (k) => new Int32Array(k));
    this.slabOrder = grow(this.slabOrder, (k) => new Uint8Array(k));
    this.slabNode = grow(this.slabNode, (k) => new Int32Array(k));
    this.slabIsolated = grow(this.slabIsolated, (k) => new Uint8Array(k));
    this.slabNext = grow(this.slabNext, (k) => new Int32Array(k).fill(-1));
    this.slabPages = grow(this.slabPages, (k) => new Int32Array(k));
    this.slabPobjects = grow(this.slabPobjects, (k) => new Int32Array(k));
    for (let k = this.slabWords.length; k < n; k++) this.slabWords.push(NO_WORDS);
    this.slabPin = grow(this.slabPin, (k) => new Int32Array(k));
    this.objState = grow(this.objState, (k) => new Uint8Array(k * this.stride));
    this.freeSlots = grow(this.freeSlots, (k) => new Int32Array(k));
  }
}

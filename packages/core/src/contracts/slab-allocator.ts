/**
 * The object allocator contract (mm/slab_common.c, mm/slub.c, mm/slab.c): kmem_cache and
 * kmalloc. SLUB and SLAB are two implementations; one suite grades both.
 *
 * Objects live in real page memory from the page allocator: a slab is a (compound) block of
 * pages with PG_slab set, and an object's bytes are the caller's, read and written through
 * PhysMemory. An object address is a physical address (__pa of the kernel pointer:
 * pfn * PAGE_SIZE + offset); 0 is NULL, ZERO_SIZE_PTR is what kmalloc(0) returns.
 */
import type { Gfp } from '../gfp.js';
import type { PhysMemory } from '../phys-memory.js';
import type { MmServices } from './services.js';

/** An object address (physical); 0 = NULL. */
export type ObjAddr = number;

/** A cache handle: the fields of struct kmem_cache every implementation has. */
export interface KmemCache {
  readonly name: string;
  /** object_size: what the caller asked for. */
  readonly objectSize: number;
  /** size: the space an object takes in a slab (alignment, free pointer, debug metadata). */
  readonly size: number;
  readonly align: number;
  readonly flags: number;
}

/**
 * The figures of one cache that /proc/slabinfo prints (struct slabinfo), and the pages its slabs
 * hold. Slabs of one cache need not all have the same order: SLUB's allocate_slab() falls back
 * to the minimum order (s->min) when the preferred one (s->oo) is not available, so num_objs is
 * the sum of each slab's objects (page->objects), at most num_slabs × objperslab, and the pages
 * are the sum of each slab's 1 << order.
 */
export interface SlabInfo {
  readonly activeObjs: number;
  /** The objects of all slabs (SLUB: the sum of page->objects, n->total_objects). */
  readonly numObjs: number;
  readonly activeSlabs: number;
  readonly numSlabs: number;
  /** Objects of a slab of the cache's preferred order (oo_objects(s->oo); SLAB: cachep->num). */
  readonly objectsPerSlab: number;
  /** 1 << the cache's preferred order (oo_order(s->oo); SLAB: cachep->gfporder). */
  readonly pagesPerSlab: number;
  /**
   * The pages the cache's slabs hold: the sum of 1 << compound_order() over its slabs, what
   * NR_SLAB_RECLAIMABLE / NR_SLAB_UNRECLAIMABLE count (mod_lruvec_page_state(page, ..., 1 << order)
   * in allocate_slab() and __free_slab()).
   */
  readonly numPages: number;
  /** SLAB's tunables; SLUB prints 0. */
  readonly limit: number;
  readonly batchcount: number;
  readonly shared: number;
  readonly sharedAvail: number;
}

/** The kind of misuse an implementation detected and refused (slab_err / object_err). */
export type SlabErrorKind = 'double-free' | 'invalid-free' | 'wrong-cache' | 'bad-size' | 'redzone' | 'poison' | 'leak';

/** KASAN's view of a free (kasan_slab_free): the answer SLUB and SLAB must honour. */
export interface KasanHooks {
  /**
   * kasan_slab_free(): true when the object's reuse must be delayed — it went into the
   * quarantine, or KASAN found an invalid or double free. The allocator must then not put the
   * object on a freelist (the quarantine gives it back later through quarantineRelease()).
   */
  slabFree(cache: KmemCache, addr: ObjAddr): boolean;
  /** kasan_slab_alloc()/kasan_kmalloc(): an object handed out. */
  slabAlloc(cache: KmemCache, addr: ObjAddr): void;
  /**
   * kasan_cache_shutdown(): kmem_cache_destroy() calls it before looking for objects left;
   * the quarantine gives back every object of the cache through quarantineRelease().
   */
  cacheShutdown(cache: KmemCache): void;
}

export interface SlabAllocatorServices extends MmServices {
  readonly phys: PhysMemory;
  /** Present when the kernel runs with KASAN. */
  readonly kasan?: KasanHooks;
  /** should_failslab(): failslab fault injection. */
  shouldFailSlab(cache: KmemCache, gfp: Gfp): boolean;
  /**
   * Optional: element 0 is nonzero while shouldFailSlab() may answer true (failslab armed:
   * probability > 0 and times != 0), zero while it answers false without side effects. An
   * allocator that tests it calls shouldFailSlab() only when it is nonzero or when the gfp is no
   * gfp_t (`gfp >>> 0 !== gfp`: shouldFailSlab() refuses it), so fault injection that is off
   * costs one branch per allocation. Without it the allocator calls shouldFailSlab() every time.
   */
  readonly failSlabArmed?: Uint8Array;
  /** The kernel's reaction to misuse: a report (BUG/WARN text in the log), never a corrupted freelist. */
  slabError(kind: SlabErrorKind, cache: KmemCache | undefined, addr: ObjAddr, message: string): void;
}

export interface SlabAllocatorFeatures {
  /** kmem_cache_alloc_bulk / kmem_cache_free_bulk with a fast path of their own. */
  readonly bulk: boolean;
  /** Honours KasanHooks.slabFree per object and accepts quarantineRelease(). */
  readonly kasan: boolean;
  /**
   * With CONFIG_SLAB_FREELIST_HARDENED, the free pointer check of set_freepointer()
   * (BUG_ON(object == fp): SLUB since 4.14; 4.17's SLAB has no such check, it came in 5.9).
   */
  readonly hardenedFreelist?: boolean;
}

/** What other subsystems call: kmem_cache_* and kmalloc (include/linux/slab.h). */
export interface SlabAllocatorApi {
  /**
   * kmem_cache_create(): null (and a log line) when Linux refuses (kmem_cache_sanity_check():
   * no name, a size below sizeof(void *) or above KMALLOC_MAX_SIZE; an align that is not a
   * power of two). Duplicate names are allowed, as in Linux.
   */
  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): KmemCache | null;
  /** kmem_cache_alloc(): an object, or 0. __GFP_ZERO clears it (kmem_cache_zalloc). */
  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr;
  /** kmem_cache_free(): misuse (double free, an address that is no object of this cache) is reported through slabError and changes nothing. */
  kmemCacheFree(cache: KmemCache, addr: ObjAddr): void;
  /** kmem_cache_alloc_bulk(): fills out[0..n) and returns n, or returns 0 having allocated nothing. */
  kmemCacheAllocBulk(cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number;
  /** kmem_cache_free_bulk(). */
  kmemCacheFreeBulk(cache: KmemCache, n: number, addrs: Float64Array): void;
  /** kmem_cache_shrink(): give empty slabs back to the page allocator; 0 when the cache is then empty of free slabs. */
  kmemCacheShrink(cache: KmemCache): number;
  /** kmem_cache_destroy(): objects still allocated are reported as a leak ("Objects remaining") and the cache stays. */
  kmemCacheDestroy(cache: KmemCache): void;
  /**
   * kmalloc(): ZERO_SIZE_PTR for 0, 0 above KMALLOC_MAX_SIZE, for a size that is not a
   * non-negative integer (no size_t holds it) or on failure. Zone modifiers a slab cannot
   * honour (GFP_SLAB_BUG_MASK) are stripped with an "Unexpected gfp" warning. A gfp that is no
   * gfp_t (isGfpT(): a fraction, a negative number, NaN) is a RangeError: every allocation calls
   * services.shouldFailSlab() (slab_pre_alloc_hook) before using the gfp, and the kernel's
   * refuses it there; a path without that hook (SLUB's kmalloc_large) refuses it itself.
   */
  kmalloc(size: number, gfp: Gfp): ObjAddr;
  /** kfree(): NULL and ZERO_SIZE_PTR are no-ops; misuse is reported. */
  kfree(addr: ObjAddr): void;
  /** ksize(): the usable size of a kmalloc'ed object (its class size), 0 for ZERO_SIZE_PTR. */
  ksize(addr: ObjAddr): number;
}

/** What the kernel needs besides the API: the boot step after memory is up, KASAN's quarantine giving objects back. */
export interface SlabAllocatorAdmin {
  /**
   * The part of kmem_cache_init() that needs memory (in Linux it runs after mem_init() has
   * handed memory to the page allocator): the structures that describe the caches created so
   * far become objects (SLUB's bootstrap(): struct kmem_cache in the kmem_cache cache, struct
   * kmem_cache_node in kmem_cache_node; SLAB's kmalloc'ed kmem_cache_node). The kernel calls it
   * once, after its memory is up and before anything else allocates; optional for an allocator
   * that keeps no such objects.
   */
  bootstrap?(): void;
  /** The quarantine gives back an object whose free KASAN delayed (___cache_free / do_slab_free). */
  quarantineRelease(cache: KmemCache, addr: ObjAddr): void;
}

/** What /proc/slabinfo, meminfo, the invariant checker and the suites read. Data, never text. */
export interface SlabAllocatorIntrospection {
  readonly name: string;
  readonly supports: SlabAllocatorFeatures;
  /** The kmalloc size classes, ascending (kmalloc_info[] of the implementation's configuration). */
  readonly kmallocSizes: readonly number[];
  /** KMALLOC_MAX_CACHE_SIZE: larger kmalloc requests go to the page allocator (SLUB) or fail. */
  readonly kmallocMaxCacheSize: number;
  /** KMALLOC_MAX_SIZE: the largest kmalloc that can succeed. */
  readonly kmallocMaxSize: number;
  /** Every cache, creation order (slab_caches). */
  caches(): readonly KmemCache[];
  /** get_slabinfo(). */
  slabinfo(cache: KmemCache): SlabInfo;
  /**
   * SLAB only (absent in SLUB, which has no periodic reaping): how many times cache_reap() has
   * run on `cpu` since boot. Each run drains that CPU's array caches a little (drain_array()).
   */
  cacheReapRuns?(cpu: number): number;
  /**
   * Walk every slab's freelists (bounded, never looping) and return at most `max` corruptions
   * found. Cold: for the invariant checker, O(objects).
   */
  validateFreelists?(max: number): readonly FreelistCorruption[];
}

/**
 * A freelist that misuse corrupted, as a walk of the freelists finds it (validate_slab() of
 * SLUB's slub_debug=F; mmkit walks them for the invariant checker in every configuration).
 * Without the debug checks 4.17 puts a double-freed or interior pointer on a freelist; this is
 * where it shows.
 */
export interface FreelistCorruption {
  readonly cache: KmemCache;
  /**
   * 'duplicate': an object met twice on its slab's freelists (a double free; a cycle ends the
   * walk there); 'not-an-object': an entry that is no object start of its slab (the free of an
   * interior pointer; the walk ends there); 'allocated': an object on a freelist that the
   * allocator's own tracking holds allocated; 'count': the slab's count of objects in use
   * disagrees with the free objects found (inuse + free != objects).
   */
  readonly kind: 'duplicate' | 'not-an-object' | 'allocated' | 'count';
  /** The slab's head pfn. */
  readonly slab: number;
  /** The entry found ('count': 0). */
  readonly addr: ObjAddr;
  /** 'count': page->inuse (SLUB) or page->active (SLAB), the free objects found, page->objects. */
  readonly inuse?: number;
  readonly free?: number;
  readonly objects?: number;
}

/** The whole contract, as one implementation object provides it. */
export interface SlabAllocator extends SlabAllocatorApi, SlabAllocatorAdmin, SlabAllocatorIntrospection {}

export type SlabAllocatorFactory = (services: SlabAllocatorServices) => SlabAllocator;

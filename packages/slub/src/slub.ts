/**
 * SLUB, the object allocator of Linux 4.17 (mm/slub.c, with mm/slab_common.c): caches of
 * slabs whose free objects are chained through a free pointer kept in the objects' own memory;
 * a per-cpu slab with a lockless freelist (struct kmem_cache_cpu); per-node partial lists
 * (struct kmem_cache_node); kmalloc size classes and kmalloc_large(); bulk alloc/free; and the
 * KASAN free hook of 4.17 (slab_free_freelist_hook() leaves out the objects whose reuse KASAN
 * delays).
 *
 * Per-cpu partial lists (CONFIG_SLUB_CPU_PARTIAL, default y on SMP) are modelled: c->partial,
 * put_cpu_partial(), unfreeze_partials(), s->cpu_partial from set_cpu_partial().
 *
 * The boot caches are modelled as 4.17 has them: kmem_cache and kmem_cache_node hold every
 * cache's struct kmem_cache and struct kmem_cache_node as objects (bootstrap()), and the
 * dma-kmalloc-* caches (CONFIG_ZONE_DMA) serve kmalloc(GFP_DMA) from ZONE_DMA.
 *
 * Not modelled: CONFIG_SLAB_FREELIST_RANDOM and _HARDENED, cache aliasing
 * (__kmem_cache_alias), memcg caches, the RCU grace period before freeing the pages of a
 * SLAB_TYPESAFE_BY_RCU slab, and the kmem_cache_cpu per-cpu area (percpu memory, no slab).
 *
 * The checks Linux does only with slub_debug=F (free_consistency_checks(): invalid pointer,
 * double free; red zones and poison of SLAB_RED_ZONE / SLAB_POISON caches) run only then (or
 * with KASAN), in O(1) thanks to a state byte per object; by default a free is unchecked and
 * misuse corrupts the freelists as in Linux (validate.ts finds it). A debug cache takes the
 * slow paths as in Linux (one object per ___slab_alloc(), then deactivate_slab()). A free
 * pointer out of its slab (or, checked, not a free object) is reported ("Freepointer corrupt")
 * and its slab isolated, never followed.
 *
 * Structure (docs/implementations.md): the state in one place, mechanisms as functions over it
 * named after their Linux counterparts, variation through a hook table:
 *   state.ts          SlubState: services, slab_caches, caches by id, kmalloc_caches[], hooks
 *   hooks.ts          SlubHooks, DEFAULT_SLUB_HOOKS (4.17): slabFree = slab_free()
 *   slab-page.ts      get_freepointer()/set_freepointer(), address → slab, discard_slab()
 *   debug.ts          slub_debug checks: free pointer, free_debug_processing(), red zones, poison
 *   cpu-slab.ts       deactivate_slab(), flush_all(), put_cpu_partial(), unfreeze_partials()
 *   free.ts           kmem_cache_free(), slab_free() (default hook), do_slab_free(), __slab_free(), bulk free, qlink_free()
 *   alloc.ts          slab_alloc() fast/slow paths, get_partial(), new_slab(), bulk alloc
 *   shrink.ts         __kmem_cache_shrink(), kmem_cache_destroy(), get_slabinfo()
 *   create.ts         kmem_cache_init() and bootstrap(), kmem_cache_create(), kmem_cache_open()
 *   validate.ts       validate_slab(): the freelists walked for the invariant checker
 *   kmalloc.ts        size classes, __kmalloc(), kfree(), ksize()
 *   kmalloc-large.ts  kmalloc_large() and its kfree()
 *   sizes.ts, cache.ts  cache geometry; struct kmem_cache with its per-cpu/node/slab arrays
 * This class is the one public object: it holds the state and delegates each call. It is not
 * meant to be subclassed; a variant passes hooks to createSlubAllocator() (index.ts), which
 * builds the state, runs kmem_cache_init() and then constructs this object.
 */
import type {
  FreelistCorruption,
  Gfp,
  KmemCache,
  ObjAddr,
  SlabAllocator,
  SlabAllocatorFeatures,
  SlabInfo,
} from '@mmkit/core';
import * as alloc from './alloc.js';
import type { SlubCache } from './cache.js';
import * as create from './create.js';
import * as free from './free.js';
import * as kmalloc from './kmalloc.js';
import * as shrink from './shrink.js';
import { KMALLOC_MAX_SIZE } from './sizes.js';
import type { SlubState } from './state.js';
import { validateFreelists } from './validate.js';

// Bound to module constants, not called through import bindings: see "Hot paths" in the README.
const { kmemCacheAlloc, kmemCacheAllocBulk } = alloc;
const { kmemCacheBootstrap, kmemCacheCreate } = create;
const { kmemCacheFree, kmemCacheFreeBulk, qlinkFree } = free;
const { KMALLOC_MAX_CACHE_SIZE, __kmalloc, kfree, kmallocCreationOrder, kmallocInfo, ksize } = kmalloc;
const { __kmemCacheShrink, getSlabinfo, kmemCacheDestroy } = shrink;

/** SLUB as a SlabAllocator: the state in a private field, every call delegated to a mechanism. */
export class Slub implements SlabAllocator {
  readonly name: string;
  readonly supports: SlabAllocatorFeatures = { bulk: true, kasan: true, hardenedFreelist: true };
  readonly kmallocSizes: readonly number[] = kmallocCreationOrder().map((i) => kmallocInfo(i).size);
  readonly kmallocMaxCacheSize = KMALLOC_MAX_CACHE_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;
  private readonly st: SlubState;

  /** Takes a state createSlubAllocator() built and initialised (kmem_cache_init()); calls nothing. */
  constructor(st: SlubState, name = 'slub') {
    this.st = st;
    this.name = name;
  }

  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): SlubCache | null {
    return kmemCacheCreate(this.st, name, size, align, flags, ctor);
  }

  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr {
    return kmemCacheAlloc(this.st, cache, gfp);
  }

  kmemCacheFree(cache: KmemCache, addr: ObjAddr): void {
    kmemCacheFree(this.st, cache, addr);
  }

  kmemCacheAllocBulk(cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
    return kmemCacheAllocBulk(this.st, cache, gfp, n, out);
  }

  kmemCacheFreeBulk(cache: KmemCache, n: number, addrs: Float64Array): void {
    kmemCacheFreeBulk(this.st, cache, n, addrs);
  }

  kmemCacheShrink(cache: KmemCache): number {
    return __kmemCacheShrink(this.st, cache);
  }

  kmemCacheDestroy(cache: KmemCache): void {
    kmemCacheDestroy(this.st, cache);
  }

  caches(): readonly KmemCache[] {
    return this.st.slabCaches;
  }

  kmalloc(size: number, gfp: Gfp): ObjAddr {
    return __kmalloc(this.st, size, gfp);
  }

  kfree(addr: ObjAddr): void {
    kfree(this.st, addr);
  }

  ksize(addr: ObjAddr): number {
    return ksize(this.st, addr);
  }

  bootstrap(): void {
    kmemCacheBootstrap(this.st);
  }

  quarantineRelease(cache: KmemCache, addr: ObjAddr): void {
    qlinkFree(this.st, cache, addr);
  }

  slabinfo(cache: KmemCache): SlabInfo {
    return getSlabinfo(this.st, cache);
  }

  validateFreelists(max: number): readonly FreelistCorruption[] {
    return validateFreelists(this.st, max);
  }
}

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
 * Not modelled: CONFIG_SLAB_FREELIST_RANDOM and _HARDENED, cache aliasing
 * (__kmem_cache_alias), memcg caches, the RCU grace period before freeing the pages of a
 * SLAB_TYPESAFE_BY_RCU slab, and the dma-kmalloc-* caches (GFP_DMA kmalloc uses kmalloc-*).
 *
 * The checks Linux does only with slub_debug (free_debug_processing(): invalid pointer, wrong
 * cache, double free) are always on, in O(1) thanks to a state byte per object; red zones and
 * poison are checked when the cache asks for them (SLAB_RED_ZONE, SLAB_POISON). A debug cache
 * takes the slow paths as in Linux (one object per ___slab_alloc(), then deactivate_slab()).
 * A corrupt free pointer is reported ("Freepointer corrupt") and its slab isolated, never
 * followed.
 *
 * Methods a historical variant changes are protected and keep the Linux names:
 *   slabFree(s, page, head, tail, cnt)   slab_free() with slab_free_freelist_hook()
 *   doSlabFree(s, page, head, tail, cnt) do_slab_free()
 * where s is the SlubCache, page the head pfn of the slab, head/tail the first and last object
 * of a detached freelist chained through the free pointers (tail's free pointer is not read),
 * cnt its length. getFreepointer()/setFreepointer() read and write a free pointer.
 *
 * The class is a chain, one module per concern (each adding to the one before):
 *   slab-page.ts  SlabPages   shared state, free pointers, address → slab, discard_slab()
 *   debug.ts      SlubDebug   slub_debug checks: free pointer, free_debug_processing(), red zones, poison
 *   cpu-slab.ts   CpuSlab     deactivate_slab(), flush_all(), put_cpu_partial(), unfreeze_partials()
 *   free.ts       SlubFree    slab_free() with the KASAN hook, do_slab_free(), __slab_free(), bulk free
 *   alloc.ts      SlubAlloc   slab_alloc() fast/slow paths, new_slab(), bulk alloc
 *   shrink.ts     SlubShrink  __kmem_cache_shrink(), kmem_cache_destroy(), get_slabinfo()
 *   slub.ts       Slub        kmem_cache_init(), kmem_cache_create(), kmalloc()/kfree()/ksize()
 * with kmalloc_large() in kmalloc-large.ts.
 */
import {
  GFP_DMA,
  PAGE_SIZE,
  SLAB_CACHE_DMA,
  SLAB_CONSISTENCY_CHECKS,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TRACE,
  SLAB_TYPESAFE_BY_RCU,
  ZERO_SIZE_PTR,
  __GFP_COMP,
  __GFP_RECLAIMABLE,
  type Gfp,
  type KmemCache,
  type ObjAddr,
  type SlabAllocator,
  type SlabAllocatorFeatures,
  type SlabAllocatorServices,
  calculateAlignment,
} from '@mmkit/core';
import { SlubCache } from './cache.js';
import { KMALLOC_MAX_CACHE_SIZE, kmallocCreationOrder, kmallocIndex, kmallocInfo } from './kmalloc.js';
import { freeLarge, kmallocLarge } from './kmalloc-large.js';
import { KMALLOC_MAX_SIZE, POINTER_SIZE, calculateSizes, cpuPartialFor, minPartialFor } from './sizes.js';
import { SlubShrink } from './shrink.js';
import { hex } from './slab-page.js';

/** SLAB_DEBUG_FLAGS of SLUB (mm/slab.h): caches with these have no per-cpu partial lists. */
const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

/** SLUB as a SlabAllocator: the last class of the chain, with kmem_cache_init(), kmem_cache_create() and kmalloc(). */
export class Slub extends SlubShrink implements SlabAllocator {
  readonly name: string = 'slub';
  readonly supports: SlabAllocatorFeatures = { bulk: true, kasan: true };
  readonly kmallocSizes: readonly number[] = kmallocCreationOrder().map((i) => kmallocInfo(i).size);
  readonly kmallocMaxCacheSize = KMALLOC_MAX_CACHE_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;

  constructor(services: SlabAllocatorServices) {
    super(services);
    // kmem_cache_init() -> create_kmalloc_caches(0)
    for (const index of kmallocCreationOrder()) {
      const { name, size } = kmallocInfo(index);
      const s = this.createCache(name, size, calculateAlignment(0, 8, size), 0, undefined);
      if (!s) throw new Error(`kmem_cache_init: cannot create ${name}`);
      this.kmallocCaches[index] = s;
    }
  }

  // ---------------------------------------------------------------- cache lifecycle

  /** kmem_cache_create() → kmem_cache_sanity_check(), create_cache() → __kmem_cache_create(). */
  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): SlubCache | null {
    if (typeof name !== 'string' || name.length === 0 || !Number.isInteger(size) || size < POINTER_SIZE || size > KMALLOC_MAX_SIZE) {
      this.services.log('err', `kmem_cache_create(${name}) integrity check failed`);
      return null;
    }
    if (!Number.isInteger(align) || align < 0 || (align & (align - 1)) !== 0) {
      this.services.log('err', `kmem_cache_create(${name}): alignment ${align} is not a power of two`);
      return null;
    }
    flags = (flags & ~SLAB_KASAN) >>> 0; // allocator-private: only kasan_cache_create() sets it
    const s = this.createCache(name, size, calculateAlignment(flags, align, size), flags, ctor);
    if (!s) {
      this.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
      return null;
    }
    return s;
  }

  /** kmem_cache_open() → calculate_sizes(), set_min_partial(); the cache joins slab_caches. */
  private createCache(name: string, size: number, align: number, flags: number, ctor: ((addr: ObjAddr) => void) | undefined): SlubCache | null {
    const geometry = calculateSizes(size, align, flags, ctor !== undefined, this.services.kasan !== undefined, this.nrCpus);
    if (!geometry) return null;
    if (geometry.kasan) flags |= SLAB_KASAN;
    let allocflags = 0;
    if (geometry.order) allocflags |= __GFP_COMP;
    if (flags & SLAB_CACHE_DMA) allocflags |= GFP_DMA;
    if (flags & SLAB_RECLAIM_ACCOUNT) allocflags |= __GFP_RECLAIMABLE;
    const debug = (flags & SLAB_DEBUG_FLAGS) !== 0; // kmem_cache_debug()
    const cpuPartial = cpuPartialFor(geometry.size, !debug);
    const s = new SlubCache(this.byId.length, name, size, align, flags >>> 0, ctor, geometry, minPartialFor(geometry.size), cpuPartial, debug, allocflags, this.nrCpus, this.nrNodes, this.pages);
    this.byId.push(s);
    this.slabCaches.push(s);
    return s;
  }

  caches(): readonly KmemCache[] {
    return this.slabCaches;
  }

  // ---------------------------------------------------------------- kmalloc

  /** __kmalloc(): kmalloc_slab() (size_index[] up to 192), or kmalloc_large() above KMALLOC_MAX_CACHE_SIZE. */
  kmalloc(size: number, gfp: Gfp): ObjAddr {
    if (!Number.isInteger(size) || size < 0) return 0; // no size_t holds it
    if (size > KMALLOC_MAX_CACHE_SIZE) return kmallocLarge(this.services, this.largeOrders, size, gfp);
    if (size === 0) return ZERO_SIZE_PTR;
    return this.slabAlloc(this.kmallocCaches[kmallocIndex(size)], gfp);
  }

  /** kfree(): NULL and ZERO_SIZE_PTR are no-ops; kmalloc_large blocks go back to the page allocator. */
  kfree(addr: ObjAddr): void {
    if (addr >= 0 && addr <= ZERO_SIZE_PTR) return; // ZERO_OR_NULL_PTR()
    const head = this.slabHead(addr);
    if (head < 0) {
      const pfn = Math.floor(addr / PAGE_SIZE);
      if (addr === pfn * PAGE_SIZE && this.largeOrders.has(pfn)) {
        freeLarge(this.services, this.largeOrders, pfn);
        return;
      }
      this.services.slabError('invalid-free', undefined, addr, `kfree: ${hex(addr)} is not a slab object nor a kmalloc_large() block`);
      return;
    }
    const s = this.byId[this.pages.mapping[head]]!;
    if (!this.freeCheck(s, head, addr)) return;
    this.setFreepointer(s, addr, 0);
    this.slabFree(s, head, addr, addr, 1);
  }

  /** ksize() → __ksize(): slab_ksize() of the object's cache, PAGE_SIZE << order of a kmalloc_large block. */
  ksize(addr: ObjAddr): number {
    if (!(addr > ZERO_SIZE_PTR)) return 0; // ZERO_OR_NULL_PTR(), and what is no address at all
    const head = this.slabHead(addr);
    if (head < 0) {
      const order = this.largeOrders.get(Math.floor(addr / PAGE_SIZE));
      return order === undefined ? 0 : PAGE_SIZE << order;
    }
    const s = this.byId[this.pages.mapping[head]]!;
    // slab_ksize()
    if (s.flags & (SLAB_RED_ZONE | SLAB_POISON)) return s.objectSize;
    if (s.flags & SLAB_KASAN) return s.objectSize;
    if (s.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER)) return s.inuse;
    return s.size;
  }
}

/** The SlabAllocatorFactory of SLUB. */
export function createSlubAllocator(services: SlabAllocatorServices): Slub {
  return new Slub(services);
}

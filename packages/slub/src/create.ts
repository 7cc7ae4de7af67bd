/**
 * Creating SLUB caches (mm/slab_common.c, mm/slub.c, 4.17): kmem_cache_init() with
 * create_kmalloc_caches(), kmem_cache_create() with kmem_cache_sanity_check(), and
 * kmem_cache_open() (calculate_sizes(), set_min_partial(), set_cpu_partial(),
 * kasan_cache_create()); the new cache joins slab_caches.
 */
import {
  GFP_DMA,
  SLAB_CACHE_DMA,
  SLAB_CONSISTENCY_CHECKS,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TRACE,
  __GFP_COMP,
  __GFP_RECLAIMABLE,
  calculateAlignment,
  kmemCacheSanityCheck,
  slubDebugFlagsFor,
  type ObjAddr,
} from '@mmkit/core';
import { SlubCache } from './cache.js';
import { kmallocCreationOrder, kmallocInfo } from './kmalloc.js';
import { KMALLOC_MAX_SIZE, calculateSizes, cpuPartialFor, minPartialFor } from './sizes.js';
import type { SlubState } from './state.js';

/** SLAB_DEBUG_FLAGS of SLUB (mm/slab.h): caches with these have no per-cpu partial lists. */
const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

/** kmem_cache_init() → create_kmalloc_caches(0): kmalloc-8 … kmalloc-8192 with kmalloc-96/-192. */
export function kmemCacheInit(st: SlubState): void {
  for (const index of kmallocCreationOrder()) {
    const { name, size } = kmallocInfo(index);
    const s = kmemCacheOpen(st, name, size, calculateAlignment(0, 8, size), 0, undefined);
    if (!s) throw new Error(`kmem_cache_init: cannot create ${name}`);
    st.kmallocCaches[index] = s;
  }
}

/**
 * kmem_cache_create() → kmem_cache_sanity_check() (CONFIG_DEBUG_VM only: core's
 * kmemCacheSanityCheck()), create_cache() → __kmem_cache_create(). Without CONFIG_DEBUG_VM a
 * nameless cache still fails (kstrdup_const(NULL): -ENOMEM) and so does an object no slab can
 * hold (calculate_sizes(): -EINVAL), while an object smaller than a pointer is rounded up to
 * one. A size of 0 is refused too (mmkit's guard: Linux would divide by zero in
 * calculate_order()), and so is an alignment that is not a power of two (mmkit's guard:
 * Linux's ALIGN() assumes one).
 */
export function kmemCacheCreate(st: SlubState, name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): SlubCache | null {
  if (!kmemCacheSanityCheck(st.services.debug, name, size, KMALLOC_MAX_SIZE)) {
    st.services.log('err', `kmem_cache_create(${typeof name === 'string' && name ? name : '(null)'}) integrity check failed`);
    return null;
  }
  if (typeof name !== 'string' || name.length === 0) {
    st.services.log('err', `kmem_cache_create((null)) failed with error -12`);
    return null;
  }
  if (!Number.isInteger(size) || size <= 0 || size > KMALLOC_MAX_SIZE) {
    st.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
    return null;
  }
  if (!Number.isInteger(align) || align < 0 || (align & (align - 1)) !== 0) {
    st.services.log('err', `kmem_cache_create(${name}): alignment ${align} is not a power of two`);
    return null;
  }
  if (ctor != null && typeof ctor !== 'function') {
    st.services.log('err', `kmem_cache_create(${name}): the constructor is not a function`);
    return null;
  }
  flags = (flags & ~SLAB_KASAN) >>> 0; // allocator-private: only kasan_cache_create() sets it
  const s = kmemCacheOpen(st, name, size, calculateAlignment(flags, align, size), flags, ctor ?? undefined);
  if (!s) {
    st.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
    return null;
  }
  return s;
}

/**
 * kmem_cache_open() → kmem_cache_flags() (the flags slub_debug= gives the cache, by name),
 * calculate_sizes(), set_min_partial(), set_cpu_partial(); the cache joins slab_caches.
 */
export function kmemCacheOpen(st: SlubState, name: string, size: number, align: number, flags: number, ctor: ((addr: ObjAddr) => void) | undefined): SlubCache | null {
  flags |= slubDebugFlagsFor(st.services.debug.slubDebug, name); // kmem_cache_flags(): slub_debug=
  const geometry = calculateSizes(size, align, flags, ctor !== undefined, st.services.kasan !== undefined, st.nrCpus);
  if (!geometry) return null;
  if (geometry.kasan) flags |= SLAB_KASAN;
  let allocflags = 0;
  if (geometry.order) allocflags |= __GFP_COMP;
  if (flags & SLAB_CACHE_DMA) allocflags |= GFP_DMA;
  if (flags & SLAB_RECLAIM_ACCOUNT) allocflags |= __GFP_RECLAIMABLE;
  const debug = (flags & SLAB_DEBUG_FLAGS) !== 0; // kmem_cache_debug()
  const cpuPartial = cpuPartialFor(geometry.size, !debug);
  const s = new SlubCache(st.byId.length, name, size, align, flags >>> 0, ctor, geometry, minPartialFor(geometry.size), cpuPartial, debug, allocflags, st.nrCpus, st.nrNodes, st.pages);
  st.byId.push(s);
  st.slabCaches.push(s);
  return s;
}

/**
 * Creating SLUB caches (mm/slab_common.c, mm/slub.c, 4.17): kmem_cache_init() (the boot caches
 * kmem_cache_node and kmem_cache, bootstrap(), create_kmalloc_caches() with the dma-kmalloc-*
 * caches of CONFIG_ZONE_DMA), kmem_cache_create() with kmem_cache_sanity_check(), and
 * kmem_cache_open() (calculate_sizes(), set_min_partial(), set_cpu_partial(),
 * kasan_cache_create(), init_kmem_cache_nodes()); the new cache joins slab_caches.
 *
 * Every cache is described by real objects, as in Linux: its struct kmem_cache is an object of
 * the kmem_cache cache and each of its struct kmem_cache_node an object of kmem_cache_node
 * (bootstrap() moves the two boot caches' own structures into them), so /proc/slabinfo shows
 * them in use and kmem_cache_destroy() frees them.
 */
import {
  GFP_DMA,
  GFP_KERNEL,
  GFP_NOWAIT,
  SLAB_CACHE_DMA,
  SLAB_HWCACHE_ALIGN,
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
import { ___slabAlloc, loadFreelist, slabAlloc, slabPostAllocHook } from './alloc.js';
import { SlubCache, cpuFreelist } from './cache.js';
import { kmemCacheFree, slabFree } from './free.js';
import { kmallocCreationOrder, kmallocInfo } from './kmalloc.js';
import { KMALLOC_MAX_SIZE, calculateSizes, cpuPartialFor, minPartialFor } from './sizes.js';
import type { SlubState } from './state.js';

/** SLAB_DEBUG_FLAGS of SLUB (mm/slab.h): caches with these have no per-cpu partial lists. */
const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

/**
 * sizeof(struct kmem_cache_node) of SLUB in 4.17 on x86-64 with CONFIG_SLUB_DEBUG: list_lock
 * (4, padded to 8), nr_partial (8), partial (16), nr_slabs and total_objects (8 each), full (16).
 */
export const SIZEOF_KMEM_CACHE_NODE = 64;
/**
 * offsetof(struct kmem_cache, node) of SLUB in 4.17 (include/linux/slub_def.h) on x86-64 with
 * CONFIG_SLUB_CPU_PARTIAL, CONFIG_SYSFS, CONFIG_MEMCG and CONFIG_NUMA, without the freelist
 * hardening and randomisation: cpu_slab, flags, min_partial (to 24), size, object_size, offset,
 * cpu_partial, oo, max, min, allocflags, refcount (to 64), ctor, inuse, align, reserved,
 * red_left_pad, name, list (to 112), kobj (64), kobj_remove_work (32), memcg_params (88),
 * max_attr_size, memcg_kset (to 312), remote_node_defrag_ratio, useroffset, usersize (to 328).
 * kmem_cache_init() sizes the kmem_cache cache as this plus nr_node_ids pointers.
 */
export const KMEM_CACHE_NODE_OFFSET = 328;

/**
 * kmem_cache_init(): the boot caches (create_boot_cache() of kmem_cache_node, then of
 * kmem_cache, both SLAB_HWCACHE_ALIGN), bootstrap() of each (kmem_cache first: each gets its
 * own struct from kmem_cache and joins slab_caches, list_add(): kmem_cache, then
 * kmem_cache_node), then create_kmalloc_caches(0): kmalloc-8 … kmalloc-8192 with kmalloc-96
 * after -64 and kmalloc-192 after -128, then the dma-kmalloc-<size> caches (SLAB_CACHE_DMA) in
 * kmalloc_caches[] index order, 96 and 192 first. A boot allocation cannot fail (Linux panics).
 */
export function kmemCacheInit(st: SlubState): void {
  const node = bootCache(st, 'kmem_cache_node', SIZEOF_KMEM_CACHE_NODE);
  const cache = bootCache(st, 'kmem_cache', KMEM_CACHE_NODE_OFFSET + st.nrNodes * 8);
  st.kmemCacheNode = node;
  st.kmemCache = cache;
  // bootstrap(): slab_caches gets kmem_cache, then kmem_cache_node.
  st.slabCaches.length = 0;
  st.slabCaches.push(cache, node);
  for (const index of kmallocCreationOrder()) {
    const { name, size } = kmallocInfo(index);
    st.kmallocCaches[index] = bootCache(st, name, size, 0);
  }
  // CONFIG_ZONE_DMA: for (i = 0; i <= KMALLOC_SHIFT_HIGH; i++) "dma-kmalloc-%u"
  for (let index = 0; index < st.kmallocCaches.length; index++) {
    const k = st.kmallocCaches[index];
    if (k) st.kmallocDmaCaches[index] = bootCache(st, `dma-${k.name}`, k.objectSize, SLAB_CACHE_DMA);
  }
}

/** create_boot_cache() / create_kmalloc_cache(): a cache that can never be destroyed. */
function bootCache(st: SlubState, name: string, size: number, flags = SLAB_HWCACHE_ALIGN): SlubCache {
  const s = kmemCacheOpen(st, name, size, calculateAlignment(flags, 8, size), flags, undefined);
  if (!s) throw new Error(`kernel bug: kmem_cache_init: cannot create ${name}`);
  s.boot = true;
  return s;
}

/**
 * The allocations of kmem_cache_init(), once the page allocator has memory: bootstrap() of
 * kmem_cache and kmem_cache_node (each gets its own struct kmem_cache from kmem_cache; their
 * struct kmem_cache_node come from kmem_cache_node, early_kmem_cache_node_alloc() for its own),
 * then those of every kmalloc cache (create_kmalloc_cache() → kmem_cache_zalloc(kmem_cache,
 * GFP_NOWAIT), init_kmem_cache_nodes()), in slab_caches order. Cannot fail (Linux panics).
 */
export function kmemCacheBootstrap(st: SlubState): void {
  for (const s of st.slabCaches) {
    if (s.kmemCacheObj !== 0) continue;
    if (!allocCacheStructs(st, s, GFP_NOWAIT, true)) throw new Error(`kernel bug: kmem_cache_init: no memory for the structures of ${s.name}`);
  }
}

/**
 * The structures that describe a cache, as objects: its struct kmem_cache from the kmem_cache
 * cache (kmem_cache_zalloc(kmem_cache, ...): should_failslab() never fails kmem_cache), then
 * one struct kmem_cache_node per node (init_kmem_cache_nodes(): kmem_cache_alloc_node(
 * kmem_cache_node, GFP_KERNEL, node), which failslab may fail). False, with everything given
 * back, when one cannot be had (kmem_cache_create() then fails with -ENOMEM).
 */
function allocCacheStructs(st: SlubState, s: SlubCache, gfp: number, boot: boolean): boolean {
  const obj = allocStruct(st, st.kmemCache!, gfp);
  if (obj === 0) return false;
  s.kmemCacheObj = obj;
  for (let node = 0; node < st.nrNodes; node++) {
    const n = boot ? allocStruct(st, st.kmemCacheNode!, gfp) : slabAlloc(st, st.kmemCacheNode!, gfp);
    if (n === 0) {
      freeCacheStructs(st, s);
      return false;
    }
    s.nodeObjs[node] = n;
  }
  return true;
}

/** free_kmem_cache_nodes() and slab_kmem_cache_release(): the cache's structures back to their caches. */
export function freeCacheStructs(st: SlubState, s: SlubCache): void {
  for (let node = 0; node < st.nrNodes; node++) {
    if (s.nodeObjs[node]) kmemCacheFree(st, st.kmemCacheNode!, s.nodeObjs[node]);
    s.nodeObjs[node] = 0;
  }
  if (s.kmemCacheObj) kmemCacheFree(st, st.kmemCache!, s.kmemCacheObj);
  s.kmemCacheObj = 0;
}

/** slab_alloc() without slab_pre_alloc_hook()'s failslab (should_failslab() exempts kmem_cache; boot allocations). */
function allocStruct(st: SlubState, s: SlubCache, gfp: number): number {
  const cpu = st.sched.currentCpu;
  const object = cpuFreelist(s, cpu);
  const ret = object === 0 ? ___slabAlloc(st, s, gfp, cpu) : loadFreelist(st, s, cpu, s.cpuSlab[cpu], object);
  if (ret !== 0) slabPostAllocHook(st, s, ret, gfp);
  return ret;
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
  if (!allocCacheStructs(st, s, GFP_KERNEL, false)) {
    // create_cache(): out_free_cache, the cache leaves slab_caches again
    st.byId[s.id] = undefined;
    st.slabCaches.pop();
    s.destroyed = true;
    st.services.log('err', `kmem_cache_create(${name}) failed with error -12`);
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
  const s = new SlubCache(st.byId.length, name, size, align, flags >>> 0, ctor, geometry, minPartialFor(geometry.size), cpuPartial, debug, (flags & SLAB_CONSISTENCY_CHECKS) !== 0 || st.services.kasan !== undefined, st.services.debug.freelistHardened, allocflags, st.nrCpus, st.nrNodes, st.pages, st.hooks.slabFree === slabFree);
  st.byId.push(s);
  st.slabCaches.push(s);
  return s;
}

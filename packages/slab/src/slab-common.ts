/**
 * Creating, destroying and reporting caches (mm/slab_common.c with SLAB's side in mm/slab.c,
 * 4.17): kmem_cache_create() (kmem_cache_sanity_check(), CACHE_CREATE_MASK) -> create_cache()
 * -> __kmem_cache_create() (kasan_cache_create(), the layout of layout.ts, setup_cpu_cache() /
 * enable_cpucache() in cache.ts), create_kmalloc_caches(), kmem_cache_destroy() and
 * get_slabinfo().
 */
import {
  GFP_DMA,
  GFP_KERNEL,
  GFP_NOWAIT,
  kmemCacheSanityCheck,
  SLAB_ACCOUNT,
  SLAB_CACHE_DMA,
  SLAB_DEBUG_OBJECTS,
  SLAB_FAILSLAB,
  SLAB_HWCACHE_ALIGN,
  SLAB_KASAN,
  SLAB_MEM_SPREAD,
  SLAB_NOLEAKTRACE,
  SLAB_PANIC,
  SLAB_TYPESAFE_BY_RCU,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  __GFP_COMP,
  __GFP_RECLAIMABLE,
  type KmemCache,
  type ObjAddr,
  type SlabInfo,
  calculateAlignment,
} from '@mmkit/core';
import { ____cacheAlloc, kmalloc, slabPostAlloc } from './alloc.js';
import { SlabCache } from './cache.js';
import { kfree, kmemCacheFree } from './free.js';
import { POISON_FREE, POISON_INUSE, poisonTemplate } from './debug.js';
import { KMALLOC_MAX_SIZE, kmallocIndex } from './kmalloc.js';
import { kmemCacheLayout } from './layout.js';
import { REDZONE_ALIGN } from './constants.js';
import { __kmemCacheShrink } from './reap.js';
import type { SlabState } from './state.js';

/**
 * CACHE_CREATE_MASK of CONFIG_SLAB with CONFIG_DEBUG_SLAB (mm/slab.h): SLAB_CORE_FLAGS,
 * SLAB_DEBUG_FLAGS (SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER) and SLAB_CACHE_FLAGS;
 * kmem_cache_create() drops the rest. SLAB_FAILSLAB is kept for the failslab cache filter of
 * the simulator.
 */
export const CACHE_CREATE_MASK =
  SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | SLAB_DEBUG_OBJECTS |
  SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER |
  SLAB_MEM_SPREAD | SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | SLAB_FAILSLAB;

/** CACHE_CREATE_MASK without CONFIG_DEBUG_SLAB (4.17's default): SLAB_DEBUG_FLAGS is 0. */
export const CACHE_CREATE_MASK_NODEBUG = CACHE_CREATE_MASK & ~(SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER);

/**
 * __kmem_cache_create() under FORCED_DEBUG (mm/slab.c, CONFIG_DEBUG_SLAB): red zones and the
 * last user for every cache whose size stays below the next power of two with them (any size
 * below 4096), and poison for every cache but SLAB_TYPESAFE_BY_RCU ones.
 */
export function forcedDebugFlags(size: number, flags: number): number {
  const fls = (x: number) => 32 - Math.clz32(x);
  if (size < 4096 || fls(size - 1) === fls(size - 1 + REDZONE_ALIGN + 2 * 8)) flags |= SLAB_RED_ZONE | SLAB_STORE_USER;
  if (!(flags & SLAB_TYPESAFE_BY_RCU)) flags |= SLAB_POISON;
  return flags;
}

/** kmem_cache_create(): the sanity checks, then create_cache(); null (and a log line) when Linux refuses. */
export function kmemCacheCreate(st: SlabState, name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): KmemCache | null {
  // kmem_cache_sanity_check(): CONFIG_DEBUG_VM only (core's kmemCacheSanityCheck()).
  if (!kmemCacheSanityCheck(st.services.debug, name, size, KMALLOC_MAX_SIZE)) {
    st.services.log('err', `kmem_cache_create(${typeof name === 'string' && name ? name : '(null)'}) integrity check failed`);
    return null;
  }
  // Without it: kstrdup_const(NULL) fails (-ENOMEM); an object too large for any slab fails in
  // __kmem_cache_create() (-E2BIG); a size of 0 and an alignment that is not a power of two are
  // mmkit's guards (Linux's arithmetic assumes neither); a smaller object than a word is
  // rounded up to one (ALIGN(size, BYTES_PER_WORD)).
  if (typeof name !== 'string' || name.length === 0) {
    st.services.log('err', 'kmem_cache_create((null)) failed with error -12');
    return null;
  }
  if (!Number.isInteger(size) || size <= 0 || size > KMALLOC_MAX_SIZE) {
    st.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
    return null;
  }
  if (!Number.isInteger(align) || align < 0 || (align & (align - 1)) !== 0) {
    st.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
    return null;
  }
  if (ctor != null && typeof ctor !== 'function') {
    st.services.log('err', `kmem_cache_create(${name}): the constructor is not a function`);
    return null;
  }
  const cache = createCache(st, name, size, align, flags & (st.services.debug.debugSlab ? CACHE_CREATE_MASK : CACHE_CREATE_MASK_NODEBUG), ctor ?? undefined, false);
  if (!cache) {
    st.services.log('err', `kmem_cache_create(${name}) failed with error -7`);
    return null;
  }
  if (!allocCacheStructs(st, cache, GFP_KERNEL, false)) {
    // create_cache(): out_free_cache, the cache leaves slab_caches again
    cache.destroyed = true;
    st.cacheById[cache.id] = undefined;
    st.poisonFree[cache.id] = undefined;
    st.poisonInuse[cache.id] = undefined;
    st.cacheList.pop();
    st.services.log('err', `kmem_cache_create(${name}) failed with error -12`);
    return null;
  }
  return cache;
}

/** create_cache() -> __kmem_cache_create() -> setup_cpu_cache() / enable_cpucache(). */
export function createCache(st: SlabState, name: string, size: number, align: number, flags: number, ctor: ((addr: ObjAddr) => void) | undefined, isKmalloc: boolean): SlabCache | undefined {
  if (st.services.debug.debugSlab) flags = forcedDebugFlags(size, flags);
  if (st.services.kasan) flags |= SLAB_KASAN; // kasan_cache_create()
  const calcAlign = calculateAlignment(flags, align, size);
  const layout = kmemCacheLayout(size, calcAlign, flags, ctor !== undefined, st.slabMaxOrder, (freelistSize) => {
    // kmalloc_slab(freelist_size, 0): the cache an off-slab freelist would come from.
    const idx = kmallocIndex(freelistSize);
    const c = idx < 0 ? undefined : st.kmallocCaches[idx];
    return c ? { size: c.size, offSlab: c.mgmt === 'off-slab' } : undefined;
  });
  if (!layout) return undefined;
  let allocflags = __GFP_COMP;
  if (layout.flags & SLAB_CACHE_DMA) allocflags |= GFP_DMA;
  if (layout.flags & SLAB_RECLAIM_ACCOUNT) allocflags |= __GFP_RECLAIMABLE;
  const id = st.cacheById.length;
  const nrCpus = st.sched.nrCpus;
  const cache = new SlabCache({
    name,
    objectSize: size,
    layout,
    id,
    ctor,
    allocflags,
    isKmalloc,
    nrCpus,
    nrNodes: st.nrNodes,
    cpusOfNode: (node) => (node === 0 ? nrCpus : 0),
    pages: st.pages,
    jiffies: st.sched.jiffies,
    hz: st.sched.hz,
    tracked: st.tracked,
  });
  st.cacheById.push(cache);
  st.poisonFree.push(layout.flags & SLAB_POISON ? poisonTemplate(size, POISON_FREE) : undefined);
  st.poisonInuse.push(layout.flags & SLAB_POISON ? poisonTemplate(size, POISON_INUSE) : undefined);
  st.cacheList.push(cache);
  return cache;
}

/**
 * sizeof(struct kmem_cache_node) of SLAB in 4.17 on x86-64 (mm/slab.h): list_lock (4, padded
 * to 8), slabs_partial, slabs_full, slabs_free (48), total_slabs, free_slabs, free_objects (24),
 * free_limit, colour_next (8), shared, alien (16), next_reap (8), free_touched (4, padded to
 * 8): 120 bytes, so INDEX_NODE = kmalloc_index(120) is kmalloc-128.
 */
export const SIZEOF_KMEM_CACHE_NODE = 120;
/**
 * offsetof(struct kmem_cache, node) of SLAB in 4.17 (include/linux/slab_def.h) on x86-64 with
 * CONFIG_MEMCG, without CONFIG_DEBUG_SLAB, KASAN and the freelist randomisation: cpu_cache,
 * batchcount, limit, shared, size, reciprocal_buffer_size, flags, num, gfporder, allocflags (to
 * 48), colour, colour_off, freelist_cache, freelist_size, ctor, name, list, refcount,
 * object_size, align (to 124, padded to 128), memcg_params (88), useroffset, usersize (to 224).
 * kmem_cache_init() sizes the kmem_cache cache as this plus nr_node_ids pointers; aligned to the
 * cache line it takes 256 bytes.
 */
export const KMEM_CACHE_NODE_OFFSET = 224;

/**
 * kmem_cache_init() of SLAB: 1) the kmem_cache cache (create_boot_cache(), list_add() onto
 * slab_caches; its own struct is static, kmem_cache_boot), 2) the kmalloc cache of
 * INDEX_NODE (kmalloc-128), which holds every struct kmem_cache_node (init_list() replaces
 * the static boot ones of kmem_cache and kmalloc-128), then create_kmalloc_caches(
 * ARCH_KMALLOC_FLAGS = SLAB_HWCACHE_ALIGN): the other kmalloc-<n> ascending (96 after 64, 192
 * after 128), then the DMA twins in kmalloc_caches[] index order (96 and 192 first: indexes 1
 * and 2). Every cache but kmem_cache has its struct kmem_cache as an object of kmem_cache, and
 * every cache one struct kmem_cache_node per node from kmalloc-128.
 */
export function createKmallocCaches(st: SlabState): void {
  const kc = createCache(st, 'kmem_cache', KMEM_CACHE_NODE_OFFSET + st.nrNodes * 8, 0, SLAB_HWCACHE_ALIGN, undefined, true);
  if (!kc) throw new Error('kernel bug: cannot create kmem_cache');
  st.kmemCache = kc;
  const indexNode = kmallocIndex(SIZEOF_KMEM_CACHE_NODE);
  const sizes = [...st.kmallocSizes].sort((a, b) => Number(kmallocIndex(b) === indexNode) - Number(kmallocIndex(a) === indexNode));
  for (const size of sizes) {
    const cache = createCache(st, `kmalloc-${size}`, size, 0, SLAB_HWCACHE_ALIGN, undefined, true);
    if (!cache) throw new Error(`kernel bug: cannot create kmalloc-${size}`);
    st.kmallocCaches[kmallocIndex(size)] = cache;
  }
  for (let i = 0; i < st.kmallocCaches.length; i++) {
    const k = st.kmallocCaches[i];
    if (!k) continue;
    const cache = createCache(st, `dma-${k.name}`, k.objectSize, 0, SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA, undefined, true);
    if (!cache) throw new Error(`kernel bug: cannot create dma-${k.name}`);
    st.kmallocDmaCaches[i] = cache;
  }
}

/**
 * The allocations of kmem_cache_init(), once the page allocator has memory: init_list()'s
 * kmalloc'ed struct kmem_cache_node of kmem_cache and kmalloc-128, then each kmalloc cache's
 * struct kmem_cache (from kmem_cache) and kmem_cache_node, in slab_caches order. Cannot fail.
 */
export function kmemCacheBootstrap(st: SlabState): void {
  for (const c of st.cacheList) {
    if (c.nodeObjs[0] !== 0) continue;
    if (!allocCacheStructs(st, c, GFP_NOWAIT, true)) throw new Error(`kernel bug: kmem_cache_init: no memory for the structures of ${c.name}`);
  }
}

/**
 * The structures that describe a cache, as objects: its struct kmem_cache from the kmem_cache
 * cache (kmem_cache_zalloc(kmem_cache, ...): should_failslab() never fails kmem_cache; none for
 * kmem_cache itself), then one struct kmem_cache_node per node (setup_kmem_cache_node():
 * kmalloc_node(sizeof(struct kmem_cache_node), gfp, node), which failslab may fail, except at
 * boot). False, with everything given back, when one cannot be had.
 */
function allocCacheStructs(st: SlabState, c: SlabCache, gfp: number, boot: boolean): boolean {
  const kc = st.kmemCache!;
  if (c !== kc) {
    const obj = allocStruct(st, kc, gfp);
    if (obj === 0) return false;
    c.kmemCacheObj = obj;
  }
  const nodeCache = st.kmallocCaches[kmallocIndex(SIZEOF_KMEM_CACHE_NODE)]!;
  for (let node = 0; node < st.nrNodes; node++) {
    const n = boot ? allocStruct(st, nodeCache, gfp) : kmalloc(st, SIZEOF_KMEM_CACHE_NODE, gfp);
    if (n === 0) {
      freeCacheStructs(st, c);
      return false;
    }
    c.nodeObjs[node] = n;
  }
  return true;
}

/** kmem_cache_free() of the cache's struct kmem_cache_node objects and its struct kmem_cache. */
function freeCacheStructs(st: SlabState, c: SlabCache): void {
  for (let node = 0; node < st.nrNodes; node++) {
    if (c.nodeObjs[node]) kfree(st, c.nodeObjs[node]);
    c.nodeObjs[node] = 0;
  }
  if (c.kmemCacheObj) kmemCacheFree(st, st.kmemCache!, c.kmemCacheObj);
  c.kmemCacheObj = 0;
}

/** slab_alloc() without should_failslab() (kmem_cache is exempt; boot allocations cannot fail). */
function allocStruct(st: SlabState, c: SlabCache, gfp: number): number {
  const addr = ____cacheAlloc(st, c, gfp);
  if (addr !== 0) slabPostAlloc(st, c, addr, gfp);
  return addr;
}

/** kmem_cache_destroy(): kasan_cache_shutdown(), then shutdown_cache() -> __kmem_cache_shutdown(); a leak keeps the cache. */
export function kmemCacheDestroy(st: SlabState, cache: KmemCache): void {
  if (!cache) return; // kmem_cache_destroy(NULL)
  const c = st.cacheById[(cache as Partial<SlabCache>).id ?? 0];
  if (!c || c !== cache) {
    st.services.slabError('wrong-cache', cache, 0, `kmem_cache_destroy ${cache.name}: not a live cache of this allocator (already destroyed?)`);
    return;
  }
  if (c.isKmalloc) {
    st.services.slabError('wrong-cache', c, 0, `kmem_cache_destroy ${c.name}: the caches of kmem_cache_init() are never destroyed`);
    return;
  }
  st.services.kasan?.cacheShutdown(c);
  if (__kmemCacheShrink(st, c)) {
    st.services.slabError('leak', c, 0, `kmem_cache_destroy ${c.name}: Slab cache still has objects`);
    return;
  }
  c.destroyed = true;
  st.cacheById[c.id] = undefined;
  st.poisonFree[c.id] = undefined;
  st.poisonInuse[c.id] = undefined;
  st.cacheList.splice(st.cacheList.indexOf(c), 1);
  freeCacheStructs(st, c); // __kmem_cache_release() (the kmem_cache_node objects), then kmem_cache_free(kmem_cache, s)
}

/** get_slabinfo(): objects in array caches count as active. */
export function getSlabinfo(cache: KmemCache): SlabInfo {
  if (!(cache instanceof SlabCache)) {
    return { activeObjs: 0, numObjs: 0, activeSlabs: 0, numSlabs: 0, objectsPerSlab: 0, pagesPerSlab: 0, numPages: 0, limit: 0, batchcount: 0, shared: 0, sharedAvail: 0 };
  }
  const c = cache;
  let totalSlabs = 0;
  let freeSlabs = 0;
  let freeObjects = 0;
  let sharedAvail = 0;
  for (let node = 0; node < c.nrNodes; node++) {
    totalSlabs += c.totalSlabs[node];
    freeSlabs += c.freeSlabs[node];
    freeObjects += c.freeObjects[node];
    sharedAvail += c.sharedAvail[node];
  }
  const numObjs = totalSlabs * c.num;
  return {
    activeObjs: numObjs - freeObjects,
    numObjs,
    activeSlabs: totalSlabs - freeSlabs,
    numSlabs: totalSlabs,
    objectsPerSlab: c.num,
    pagesPerSlab: 1 << c.gfporder,
    numPages: totalSlabs * (1 << c.gfporder), // SLAB has no fallback order: every slab has cachep->gfporder
    limit: c.limit,
    batchcount: c.batchcount,
    shared: c.shared,
    sharedAvail,
  };
}

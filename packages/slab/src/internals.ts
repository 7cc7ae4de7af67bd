/**
 * @mmkit/slab/internals: the state of SLAB, its hook table and the mechanisms over it, for
 * mutants, variants and experiments that need more than `createSlabAllocator(services, { hooks })`.
 *
 * UNSTABLE: no semver promise. Names follow mm/slab.c and may change, split or disappear with
 * any release; the stable surface is `@mmkit/slab` (index.ts).
 *
 * A hook gets the state as its first argument; everything here takes it too. Mechanisms do not
 * check their arguments as the public object does: call them as the kernel would, on the CPU
 * (`st.sched.onCpu()`) and with the caches they expect.
 */
export { SlabState } from './state.js';
export { DEFAULT_SLAB_HOOKS, resolveSlabHooks, type SlabHooks } from './hooks.js';
export { SlabCache, NR_SLAB_LISTS, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL } from './cache.js';
export { SlabTable } from './slab-table.js';
export { BATCHREFILL_LIMIT, SLAB_OBJ_MAX_NUM } from './constants.js';
export { cpuNode, hex, indexInSlab, ksize, liveCache, objectIndex, objToIndex, ownSlab, slabCache, slabOfHead, virtToSlab } from './lookup.js';
export { cacheAllocDebugcheckAfter, cacheFreeDebugcheck, checkFree } from './debug-checks.js';
export { cacheGrowBegin, cacheGrowEnd, cacheInitObjs, fixupSlabList, pageToNid, slabDestroy, slabGetObj, slabPutObj } from './grow.js';
export { ___cacheFree, __cacheFree, cacheFlusharray, freeBlock, kfree, kmemCacheFree, quarantineRelease } from './free.js';
export {
  ____cacheAlloc,
  allocBlock,
  cacheAllocRefill,
  getFirstSlab,
  kmalloc,
  kmemCacheAlloc,
  kmemCacheAllocBulk,
  kmemCacheFreeBulk,
  slabAlloc,
  slabPostAlloc,
  transferObjects,
} from './alloc.js';
export {
  __kmemCacheShrink,
  cacheReap,
  cacheReapRuns,
  drainCount,
  drainCpuArray,
  drainCpuCaches,
  drainFreelist,
  drainShared,
  drainSharedLocked,
  kmemCacheShrink,
  startCpuTimer,
} from './reap.js';
export { CACHE_CREATE_MASK, createCache, createKmallocCaches, getSlabinfo, kmemCacheCreate, kmemCacheDestroy } from './slab-common.js';
export { cpucacheInit, kmemCacheInit } from './init.js';

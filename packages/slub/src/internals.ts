/**
 * @mmkit/slub/internals — UNSTABLE: the state and the mechanisms of SLUB, for mutants, hook
 * overrides and experiments. No semver promise: names, signatures and the state's fields
 * follow the model of mm/slub.c and change with it, in any release.
 *
 * A hook gets the state as its first argument; with these functions an override can rebuild
 * what the 4.17 default does, or call the default itself (DEFAULT_SLUB_HOOKS). Every function
 * takes the state first (those that need only a cache take the cache first).
 */
export { SlubState } from './state.js';
export { DEFAULT_SLUB_HOOKS, resolveSlubHooks, type SlubHooks } from './hooks.js';
export { SlubCache, OBJ_ALLOCATED, OBJ_DETACHED, OBJ_FREE } from './cache.js';
export type { CacheGeometry } from './sizes.js';
// slab-page.ts
export { cpuToNode, discardIsolated, discardSlab, getFreepointer, hex, objIndex, objectAddr, ownCache, pageToNid, setFreepointer, slabHead } from './slab-page.js';
// debug.ts
export { allocDebugProcessing, checkValidPointer, freeDebugProcessing, freepointerCorrupt, initObject } from './debug.js';
// cpu-slab.ts
export { deactivateSlab, flushAll, putCpuPartial, unfreezePartials } from './cpu-slab.js';
// free.ts
export { __slabFree, doSlabFree, kmemCacheFree, kmemCacheFreeBulk, qlinkFree, slabFree } from './free.js';
// alloc.ts
export { ___slabAlloc, getFreelist, getPartial, getPartialNode, kmemCacheAlloc, kmemCacheAllocBulk, loadFreelist, newSlab, slabAlloc, slabOutOfMemory, slabPostAllocHook } from './alloc.js';
// shrink.ts
export { __kmemCacheShrink, getSlabinfo, kmemCacheDestroy } from './shrink.js';
// create.ts
export { kmemCacheCreate, kmemCacheInit, kmemCacheOpen } from './create.js';
// kmalloc.ts, kmalloc-large.ts
export { __kmalloc, kfree, ksize } from './kmalloc.js';
export { freeLarge, kmallocLarge } from './kmalloc-large.js';

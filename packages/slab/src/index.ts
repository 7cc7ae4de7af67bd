/**
 * @mmkit/slab: the SLAB object allocator of Linux 4.17 (mm/slab.c) as a SlabAllocator.
 */
import type { SlabAllocatorFactory } from '@mmkit/core';
import { Slab } from './slab.js';

export { Slab } from './slab.js';
export { SlabCache } from './cache.js';
export { calculateAlignment, cacheEstimate, calculateSlabOrder, kmemCacheLayout, type CacheLayout, type SlabMgmt } from './layout.js';
export { KMALLOC_MAX_SIZE, KMALLOC_SHIFT_HIGH, KMALLOC_SHIFT_LOW, kmallocIndex, kmallocSizes } from './kmalloc.js';

/** The factory the kernel calls at boot (kmem_cache_init() + cpucache_init()). */
export const createSlabAllocator: SlabAllocatorFactory = (services) => new Slab(services);

/**
 * @mmkit/slab: the SLAB object allocator of Linux 4.17 (mm/slab.c) as a SlabAllocator.
 */
import type { SlabAllocatorFactory } from '@mmkit/core';
import { Slab } from './slab.js';

export { Slab } from './slab.js';
export { SlabCache } from './cache.js';
export { cacheEstimate, calculateSlabOrder, kmemCacheLayout, type CacheLayout, type SlabMgmt } from './layout.js';
export { KMALLOC_MAX_SIZE, KMALLOC_SHIFT_HIGH, KMALLOC_SHIFT_LOW, kmallocIndex, kmallocSizes } from './kmalloc.js';

/** The factory the kernel calls at boot (kmem_cache_init() + cpucache_init()). */
export const createSlabAllocator: SlabAllocatorFactory = (services) => new Slab(services);
/** calculate_alignment() (mm/slab_common.c) lives in core, shared with the other slab allocator; re-exported for compatibility. */
export { calculateAlignment } from '@mmkit/core';

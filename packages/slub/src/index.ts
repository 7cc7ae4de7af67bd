/** @mmkit/slub: the SLUB object allocator of Linux 4.17. */
import type { SlabAllocatorFactory } from '@mmkit/core';
import { createSlubAllocator as create } from './slub.js';

export { Slub } from './slub.js';
export { SlubCache, OBJ_ALLOCATED, OBJ_DETACHED, OBJ_FREE } from './cache.js';
export { calculateOrder, calculateSizes, minPartialFor, KMALLOC_MAX_SIZE, SIZEOF_TRACK } from './sizes.js';
export { KMALLOC_MAX_CACHE_SIZE, kmallocIndex, kmallocInfo } from './kmalloc.js';

/** The SlabAllocatorFactory of SLUB. */
export const createSlubAllocator: SlabAllocatorFactory = create;
/** calculate_alignment() (mm/slab_common.c) lives in core, shared with the other slab allocator; re-exported for compatibility. */
export { calculateAlignment } from '@mmkit/core';

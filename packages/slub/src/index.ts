/** @mmkit/slub: the SLUB object allocator of Linux 4.17. */
import type { SlabAllocatorFactory, SlabAllocatorServices } from '@mmkit/core';
import { kmemCacheInit } from './create.js';
import { resolveSlubHooks, type SlubHooks } from './hooks.js';
import { Slub } from './slub.js';
import { SlubState } from './state.js';

export { Slub } from './slub.js';
export { SlubCache, OBJ_ALLOCATED, OBJ_DETACHED, OBJ_FREE } from './cache.js';
export { DEFAULT_SLUB_HOOKS, type SlubHooks } from './hooks.js';
export type { SlubState } from './state.js';
export { calculateOrder, calculateSizes, minPartialFor, KMALLOC_MAX_SIZE, SIZEOF_TRACK } from './sizes.js';
export { KMALLOC_MAX_CACHE_SIZE, kmallocIndex, kmallocInfo } from './kmalloc.js';

export interface SlubOptions {
  /** The allocator's name (SlabAllocator.name); 'slub' by default. */
  readonly name?: string;
  /** Overrides of the 4.17 hooks (DEFAULT_SLUB_HOOKS); see SlubHooks. */
  readonly hooks?: Partial<SlubHooks>;
}

/**
 * The factory of SLUB: builds the state with the resolved hook table, runs kmem_cache_init()
 * (the kmalloc caches), then wraps the state in the public object. Usable as a
 * SlabAllocatorFactory as it is (`options` is optional).
 */
export const createSlubAllocator = ((services: SlabAllocatorServices, options?: SlubOptions): Slub => {
  const st = new SlubState(services, resolveSlubHooks(options?.hooks));
  kmemCacheInit(st);
  return new Slub(st, options?.name);
}) satisfies SlabAllocatorFactory;

/** calculate_alignment() (mm/slab_common.c) lives in core, shared with the other slab allocator; re-exported for compatibility. */
export { calculateAlignment } from '@mmkit/core';

/**
 * @mmkit/slab: the SLAB object allocator of Linux 4.17 (mm/slab.c) as a SlabAllocator.
 *
 * `createSlabAllocator(services, options?)` is the factory the kernel calls at boot; with one
 * argument it is a SlabAllocatorFactory. Variants (older kernels, mutants, experiments) pass
 * `hooks` (hooks.ts); what a hook needs beyond the state is in `@mmkit/slab/internals`.
 */
import type { SlabAllocatorFactory, SlabAllocatorServices } from '@mmkit/core';
import { resolveSlabHooks, type SlabHooks } from './hooks.js';
import { cpucacheInit, kmemCacheInit } from './init.js';
import { Slab } from './slab.js';
import { SlabState } from './state.js';

export { Slab } from './slab.js';
export { SlabCache } from './cache.js';
export { DEFAULT_SLAB_HOOKS, type SlabHooks } from './hooks.js';
export type { SlabState } from './state.js';
export { cacheEstimate, calculateSlabOrder, kmemCacheLayout, type CacheLayout, type SlabMgmt } from './layout.js';
export { KMALLOC_MAX_SIZE, KMALLOC_SHIFT_HIGH, KMALLOC_SHIFT_LOW, kmallocIndex, kmallocSizes } from './kmalloc.js';

export interface SlabAllocatorOptions {
  /** The allocator's `name` (default 'slab'). */
  readonly name?: string;
  /** Overrides of the 4.17 hooks (DEFAULT_SLAB_HOOKS). */
  readonly hooks?: Partial<SlabHooks>;
}

/**
 * The factory the kernel calls at boot: the state with the resolved hook table first, then
 * kmem_cache_init() (the kmalloc caches) and cpucache_init() (a reap timer per CPU), then the
 * public object. Usable as a SlabAllocatorFactory as it is (`options` is optional).
 */
export const createSlabAllocator = ((services: SlabAllocatorServices, options?: SlabAllocatorOptions): Slab => {
  const st = new SlabState(services, resolveSlabHooks(options?.hooks));
  kmemCacheInit(st);
  cpucacheInit(st);
  return new Slab(st, options?.name ?? 'slab');
}) satisfies SlabAllocatorFactory;

/** calculate_alignment() (mm/slab_common.c) lives in core, shared with the other slab allocator; re-exported for compatibility. */
export { calculateAlignment } from '@mmkit/core';

/**
 * The object-allocator ("slab-allocator") suite: cases written against the SlabAllocator
 * contract and the kernel API only, one file per area, so that SLUB, SLAB and a contributor's
 * allocator are graded alike. Each case boots a small kernel around the implementation under
 * test; KASAN's answers are scripted through the kernel's `kasanHooks` so that the seed's rule
 * on honouring kasan_slab_free() can be checked object by object.
 */
import { SLAB_RULES } from '../rules.js';
import type { SlabAllocator } from '@mmkit/core';
import type { FeatureSet, Suite } from '../../../suite.js';
import { kmallocCases } from './kmalloc.js';
import { cacheCases } from './cache.js';
import { objectCases } from './objects.js';
import { reclaimCases } from './reclaim.js';
import { debugCases } from './debug.js';
import { misuseCases } from './misuse.js';
import { slabinfoCases } from './slabinfo.js';
import { kasanCases } from './kasan.js';
import { cacheReapCases } from './cache-reap.js';
import { declaringSlabAllocator } from './declared.js';
import type { SlabAllocatorUnderTest } from './helpers.js';

export type { SlabAllocatorUnderTest } from './helpers.js';

/** What an object allocator provides of the optional parts of the contract. */
export function slabAllocatorFeatures(slab: SlabAllocator): Record<string, boolean> {
  return { bulk: Boolean(slab.supports.bulk), kasan: Boolean(slab.supports.kasan), hardenedFreelist: Boolean(slab.supports.hardenedFreelist), cacheReap: typeof slab.cacheReapRuns === 'function' };
}

export const slabAllocatorSuite: Suite<SlabAllocatorUnderTest> = {
  contract: 'slab-allocator',
  rules: SLAB_RULES,
  cases: [
    ...kmallocCases,
    ...cacheCases,
    ...objectCases,
    ...reclaimCases,
    ...debugCases,
    ...misuseCases,
    ...slabinfoCases,
    ...kasanCases,
    ...cacheReapCases,
  ],
  probe(factory: SlabAllocatorUnderTest): FeatureSet {
    return slabAllocatorFeatures(declaringSlabAllocator(factory));
  },
};

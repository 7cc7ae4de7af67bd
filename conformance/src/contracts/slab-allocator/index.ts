/** The slab-allocator contract: kmem_cache and kmalloc (mm/slab_common.c), SLUB and SLAB alike. */
import type { SlabAllocatorFactory } from '@mmkit/core';
import { defineContract } from '../../contract.js';
import { measureSlabFragmentation, measureSlabThroughput } from '../../grader/bench.js';
import { SLAB_RULES } from './rules.js';
import { declaringSlabAllocator } from './suite/declared.js';
import { slabAllocatorFeatures, slabAllocatorSuite } from './suite/index.js';

export default defineContract<SlabAllocatorFactory>({
  id: 'slab-allocator',
  aliases: [],
  title: 'the object allocator: kmem_cache and kmalloc (SLUB, SLAB)',
  core: { contract: 'SlabAllocator', factory: 'SlabAllocatorFactory', file: 'packages/core/src/contracts/slab-allocator.ts' },
  implementations: ['@mmkit/slub', '@mmkit/slab'],
  rules: SLAB_RULES,
  suite: slabAllocatorSuite,
  factoryExports: ['createSlabAllocator'],
  factoryPattern: /^create\w*Allocator$/,
  defaultImplementation: 'kernel default (@mmkit/slub)',
  identify(factory) {
    const slab = declaringSlabAllocator(factory);
    return { implementation: slab.name, supports: slabAllocatorFeatures(slab) };
  },
  assemble: (factory) => ({ slab: factory }),
  bench: (factory, seed, isolation, method) => ({ slabThroughput: measureSlabThroughput(factory, { ...method, ...(isolation ? { isolation } : {}) }), slabFragmentation: measureSlabFragmentation(factory, seed) }),
  mutants: async () => (await import('./mutants/index.js')).SLAB_ALLOCATOR_MUTANTS.filter((m) => m.contract === 'slab-allocator'),
});

/** The slab-allocator contract: kmem_cache and kmalloc (mm/slab_common.c), SLUB and SLAB alike. */
import type { SlabAllocatorFactory } from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import { defineContract } from '../../contract.js';
import { measureSlabFragmentation, measureSlabThroughput } from '../../grader/bench.js';
import { SLAB_RULES } from './rules.js';
import { slabAllocatorFeatures, slabAllocatorSuite } from './suite/index.js';

const MiB = 2 ** 20;

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
    const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', slab: factory ?? 'slub' });
    return { implementation: k.slab.name, supports: slabAllocatorFeatures(k.slab) };
  },
  assemble: (factory) => ({ slab: factory }),
  bench: (factory, seed) => ({ slabThroughput: measureSlabThroughput(factory), slabFragmentation: measureSlabFragmentation(factory, seed) }),
  mutants: async () => (await import('./mutants/index.js')).SLAB_ALLOCATOR_MUTANTS.filter((m) => m.contract === 'slab-allocator'),
});

/** The page-allocator contract: mm/page_alloc.c, the zoned buddy allocator. */
import type { PageAllocatorFactory } from '@mmkit/core';
import { defineContract } from '../../contract.js';
import { measureFragmentation, measureThroughput } from '../../grader/bench.js';
import { BUDDY_RULES } from './rules.js';
import { declaringAllocator } from './suite/declared.js';
import { pageAllocatorSuite } from './suite/index.js';

export default defineContract<PageAllocatorFactory>({
  id: 'page-allocator',
  aliases: ['buddy'],
  title: 'the zoned page allocator (mm/page_alloc.c)',
  core: { contract: 'PageAllocator', factory: 'PageAllocatorFactory', file: 'packages/core/src/contracts/page-allocator.ts' },
  implementations: ['@mmkit/buddy'],
  rules: BUDDY_RULES,
  suite: pageAllocatorSuite,
  factoryExports: ['createPageAllocator'],
  factoryPattern: /^create\w*Allocator$/,
  defaultImplementation: 'kernel default (@mmkit/buddy)',
  identify(factory) {
    const allocator = declaringAllocator(factory);
    return { implementation: allocator.name, supports: { ...allocator.supports } };
  },
  assemble: (factory) => ({ pageAllocator: factory }),
  bench: (factory, seed, isolation, method) => ({ throughput: measureThroughput(factory, { ...method, ...(isolation ? { isolation } : {}) }), fragmentation: measureFragmentation(factory, seed) }),
  mutants: async () => (await import('./mutants.js')).BUDDY_MUTANTS.filter((m) => m.contract === 'page-allocator'),
});

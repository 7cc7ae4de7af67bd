/**
 * What an object allocator declares, its name and its optional features, read before the cases
 * run (the grader's identification and the suite's probe).
 */
import { wrappingFactory, type SlabAllocator, type SlabAllocatorFactory, type SlabAllocatorServices } from '@mmkit/core';
import { KernelConfigError, createKernel } from '@mmkit/kernel';
import { MiB, type SlabAllocatorUnderTest } from './helpers.js';

/**
 * The object allocator of a small kernel booted around the implementation (undefined: SLUB).
 * When that boot fails inside the implementation (its bootstrap() reaches a member not written
 * yet, say), the object its factory returned is still the implementation: its name and features
 * are declarations, and each case then boots its own kernel and fails, rule by rule, with what it
 * reached. A factory that throws, or returns no object allocator (a KernelConfigError), has
 * declared nothing: that error stands.
 */
export function declaringSlabAllocator(factory: SlabAllocatorUnderTest): SlabAllocator {
  const made: { allocator?: SlabAllocator } = {};
  // Made through wrappingFactory(): a factory whose allocator runs in another thread gets a kernel on shared memory.
  const capture: SlabAllocatorFactory | 'slub' = factory ? wrappingFactory((services: SlabAllocatorServices) => (made.allocator = factory(services)), factory) : 'slub';
  try {
    return createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', slab: capture }).slab;
  } catch (err) {
    if (made.allocator === undefined || err instanceof KernelConfigError) throw err;
    return made.allocator;
  }
}

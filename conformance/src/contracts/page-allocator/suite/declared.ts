/**
 * What an implementation declares, its name and its optional features (`supports`), read before
 * the cases run (the grader's identification and the suite's probe).
 */
import { wrappingFactory, type PageAllocator, type PageAllocatorFactory } from '@mmkit/core';
import { KernelConfigError, createKernel } from '@mmkit/kernel';
import { MiB, type PageAllocatorUnderTest } from './helpers.js';

/**
 * The page allocator of a small kernel booted around the implementation (undefined: the
 * default). When that boot fails inside the implementation (a skeleton whose boot members are
 * not written yet, an allocator that breaks on this machine), the object its factory returned is
 * still the implementation: its name and features are declarations, not behaviour, and each case
 * then boots its own kernel and fails, rule by rule, with what it reached. A factory that throws,
 * or returns no page allocator (a KernelConfigError), has declared nothing: that error stands.
 */
export function declaringAllocator(factory: PageAllocatorUnderTest): PageAllocator {
  const made: { allocator?: PageAllocator } = {};
  // A factory run in another thread (the grader's isolate) needs the kernel's state shared: so does its wrapper.
  const capture: PageAllocatorFactory | undefined = factory && wrappingFactory<PageAllocatorFactory>((services) => (made.allocator = factory(services)), factory);
  try {
    return createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pageAllocator: capture }).pageAllocator;
  } catch (err) {
    if (made.allocator === undefined || err instanceof KernelConfigError) throw err;
    return made.allocator;
  }
}

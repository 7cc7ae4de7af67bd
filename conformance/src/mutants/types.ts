import type { AddressSpacesFactory, PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';
import type { RuleSource } from '../rules/types.js';

/** A reference implementation with one old (or plausibly wrong) behaviour brought back, for a contract whose factory type is F. */
export interface MutantOf<F> {
  /** Stable id. */
  readonly id: string;
  /** The contract's id (its folder under src/contracts). */
  readonly contract: string;
  /** The rule id the suite must fail for this mutant. */
  readonly breaks: string;
  readonly description: string;
  /**
   * Where the behaviour comes from: the seed entry (or older upstream commit) that changed it,
   * whose code before the change the mutant brings back; for a plausible bug, the kernel
   * function it breaks. Linked like a rule's source.
   */
  readonly source: RuleSource;
  /** The reference's factory with hooks overridden (nothing else). */
  readonly factory: F;
}

/** A mutant of one of the contracts of this repository (typed for the mutant files). */
export type Mutant =
  | (MutantOf<PageAllocatorFactory> & { readonly contract: 'page-allocator' })
  | (MutantOf<SlabAllocatorFactory> & { readonly contract: 'slab-allocator' })
  | (MutantOf<AddressSpacesFactory> & { readonly contract: 'mmap' });

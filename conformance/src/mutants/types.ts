import type { PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';

/** A reference implementation with one old (or plausibly wrong) behaviour brought back, for a contract whose factory type is F. */
export interface MutantOf<F> {
  /** Stable id. */
  readonly id: string;
  /** The contract's id (its folder under src/contracts). */
  readonly contract: string;
  /** The rule id the suite must fail for this mutant. */
  readonly breaks: string;
  readonly description: string;
  /** The changelog entry (seed or kernel commit) that changed the behaviour. */
  readonly source: string;
  /** The reference's factory with hooks overridden (nothing else). */
  readonly factory: F;
}

/** A mutant of one of the contracts of this repository (typed for the mutant files). */
export type Mutant =
  | (MutantOf<PageAllocatorFactory> & { readonly contract: 'page-allocator' })
  | (MutantOf<SlabAllocatorFactory> & { readonly contract: 'slab-allocator' });

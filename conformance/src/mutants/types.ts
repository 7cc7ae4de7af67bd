import type { PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';

interface MutantBase {
  /** Stable id. */
  readonly id: string;
  /** The rule id the suite must fail for this mutant. */
  readonly breaks: string;
  readonly description: string;
  /** The changelog entry (seed or kernel commit) that changed the behaviour. */
  readonly source: string;
}

/** A reference implementation with one old (or plausibly wrong) behaviour brought back. */
export type Mutant =
  | (MutantBase & { readonly contract: 'page-allocator'; readonly factory: PageAllocatorFactory })
  | (MutantBase & { readonly contract: 'slab-allocator'; readonly factory: SlabAllocatorFactory });

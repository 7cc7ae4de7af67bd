/**
 * What a contract is to the conformance kit: one descriptor per folder of src/contracts,
 * listed in src/contracts/registry.ts. The grader, the CLI, the README tables, the docs and the
 * tests read the registry, so adding a contract is adding a folder and one registry line.
 */
import type { KernelConfig } from '@mmkit/kernel';
import type { MutantOf } from './mutants/types.js';
import type { Rule } from './rules/types.js';
import type { Suite } from './suite.js';
import type { Fragmentation, SlabFragmentation, SlabThroughput, Throughput, ThroughputMethod } from './grader/types.js';

/**
 * A submission run in a thread of its own (grader/isolate/): the reference behind the same
 * crossing, and a batch of the throughput figure run there in one call (so that both sides pay
 * the crossing once a batch, not once an allocation): a page allocator's or an object allocator's.
 */
export interface BenchIsolation<F> {
  readonly reference: F;
  /** `count` allocations of `order`, then their frees (a page allocator). */
  batch(impl: unknown, count: number, order: number, gfp: number): void;
  /** `count` kmem_cache_alloc()s of `cache` (sizes empty) or kmalloc()s of `sizes` in turn, then their frees (an object allocator). */
  slabBatch(slab: unknown, cache: unknown, sizes: readonly number[], count: number, gfp: number): void;
}

/** What a contract's bench measures after its suite (every field optional). */
export interface ContractBench {
  throughput?: Throughput;
  fragmentation?: Fragmentation;
  slabThroughput?: SlabThroughput;
  slabFragmentation?: SlabFragmentation;
}

export interface ContractDescriptor<F> {
  /** The contract's id: its folder's name, the prefix of its rule ids, what `mmkit grade` takes. */
  readonly id: string;
  /** Other names `mmkit grade` accepts ('buddy' for the page allocator). */
  readonly aliases: readonly string[];
  /** What it models, in a few words. */
  readonly title: string;
  /** The interface in @mmkit/core an implementation provides, its factory type and the file that declares them. */
  readonly core: { readonly contract: string; readonly factory: string; readonly file: string };
  /** The reference implementations in this repository (package names), the default first. */
  readonly implementations: readonly string[];
  readonly rules: readonly Rule[];
  readonly suite: Suite<F | undefined>;
  /**
   * How a module's factory is found: these export names are tried in order (after `default`
   * and `factory`), then a single export matching `factoryPattern`.
   */
  readonly factoryExports: readonly string[];
  readonly factoryPattern: RegExp;
  /** What grading "no module" grades. */
  readonly defaultImplementation: string;
  /** Boot the implementation (undefined: the default) on a small machine: its name and its declared features. */
  identify(factory: F | undefined): { implementation: string; supports: Record<string, boolean> };
  /** How the kernel takes an implementation of this contract (for `mmkit boot --mutant`); absent when it cannot. */
  assemble?(factory: F): KernelConfig;
  /** Measure it after the suite (`method`: GradeOptions.throughputMethod, checked). */
  bench(factory: F | undefined, seed: number, isolation?: BenchIsolation<F>, method?: Partial<ThroughputMethod>): ContractBench;
  /** The mutants, loaded on demand (they import the reference implementations; the suite entry does not). */
  mutants(): Promise<readonly MutantOf<F>[]>;
}

/** A descriptor in the registry (its factory type erased). */
export type AnyContract = ContractDescriptor<unknown>;

/** Type a descriptor and erase its factory type for the registry. */
export function defineContract<F>(descriptor: ContractDescriptor<F>): AnyContract {
  return descriptor;
}

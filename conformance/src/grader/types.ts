import type { CaseFailure, CaseResult, RuleStatus } from '../suite.js';
import type { RuleConfig, RuleSource } from '../rules/index.js';

/** A name of a contract in the registry: its id or an alias ('buddy' is the page allocator's). */
export type GradeContract = string;
/** The id of a contract in the registry (its folder under src/contracts). */
export type ContractId = string;

export interface GradeOptions {
  /** A contract of the registry by id or alias: 'page-allocator' (alias 'buddy'), 'slab-allocator', ... */
  readonly contract: GradeContract;
  /**
   * A path (relative to the working directory) or package name of a module exporting the
   * contract's factory as its default export, as `factory`, under one of the contract's
   * conventional names (`createPageAllocator`, `createSlabAllocator`, ...), or as the one export
   * matching its pattern. Without it (and without `mutant`) the default implementation is graded.
   */
  readonly module?: string;
  /** Grade a mutant of the reference instead (an id from `mmkit mutants`). */
  readonly mutant?: string;
  /** Wall-clock limit of the whole run (default 180 s): the worker is terminated after it. */
  readonly timeoutMs?: number;
  /** V8 old-generation limit of the worker (default 2048 MiB). */
  readonly memoryMb?: number;
  /** Measure throughput and fragmentation after the suite (default true). */
  readonly bench?: boolean;
  /** Random runs of property cases (default MMKIT_PROPERTY_RUNS or a few hundred). */
  readonly propertyRuns?: number;
  readonly seed?: number;
  /** Replay a property failure: fast-check's path to its counterexample (with `seed`, `propertyRuns` and a `filter` selecting its case). */
  readonly replayPath?: string;
  /** Only the cases whose name or rule ids match (the other rules are reported as failing "not run"). */
  readonly filter?: string;
  /** Progress: called in the main thread as each case finishes. */
  readonly onCase?: (result: CaseResult) => void;
}

export interface RuleReport {
  readonly id: string;
  readonly text: string;
  readonly source: RuleSource;
  readonly status: RuleStatus;
  /** Each failing case: its one-line message and, for an assertion, expected and actual in full and a property's counterexample. */
  readonly failures: { case: string; message: string; failure?: CaseFailure }[];
  /** The configuration the rule holds under and was checked under (absent: 4.17's defaults). */
  readonly config?: RuleConfig;
}

export interface Score {
  readonly passed: number;
  readonly failed: number;
  readonly notProvided: number;
  readonly total: number;
  /** passed / (total - notProvided), in percent with one decimal. */
  readonly percent: number;
}

export interface Throughput {
  /** The machine the figures come from. */
  readonly machine: string;
  /** alloc+free pairs per second, by order. */
  readonly order0OpsPerSec: number;
  readonly order3OpsPerSec: number;
  readonly ms: number;
}

export interface Fragmentation {
  readonly machine: string;
  readonly seed: number;
  readonly steps: number;
  /** Pages still allocated by the workload when measured. */
  readonly allocatedPages: number;
  readonly freePages: number;
  /** The largest order with a free block (-1 when nothing is free). */
  readonly largestFreeOrder: number;
  /** Free blocks per order, all zones. */
  readonly freeBlocksPerOrder: readonly number[];
  /** Unusable free space index for `order` (mm/vmstat.c unusable_free_index()): the fraction of free memory in blocks too small for it. */
  readonly unusableFreeIndex: { readonly order: number; readonly value: number };
}

/** Object-allocator throughput (kmem_cache and kmalloc), for a report. */
export interface SlabThroughput {
  readonly machine: string;
  /** kmem_cache_alloc+kmem_cache_free pairs per second on a 64-byte cache. */
  readonly cacheOpsPerSec: number;
  /** kmalloc+kfree pairs per second over sizes 8..4096. */
  readonly kmallocOpsPerSec: number;
  readonly ms: number;
}

export interface GradeReport {
  readonly contract: ContractId;
  /** The implementation's name (PageAllocator.name) or what was asked for. */
  readonly implementation: string;
  readonly mutant?: string;
  readonly supports?: Readonly<Record<string, boolean>>;
  readonly rules: RuleReport[];
  readonly score: Score;
  readonly cases: CaseResult[];
  readonly throughput?: Throughput;
  readonly fragmentation?: Fragmentation;
  readonly slabThroughput?: SlabThroughput;
  /** A run-level problem: load failure, timeout, crash. */
  readonly error?: string;
  /**
   * The module could not be loaded (a missing file or package, a syntax error, no factory
   * export, a throwing top level): what is wrong and how to fix it, one or two lines. The CLI
   * prints it and exits 2.
   */
  readonly loadError?: string;
  readonly durationMs: number;
}

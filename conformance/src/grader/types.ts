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
  /**
   * Time the sandboxed child may take to start and load the module before its first case, on
   * top of `timeoutMs` (which counts from that case): default 30,000 ms (LOAD_ALLOWANCE_MS), an
   * integer from 1 to 600,000. A top level that never ends is stopped at timeoutMs + this.
   */
  readonly loadAllowanceMs?: number;
  /** V8 old-generation limit of the worker (default 2048 MiB). */
  readonly memoryMb?: number;
  /** Measure throughput and fragmentation after the suite (default true). */
  readonly bench?: boolean;
  /**
   * How the bench takes its throughput figures: the warm-up per side and figure (default 100 ms),
   * the rounds (default 5) and a round's length (default 30 ms); integers, warmupMs from 0 and
   * roundMs from 1 to 10,000, rounds from 1 to 99, else a RangeError. Fewer and shorter rounds
   * are quicker and noisier (a first pass over many submissions, a test); the report's
   * `throughput.method` (`slabThroughput.method`) says what was used. The fragmentation workload
   * and the fingerprint do not change.
   */
  readonly throughputMethod?: Partial<ThroughputMethod>;
  /** Random runs of property cases (default MMKIT_PROPERTY_RUNS or a few hundred). */
  readonly propertyRuns?: number;
  readonly seed?: number;
  /** Replay a property failure: fast-check's path to its counterexample (with `seed`, `propertyRuns` and a `filter` selecting its case). */
  readonly replayPath?: string;
  /** Only the cases whose name or rule ids match (the other rules are reported as failing "not run"). */
  readonly filter?: string;
  /**
   * The isolation layer: 'bwrap' (namespaces), 'permission' (Node's permission model) or 'auto'
   * (bwrap when it works here, else permission; the default, or MMKIT_SANDBOX). Both run under
   * rlimits in a process group killed at the end; conformance/README.md says what each guarantees.
   */
  readonly sandbox?: 'auto' | 'bwrap' | 'permission';
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

/** The host a figure was measured on (os.cpus(), process.version). */
export interface HostMachine {
  /** The first CPU's model name (os.cpus()[0].model), 'unknown CPU' when the host hides it. */
  readonly cpuModel: string;
  /** Logical CPUs the host reports (os.availableParallelism()). */
  readonly cpus: number;
  /** process.version. */
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
}

/** How a throughput figure was taken: warm-up, then the median of `rounds` rounds of `roundMs` each. */
export interface ThroughputMethod {
  readonly warmupMs: number;
  readonly rounds: number;
  readonly roundMs: number;
}

export interface Throughput {
  /** The simulated machine the figures come from. */
  readonly machine: string;
  /** alloc+free pairs per second, by order (the median of the rounds). */
  readonly order0OpsPerSec: number;
  readonly order3OpsPerSec: number;
  readonly ms: number;
  /** The host it ran on. */
  readonly host?: HostMachine;
  readonly method?: ThroughputMethod;
  /** Each round's figure, in the order they ran. */
  readonly order0Rounds?: readonly number[];
  readonly order3Rounds?: readonly number[];
  /** The reference implementation measured in the same run, its rounds interleaved with these. */
  readonly reference?: { readonly order0OpsPerSec: number; readonly order3OpsPerSec: number };
}

/**
 * The pageblocks of the machine (zone spans, pageblock_nr_pages pages each) after the
 * fragmentation workload: migratetype (get_pageblock_migratetype(), -1 for a block in no
 * zone), free pages, and whether the block holds an allocation of another migratetype (the
 * "mixed" pageblocks anti-fragmentation tries to avoid).
 */
export interface PageblockMap {
  readonly startPfn: number;
  readonly pagesPerBlock: number;
  readonly migratetype: readonly number[];
  readonly freePages: readonly number[];
  readonly mixed: readonly number[];
}

/** What the fragmentation workload left, for one implementation. */
export interface FragmentationState {
  readonly freePages: number;
  readonly largestFreeOrder: number;
  readonly freeBlocksPerOrder: readonly number[];
  readonly unusableFreeIndex: { readonly order: number; readonly value: number };
  /** FNV-1a (32 bits, hex) of every pfn the workload's allocations returned, in order: equal hashes, equal allocation decisions. */
  readonly allocationHash?: string;
  readonly pageblocks?: PageblockMap;
}

export interface Fragmentation extends FragmentationState {
  readonly machine: string;
  readonly seed: number;
  readonly steps: number;
  /** Pages still allocated by the workload when measured. */
  readonly allocatedPages: number;
  /** The reference implementation under the same workload and seed. */
  readonly reference?: FragmentationState;
}

/** Object-allocator throughput (kmem_cache and kmalloc), for a report. */
export interface SlabThroughput {
  readonly machine: string;
  /** kmem_cache_alloc+kmem_cache_free pairs per second on a 64-byte cache (the median of the rounds). */
  readonly cacheOpsPerSec: number;
  /** kmalloc+kfree pairs per second over sizes 8..4096. */
  readonly kmallocOpsPerSec: number;
  readonly ms: number;
  readonly host?: HostMachine;
  readonly method?: ThroughputMethod;
  readonly cacheRounds?: readonly number[];
  readonly kmallocRounds?: readonly number[];
  /** The reference (SLUB) measured in the same run. */
  readonly reference?: { readonly cacheOpsPerSec: number; readonly kmallocOpsPerSec: number };
}

/** What the object workload left (measureSlabFragmentation()), for one implementation. */
export interface SlabFragmentationState {
  /** Objects in use, summed over every cache's slabinfo (active_objs). */
  readonly activeObjs: number;
  /** Objects the caches' slabs hold (num_objs): activeObjs / numObjs is how full the slabs are. */
  readonly numObjs: number;
  /** Pages the slabs of every cache hold. */
  readonly slabPages: number;
  /** FNV-1a (32 bits, hex) of every address the workload's allocations returned, in order: equal hashes, equal allocation decisions. */
  readonly allocationHash: string;
  /** FNV-1a of every cache's slabinfo (in creation order) and each zone's free pages after the workload. */
  readonly stateHash: string;
}

export interface SlabFragmentation extends SlabFragmentationState {
  readonly machine: string;
  readonly seed: number;
  readonly steps: number;
  /** Each reference implementation (SLUB, the default, then SLAB) under the same workload and seed. */
  readonly references?: readonly (SlabFragmentationState & { readonly implementation: string })[];
}

/** A graded module's allocation decisions against the reference's (with the bench). */
export interface Fingerprint {
  /** FNV-1a of every pfn (page allocator) or object address (slab allocator) the workload's allocations returned, in order. */
  readonly allocationHash: string;
  /** The same hash of the reference it matched, or of the default reference. */
  readonly referenceAllocationHash: string;
  /** That reference implementation (@mmkit/buddy; @mmkit/slub or @mmkit/slab). */
  readonly reference?: string;
  /** The same decisions and the same state after them (free lists; slabinfo) as a reference: delegation to it, or a copy of it. */
  readonly sameAsReference: boolean;
}

/** How the submission was isolated, and what it did that the grader refused or kept apart. */
export interface SandboxReport {
  /** The layer that ran: 'bwrap' (namespaces) or 'permission' (Node's permission model), each under rlimits. */
  readonly layer: 'bwrap' | 'permission';
  /** memoryMb: the V8 heap limit; addressSpaceMb: RLIMIT_AS of the whole process (memoryMb plus what node reserves at start). */
  readonly limits: { readonly memoryMb: number; readonly addressSpaceMb: number; readonly cpuSeconds: number; readonly wallMs: number; readonly fileMb: number };
  /** What the submission tried that the grader ignored and counts against it (forged report lines, changed built-ins). */
  readonly violations: string[];
  /** What the submission printed (kept up to 16 KiB each), never read as a report. */
  stdout: string;
  stderr: string;
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
  readonly slabFragmentation?: SlabFragmentation;
  /** A run-level problem: load failure, timeout, crash, violation. */
  readonly error?: string;
  /**
   * The module could not be loaded (a missing file or package, a syntax error, no factory
   * export, a throwing top level): what is wrong and how to fix it, one or two lines. The CLI
   * prints it and exits 2.
   */
  readonly loadError?: string;
  /** A module's allocation decisions against the reference's (with the bench): a course can flag delegation. */
  readonly fingerprint?: Fingerprint;
  /** The sandbox the submission ran in (absent when the grader could not start one). */
  readonly sandbox?: SandboxReport;
  readonly durationMs: number;
}

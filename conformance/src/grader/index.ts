export { grade, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS } from './grade.js';
export { hostLabel, hostMachine, measureFragmentation, measureSlabFragmentation, measureSlabThroughput, measureThroughput, unusableFreeIndex, type ThroughputOptions } from './bench.js';
export { pickFactory } from './load.js';
export type { ContractId, Fingerprint, Fragmentation, FragmentationState, GradeContract, HostMachine, PageblockMap, ThroughputMethod, GradeOptions, GradeReport, RuleReport, SandboxReport, Score, SlabFragmentation, SlabFragmentationState, SlabThroughput, Throughput } from './types.js';

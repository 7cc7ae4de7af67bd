export { grade, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS } from './grade.js';
export { measureFragmentation, measureSlabThroughput, measureThroughput, unusableFreeIndex } from './bench.js';
export { pickFactory } from './load.js';
export type { ContractId, Fragmentation, GradeContract, GradeOptions, GradeReport, RuleReport, Score, SlabThroughput, Throughput } from './types.js';

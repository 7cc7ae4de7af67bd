export { grade, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS } from './grade.js';
export { measureFragmentation, measureThroughput, unusableFreeIndex } from './bench.js';
export { pickFactory } from './load.js';
export type { Fragmentation, GradeContract, GradeOptions, GradeReport, RuleReport, Score, Throughput } from './types.js';

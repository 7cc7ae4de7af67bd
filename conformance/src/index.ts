/**
 * @mmkit/conformance: the rule catalogue, suites written against the contracts, mutants of the
 * reference implementations, and the grader with its report formats.
 */
export { RULES, BUDDY_RULES, SLAB_RULES, ruleById, rulesForContract, ruleTableMarkdown, type Rule, type RuleSource } from './rules/index.js';
export {
  runSuite, aggregateRules, checkSuiteCoverage, defaultPropertyRuns, failureMessage,
  type CaseContext, type CaseResult, type CaseStatus, type FeatureSet, type RuleStatus, type RuleVerdict,
  type RunSuiteOptions, type Suite, type SuiteCase,
} from './suite.js';
export { pageAllocatorSuite, type PageAllocatorUnderTest } from './contracts/page-allocator/suite/index.js';
export { slabAllocatorSuite, type SlabAllocatorUnderTest } from './contracts/slab-allocator/suite/index.js';
export { MUTANTS, BUDDY_MUTANTS, SLAB_MUTANTS, mutantById, type Mutant } from './mutants/index.js';
export { SEED_CHANGELOG, seedEntryById, seedCoverage, seedSummary, seedSummaryLine, seedTableMarkdown, type SeedEntry, type SeedCoverage, type SeedSubsystem, type SeedSummary, type SubjectEvidence } from './seed/index.js';
export {
  grade, measureFragmentation, measureSlabThroughput, measureThroughput, unusableFreeIndex, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS,
  CONTRACT_NAMES, resolveContract,
  type ContractId, type Fragmentation, type GradeContract, type GradeOptions, type GradeReport, type RuleReport, type Score,
  type SlabThroughput, type Throughput,
} from './grader/index.js';
export { formatText, formatJson, formatJunit, formatHtml, scoreLine } from './report/index.js';
export * as assert from './assert.js';
export { AssertionFailure } from './assert.js';

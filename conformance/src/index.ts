/**
 * @mmkit/conformance: the registry of contracts (rules, suites written against the contracts,
 * mutants loaded on demand), the seed changelog, and the grader with its report formats. The
 * mutants themselves, which import the reference implementations, are the separate entry
 * `@mmkit/conformance/mutants`.
 */
export {
  RULES, BUDDY_RULES, SLAB_RULES, MMAP_RULES, LEGACY_RULE_IDS, RETIRED_RULE_IDS, ruleById, caseConfig, debugOptionsOf, ruleConfigText, rulesForContract, ruleTableMarkdown, sourceLinks, sourceMarkdown, type Rule, type RuleConfig, type RuleSource,
} from './rules/index.js';
export { defineContract, type AnyContract, type ContractBench, type ContractDescriptor } from './contract.js';
export { CONTRACTS, CONTRACT_NAMES, contractByName, allRules, allMutants, mutantById, contractTableMarkdown, mutantTableMarkdown } from './contracts/index.js';
export {
  runSuite, aggregateRules, checkSuiteCoverage, defaultPropertyRuns, failureMessage, failureDetails,
  type AssertionDetails, type CaseFailure, type CaseContext, type CaseResult, type CaseStatus, type FeatureSet, type RuleStatus, type RuleVerdict,
  type RunSuiteOptions, type Suite, type SuiteCase,
} from './suite.js';
export { pageAllocatorSuite, type PageAllocatorUnderTest } from './contracts/page-allocator/suite/index.js';
export { slabAllocatorSuite, type SlabAllocatorUnderTest } from './contracts/slab-allocator/suite/index.js';
export { mmapSuite, type AddressSpacesUnderTest } from './contracts/mmap/suite/index.js';
export type { Mutant, MutantOf } from './mutants/types.js';
export { SEED_CHANGELOG, seedEntryById, seedCoverage, seedSummary, seedSummaryLine, seedTableMarkdown, type SeedEntry, type SeedCoverage, type SeedSubsystem, type SeedSummary, type SubjectEvidence } from './seed/index.js';
export {
  grade, measureFragmentation, measureSlabFragmentation, measureSlabThroughput, measureThroughput, unusableFreeIndex, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS,
  type ContractId, type Fragmentation, type FragmentationState, type GradeContract, type HostMachine, type PageblockMap, type GradeOptions, type GradeReport, type RuleReport, type Score,
  type SlabFragmentation, type SlabFragmentationState, type SlabThroughput, type Throughput,
} from './grader/index.js';
export { SKELETONS, skeletonOf, type ContractSkeleton, type SkeletonMember } from './skeleton/index.js';
export {
  formatText, formatJson, formatJunit, formatHtml, scoreLine, toReportJson, validateJson, GRADE_REPORT_SCHEMA, REPORT_SCHEMA_VERSION,
  type GradeReportJson, type JsonSchema, type TextOptions,
} from './report/index.js';
export { checkProperty, PropertyFailure, type CheckPropertyOptions, type OperationLog, type PropertyFailureDetails, type PropertyReplay } from './property.js';
export {
  gradeBatch, listSubmissions, submissionModule, parseShard, shareOf, shardText, mergeGradebooks, asGradebook, formatGradebookCsv, formatGradebookJson, csvField,
  namesHash, defaultJobs, BatchInputError, GradebookMergeError, GRADEBOOK_SCHEMA, GRADEBOOK_SCHEMA_VERSION, GRADEBOOK_CSV_COLUMNS,
  type BatchEvent, type BatchOptions, type Gradebook, type GradebookEntry, type GradebookSettings, type Shard, type ShardFile, type Submission,
} from './batch/index.js';
export * as assert from './assert.js';
export { AssertionFailure } from './assert.js';

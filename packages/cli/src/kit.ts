/**
 * What the CLI uses of @mmkit/conformance, as one value: main() takes it as a parameter, so a
 * test can run the CLI on another registry (a copy with one more contract) without editing a
 * line of the CLI. Nothing in the CLI names a contract: it lists and looks them up here.
 */
import * as conformance from '@mmkit/conformance';

export type ConformanceKit = Pick<
  typeof conformance,
  | 'CONTRACTS' | 'CONTRACT_NAMES' | 'contractByName' | 'allMutants' | 'mutantById' | 'grade' | 'formatText' | 'formatJson' | 'formatJunit' | 'formatHtml' | 'skeletonOf'
  | 'gradeBatch' | 'parseShard' | 'mergeGradebooks' | 'formatGradebookJson' | 'formatGradebookCsv'
>;

export const DEFAULT_KIT: ConformanceKit = conformance;

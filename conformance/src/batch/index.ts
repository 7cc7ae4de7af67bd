/** Batches: grade a directory of submissions (or a shard of it) into a gradebook; merge shards. */
export { gradeBatch, defaultJobs, BatchInputError, type BatchEvent, type BatchOptions } from './run.js';
export { listSubmissions, submissionModule, type Submission } from './submissions.js';
export { parseShard, shareOf, shardText, WHOLE, type Shard } from './shard.js';
export {
  entryFromReport, formatGradebookCsv, formatGradebookJson, csvField, namesHash, GRADEBOOK_CSV_COLUMNS, GRADEBOOK_SCHEMA_VERSION,
  type Gradebook, type GradebookEntry, type GradebookSettings,
} from './gradebook.js';
export { GRADEBOOK_SCHEMA } from './gradebook-schema.js';
export { mergeGradebooks, asGradebook, GradebookMergeError, type ShardFile } from './merge.js';

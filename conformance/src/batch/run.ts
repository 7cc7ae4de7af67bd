/**
 * gradeBatch(): grade every submission of a batch directory (or one shard's share of them) with
 * a pool of concurrent grade() runs, each in its own sandbox, into a gradebook.
 */
import os from 'node:os';
import path from 'node:path';
import { contractByName, CONTRACT_NAMES } from '../contracts/index.js';
import { hostMachine } from '../grader/bench.js';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, grade as gradeInSandbox } from '../grader/grade.js';
import type { GradeOptions, GradeReport } from '../grader/types.js';
import { entryFromReport, entryWithoutReport, GRADEBOOK_SCHEMA_VERSION, namesHash, sortEntries, type Gradebook, type GradebookEntry, type GradebookSettings } from './gradebook.js';
import { shareOf, WHOLE, type Shard } from './shard.js';
import { listSubmissions, submissionModule, type Submission } from './submissions.js';

export type BatchEvent =
  | { readonly type: 'start'; readonly students: readonly string[]; readonly jobs: number; readonly casesPerSubmission: number; readonly shard: Shard; readonly batchSize: number }
  | { readonly type: 'submission-start'; readonly student: string }
  | { readonly type: 'case'; readonly student: string; readonly caseName: string; readonly casesDone: number }
  | { readonly type: 'submission-done'; readonly student: string; readonly entry: GradebookEntry; readonly finished: number };

export interface BatchOptions {
  /** A contract of the registry by id or alias. */
  readonly contract: string;
  /** The batch directory: one folder per submission. */
  readonly dir: string;
  /** Grade only this share (default: all). */
  readonly shard?: Shard;
  /** Concurrent grades (default: os.availableParallelism()). */
  readonly jobs?: number;
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
  readonly bench?: boolean;
  readonly propertyRuns?: number;
  readonly seed?: number;
  readonly filter?: string;
  /** What grades one submission (default: grade(), the sandboxed grader); tests pass another. */
  readonly grade?: (options: GradeOptions) => Promise<GradeReport>;
  readonly onEvent?: (event: BatchEvent) => void;
  /** Each submission's full report, as it finishes (to keep them beside the gradebook). */
  readonly onReport?: (student: string, report: GradeReport) => void | Promise<void>;
}

export function defaultJobs(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : Math.max(1, os.cpus().length);
}

/** Bad batch input (an unknown contract, a directory that cannot be read, bad numbers): one line. */
export class BatchInputError extends Error {
  override readonly name = 'BatchInputError';
}

export async function gradeBatch(options: BatchOptions): Promise<Gradebook> {
  const spec = contractByName(options.contract);
  if (!spec) throw new BatchInputError(`unknown contract '${options.contract}': the grader knows ${CONTRACT_NAMES.join(', ')}`);
  const shard = options.shard ?? WHOLE;
  const jobs = options.jobs ?? defaultJobs();
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new BatchInputError(`jobs must be a positive integer, got ${jobs}`);
  let all: Submission[];
  try {
    all = listSubmissions(options.dir);
  } catch (err) {
    throw new BatchInputError((err as Error).message);
  }
  const mine = shareOf(all, shard);
  const filter = options.filter !== undefined ? new RegExp(options.filter) : undefined;
  const cases = spec.suite.cases.filter((c) => !filter || filter.test(c.name) || c.rules.some((r) => filter.test(r)));
  const gradedRules = filter ? spec.rules.filter((r) => cases.some((c) => c.rules.includes(r.id))).map((r) => r.id) : spec.rules.map((r) => r.id);
  const settings: GradebookSettings = {
    ...(options.filter !== undefined ? { filter: options.filter } : {}),
    ...(options.propertyRuns !== undefined ? { propertyRuns: options.propertyRuns } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    bench: options.bench ?? true,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB,
  };
  const grade = options.grade ?? gradeInSandbox;
  const emit = options.onEvent ?? (() => undefined);
  emit({ type: 'start', students: mine.map((s) => s.student), jobs, casesPerSubmission: cases.length, shard, batchSize: all.length });

  const entries: GradebookEntry[] = [];
  let next = 0;
  const gradeOne = async (s: Submission): Promise<GradebookEntry> => {
    const found = submissionModule(s.folder);
    if ('error' in found) return entryWithoutReport(s.student, gradedRules, found.error);
    let casesDone = 0;
    const report = await grade({
      contract: spec.id,
      module: found.module,
      timeoutMs: settings.timeoutMs,
      memoryMb: settings.memoryMb,
      bench: settings.bench,
      ...(settings.propertyRuns !== undefined ? { propertyRuns: settings.propertyRuns } : {}),
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
      ...(settings.filter !== undefined ? { filter: settings.filter } : {}),
      onCase: (result) => emit({ type: 'case', student: s.student, caseName: result.name, casesDone: ++casesDone }),
    });
    await options.onReport?.(s.student, report);
    return entryFromReport(s.student, path.relative(s.folder, found.module), report);
  };
  const worker = async () => {
    while (next < mine.length) {
      const s = mine[next++];
      emit({ type: 'submission-start', student: s.student });
      let entry: GradebookEntry;
      try {
        entry = await gradeOne(s);
      } catch (err) {
        // grade() throws only for the grader's own problems; the batch goes on and says so.
        entry = entryWithoutReport(s.student, gradedRules, `the grader failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      entries.push(entry);
      emit({ type: 'submission-done', student: s.student, entry, finished: entries.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, mine.length)) }, worker));
  return {
    schemaVersion: GRADEBOOK_SCHEMA_VERSION,
    kind: 'mmkit-gradebook',
    contract: spec.id,
    settings,
    submissions: { count: all.length, namesHash: namesHash(all.map((s) => s.student)) },
    shards: [shard],
    complete: shard.count === 1,
    hosts: [hostMachine()],
    entries: sortEntries(entries),
  };
}

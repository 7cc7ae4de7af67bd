/**
 * The gradebook of a batch: a row per submission (student, score, rules failed, throughput,
 * fingerprint, duration) as JSON (what shards hand to merge-reports) and CSV (what a course
 * loads into its spreadsheet).
 */
import { createHash } from 'node:crypto';
import type { GradeReport, HostMachine, Score } from '../grader/types.js';
import type { Shard } from './shard.js';

export const GRADEBOOK_SCHEMA_VERSION = 1;

export interface GradebookEntry {
  readonly student: string;
  /** The module graded (relative to the submission folder), absent when none was found. */
  readonly module?: string;
  readonly implementation?: string;
  readonly score: Score;
  /** The ids of the rules that failed, in the contract's order. */
  readonly rulesFailed: readonly string[];
  /** The contract's headline throughput (order-0 alloc+free pairs/s; kmem_cache pairs/s for an object allocator). */
  readonly throughput?: number;
  /** That throughput over the reference's, measured in the same run. */
  readonly throughputVsReference?: number;
  /** The fragmentation workload's allocation hash: equal hashes, equal allocation decisions. */
  readonly fingerprint?: string;
  /** The fingerprint equals the reference's: the submission allocates exactly as the reference does (maybe by delegating to it). */
  readonly sameAsReference?: boolean;
  /** A run-level problem (no module, load failure, timeout, crash), on one line. */
  readonly error?: string;
  readonly durationMs: number;
}

/** How the batch graded: merge-reports refuses shards graded differently. */
export interface GradebookSettings {
  readonly filter?: string;
  readonly propertyRuns?: number;
  readonly seed?: number;
  readonly bench: boolean;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

export interface Gradebook {
  readonly schemaVersion: typeof GRADEBOOK_SCHEMA_VERSION;
  readonly kind: 'mmkit-gradebook';
  readonly contract: string;
  readonly settings: GradebookSettings;
  /** Every submission of the batch directory (all shards): how many, and a hash of their sorted names. */
  readonly submissions: { readonly count: number; readonly namesHash: string };
  /** The shards this gradebook holds (one for a shard's output, several after a merge). */
  readonly shards: readonly Shard[];
  /** Whether every shard of the batch is in (a merge of all of them, or a run of the whole batch). */
  readonly complete: boolean;
  readonly hosts: readonly HostMachine[];
  readonly entries: readonly GradebookEntry[];
}

/** sha256 of the sorted names, 16 hex digits: two shards that listed different folders disagree on it. */
export function namesHash(students: readonly string[]): string {
  return createHash('sha256').update(students.join('\n')).digest('hex').slice(0, 16);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function entryFromReport(student: string, module: string | undefined, report: GradeReport): GradebookEntry {
  const t = report.throughput;
  const st = report.slabThroughput;
  const throughput = t ? t.order0OpsPerSec : st ? st.cacheOpsPerSec : undefined;
  const reference = t ? t.reference?.order0OpsPerSec : st ? st.reference?.cacheOpsPerSec : undefined;
  // The report's fingerprint (a module's, with the bench); else the hashes of the figures.
  const fingerprint = report.fingerprint?.allocationHash ?? report.fragmentation?.allocationHash ?? report.slabFragmentation?.allocationHash;
  const sameAsReference = report.fingerprint?.sameAsReference ?? (report.fragmentation?.reference?.allocationHash ? fingerprint === report.fragmentation.reference.allocationHash : undefined);
  const problem = (report as { loadError?: string }).loadError ?? report.error;
  return {
    student,
    ...(module ? { module } : {}),
    implementation: report.implementation,
    score: report.score,
    rulesFailed: report.rules.filter((r) => r.status === 'fail').map((r) => r.id),
    ...(throughput !== undefined ? { throughput } : {}),
    ...(throughput !== undefined && reference ? { throughputVsReference: Math.round((throughput / reference) * 100) / 100 } : {}),
    ...(fingerprint ? { fingerprint } : {}),
    ...(fingerprint && sameAsReference !== undefined ? { sameAsReference } : {}),
    ...(problem ? { error: oneLine(problem) } : {}),
    durationMs: report.durationMs,
  };
}

/** An entry for a submission that could not be graded at all (no module found): every graded rule fails. */
export function entryWithoutReport(student: string, ruleIds: readonly string[], error: string): GradebookEntry {
  return {
    student,
    score: { passed: 0, failed: ruleIds.length, notProvided: 0, total: ruleIds.length, percent: 0 },
    rulesFailed: [...ruleIds],
    error: oneLine(error),
    durationMs: 0,
  };
}

export function sortEntries(entries: readonly GradebookEntry[]): GradebookEntry[] {
  return [...entries].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}

export function formatGradebookJson(book: Gradebook): string {
  return `${JSON.stringify(book, null, 2)}\n`;
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; a leading =, +, - or @ is prefixed with ' so a spreadsheet does not run it. */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const GRADEBOOK_CSV_COLUMNS = [
  'student', 'percent', 'passed', 'failed', 'not_provided', 'total', 'rules_failed',
  'throughput', 'throughput_vs_reference', 'fingerprint', 'same_as_reference', 'duration_s', 'error',
] as const;

export function formatGradebookCsv(book: Gradebook): string {
  const rows = [GRADEBOOK_CSV_COLUMNS.join(',')];
  for (const e of book.entries) {
    const s = e.score;
    rows.push(
      [
        e.student, s.percent, s.passed, s.failed, s.notProvided, s.total, e.rulesFailed.join(' '),
        e.throughput, e.throughputVsReference, e.fingerprint, e.sameAsReference, (e.durationMs / 1000).toFixed(1), e.error,
      ].map(csvField).join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}

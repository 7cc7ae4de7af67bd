/**
 * What a report knows about a failure beyond its message: the failed assertion and a property's
 * counterexample (`failure`, rendered by failure-text.ts), then any other field a case result or
 * a rule's failure carries besides the ones every report has (notes, and whatever later fields
 * say), rendered as labelled text by every format.
 */
import type { GradeReport, RuleReport } from '../grader/types.js';
import type { CaseResult } from '../suite.js';
import { failureDetailLines } from './failure-text.js';

export interface Detail {
  /** '' for the assertion and counterexample block, which labels its own lines. */
  readonly label: string;
  readonly text: string;
}

const CASE_FIELDS = new Set(['name', 'rules', 'status', 'message', 'ms', 'failure']);
const FAILURE_FIELDS = new Set(['case', 'message', 'failure']);

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  return JSON.stringify(value, null, 2) ?? String(value);
}

function extras(obj: object, known: ReadonlySet<string>): Detail[] {
  const out: Detail[] = [];
  for (const [label, value] of Object.entries(obj)) {
    if (known.has(label) || value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out.push({ label, text: asText(value) });
  }
  return out;
}

/** The case results of a report by name (a Map: case names are data). */
export function casesByName(report: GradeReport): Map<string, CaseResult> {
  return new Map(report.cases.map((c) => [c.name, c]));
}

/** The assertion block of one failure of a rule, then the other fields of the failure and of the case it comes from. */
export function failureDetails(failure: RuleReport['failures'][number], cases: ReadonlyMap<string, CaseResult>): Detail[] {
  const result = cases.get(failure.case);
  const block = failureDetailLines(failure.failure ?? result?.failure);
  const own = extras(failure, FAILURE_FIELDS);
  const seen = new Set(own.map((d) => d.label));
  return [
    ...(block.length ? [{ label: '', text: block.join('\n') }] : []),
    ...own,
    ...(result ? extras(result, CASE_FIELDS).filter((d) => !seen.has(d.label)) : []),
  ];
}

/** Details as text lines: the block as it is, a labelled field as "label: value". */
export function detailLines(details: readonly Detail[]): string[] {
  return details.flatMap((d) => (d.label ? `${d.label}: ${d.text}` : d.text).split('\n'));
}

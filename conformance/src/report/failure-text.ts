/**
 * A failure as text a student can act on: the case, its message, the assertion with its
 * expected and actual values in full, and for a property case the shrunk input as the calls the
 * suite made. Shared by the text report (wrapped to the terminal), JUnit's failure bodies and
 * the HTML report's failure blocks.
 */
import type { CaseFailure } from '../suite.js';
import type { GradeReport } from '../grader/types.js';

/** Wrap one paragraph to `width` columns, breaking at spaces (a word longer than a line is split). */
export function wrapLine(text: string, width: number): string[] {
  const w = Math.max(20, width);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      out.push(line);
      line = rest;
    }
  }
  out.push(line);
  return out;
}

/** Wrap every line of `text` to `width` columns (its own line breaks kept). */
export function wrap(text: string, width: number): string[] {
  return text.split('\n').flatMap((l) => wrapLine(l, width));
}

/** Indent every line of a block. */
function indent(lines: readonly string[], by: string): string[] {
  return lines.map((l) => (l ? `${by}${l}` : l));
}

/** A value's lines after a label (`expected: [`), continuation lines aligned under the value. */
function labelled(label: string, value: string): string[] {
  const [first, ...rest] = value.split('\n');
  return [`${label}${first}`, ...indent(rest, ' '.repeat(label.length))];
}

/**
 * The details of one failure (no wrapping: long values keep their own line breaks):
 * assertion, expected, actual, first difference, and a property's calls and replay.
 */
export function failureDetailLines(failure: CaseFailure | undefined): string[] {
  if (!failure) return [];
  const lines: string[] = [];
  const a = failure.assertion;
  if (a && (a.operator !== 'fail' || a.expected !== undefined || a.actual !== undefined)) {
    lines.push(`assertion: ${a.operator}`);
    if (a.expected !== undefined) lines.push(...indent(labelled('expected: ', a.expected), '  '));
    if (a.actual !== undefined) lines.push(...indent(labelled('actual:   ', a.actual), '  '));
    if (a.difference) lines.push(`  ${a.difference}`);
  }
  const p = failure.property;
  if (p) {
    const times = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    lines.push(`counterexample, shrunk ${times(p.shrinks, 'time', 'times')} after ${times(p.runs, 'random run', 'random runs')} (seed ${p.seed}, path ${p.path})${p.reproduced ? '' : ', NOT reproduced when run again'}:`);
    lines.push(...indent(p.operations.flatMap((o) => o.split('\n')), '  '));
  }
  return lines;
}

/** One failing case as a block: its case name, message and details. */
export function failureBlock(f: { case: string; message: string; failure?: CaseFailure }): string {
  return [`case: ${f.case}`, f.message, ...failureDetailLines(f.failure)].join('\n');
}

/**
 * The text report's failure section: each failing case once (several rules may fail from one
 * case), with the rules it fails, its message wrapped to `width`, and the details in full.
 * Without `verbose`, each failing rule's first failing case; with it, every failing case.
 */
export function failureSectionText(report: GradeReport, opts: { width: number; verbose: boolean }): string[] {
  const byCase = new Map<string, { rules: string[]; message: string; failure?: CaseFailure }>();
  for (const r of report.rules) {
    if (r.status !== 'fail') continue;
    for (const f of opts.verbose ? r.failures : r.failures.slice(0, 1)) {
      const seen = byCase.get(f.case);
      if (seen) seen.rules.push(r.id);
      else byCase.set(f.case, { rules: [r.id], message: f.message, ...(f.failure ? { failure: f.failure } : {}) });
    }
  }
  // A run-level problem (load failure, timeout, crash) fails every case alike: it is said once at the top.
  const entries = [...byCase].filter(([, v]) => !(report.error && v.message === report.error));
  if (!entries.length) return [];
  const out: string[] = ['', 'FAILURES'];
  for (const [name, v] of entries) {
    out.push('');
    out.push(...wrap(`${v.rules.join(', ')}: ${name}`, opts.width));
    out.push(...indent(wrap(v.message, opts.width - 2), '  '));
    out.push(...indent(failureDetailLines(v.failure), '  '));
  }
  return out;
}

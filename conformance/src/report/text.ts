/**
 * The text report: a table of rules whose FIRST FAILURE column wraps to the width (never cut),
 * then each failing case with its assertion's expected and actual values and a property's
 * counterexample (failure-text.ts), the score and the figures. `verbose`: every failing case of
 * every rule, and every case with its time and notes.
 */
import type { GradeReport, RuleReport } from '../grader/types.js';
import { ruleConfigText } from '../rules/config.js';
import { oneLine } from './escape.js';
import { failureSectionText, wrapLine } from './failure-text.js';
import { figureLines } from './figures.js';

const STATUS_TEXT: Record<RuleReport['status'], string> = { pass: 'PASS', fail: 'FAIL', 'not-provided': 'N/A ' };

export function title(report: GradeReport): string {
  const m = report.mutant;
  return m && !report.implementation.includes(m) ? `${report.implementation} (mutant ${m})` : report.implementation;
}

/** "score: 27/27 rules (100%)", with the rules not provided apart. */
export function scoreLine(report: GradeReport): string {
  const s = report.score;
  const graded = s.total - s.notProvided;
  return `score: ${s.passed}/${graded} rules (${s.percent}%)${s.notProvided ? `, ${s.notProvided} not provided` : ''}`;
}

export interface TextOptions {
  /** Line width (default 160). */
  readonly width?: number;
  /** Every failing case of every rule, and every case with its time and notes. */
  readonly verbose?: boolean;
}

export function formatText(report: GradeReport, opts: TextOptions = {}): string {
  const width = opts.width ?? 160;
  const verbose = opts.verbose ?? false;
  const idWidth = Math.max(...report.rules.map((r) => r.id.length), 4);
  const lines: string[] = [];
  lines.push(`${report.contract} conformance: ${title(report)}`);
  if (report.error) lines.push(...wrapLine(`error: ${oneLine(report.error)}`, width));
  lines.push('');
  const configs = report.rules.map((r) => ruleConfigText(r.config));
  const cfgWidth = Math.max(...configs.map((c) => c.length), 0);
  const cfgHead = cfgWidth ? `${'CONFIG'.padEnd(cfgWidth)}  ` : '';
  lines.push(`${'STATUS'.padEnd(6)}  ${'RULE'.padEnd(idWidth)}  ${cfgHead}FIRST FAILURE`);
  const column = 6 + 2 + idWidth + 2 + (cfgWidth ? cfgWidth + 2 : 0);
  report.rules.forEach((r, i) => {
    const first = r.failures[0];
    const detail = r.status === 'fail' && first ? oneLine(`${first.message}${r.failures.length > 1 ? ` (+${r.failures.length - 1} more)` : ''}`) : '';
    const cfg = cfgWidth ? `${configs[i].padEnd(cfgWidth)}  ` : '';
    const [head, ...rest] = detail ? wrapLine(detail, Math.max(40, width - column)) : [''];
    lines.push(`${STATUS_TEXT[r.status].padEnd(6)}  ${r.id.padEnd(idWidth)}  ${cfg}${head}`.trimEnd());
    for (const more of rest) lines.push(`${' '.repeat(column)}${more}`);
  });
  if (cfgWidth) lines.push('', 'CONFIG: the kernel configuration the rule holds under, turned on to check it (blank: 4.17 defaults, every debug option off)');
  lines.push(...failureSectionText(report, { width, verbose }));
  if (verbose) {
    lines.push('', 'CASES');
    for (const c of report.cases) {
      lines.push(`${STATUS_TEXT[c.status].padEnd(6)}  ${`${c.ms.toFixed(0)} ms`.padStart(8)}  ${c.name} [${c.rules.join(', ')}]`);
      for (const n of c.notes ?? []) lines.push(...wrapLine(`note: ${n}`, width - 18).map((l) => `${' '.repeat(18)}${l}`));
    }
  }
  lines.push('');
  lines.push(scoreLine(report));
  lines.push(...figureLines(report));
  if (report.fingerprint?.sameAsReference) {
    const f = report.fingerprint;
    const state = report.contract === 'page-allocator' ? 'free lists' : 'slabinfo';
    lines.push(`fingerprint: the same allocation decisions and ${state} as the reference${f.reference ? ` ${f.reference}` : ''} (allocation hash ${f.allocationHash}): delegation to it, or a copy`);
  }
  if (report.sandbox) lines.push(...sandboxLines(report.sandbox, width));
  lines.push(`duration: ${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

/** Which sandbox ran, what the submission tried, and what it printed (indented, never mistaken for the report). */
function sandboxLines(sandbox: NonNullable<GradeReport['sandbox']>, width: number): string[] {
  const lines = [`sandbox: ${sandbox.layer}, ${sandbox.limits.memoryMb} MiB, ${Math.round(sandbox.limits.wallMs / 1000)} s`];
  for (const v of sandbox.violations) lines.push(...wrapLine(`violation: ${oneLine(v)}`, width));
  for (const [name, text] of [['stdout', sandbox.stdout], ['stderr', sandbox.stderr]] as const) {
    if (!text) continue;
    const shown = text.split('\n').filter((l) => l.length).slice(0, 20);
    lines.push(`the submission's ${name}${shown.length < text.split('\n').filter((l) => l.length).length ? ' (first 20 lines; all of it in --json)' : ''}:`);
    for (const l of shown) lines.push(`  | ${l.slice(0, width - 4)}`);
  }
  return lines;
}

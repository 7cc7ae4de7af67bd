/**
 * Formatters of a GradeReport: text (a table per rule), JSON, JUnit XML (one testsuite, one
 * testcase per rule) and a single self-contained HTML page.
 */
import type { GradeReport, RuleReport } from '../grader/types.js';
import { ruleConfigText } from '../rules/config.js';
import { failureBlock, failureDetailLines, failureSectionText, wrapLine } from './failure-text.js';

export { failureBlock, failureDetailLines, failureSectionText, wrap, wrapLine } from './failure-text.js';

const STATUS_TEXT: Record<RuleReport['status'], string> = { pass: 'PASS', fail: 'FAIL', 'not-provided': 'N/A ' };

function title(report: GradeReport): string {
  const m = report.mutant;
  return m && !report.implementation.includes(m) ? `${report.implementation} (mutant ${m})` : report.implementation;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** "score: 27/27 rules (100%)", with the rules not provided apart. */
export function scoreLine(report: GradeReport): string {
  const s = report.score;
  const graded = s.total - s.notProvided;
  return `score: ${s.passed}/${graded} rules (${s.percent}%)${s.notProvided ? `, ${s.notProvided} not provided` : ''}`;
}

/**
 * The text report: a table of rules whose FIRST FAILURE column wraps to `width` (default 160),
 * then each failing case with its assertion's expected and actual values and a property's
 * counterexample. `verbose`: every failing case of every rule, and every case with its time and notes.
 */
export function formatText(report: GradeReport, opts: { width?: number; verbose?: boolean } = {}): string {
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
  if (report.throughput) {
    const t = report.throughput;
    lines.push(`throughput (${t.machine}): order-0 ${t.order0OpsPerSec.toLocaleString('en-US')} alloc+free/s, order-3 ${t.order3OpsPerSec.toLocaleString('en-US')} alloc+free/s`);
  }
  if (report.slabThroughput) {
    const t = report.slabThroughput;
    lines.push(`throughput (${t.machine}): kmem_cache ${t.cacheOpsPerSec.toLocaleString('en-US')} alloc+free/s, kmalloc ${t.kmallocOpsPerSec.toLocaleString('en-US')} alloc+free/s`);
  }
  if (report.fragmentation) {
    const f = report.fragmentation;
    lines.push(
      `fragmentation (${f.machine}, ${f.steps} random steps, seed ${f.seed}): ${f.freePages} free pages, largest free order ${f.largestFreeOrder}, unusable free space index (order ${f.unusableFreeIndex.order}) ${f.unusableFreeIndex.value.toFixed(3)}`,
    );
  }
  lines.push(`duration: ${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: GradeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Characters XML 1.0 cannot carry.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function ruleSeconds(report: GradeReport, id: string): number {
  return report.cases.filter((c) => c.rules.includes(id)).reduce((n, c) => n + c.ms, 0) / 1000;
}

export function formatJunit(report: GradeReport): string {
  const s = report.score;
  const name = `${report.contract} conformance: ${title(report)}`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${escapeXml(name)}" tests="${s.total}" failures="${s.failed}" skipped="${s.notProvided}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  );
  out.push(
    `  <testsuite name="${escapeXml(name)}" tests="${s.total}" failures="${s.failed}" errors="0" skipped="${s.notProvided}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="implementation" value="${escapeXml(report.implementation)}"/>`);
  if (report.mutant) out.push(`      <property name="mutant" value="${escapeXml(report.mutant)}"/>`);
  out.push(`      <property name="score" value="${escapeXml(scoreLine(report))}"/>`);
  if (report.error) out.push(`      <property name="error" value="${escapeXml(report.error)}"/>`);
  out.push('    </properties>');
  for (const r of report.rules) {
    const head = `    <testcase classname="${escapeXml(`${report.contract}.${r.id.split('.').slice(0, 2).join('.')}`)}" name="${escapeXml(r.id)}" time="${ruleSeconds(report, r.id).toFixed(3)}"`;
    const config = r.config ? `\n      <properties><property name="config" value="${escapeXml(ruleConfigText(r.config))}"/></properties>` : '';
    const configLine = r.config ? `\nconfig: ${ruleConfigText(r.config)}` : '';
    if (r.status === 'pass') {
      out.push(config ? `${head}>${config}\n    </testcase>` : `${head}/>`);
    } else if (r.status === 'not-provided') {
      out.push(`${head}>${config}\n      <skipped message="not provided: the implementation does not declare this optional feature"/>\n    </testcase>`);
    } else {
      const message = r.failures[0]?.message ?? 'failed';
      const body = r.failures.map((f) => failureBlock(f)).join('\n\n');
      out.push(`${head}>${config}\n      <failure message="${escapeXml(oneLine(message))}" type="RuleFailure">${escapeXml(`${r.text}\nsource: ${r.source.kind}: ${r.source.ref}${configLine}\n\n${body}`)}</failure>\n    </testcase>`);
    }
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function formatHtml(report: GradeReport): string {
  const heading = `${report.contract} conformance: ${title(report)}`;
  const rows = report.rules
    .map((r) => {
      const failures = r.failures.length
        ? `<ul>${r.failures.map((f) => `<li><b>${escapeHtml(f.case)}</b>: ${escapeHtml(f.message)}${f.failure ? `<pre class="detail">${escapeHtml(failureDetailLines(f.failure).join('\n'))}</pre>` : ''}</li>`).join('')}</ul>`
        : '';
      const config = r.config ? `<br><span class="cfg">holds under ${escapeHtml(ruleConfigText(r.config))}</span>` : '';
      return `<tr class="${r.status}"><td class="st">${r.status}</td><td><code>${escapeHtml(r.id)}</code>${config}</td><td>${escapeHtml(r.text)}${failures}</td><td class="src">${escapeHtml(`${r.source.kind}: ${r.source.ref}`)}</td></tr>`;
    })
    .join('\n');
  const figures: string[] = [];
  if (report.throughput) {
    const t = report.throughput;
    figures.push(`<li>Throughput (${escapeHtml(t.machine)}): order-0 <b>${t.order0OpsPerSec.toLocaleString('en-US')}</b> alloc+free/s, order-3 <b>${t.order3OpsPerSec.toLocaleString('en-US')}</b> alloc+free/s</li>`);
  }
  if (report.slabThroughput) {
    const t = report.slabThroughput;
    figures.push(`<li>Throughput (${escapeHtml(t.machine)}): kmem_cache <b>${t.cacheOpsPerSec.toLocaleString('en-US')}</b> alloc+free/s, kmalloc <b>${t.kmallocOpsPerSec.toLocaleString('en-US')}</b> alloc+free/s</li>`);
  }
  if (report.fragmentation) {
    const f = report.fragmentation;
    figures.push(
      `<li>Fragmentation (${escapeHtml(f.machine)}, ${f.steps} random steps, seed ${f.seed}): ${f.freePages} free pages, largest free order ${f.largestFreeOrder}, unusable free space index (order ${f.unusableFreeIndex.order}) <b>${f.unusableFreeIndex.value.toFixed(3)}</b>; free blocks per order ${escapeHtml(f.freeBlocksPerOrder.join(' '))}</li>`,
    );
  }
  const caseRows = report.cases
    .map((c) => `<tr class="${c.status}"><td class="st">${c.status}</td><td>${escapeHtml(c.name)}</td><td>${c.ms.toFixed(0)} ms</td><td>${escapeHtml(c.message)}</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(heading)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
.score { font-size: 1.2em; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
tr.pass td.st { background: #d9f2d9; }
tr.fail td.st { background: #f7d4d4; }
tr.not-provided td.st { background: #eee; }
td.src { color: #555; font-size: 12px; }
.error { color: #a00; font-weight: bold; }
code { font-size: 13px; }
pre.detail { font-size: 12px; background: #f8f8f8; padding: 4px; overflow-x: auto; white-space: pre; }
</style>
</head>
<body>
<h1>${escapeHtml(heading)}</h1>
<p class="score">${escapeHtml(scoreLine(report))}</p>
${report.error ? `<p class="error">${escapeHtml(report.error)}</p>` : ''}
<ul>${figures.join('\n')}<li>Duration: ${(report.durationMs / 1000).toFixed(1)} s</li></ul>
<h2>Rules</h2>
<table>
<tr><th>status</th><th>rule</th><th>semantics and failures</th><th>source</th></tr>
${rows}
</table>
<h2>Cases</h2>
<table>
<tr><th>status</th><th>case</th><th>time</th><th>message</th></tr>
${caseRows}
</table>
</body>
</html>
`;
}

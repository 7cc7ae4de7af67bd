/**
 * The HTML report: one self-contained page (no script, no external resource). A failure
 * summary comes first (each failing rule with its first assertion, linked to its row), then the
 * figures as inline SVG (throughput and free blocks per order against the reference, the
 * pageblocks by migratetype after the fragmentation workload), then every rule and case.
 */
import type { GradeReport } from '../grader/types.js';
import { ruleConfigText } from '../rules/config.js';
import { casesByName, failureDetails, type Detail } from './details.js';
import { escapeHtml } from './escape.js';
import { figureLines, measuredOn, ratioText } from './figures.js';
import { barChartSvg, pageblockMapSvg, type Series } from './svg.js';
import { scoreLine, title } from './text.js';

const IMPL_COLOR = '#4e79a7';
const REF_COLOR = '#bab0ac';

/** An id attribute for a rule's row (rule ids are dotted words). */
function ruleAnchor(id: string): string {
  return `rule-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

function detailsHtml(details: readonly Detail[]): string {
  return details.map((d) => `<div class="detail">${d.label ? `<span class="label">${escapeHtml(d.label)}</span>` : ''}<pre>${escapeHtml(d.text)}</pre></div>`).join('');
}

function failureSummary(report: GradeReport): string {
  const failing = report.rules.filter((r) => r.status === 'fail');
  const cases = casesByName(report);
  if (failing.length === 0) {
    const none = report.rules.length === 0 ? 'No rule was graded.' : 'Every graded rule passes.';
    return `<section id="summary" class="summary pass"><h2>Failures</h2><p class="all-pass">${none}</p></section>`;
  }
  // A run-level problem (load failure, timeout, crash) fails every unfinished case with its own
  // message: said once, with the rules that failed only because of it, instead of once a rule.
  const runError = report.error;
  const byRun = runError ? failing.filter((r) => r.failures.length > 0 && r.failures.every((f) => f.message === runError)) : [];
  const own = failing.filter((r) => !byRun.includes(r));
  const items = own
    .map((r) => {
      const first = r.failures[0];
      const more = r.failures.length > 1 ? `<p class="more">and ${r.failures.length - 1} more failing case${r.failures.length > 2 ? 's' : ''} (in the rule's row below)</p>` : '';
      const body = first ? `<p class="case">in <b>${escapeHtml(first.case)}</b></p><pre class="assertion">${escapeHtml(first.message)}</pre>${detailsHtml(failureDetails(first, cases))}` : '';
      return `<li class="failing-rule" data-rule="${escapeHtml(r.id)}"><a href="#${ruleAnchor(r.id)}"><code>${escapeHtml(r.id)}</code></a>: ${escapeHtml(r.text)}${body}${more}</li>`;
    })
    .join('\n');
  const run = runError
    ? `<div class="run-error"><p>The run stopped: <b>${escapeHtml(runError)}</b></p>${
        byRun.length
          ? `<p>${byRun.length} rule${byRun.length > 1 ? 's' : ''} failed only because of it: ${byRun.map((r) => `<a href="#${ruleAnchor(r.id)}"><code>${escapeHtml(r.id)}</code></a>`).join(', ')}</p>`
          : ''
      }</div>`
    : '';
  return `<section id="summary" class="summary fail"><h2>Failures: ${failing.length} rule${failing.length > 1 ? 's' : ''}</h2>
${run}${items ? `<ol class="failures">\n${items}\n</ol>` : ''}</section>`;
}

function figuresSection(report: GradeReport): string {
  const parts: string[] = [];
  const impl: Omit<Series, 'values'> = { name: title(report), key: 'impl', color: IMPL_COLOR };
  const ref: Omit<Series, 'values'> = { name: 'reference', key: 'ref', color: REF_COLOR };
  const t = report.throughput;
  if (t) {
    const series: Series[] = [{ ...impl, values: [t.order0OpsPerSec, t.order3OpsPerSec] }];
    if (t.reference) series.push({ ...ref, values: [t.reference.order0OpsPerSec, t.reference.order3OpsPerSec] });
    const notes = t.reference ? [ratioText(t.order0OpsPerSec, t.reference.order0OpsPerSec), ratioText(t.order3OpsPerSec, t.reference.order3OpsPerSec)].map((s) => s.replace(' the reference', '')) : undefined;
    parts.push(
      `<figure>${barChartSvg({ id: 'throughput', title: 'Throughput against the reference', categories: ['order-0', 'order-3'], series, yLabel: 'alloc+free pairs/s', width: 420, notes })}<figcaption>alloc+free pairs per second (${escapeHtml(measuredOn(t.machine, t.method, t.host))})</figcaption></figure>`,
    );
  }
  const st = report.slabThroughput;
  if (st) {
    const series: Series[] = [{ ...impl, values: [st.cacheOpsPerSec, st.kmallocOpsPerSec] }];
    if (st.reference) series.push({ ...ref, name: 'reference (SLUB)', values: [st.reference.cacheOpsPerSec, st.reference.kmallocOpsPerSec] });
    const notes = st.reference ? [ratioText(st.cacheOpsPerSec, st.reference.cacheOpsPerSec), ratioText(st.kmallocOpsPerSec, st.reference.kmallocOpsPerSec)].map((s) => s.replace(' the reference', '')) : undefined;
    parts.push(
      `<figure>${barChartSvg({ id: 'throughput', title: 'Throughput against the reference', categories: ['kmem_cache 64 B', 'kmalloc 8..4096 B'], series, yLabel: 'alloc+free pairs/s', width: 420, notes })}<figcaption>alloc+free pairs per second (${escapeHtml(measuredOn(st.machine, st.method, st.host))})</figcaption></figure>`,
    );
  }
  const f = report.fragmentation;
  if (f) {
    const categories = f.freeBlocksPerOrder.map((_, o) => String(o));
    const series: Series[] = [{ ...impl, values: f.freeBlocksPerOrder }];
    if (f.reference) series.push({ ...ref, values: f.reference.freeBlocksPerOrder });
    parts.push(
      `<figure>${barChartSvg({ id: 'free-blocks', title: 'Free blocks per order after the fragmentation workload', categories, series, yLabel: 'free blocks', scale: 'log' })}<figcaption>order (x) against free blocks of that order (y), all zones, after ${f.steps} random steps with seed ${f.seed} on ${escapeHtml(f.machine)}; unusable free space index for order ${f.unusableFreeIndex.order}: <b>${f.unusableFreeIndex.value.toFixed(3)}</b>${f.reference ? ` (reference ${f.reference.unusableFreeIndex.value.toFixed(3)})` : ''}</figcaption></figure>`,
    );
    const maps: string[] = [];
    if (f.pageblocks) maps.push(pageblockMapSvg({ id: 'pageblocks', title: 'Pageblocks by migratetype: graded', map: f.pageblocks }));
    if (f.reference?.pageblocks) maps.push(pageblockMapSvg({ id: 'pageblocks-reference', title: 'Pageblocks by migratetype: reference', map: f.reference.pageblocks }));
    if (maps.length) {
      const pb = f.pageblocks ?? f.reference!.pageblocks!;
      parts.push(
        `<figure class="maps">${maps.join('\n')}<figcaption>${pb.migratetype.length} pageblocks of ${pb.pagesPerBlock} pages from pfn 0x${pb.startPfn.toString(16)}, in pfn order (left to right, top to bottom), after the fragmentation workload</figcaption></figure>`,
      );
    }
  }
  if (!parts.length) return '';
  return `<section id="figures"><h2>Figures</h2>
${parts.join('\n')}
<ul class="figures">${figureLines(report).filter((l) => !l.startsWith(' ')).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
</section>`;
}

export function formatHtml(report: GradeReport): string {
  const heading = `${report.contract} conformance: ${title(report)}`;
  const cases = casesByName(report);
  const rows = report.rules
    .map((r) => {
      const failures = r.failures.length
        ? `<ul>${r.failures.map((f) => `<li><b>${escapeHtml(f.case)}</b>: <pre class="assertion">${escapeHtml(f.message)}</pre>${detailsHtml(failureDetails(f, cases))}</li>`).join('')}</ul>`
        : '';
      const config = r.config ? `<br><span class="cfg">holds under ${escapeHtml(ruleConfigText(r.config))}</span>` : '';
      return `<tr class="${r.status}" id="${ruleAnchor(r.id)}"><td class="st">${r.status}</td><td><code>${escapeHtml(r.id)}</code>${config}</td><td>${escapeHtml(r.text)}${failures}</td><td class="src">${escapeHtml(`${r.source.kind}: ${r.source.ref}`)}</td></tr>`;
    })
    .join('\n');
  const caseRows = report.cases
    .map((c) => `<tr class="${c.status}"><td class="st">${c.status}</td><td>${escapeHtml(c.name)}</td><td>${c.ms.toFixed(0)} ms</td><td><pre class="message">${escapeHtml(c.message)}</pre></td></tr>`)
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
.summary { border: 1px solid #ddd; border-left: 6px solid #c33; padding: 0.5em 1em; margin: 1em 0; }
.summary.pass { border-left-color: #3a3; }
.summary h2 { margin: 0.3em 0; font-size: 1.15em; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0.3em 0; font-size: 13px; }
pre.assertion { background: #fbeaea; padding: 4px 6px; }
.detail .label { font-size: 12px; color: #555; }
.detail pre { background: #f6f6f6; padding: 4px 6px; }
figure { display: inline-table; vertical-align: top; margin: 0.5em 1.5em 1em 0; }
figure.maps svg { margin-right: 1em; }
figcaption { display: table-caption; caption-side: bottom; font-size: 12px; color: #555; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
tr.pass td.st { background: #d9f2d9; }
tr.fail td.st { background: #f7d4d4; }
tr.not-provided td.st { background: #eee; }
td.src { color: #555; font-size: 12px; }
.error { color: #a00; font-weight: bold; }
code { font-size: 13px; }
</style>
</head>
<body>
<h1>${escapeHtml(heading)}</h1>
<p class="score">${escapeHtml(scoreLine(report))}</p>
${report.error ? `<p class="error">${escapeHtml(report.error)}</p>` : ''}
${failureSummary(report)}
${figuresSection(report)}
<p class="duration">Duration: ${(report.durationMs / 1000).toFixed(1)} s</p>
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

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GRADE_REPORT_SCHEMA, REPORT_SCHEMA_VERSION, formatHtml, formatJson, formatJunit, formatText, validateJson } from '../src/index.js';
import { MIGRATETYPE_COLORS, barChartSvg, compactNumber, tickStep } from '../src/report/svg.js';
import { LONG_ASSERTION, SAMPLE_MIGRATETYPES, sampleReport } from './support/sample-report.js';

const schemaFile = fileURLToPath(new URL('../schema/grade-report.schema.json', import.meta.url));

/** The attributes of every `<tag ...>` in `xml` whose class list has `cls`. */
function elements(xml: string, tag: string, cls?: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of xml.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    if (!cls || (attrs.class ?? '').split(/\s+/).includes(cls)) out.push(attrs);
  }
  return out;
}

/** The <svg> whose data-chart is `id`. */
function chart(html: string, id: string): string {
  const m = new RegExp(`<svg [^>]*data-chart="${id}"[\\s\\S]*?</svg>`).exec(html);
  if (!m) throw new Error(`no chart ${id}`);
  return m[0];
}

describe('JSON report', () => {
  it('carries its schema version and validates against the published schema', () => {
    const json = JSON.parse(formatJson(sampleReport())) as Record<string, unknown>;
    expect(json.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(Object.keys(json)[0]).toBe('schemaVersion');
    expect(validateJson(json, GRADE_REPORT_SCHEMA)).toEqual([]);
    const bare = sampleReport({ throughput: undefined, fragmentation: undefined, supports: undefined });
    expect(validateJson(JSON.parse(formatJson(bare)), GRADE_REPORT_SCHEMA)).toEqual([]);
  });

  it('the schema finds what is wrong with a report that is not one', () => {
    const json = JSON.parse(formatJson(sampleReport())) as Record<string, unknown>;
    const { score: _score, ...noScore } = json;
    expect(validateJson(noScore, GRADE_REPORT_SCHEMA)).toEqual(["(the document): the property 'score' is missing"]);
    expect(validateJson({ ...json, schemaVersion: 2 }, GRADE_REPORT_SCHEMA)).toEqual(['.schemaVersion: expected 1, got 2']);
    expect(validateJson({ ...json, verdict: 'pass' }, GRADE_REPORT_SCHEMA)).toEqual(['.verdict: a property the schema does not define']);
    const rules = (json.rules as Record<string, unknown>[]).map((r, i) => (i === 1 ? { ...r, status: 'passed' } : r));
    expect(validateJson({ ...json, rules }, GRADE_REPORT_SCHEMA)).toEqual(['.rules[1].status: expected one of "pass", "fail", "not-provided", got "passed"']);
    const f = json.fragmentation as Record<string, unknown>;
    expect(validateJson({ ...json, fragmentation: { ...f, allocationHash: 'xyz' } }, GRADE_REPORT_SCHEMA)).toEqual(['.fragmentation.allocationHash: "xyz" does not match /^[0-9a-f]{8}$/']);
  });

  it('is published as conformance/schema/grade-report.schema.json (MMKIT_UPDATE_SCHEMA=1 rewrites it)', () => {
    const text = `${JSON.stringify(GRADE_REPORT_SCHEMA, null, 2)}\n`;
    if (process.env.MMKIT_UPDATE_SCHEMA) writeFileSync(schemaFile, text);
    expect(readFileSync(schemaFile, 'utf8')).toBe(text);
  });
});

describe('JUnit report', () => {
  const xml = formatJunit(sampleReport());
  it('has one testcase per rule, skipped for a rule not provided', () => {
    expect(elements(xml, 'testcase').map((t) => t.name)).toEqual(['page-allocator.free.double-free', 'page-allocator.free.coalesce', 'page-allocator.alloc.atomic-reserves']);
    expect(xml).toMatch(/name="page-allocator.alloc.atomic-reserves"[^>]*>\s*<skipped message="not provided/);
    expect(elements(xml, 'testsuite')[0]).toMatchObject({ tests: '3', failures: '1', skipped: '1' });
  });

  it('gives a failure the whole assertion text as its message and every failure with its details in the body', () => {
    const failure = elements(xml, 'failure')[0];
    expect(failure.message).toBe(LONG_ASSERTION);
    const body = /<failure [^>]*>([\s\S]*?)<\/failure>/.exec(xml)![1];
    expect(body).toContain('case: free: buddies merge across orders\nexpected 1 block of order 3, got 2 blocks of order 2');
    expect(body).toContain('first difference at index 0: expected 3, got 14');
    expect(body).toContain('notes: freed 262144 pages in 4 batches');
  });
});

describe('text report', () => {
  it('wraps a long failure instead of cutting it', () => {
    const text = formatText(sampleReport(), { width: 100 });
    expect(text).not.toContain('…');
    const rows = text.split('\n');
    const first = rows.findIndex((l) => l.startsWith('FAIL'));
    expect(rows.slice(first, first + 4).every((l) => l.length <= 100)).toBe(true);
    const joined = rows.slice(first, first + 6).map((l) => l.slice(l.startsWith('FAIL') ? l.indexOf('after') : 0).trim()).join(' ');
    expect(joined.replace(/\s+/g, ' ')).toContain(LONG_ASSERTION);
    expect(text.replace(/\s+/g, ' ')).toContain('(+1 more)');
  });

  it('--verbose shows every failure and its details; the figures name the reference and the host', () => {
    expect(formatText(sampleReport())).not.toContain('free: buddies merge across orders');
    const text = formatText(sampleReport(), { verbose: true });
    expect(text).toContain('page-allocator.free.coalesce: free: buddies merge across orders\n  expected 1 block of order 3');
    expect(text).toContain('first difference at index 0: expected 3, got 14');
    expect(text).toContain('note: freed 262144 pages in 4 batches');
    expect(text).toContain('order-0 4,000,000 alloc+free/s (0.50× the reference)');
    expect(text).toContain("  measured on Test CPU ×2, node v20.20.0, linux x64: the median of 5 rounds of 30 ms after 100 ms warm-up, the reference's rounds interleaved");
    expect(text).toContain('unusable free space index (order 9) 0.147 (reference 0.056)');
  });
});

describe('HTML report', () => {
  const html = formatHtml(sampleReport());

  it('opens with a failure summary: each failing rule with its assertion, before the figures and the tables', () => {
    const summary = html.indexOf('id="summary"');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(html.indexOf('id="figures"'));
    expect(html.indexOf('id="figures"')).toBeLessThan(html.indexOf('<h2>Rules</h2>'));
    const items = elements(html, 'li', 'failing-rule');
    expect(items.map((i) => i['data-rule'])).toEqual(['page-allocator.free.coalesce']);
    const section = html.slice(summary, html.indexOf('</section>', summary));
    expect(section).toContain('Failures: 1 rule');
    expect(section).toContain(`<pre class="assertion">${LONG_ASSERTION}</pre>`);
    expect(section).toContain('first difference at index 0: expected 3, got 14');
    expect(section).toContain('<span class="label">notes</span><pre>freed 262144 pages in 4 batches</pre>');
    expect(section).toContain('href="#rule-page-allocator.free.coalesce"');
    expect(html).toContain('id="rule-page-allocator.free.coalesce"');
    const passing = formatHtml(sampleReport({ rules: [sampleReport().rules[0]] }));
    expect(passing).toContain('Every graded rule passes.');
  });

  it('says a run-level problem once, with the rules that failed only because of it', () => {
    const base = sampleReport();
    const error = 'timeout: the run did not finish within 3000 ms';
    const timedOut = { ...base.rules[0], id: 'page-allocator.free.double-free', status: 'fail' as const, failures: [{ case: 'free: double free', message: error }] };
    const page = formatHtml({ ...base, error, rules: [timedOut, base.rules[1], base.rules[2]] });
    const summary = page.slice(page.indexOf('id="summary"'), page.indexOf('</section>'));
    expect(summary).toContain('Failures: 2 rules');
    expect(summary).toContain(`The run stopped: <b>${error}</b>`);
    expect(summary).toContain('1 rule failed only because of it: <a href="#rule-page-allocator.free.double-free">');
    expect(elements(summary, 'li', 'failing-rule').map((i) => i['data-rule'])).toEqual(['page-allocator.free.coalesce']);
  });

  it('is one self-contained page: no script, no external resource', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });

  it('draws throughput against the reference: a bar per order and side, heights in proportion', () => {
    const svg = chart(html, 'throughput');
    const bars = elements(svg, 'rect', 'bar');
    expect(bars.map((b) => `${b['data-category']}/${b['data-series']}=${b['data-value']}`)).toEqual([
      'order-0/impl=4000000', 'order-0/ref=8000000', 'order-3/impl=1000000', 'order-3/ref=2000000',
    ]);
    const h = bars.map((b) => Number(b.height));
    expect(h[0] / h[1]).toBeCloseTo(0.5, 2);
    expect(h[2] / h[3]).toBeCloseTo(0.5, 1);
    expect(h[1]).toBeGreaterThan(h[0]);
    // bars stand on the axis
    const axis = Number(elements(svg, 'line', 'axis')[0].y1);
    for (const b of bars) expect(Number(b.y) + Number(b.height)).toBeCloseTo(axis, 0);
    expect(elements(svg, 'text', 'note').length).toBe(2);
    expect(svg).toContain('0.50×');
  });

  it('draws free blocks per order against the reference on a log scale', () => {
    const svg = chart(html, 'free-blocks');
    const bars = elements(svg, 'rect', 'bar');
    expect(bars.length).toBe(11 * 2);
    const byKey = new Map(bars.map((b) => [`${b['data-category']}/${b['data-series']}`, b]));
    expect(byKey.get('0/impl')!['data-value']).toBe('7008');
    expect(byKey.get('10/ref')!['data-value']).toBe('56');
    expect(Number(byKey.get('2/impl')!.height)).toBe(0);
    const height = (k: string) => Number(byKey.get(k)!.height);
    expect(height('0/impl')).toBeGreaterThan(height('0/ref'));
    expect(height('10/impl')).toBeGreaterThan(0);
    // log10(1 + v): 56 blocks stand about half as high as 7008
    expect(height('10/ref') / height('0/impl')).toBeCloseTo(Math.log10(57) / Math.log10(7009), 2);
    expect(svg).toContain('free blocks (log scale)');
  });

  it('maps the pageblocks by migratetype, the graded one and the reference, with the mixed block marked', () => {
    for (const id of ['pageblocks', 'pageblocks-reference']) {
      const svg = chart(html, id);
      const cells = elements(svg, 'rect', 'pb');
      expect(cells.length).toBe(SAMPLE_MIGRATETYPES.length);
      cells.forEach((c, i) => {
        const mt = SAMPLE_MIGRATETYPES[i];
        expect(c['data-migratetype']).toBe(String(mt));
        expect(c.fill).toBe(mt < 0 ? '#ffffff' : MIGRATETYPE_COLORS[mt]);
      });
      // a full block is solid, an empty one pale
      const free = cells.map((c) => Number(c['data-free']));
      const opacity = cells.map((c) => Number(c['fill-opacity']));
      const full = free.indexOf(0);
      const empty = free.indexOf(512);
      expect(opacity[full]).toBe(1);
      expect(opacity[empty]).toBeCloseTo(0.25, 2);
      const mixed = elements(svg, 'circle', 'mixed');
      expect(mixed.map((m) => m['data-block'])).toEqual(id === 'pageblocks' ? ['10'] : []);
      expect(elements(svg, 'text', 'legend').map((t) => t.class)).toHaveLength(4);
      expect(svg).toMatch(/>Unmovable<.*>Movable<.*>Reclaimable</s);
    }
  });

  it('leaves out the figures a report does not carry', () => {
    const bare = formatHtml(sampleReport({ throughput: undefined, fragmentation: undefined }));
    expect(bare).not.toContain('<svg');
    expect(bare).not.toContain('id="figures"');
  });
});

describe('SVG helpers', () => {
  it('picks round gridline steps and compact labels', () => {
    expect(tickStep(7008)).toBe(2000);
    expect(tickStep(8_000_000)).toBe(2_000_000);
    expect(tickStep(9)).toBe(2.5);
    expect(tickStep(0)).toBe(1);
    expect(compactNumber(8_219_208)).toBe('8.2M');
    expect(compactNumber(12_000_000)).toBe('12M');
    expect(compactNumber(742)).toBe('742');
    expect(compactNumber(25_000)).toBe('25k');
  });

  it('escapes names and draws an empty series without failing', () => {
    const svg = barChartSvg({ id: 'x', title: 'a <b> & "c"', categories: ['<0>'], series: [{ name: 'n&m', key: 'impl', color: '#000', values: [] }], yLabel: 'y' });
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(elements(svg, 'rect', 'bar')[0]).toMatchObject({ 'data-category': '&lt;0&gt;', 'data-value': '0', height: '0' });
  });
});

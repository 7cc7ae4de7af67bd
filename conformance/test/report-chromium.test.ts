/**
 * The HTML report as a browser draws it: headless Chromium (the Debian package `chromium`, or
 * MMKIT_CHROMIUM=/path/to/chrome) loads the page with a probe script appended (the report
 * itself has none), which measures what was laid out and painted; --dump-dom hands the
 * measurements back. Skipped, saying so, where Chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHtml } from '../src/index.js';
import { SAMPLE_MIGRATETYPES, sampleReport } from './support/sample-report.js';

function findChromium(): string | undefined {
  const candidates = process.env.MMKIT_CHROMIUM ? [process.env.MMKIT_CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const c of candidates) {
    const dirs = c.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter);
    for (const d of dirs) {
      const file = d ? path.join(d, c) : c;
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const PROBE = `<script>
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top + scrollY, left: r.left, width: r.width, height: r.height, right: r.right }; };
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const marks = (sel) => [...svg.querySelectorAll(sel)].map((el) => ({ ...box(el), fill: getComputedStyle(el).fill, opacity: getComputedStyle(el).fillOpacity, data: { ...el.dataset } }));
    return { id: svg.dataset.chart, box: box(svg), bars: marks('rect.bar'), cells: marks('rect.pb'), mixed: marks('circle.mixed'), texts: [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, ...box(t) })) };
  });
  const summary = document.getElementById('summary');
  const out = { charts, summary: summary && box(summary), summaryText: summary && summary.innerText, pageWidth: document.documentElement.scrollWidth, scripts: document.scripts.length };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`;

interface Mark { top: number; left: number; width: number; height: number; right: number; fill: string; opacity: string; data: Record<string, string> }
interface Probe {
  charts: { id: string; box: Mark; bars: Mark[]; cells: Mark[]; mixed: Mark[]; texts: { text: string; width: number }[] }[];
  summary: Mark | null;
  summaryText: string | null;
  pageWidth: number;
  scripts: number;
}

const chromium = findChromium();
const skipNote = chromium ? '' : ' (skipped: Chromium is not installed; apt-get install chromium, or set MMKIT_CHROMIUM)';
if (!chromium) console.warn(`report-chromium.test.ts${skipNote}`);

describe.skipIf(!chromium)(`the HTML report in headless Chromium${skipNote}`, () => {
  let dir: string;
  let probe: Probe;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mmkit-html-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, formatHtml(sampleReport()).replace('</body>', `${PROBE}\n</body>`));
    const args = ['--headless', '--disable-gpu', '--hide-scrollbars', '--window-size=1280,2000', `--user-data-dir=${path.join(dir, 'profile')}`, '--dump-dom', pathToFileURL(file).href];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox'); // Chromium refuses to run as root with its sandbox
    const r = spawnSync(chromium!, args, { encoding: 'utf8', timeout: 90_000 });
    const m = /<pre id="probe">([\s\S]*?)<\/pre>/.exec(r.stdout ?? '');
    if (!m) throw new Error(`chromium printed no probe (status ${r.status}): ${(r.stderr ?? '').slice(-500)}`);
    probe = JSON.parse(m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Probe;
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const chartOf = (id: string) => {
    const c = probe.charts.find((x) => x.id === id);
    if (!c) throw new Error(`no chart ${id} drawn`);
    return c;
  };

  it('draws the failure summary above every figure', () => {
    expect(probe.summary!.height).toBeGreaterThan(50);
    expect(probe.summaryText).toContain('page-allocator.free.coalesce');
    for (const c of probe.charts) expect(c.box.top).toBeGreaterThan(probe.summary!.top + probe.summary!.height - 1);
  });

  it('lays out the four figures with a size, within the page', () => {
    expect(probe.charts.map((c) => c.id).sort()).toEqual(['free-blocks', 'pageblocks', 'pageblocks-reference', 'throughput']);
    for (const c of probe.charts) {
      expect(c.box.width, c.id).toBeGreaterThan(300);
      expect(c.box.height, c.id).toBeGreaterThan(80);
      expect(c.box.right, c.id).toBeLessThanOrEqual(probe.pageWidth);
    }
  });

  it('paints throughput bars against the reference in two colours, the reference twice as tall', () => {
    const bars = chartOf('throughput').bars;
    expect(bars).toHaveLength(4);
    const [impl0, ref0] = bars;
    expect(impl0.fill).not.toBe(ref0.fill);
    expect(impl0.height).toBeGreaterThan(10);
    expect(ref0.height / impl0.height).toBeCloseTo(2, 1);
    expect(Math.abs(impl0.top + impl0.height - (ref0.top + ref0.height))).toBeLessThan(1); // same baseline
  });

  it('paints free blocks per order, a zero order as no bar', () => {
    const bars = chartOf('free-blocks').bars;
    expect(bars).toHaveLength(22);
    const visible = bars.filter((b) => b.height >= 1).map((b) => `${b.data.category}/${b.data.series}`);
    expect(visible).toEqual(['0/impl', '0/ref', '1/impl', '10/impl', '10/ref']);
  });

  it('paints one cell per pageblock, coloured by migratetype, with the mixed block dotted', () => {
    const c = chartOf('pageblocks');
    expect(c.cells).toHaveLength(SAMPLE_MIGRATETYPES.length);
    const fills = new Map<string, Set<string>>();
    c.cells.forEach((cell, i) => {
      expect(cell.width).toBeGreaterThan(5);
      const mt = String(SAMPLE_MIGRATETYPES[i]);
      if (!fills.has(mt)) fills.set(mt, new Set());
      fills.get(mt)!.add(cell.fill);
    });
    expect(fills.get('0')).toEqual(new Set(['rgb(214, 39, 40)']));
    expect(fills.get('1')).toEqual(new Set(['rgb(44, 160, 44)']));
    expect(fills.get('2')).toEqual(new Set(['rgb(31, 119, 180)']));
    expect(c.mixed).toHaveLength(1);
    const cell = c.cells[10];
    expect(c.mixed[0].left).toBeGreaterThanOrEqual(cell.left);
    expect(c.mixed[0].right).toBeLessThanOrEqual(cell.right);
    expect(chartOf('pageblocks-reference').mixed).toHaveLength(0);
  });
});

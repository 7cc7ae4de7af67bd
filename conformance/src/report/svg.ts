/**
 * The report's pictures, drawn as inline SVG (no chart library, no script): grouped bar charts
 * (free blocks per order, throughput, each against the reference) and a map of pageblocks by
 * migratetype. Every mark carries its data (data-* attributes) and a <title> tooltip, so a test
 * can check the picture against the numbers and a reader can hover for the exact value.
 */
import { escapeXml } from './escape.js';

export interface Series {
  /** Shown in the legend and tooltips. */
  readonly name: string;
  /** A CSS-safe key: the bars' class `s-KEY` and data-series. */
  readonly key: string;
  readonly color: string;
  readonly values: readonly number[];
}

export interface BarChart {
  /** data-chart of the <svg> (e.g. 'free-blocks'). */
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** A label above each category (e.g. "0.95×"). */
  readonly notes?: readonly string[];
  /** 'log': log10(1 + value), gridlines at powers of ten (counts spanning several decades). Default 'linear'. */
  readonly scale?: 'linear' | 'log';
}

/** 8219208 -> "8.2M", 742 -> "742". */
export function compactNumber(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(Math.round(n));
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten at or above `max` / `ticks`, for gridlines. */
export function tickStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const f1 = (n: number) => (Math.round(n * 10) / 10).toString();

export function barChartSvg(chart: BarChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 260;
  const left = 64;
  const right = 12;
  const top = 48;
  const bottom = 30;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(0, ...chart.series.flatMap((s) => s.values));
  const log = chart.scale === 'log';
  let ticks: number[];
  let yMax: number;
  if (log) {
    yMax = 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(1, max))));
    ticks = [0];
    for (let v = 1; v <= yMax; v *= 10) ticks.push(v);
  } else {
    const step = tickStep(max);
    yMax = Math.max(step, Math.ceil(max / step) * step);
    ticks = [];
    for (let i = 0; i * step <= yMax + step / 2; i++) ticks.push(i * step);
  }
  const frac = (v: number) => (log ? Math.log10(1 + Math.max(0, v)) / Math.log10(1 + yMax) : Math.max(0, v) / yMax);
  const y = (v: number) => top + plotH - frac(v) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeXml(chart.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
  );
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  // Gridlines and the y axis's labels.
  for (const v of ticks) {
    out.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${f1(y(v))}" y2="${f1(y(v))}" stroke="#ddd" stroke-width="1"/>`);
    out.push(`<text class="tick" x="${left - 6}" y="${f1(y(v) + 4)}" text-anchor="end" font-size="11" fill="#555">${compactNumber(v)}</text>`);
  }
  const yLabel = `${chart.yLabel}${log ? ' (log scale)' : ''}`;
  out.push(`<text class="axis-label" x="12" y="${f1(top + plotH / 2)}" transform="rotate(-90 12 ${f1(top + plotH / 2)})" text-anchor="middle" font-size="11" fill="#555">${escapeXml(yLabel)}</text>`);
  out.push(`<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333" stroke-width="1"/>`);
  // Bars, grouped by category.
  const groupW = plotW / Math.max(1, chart.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  chart.categories.forEach((cat, c) => {
    const gx = left + c * groupW + groupW * 0.1;
    chart.series.forEach((s, i) => {
      const v = s.values[c] ?? 0;
      const x = gx + i * barW;
      const yTop = y(v);
      out.push(
        `<rect class="bar s-${s.key}" data-series="${s.key}" data-category="${escapeXml(cat)}" data-value="${v}" x="${f1(x)}" y="${f1(yTop)}" width="${f1(Math.max(1, barW - 1))}" height="${f1(top + plotH - yTop)}" fill="${s.color}"><title>${escapeXml(`${cat}, ${s.name}: ${v.toLocaleString('en-US')}`)}</title></rect>`,
      );
    });
    out.push(`<text class="category" x="${f1(left + c * groupW + groupW / 2)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(cat)}</text>`);
    const note = chart.notes?.[c];
    if (note) {
      const highest = Math.min(...chart.series.map((s) => y(s.values[c] ?? 0)));
      out.push(`<text class="note" x="${f1(left + c * groupW + groupW / 2)}" y="${f1(Math.max(top - 2, highest - 5))}" text-anchor="middle" font-size="11" font-weight="bold" fill="#222">${escapeXml(note)}</text>`);
    }
  });
  // Title, then the legend on the line below it.
  out.push(`<text class="chart-title" x="${left}" y="16" font-size="12" font-weight="bold" fill="#222">${escapeXml(chart.title)}</text>`);
  let lx = left;
  for (const s of chart.series) {
    const name = s.name.length > 48 ? `${s.name.slice(0, 47)}…` : s.name;
    out.push(`<rect class="legend s-${s.key}" x="${f1(lx)}" y="24" width="10" height="10" fill="${s.color}"/><text class="legend" x="${f1(lx + 14)}" y="33" font-size="11" fill="#333">${escapeXml(name)}</text>`);
    lx += 26 + name.length * 6.2;
  }
  out.push('</svg>');
  return out.join('\n');
}

/** /proc/pagetypeinfo's names of the migratetypes, by MIGRATE_* value. */
export const MIGRATETYPE_NAMES: readonly string[] = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'CMA', 'Isolate'];
export const MIGRATETYPE_COLORS: readonly string[] = ['#d62728', '#2ca02c', '#1f77b4', '#9467bd', '#ff7f0e', '#7f7f7f'];
const NO_ZONE_COLOR = '#ffffff';

export interface PageblockMapChart {
  readonly id: string;
  readonly title: string;
  readonly map: {
    readonly startPfn: number;
    readonly pagesPerBlock: number;
    readonly migratetype: readonly number[];
    readonly freePages: readonly number[];
    readonly mixed: readonly number[];
  };
  /** Cells per row (default 32). */
  readonly columns?: number;
}

/**
 * One cell per pageblock, in pfn order, left to right then top to bottom: its colour is its
 * migratetype, its opacity how much of it is in use (a wholly free block is pale), and a dark
 * dot marks a block holding an allocation of another migratetype.
 */
export function pageblockMapSvg(chart: PageblockMapChart): string {
  const { map } = chart;
  const n = map.migratetype.length;
  const cols = chart.columns ?? 32;
  const rows = Math.ceil(n / cols);
  const cell = 14;
  const left = 8;
  const top = 28;
  const legendH = 40;
  const width = left * 2 + cols * cell;
  const height = top + rows * cell + legendH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart pageblock-map" data-chart="${escapeXml(chart.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
  );
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  out.push(`<text class="chart-title" x="${left}" y="17" font-size="12" font-weight="bold" fill="#222">${escapeXml(chart.title)}</text>`);
  const seen = new Set<number>();
  for (let b = 0; b < n; b++) {
    const mt = map.migratetype[b];
    seen.add(mt);
    const x = left + (b % cols) * cell;
    const y = top + Math.floor(b / cols) * cell;
    const used = 1 - Math.min(1, (map.freePages[b] ?? 0) / map.pagesPerBlock);
    const color = mt >= 0 && mt < MIGRATETYPE_COLORS.length ? MIGRATETYPE_COLORS[mt] : NO_ZONE_COLOR;
    const name = mt >= 0 ? (MIGRATETYPE_NAMES[mt] ?? `migratetype ${mt}`) : 'no zone';
    const pfn = map.startPfn + b * map.pagesPerBlock;
    const tip = `pageblock ${b} (pfn 0x${pfn.toString(16)}): ${name}, ${map.freePages[b] ?? 0}/${map.pagesPerBlock} pages free${map.mixed[b] ? ', holds another migratetype' : ''}`;
    out.push(
      `<rect class="pb mt-${mt < 0 ? 'none' : mt}" data-block="${b}" data-migratetype="${mt}" data-free="${map.freePages[b] ?? 0}" x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${color}" fill-opacity="${(0.25 + 0.75 * used).toFixed(2)}" stroke="#bbb" stroke-width="0.5"><title>${escapeXml(tip)}</title></rect>`,
    );
    if (map.mixed[b]) out.push(`<circle class="mixed" data-block="${b}" cx="${x + (cell - 1) / 2}" cy="${y + (cell - 1) / 2}" r="3" fill="#111"/>`);
  }
  // Legend: the migratetypes present, then the two encodings.
  let lx = left;
  const ly = top + rows * cell + 14;
  for (const mt of [...seen].sort((a, b) => a - b)) {
    const name = mt >= 0 ? (MIGRATETYPE_NAMES[mt] ?? `migratetype ${mt}`) : 'no zone';
    const color = mt >= 0 && mt < MIGRATETYPE_COLORS.length ? MIGRATETYPE_COLORS[mt] : NO_ZONE_COLOR;
    out.push(`<rect class="legend mt-${mt < 0 ? 'none' : mt}" x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}" stroke="#bbb" stroke-width="0.5"/><text class="legend" x="${lx + 14}" y="${ly}" font-size="11" fill="#333">${escapeXml(name)}</text>`);
    lx += 22 + name.length * 6.5;
  }
  out.push(`<text class="legend-note" x="${left}" y="${ly + 18}" font-size="10" fill="#555">pale: free, solid: in use; dot: holds an allocation of another migratetype</text>`);
  out.push('</svg>');
  return out.join('\n');
}

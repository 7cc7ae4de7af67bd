/**
 * Sets of pfn ranges [start, end): the arithmetic memblock and the boot path do on
 * memory maps. Every function takes and returns ranges sorted and disjoint, except
 * normalizeRanges(), which makes them so.
 */
import type { PfnRange } from './mmzone.js';

interface MutableRange {
  start: number;
  end: number;
}

/** Sort and merge overlapping or adjacent ranges; drop empty ones. */
export function normalizeRanges(ranges: readonly PfnRange[]): PfnRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).map((r) => ({ start: r.start, end: r.end }));
  sorted.sort((a, b) => a.start - b.start);
  const out: MutableRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

/** a minus b; both sorted and disjoint. */
export function subtractRanges(a: readonly PfnRange[], b: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  let j = 0;
  for (const r of a) {
    let start = r.start;
    while (j < b.length && b[j].end <= start) j++;
    let k = j;
    while (k < b.length && b[k].start < r.end) {
      if (b[k].start > start) out.push({ start, end: b[k].start });
      start = Math.max(start, b[k].end);
      k++;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** a intersected with b; both sorted and disjoint. */
export function intersectRanges(a: readonly PfnRange[], b: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i].start, b[j].start);
    const end = Math.min(a[i].end, b[j].end);
    if (start < end) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}

/** Pages of `ranges` (sorted, disjoint) inside [start, end). */
export function pagesInRange(ranges: readonly PfnRange[], start: number, end: number): number {
  let n = 0;
  // Binary search for the first range ending after `start`: O(log n + ranges inside).
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid].end <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < ranges.length; i++) {
    const r = ranges[i];
    if (r.start >= end) break;
    const s = Math.max(r.start, start);
    const e = Math.min(r.end, end);
    if (e > s) n += e - s;
  }
  return n;
}

/** Total pages of a range list. */
export function totalPages(ranges: readonly PfnRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.end - r.start;
  return n;
}

/** Split ranges so that none crosses one of the given boundaries. */
export function splitRangesAt(ranges: readonly PfnRange[], boundaries: readonly number[]): PfnRange[] {
  const cuts = [...new Set(boundaries)].sort((a, b) => a - b);
  const out: PfnRange[] = [];
  for (const r of ranges) {
    let start = r.start;
    for (const c of cuts) {
      if (c > start && c < r.end) {
        out.push({ start, end: c });
        start = c;
      }
    }
    out.push({ start, end: r.end });
  }
  return out;
}

export const alignDown = (x: number, a: number): number => Math.floor(x / a) * a;
export const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/**
 * memblock (mm/memblock.c, 4.17): the boot-time memory allocator. memblock.memory holds the
 * RAM the firmware reported, memblock.reserved what the kernel has taken before the page
 * allocator exists. Everything here works on pfn ranges, never on single pages.
 */
import type { PfnRange } from '@mmkit/core';

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
  for (const r of ranges) {
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

/**
 * struct memblock: memory and reserved regions in pfns. CMA areas are kept apart from the
 * other reservations because, once the page allocator is up, their pages are handed to
 * ZONE_MOVABLE (cma_init_reserved_areas) while the rest stays reserved.
 */
export class Memblock {
  memory: PfnRange[] = [];
  private reservedRanges: PfnRange[] = [];
  private cmaRanges: PfnRange[] = [];

  /** memblock_add(). */
  add(start: number, end: number): void {
    this.memory = normalizeRanges([...this.memory, { start, end }]);
  }

  /** memblock_remove(). */
  remove(start: number, end: number): void {
    this.memory = subtractRanges(this.memory, [{ start, end }]);
  }

  /** memblock_reserve(). The range may lie partly outside memory, as in Linux. */
  reserve(start: number, end: number): void {
    this.reservedRanges = normalizeRanges([...this.reservedRanges, { start, end }]);
  }

  /** A CMA area: reserved at boot, given to ZONE_MOVABLE later. */
  reserveCma(start: number, end: number): void {
    this.cmaRanges = normalizeRanges([...this.cmaRanges, { start, end }]);
  }

  /** memblock.reserved clipped to memory (what never reaches the page allocator). */
  get reserved(): PfnRange[] {
    return intersectRanges(this.reservedRanges, this.memory);
  }

  get cma(): PfnRange[] {
    return this.cmaRanges.map((r) => ({ ...r }));
  }

  /** Memory neither reserved nor given to CMA. */
  freeRanges(): PfnRange[] {
    return subtractRanges(subtractRanges(this.memory, this.reservedRanges), this.cmaRanges);
  }

  /** True when [start, end) is all memory (no hole). */
  isMemory(start: number, end: number): boolean {
    return pagesInRange(this.memory, start, end) === end - start;
  }

  /** absent_pages_in_range(): pages of [start, end) that are not memory. */
  absentPagesInRange(start: number, end: number): number {
    return end - start - pagesInRange(this.memory, start, end);
  }

  /**
   * memblock_find_in_range_node() in its default top-down mode: the highest `align`-aligned
   * start of `size` free pages inside [start, end) and inside one of `within` (a node's
   * ranges, or everything). Returns -1 when nothing fits.
   */
  findInRangeTopDown(size: number, align: number, start: number, end: number, within?: readonly PfnRange[]): number {
    let free = intersectRanges(this.freeRanges(), [{ start, end }]);
    if (within) free = intersectRanges(free, normalizeRanges(within));
    for (let i = free.length - 1; i >= 0; i--) {
      const cand = alignDown(free[i].end - size, align);
      if (cand >= free[i].start) return cand;
    }
    return -1;
  }
}

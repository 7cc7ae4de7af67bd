import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, intersectRanges, normalizeRanges, pagesInRange, splitRangesAt, subtractRanges, totalPages } from './pfn-range.js';

describe('pfn range sets', () => {
  it('normalizes: sorts, merges overlapping and adjacent ranges, drops empty ones', () => {
    expect(normalizeRanges([{ start: 10, end: 20 }, { start: 0, end: 5 }, { start: 5, end: 8 }, { start: 15, end: 30 }, { start: 40, end: 40 }])).toEqual([
      { start: 0, end: 8 }, { start: 10, end: 30 },
    ]);
  });

  it('subtracts and intersects', () => {
    const a = [{ start: 0, end: 100 }, { start: 200, end: 300 }];
    const b = [{ start: 0, end: 1 }, { start: 50, end: 60 }, { start: 250, end: 320 }];
    expect(subtractRanges(a, b)).toEqual([{ start: 1, end: 50 }, { start: 60, end: 100 }, { start: 200, end: 250 }]);
    expect(intersectRanges(a, b)).toEqual([{ start: 0, end: 1 }, { start: 50, end: 60 }, { start: 250, end: 300 }]);
    expect(totalPages(subtractRanges(a, b)) + totalPages(intersectRanges(a, b))).toBe(totalPages(a));
  });

  it('counts pages in a window and splits at boundaries', () => {
    const a = [{ start: 0, end: 100 }, { start: 200, end: 300 }];
    expect(pagesInRange(a, 50, 250)).toBe(100);
    expect(splitRangesAt(a, [50, 250])).toEqual([{ start: 0, end: 50 }, { start: 50, end: 100 }, { start: 200, end: 250 }, { start: 250, end: 300 }]);
    expect(alignUp(513, 512)).toBe(1024);
    expect(alignDown(513, 512)).toBe(512);
  });
});

import { describe, expect, it } from 'vitest';
import { VM_GROWSDOWN, vaHigh, vaLow } from '@mmkit/core';
import { VmaTable } from './vma-tree.js';

const PAGE = 4096;
/** 20,000 VMAs by default; MMKIT_MMAP_VMAS=100000 (or more) for the full-size run. */
const N = Number(process.env.MMKIT_MMAP_VMAS ?? 20_000);

/** A deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** find_vma_links(), unmapped_area() and unmapped_area_topdown() on plain numbers (the table takes int32 halves and answers the address in addrOut[0]). */
function links(t: VmaTable, start: number, end: number): number {
  return t.findVmaLinks(vaHigh(start), vaLow(start), vaHigh(end), vaLow(end));
}
function area(t: VmaTable, topDown: boolean, len: number, low: number, high: number): number {
  const args = [vaHigh(len), vaLow(len), vaHigh(low), vaLow(low), vaHigh(high), vaLow(high)] as const;
  const error = topDown ? t.unmappedAreaTopdown(...args) : t.unmappedArea(...args);
  return error < 0 ? error : t.addrOut[0];
}

function add(t: VmaTable, start: number, end: number, flags = 0): number {
  const prev = links(t, start, end);
  if (prev < 0) throw new Error('overlap');
  const v = t.alloc();
  t.vmStart[v] = start;
  t.vmEnd[v] = end;
  t.vmFlags[v] = flags;
  t.link(v, prev);
  return v;
}

/** Brute force over the list: the lowest / highest fit, as unmapped_area() and unmapped_area_topdown() define it. */
function bruteBottomUp(t: VmaTable, len: number, low: number, high: number): number {
  let gapStart = 0;
  for (let v = t.head; ; v = t.vmNext[v]) {
    const gapEnd = v === 0 ? Infinity : t.vmStartGap(v);
    const s = Math.max(gapStart, low);
    if (s + len <= Math.min(gapEnd, high) && s + len <= high) return s;
    if (v === 0) return -12;
    gapStart = t.vmEnd[v];
  }
}
function bruteTopDown(t: VmaTable, len: number, low: number, high: number): number {
  let best = -12;
  let gapStart = 0;
  for (let v = t.head; ; v = t.vmNext[v]) {
    const gapEnd = v === 0 ? high : Math.min(t.vmStartGap(v), high);
    if (gapEnd - len >= Math.max(gapStart, low) && gapEnd > gapStart) best = gapEnd - len;
    if (v === 0) return best;
    gapStart = t.vmEnd[v];
  }
}

/** The depth of the tree below v (iterative: a degenerate tree must not overflow the stack). */
function depth(t: VmaTable, root: number): number {
  let max = 0;
  const stack: number[] = [root, 1];
  while (stack.length > 0) {
    const d = stack.pop()!;
    const v = stack.pop()!;
    if (v === 0) continue;
    if (d > max) max = d;
    stack.push(t.left[v], d + 1, t.right[v], d + 1);
  }
  return max;
}

function checkTree(t: VmaTable): void {
  let count = 0;
  let prevEnd = 0;
  const bad: string[] = [];
  for (let v = t.head; v !== 0; v = t.vmNext[v]) {
    if (t.vmStart[v] < prevEnd) bad.push(`VMA ${v} starts below the previous end`);
    if (t.findVma(t.vmStart[v]) !== v) bad.push(`find_vma misses VMA ${v}`);
    prevEnd = t.vmEnd[v];
    count++;
  }
  expect(bad.slice(0, 5)).toEqual([]);
  expect(count).toBe(t.mapCount);
  expect(t.highestVmEnd).toBe(prevEnd);
}

describe('the VMA tree (mm_rb and the vm_next list)', () => {
  it('find_vma returns the first VMA ending above addr, and find_vma_links refuses overlaps', () => {
    const t = new VmaTable(256 * PAGE);
    const a = add(t, 0x10000, 0x20000);
    const b = add(t, 0x40000, 0x50000);
    expect(t.findVma(0)).toBe(a);
    expect(t.findVma(0x1ffff)).toBe(a);
    expect(t.findVma(0x20000)).toBe(b);
    expect(t.findVma(0x50000)).toBe(0);
    expect(links(t, 0x20000, 0x40000)).toBe(a);
    expect(links(t, 0x1f000, 0x21000)).toBe(-1);
    expect(links(t, 0x3f000, 0x41000)).toBe(-1);
    expect(links(t, 0x60000, 0x61000)).toBe(b);
    expect(t.prevOf(0)).toBe(b);
    expect(t.mapCount).toBe(2);
  });

  it(`keeps ${N} VMAs sorted with O(log n) insert, lookup and remove, and finds the same holes as a scan`, () => {
    const t = new VmaTable(256 * PAGE);
    const r = rng(7);
    // Every other slot of 2*N pages, inserted in random order.
    const order = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const ids = new Int32Array(N);
    for (const i of order) ids[i] = add(t, (2 * i + 1) * PAGE, (2 * i + 2) * PAGE);
    expect(t.mapCount).toBe(N);
    // O(log n): the tree stays shallow (a list, or a tree that never rotates, would be N deep).
    expect(depth(t, t.root)).toBeLessThan(6 * Math.log2(N));
    let misses = 0;
    for (let k = 0; k < 1000; k++) {
      const i = Math.floor(r() * N);
      if (t.findVma((2 * i + 1) * PAGE + 1) !== ids[i] || t.findVma(2 * i * PAGE) !== ids[i]) misses++;
    }
    expect(misses).toBe(0);
    // Remove half, in random order.
    for (let k = 0; k < N / 2; k++) t.unlink(ids[order[k]]);
    expect(t.mapCount).toBe(N - N / 2);
    expect(depth(t, t.root)).toBeLessThan(6 * Math.log2(N));
    checkTree(t);
    for (let k = 0; k < 30; k++) {
      const len = (1 + Math.floor(r() * 6)) * PAGE;
      const low = Math.floor(r() * N) * PAGE;
      const high = low + Math.floor(r() * 64 * PAGE) + len;
      expect(area(t, false, len, low, high)).toBe(bruteBottomUp(t, len, low, high));
      expect(area(t, true, len, low, high)).toBe(bruteTopDown(t, len, low, high));
    }
  });

  it('leaves stack_guard_gap free below a VM_GROWSDOWN VMA, and nothing below others', () => {
    const gap = 256 * PAGE;
    const t = new VmaTable(gap);
    add(t, 0x100000, 0x101000);
    add(t, 0x800000, 0x900000, VM_GROWSDOWN);
    // Top-down below 0x900000: the hole under the stack ends at 0x800000 - gap.
    expect(area(t, true, PAGE, PAGE, 0x800000)).toBe(0x800000 - gap - PAGE);
    const noGap = new VmaTable(0);
    add(noGap, 0x100000, 0x101000);
    add(noGap, 0x800000, 0x900000, VM_GROWSDOWN);
    expect(area(noGap, true, PAGE, PAGE, 0x800000)).toBe(0x800000 - PAGE);
    // Bottom-up: a hole that only fits without the gap is skipped.
    expect(area(t, false, 0x800000 - 0x101000 - gap + PAGE, 0x101000, 0x1000000)).toBe(0x900000);
    expect(area(t, false, 0x800000 - 0x101000 - gap, 0x101000, 0x1000000)).toBe(0x101000);
  });

  it('grows its arrays and reuses freed slots', () => {
    const t = new VmaTable(0);
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push(add(t, (i * 2 + 1) * PAGE, (i * 2 + 2) * PAGE));
    expect(t.cap).toBeGreaterThanOrEqual(201);
    t.unlink(ids[5]);
    t.free(ids[5]);
    expect(t.alloc()).toBe(ids[5]);
  });
});

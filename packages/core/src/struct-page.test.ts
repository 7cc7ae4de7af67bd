import { describe, expect, it } from 'vitest';
import { PageContents } from './page-contents.js';
import { Prng } from './prng.js';
import { PageStore, PfnListSet } from './struct-page.js';
import { errnoName, ERRNO, strerror, syscallError } from './errno.js';

describe('PfnListSet', () => {
  it('adds, removes and pops like list_head', () => {
    const pages = new PageStore(16);
    const lists = new PfnListSet(pages, 2);
    lists.addHead(0, 3);
    lists.addHead(0, 5);
    lists.addTail(0, 7);
    const walk = (l: number) => {
      const out: number[] = [];
      for (let p = lists.first(l); p !== -1; p = lists.next(p)) out.push(p);
      return out;
    };
    expect(walk(0)).toEqual([5, 3, 7]);
    lists.remove(0, 3);
    expect(walk(0)).toEqual([5, 7]);
    expect(lists.popHead(0)).toBe(5);
    expect(lists.last(0)).toBe(7);
    expect(lists.length[0]).toBe(1);
    expect(lists.isEmpty(1)).toBe(true);
    expect(lists.popHead(1)).toBe(-1);
  });

  it('refuses a memmap of no pages', () => {
    expect(() => new PageStore(0)).toThrow(RangeError);
  });
});

describe('PageContents', () => {
  it('reads zeros until written, keeps bytes, copies and clears', () => {
    const c = new PageContents();
    const buf = new Uint8Array(4);
    c.read(9, 100, buf);
    expect([...buf]).toEqual([0, 0, 0, 0]);
    c.write(9, 100, Uint8Array.of(1, 2, 3, 4));
    c.copy(10, 9);
    c.read(10, 100, buf);
    expect([...buf]).toEqual([1, 2, 3, 4]);
    c.clear(9);
    expect(c.readByte(9, 100)).toBe(0);
    expect(() => c.write(9, 4095, Uint8Array.of(1, 2))).toThrow(RangeError);
  });
});

describe('Prng', () => {
  it('is deterministic per seed and uniform enough', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(new Prng(43).nextU32()).not.toBe(xs[0]);
    const r = new Prng(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) buckets[r.nextInt(10)]++;
    for (const n of buckets) expect(n).toBeGreaterThan(850);
  });
});

describe('errno', () => {
  it('has the Linux values and node-style errors', () => {
    expect(ERRNO.EEXIST).toBe(17);
    expect(ERRNO.ENOMEM).toBe(12);
    expect(errnoName(-22)).toBe('EINVAL');
    expect(strerror(-12)).toBe('Cannot allocate memory');
    const e = syscallError('mmap', -17);
    expect(e.code).toBe('EEXIST');
    expect(e.errno).toBe(-17);
    expect(e.syscall).toBe('mmap');
    expect(() => syscallError('mmap', -9999)).toThrow(/not an errno/);
  });
});

import { describe, expect, it } from 'vitest';
import { PageContents } from './page-contents.js';
import { Prng } from './prng.js';
import { PageStore, PfnListSet } from './struct-page.js';
import { errnoName, ERRNO, strerror, syscallError } from './errno.js';
import { memmapInitZone } from './memmap.js';
import { MIGRATE_MOVABLE } from './migratetype.js';
import { X86_64_ZONES } from './mmzone.js';
import { PG_reserved } from './page-flags.js';
import { Zone } from './zone.js';

describe('PageStore memory model (pfn_valid)', () => {
  it('is FLATMEM until sparseInit(): every pfn below maxPfn is valid', () => {
    const pages = new PageStore(4096);
    expect([0, 4095].map((p) => pages.validPfn(p))).toEqual([true, true]);
    expect([-1, 4096, 1.5, NaN].map((p) => pages.validPfn(p))).toEqual([false, false, false, false]);
    expect(pages.nextSectionPfn(7)).toBe(4096);
  });

  it('under SPARSEMEM has a memmap only in the sections memblock.memory reaches into', () => {
    // sections of 1024 pages; memory in [100, 900), [2100, 2200) and [3071, 3073): sections 0, 2, 3 (not 1, not 4)
    const pages = new PageStore(5 * 1024);
    pages.sparseInit([{ start: 100, end: 900 }, { start: 2100, end: 2200 }, { start: 3071, end: 3073 }], 10);
    const valid = [0, 99, 1023, 1024, 2047, 2048, 3071, 3072, 4095, 4096, 5119].map((p) => pages.validPfn(p));
    expect(valid).toEqual([true, true, true, false, false, true, true, true, true, false, false]);
    expect(pages.nextSectionPfn(1500)).toBe(2048);
    expect(pages.nextSectionPfn(5000)).toBe(5120);
    expect(() => pages.sparseInit([], 3)).toThrow(RangeError);
  });

  it('memmap_init_zone() initialises the pages of valid sections only, holes inside them included', () => {
    const pages = new PageStore(3 * 1024);
    pages.sparseInit([{ start: 0, end: 600 }, { start: 2048, end: 3072 }], 10);
    const zone = new Zone({ nid: 0, zoneIdx: X86_64_ZONES.DMA32, startPfn: 0, spanned: 3072, present: 1624 }, X86_64_ZONES, 1);
    memmapInitZone(pages, zone);
    // 600..1023 is a hole in section 0: struct pages exist, reserved, in the zone, its pageblock movable
    for (const pfn of [0, 700, 1023, 2048, 3071]) {
      expect(pages.zoneNum[pfn], `pfn ${pfn}`).toBe(zone.zoneNum);
      expect(pages.testFlag(pfn, PG_reserved), `pfn ${pfn}`).toBe(true);
      expect(pages.getPageblockMigratetype(pfn), `pfn ${pfn}`).toBe(MIGRATE_MOVABLE);
    }
    // section 1 has no memmap: nothing set
    for (const pfn of [1024, 1536, 2047]) {
      expect(pages.zoneNum[pfn], `pfn ${pfn}`).toBe(255);
      expect(pages.flags[pfn] | pages.refcount[pfn], `pfn ${pfn}`).toBe(0);
    }
  });
});


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

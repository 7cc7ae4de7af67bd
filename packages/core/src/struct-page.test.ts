import { describe, expect, it } from 'vitest';
import { PageContents } from './page-contents.js';
import { Prng } from './prng.js';
import { buddyWordAux, isBuddyWordOfOrder, isUnmappedWord, lowBuddyWordOf, NO_ZONE, PAGE_EXT_CHUNK_PAGES, PageStore, PfnListSet, setLowBuddyWord, SHARED_MAX_HANDOVER_RANGES, TOP_ORDER, TopOrderListSet } from './struct-page.js';
import { errnoName, ERRNO, strerror, syscallError } from './errno.js';
import { memmapInitZone } from './memmap.js';
import { MIGRATE_MOVABLE, MIGRATE_TYPES } from './migratetype.js';
import { X86_64_ZONES } from './mmzone.js';
import { PAGE_BUDDY_MAPCOUNT_VALUE, PG_reserved } from './page-flags.js';
import { FREE_PAGES, NR_FREE, NR_FREE_BY_TYPE, PCP_BATCH, PCP_COUNT, PCP_HIGH, PCP_WORDS, Zone } from './zone.js';

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
      expect(pages.zoneNumOf(pfn), `pfn ${pfn}`).toBe(zone.zoneNum);
      expect(pages.testFlag(pfn, PG_reserved), `pfn ${pfn}`).toBe(true);
      expect(pages.getPageblockMigratetype(pfn), `pfn ${pfn}`).toBe(MIGRATE_MOVABLE);
    }
    // section 1 has no memmap: nothing set
    for (const pfn of [1024, 1536, 2047]) {
      expect(pages.zoneNumOf(pfn), `pfn ${pfn}`).toBe(-1);
      expect(pages.flags[pfn] | pages.refcount[pfn], `pfn ${pfn}`).toBe(0);
    }
  });
});


describe('PageStore layout (issue 12: 24 bytes a page, zero as every sentinel)', () => {
  it('takes at most 24 bytes of per-page arrays, and residentBytes() says what a fresh memmap holds', () => {
    expect(PageStore.BYTES_PER_PAGE).toBeLessThanOrEqual(24);
    const n = 1 << 16;
    const pages = new PageStore(n);
    const tables = ((n >>> 9) + 1) * PageStore.BYTES_PER_PAGEBLOCK + ((n >>> TOP_ORDER) + 1) * PageStore.BYTES_PER_TOP_BLOCK;
    // Besides: the zone span and handover lists, a few words whatever the size.
    const lists = pages.residentBytes() - (n * PageStore.BYTES_PER_PAGE + tables);
    expect(lists).toBeGreaterThan(0);
    expect(lists).toBeLessThanOrEqual(256);
    let views = 0;
    for (const v of Object.values(pages)) if (ArrayBuffer.isView(v)) views += v.byteLength;
    expect(views).toBe(pages.residentBytes());
  });

  it('is all zero after construction, which reads as an unmapped page on no list, with no mapping', () => {
    const pages = new PageStore(4096);
    for (const v of Object.values(pages)) if (ArrayBuffer.isView(v)) expect(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).every((b) => b === 0)).toBe(true);
    expect(pages.getMapcount(7)).toBe(-1);
    expect(pages.isBuddy(7)).toBe(false);
    expect(pages.lruNextOf(7)).toBe(-1);
    expect([pages.getMapping(7), pages.getIndex(7), pages.getMemcg(7)]).toEqual([0, 0, 0]);
    expect(pages.zoneNumOf(7)).toBe(NO_ZONE);
  });

  it('keeps _mapcount biased by one and PageBuddy as PAGE_BUDDY_MAPCOUNT_VALUE', () => {
    const pages = new PageStore(16);
    pages.setMapcount(3, 4);
    expect(pages.getMapcount(3)).toBe(4);
    pages.setBuddy(5, 3);
    expect([pages.isBuddy(5), pages.getMapcount(5), pages.buddyOrder(5), pages.private[5]]).toEqual([true, PAGE_BUDDY_MAPCOUNT_VALUE, 3, 0]);
    pages.clearBuddy(5);
    expect([pages.isBuddy(5), pages.getMapcount(5), pages.mapLru[3 * 5]]).toEqual([false, -1, 0]);
    pages.resetMapcount(3);
    expect(pages.mapLru[3 * 3]).toBe(0);
  });

  it('keeps a free buddy head in one word: PageBuddy, page_order() and the allocator\'s aux; a top-order block\'s in topBlock', () => {
    const pages = new PageStore(4096);
    pages.private[8] = 77; // a slab's leftover: a free head's private is not its order
    pages.setBuddy(8, 3, 4);
    expect([pages.isBuddy(8), pages.buddyOrder(8), pages.buddyAux(8), pages.getMapcount(8)]).toEqual([true, 3, 4, PAGE_BUDDY_MAPCOUNT_VALUE]);
    expect([pages.isBuddyOfOrder(8, 3), pages.isBuddyOfOrder(8, 2), pages.isBuddyOfOrder(9, 3)]).toEqual([true, false, false]);
    expect(pages.flags[8]).toBe(0); // nothing but the mapcount word is written
    pages.setMapcount(9, PAGE_BUDDY_MAPCOUNT_VALUE); // a mapcount value is not the PageBuddy type
    expect(pages.isBuddy(9)).toBe(false);
    pages.setMapcount(10, 2 ** 20);
    expect([pages.isBuddy(10), pages.getMapcount(10)]).toEqual([false, 2 ** 20]);
    pages.clearBuddy(8); // rmv_page_order(): private = 0
    expect([pages.isBuddy(8), pages.getMapcount(8), pages.private[8]]).toEqual([false, -1, 0]);
    // A free block of TOP_ORDER writes nothing per page: its word is in topBlock.
    pages.setBuddy(2048, TOP_ORDER, 2);
    expect([pages.isBuddy(2048), pages.buddyOrder(2048), pages.buddyAux(2048), pages.getMapcount(2048), pages.isBuddyOfOrder(2048, TOP_ORDER)]).toEqual([true, TOP_ORDER, 2, PAGE_BUDDY_MAPCOUNT_VALUE, true]);
    expect([pages.mapLru[3 * 2048], pages.isBuddy(2049), pages.isBuddy(3072)]).toEqual([0, false, false]);
    pages.clearBuddy(2048);
    expect([pages.isBuddy(2048), pages.topBlock.every((w) => w === 0)]).toEqual([false, true]);
  });

  it('answers page_mapcount() == -1 on the arrays (isUnmappedWord()) exactly as getMapcount() does', () => {
    const pages = new PageStore(4096);
    pages.setMapcount(1, 0); // mapped once
    pages.setMapcount(2, -1); // written back to unmapped
    pages.setBuddy(3, 0, 1); // a free head of order 0
    pages.setBuddy(1024, TOP_ORDER, 1); // a free top-order head: its word in topBlock only
    pages.setMapcount(3072, 5); // a top-order-aligned page, mapped
    pages.setBuddy(2048, TOP_ORDER, 1);
    pages.clearBuddy(2048); // and freed again
    for (const pfn of [0, 1, 2, 3, 4, 1024, 1025, 2048, 3072]) expect([pfn, isUnmappedWord(pages.mapLru, pages.topBlock, pfn)]).toEqual([pfn, pages.getMapcount(pfn) === -1]);
    expect([1, 3, 1024, 3072].map((pfn) => isUnmappedWord(pages.mapLru, pages.topBlock, pfn))).toEqual([false, false, false, false]);
  });

  it('reads and writes a free head of an order below TOP_ORDER in one word (lowBuddyWordOf(), buddyWordAux(), setLowBuddyWord()) as the accessors do', () => {
    const pages = new PageStore(4096);
    setLowBuddyWord(pages.mapLru, 16, 4, 3);
    pages.setBuddy(40, 3, 5);
    pages.setMapcount(48, 3);
    expect([pages.isBuddy(16), pages.buddyOrder(16), pages.buddyAux(16)]).toEqual([true, 4, 3]);
    for (const [pfn, order] of [[16, 4], [16, 3], [40, 3], [40, 4], [48, 3], [49, 0]]) {
      const w = lowBuddyWordOf(pages.mapLru, pfn, order);
      expect([pfn, order, w !== 0]).toEqual([pfn, order, isBuddyWordOfOrder(pages.mapLru, pages.topBlock, pfn, order)]);
      if (w !== 0) expect(buddyWordAux(w)).toBe(pages.buddyAux(pfn));
    }
  });

  it('keeps the links of top-order lists in topBlock, per 2^TOP_ORDER pages, sharing heads and lengths with a PfnListSet', () => {
    const pages = new PageStore(8192);
    const lists = new PfnListSet(pages, 2);
    const top = new TopOrderListSet(pages, lists);
    top.add(1, 1024, false);
    top.add(1, 4096, true);
    top.add(1, 0, false);
    lists.addHead(0, 1024); // the same pfn on a per-page list: its links are mapLru's
    const order: number[] = [];
    for (let p = lists.first(1); p !== -1; p = top.next(p)) order.push(p);
    expect(order).toEqual([0, 1024, 4096]);
    expect([pages.mapLru[3 * 1024 + 2], pages.mapLru[3 * 4096 + 1], pages.mapLru[3 * 4096 + 2], lists.length[1]]).toEqual([0, 0, 0, 3]);
    top.remove(1, 1024);
    expect([lists.first(1), top.next(0), lists.last(1), lists.length[1]]).toEqual([0, 4096, 4096, 2]);
    expect(lists.popHead(0)).toBe(1024);
  });

  it('allocates mapping, index and memcg storage only in the chunks written, and checks what is written', () => {
    const pages = new PageStore(4 * PAGE_EXT_CHUNK_PAGES);
    const base = pages.residentBytes();
    pages.setMapping(5, 0); // a zero write allocates nothing
    expect(pages.residentBytes()).toBe(base);
    pages.setIndex(2 * PAGE_EXT_CHUNK_PAGES + 1, 0xffffffff);
    expect(pages.getIndex(2 * PAGE_EXT_CHUNK_PAGES + 1)).toBe(0xffffffff);
    expect(pages.residentBytes()).toBe(base + PAGE_EXT_CHUNK_PAGES * 4);
    pages.setMemcg(9, 3);
    pages.setMapping(9, 77);
    expect([pages.getMemcg(9), pages.getMapping(9), pages.getMapping(10)]).toEqual([3, 77, 0]);
    expect(() => pages.setIndex(1, 2 ** 32)).toThrow(RangeError);
    expect(() => pages.setIndex(1, -1)).toThrow(RangeError);
    expect(() => pages.setMemcg(1, 65536)).toThrow(RangeError);
    expect(() => pages.setMapping(1, 1.5)).toThrow(RangeError);
    expect(() => pages.setMapping(pages.maxPfn + PAGE_EXT_CHUNK_PAGES, 1)).toThrow(RangeError);
  });

  it('derives the zone from the pfn: per pageblock, exactly where a zone boundary cuts a pageblock', () => {
    const pages = new PageStore(8192);
    pages.setZoneSpan(1, 1000, 0); // DMA-like: starts at pfn 1, ends inside pageblock 1
    pages.setZoneSpan(1000, 8000, 1); // ends inside the last pageblock
    expect([0, 1, 511, 512, 999, 1000, 1023, 1024, 7999, 8000, 8191].map((p) => pages.zoneNumOf(p))).toEqual([-1, 0, 0, 0, 0, 1, 1, 1, 1, -1, -1]);
    expect(pages.rangeInZone(1024, 7999, 1)).toBe(true);
    expect(pages.rangeInZone(999, 1100, 1)).toBe(false);
    expect(pages.rangeInZone(1, 1000, 0)).toBe(true);
    expect(() => pages.setZoneSpan(5, 5, 0)).toThrow(RangeError);
    expect(() => pages.setZoneSpan(0, 8193, 0)).toThrow(RangeError);
  });

  it('can live on SharedArrayBuffers', () => {
    const pages = new PageStore(2048, { shared: true });
    expect(pages.flags.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(pages.mapLru.buffer).toBeInstanceOf(SharedArrayBuffer);
    pages.setMapping(3, 9);
    expect(pages.getMapping(3)).toBe(9);
    expect(new PageStore(8).flags.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('shares everything, lists and side storage included, with a PageStore attached to its sharedState()', () => {
    const a = new PageStore(1 << 17, { shared: true });
    a.sparseInit([{ start: 0, end: 40000 }], 15);
    const zone = new Zone({ nid: 0, zoneIdx: X86_64_ZONES.DMA32, startPfn: 0, spanned: 40000, present: 40000 }, X86_64_ZONES, 1);
    memmapInitZone(a, zone, [{ start: 16, end: 30000 }]);
    a.setZoneSpan(30000, 30100, 7); // cuts a pageblock: answered from the span list
    expect(() => a.sharedState()).not.toThrow();
    const state = a.sharedState();
    const b = new PageStore(state.maxPfn, { attach: state });
    expect(b.pendingHandover()).toEqual([{ start: 16, end: 30000 }]);
    expect([b.zoneNumOf(30050), b.zoneNumOf(29999), b.validPfn(70000)]).toEqual([7, zone.zoneNum, false]);
    expect(b.takeHandover(100, 200)).toBe(200);
    expect(a.pendingHandover()).toEqual([{ start: 16, end: 100 }, { start: 200, end: 30000 }]);
    a.setIndex(40001 - 2, 77);
    b.setMemcg(5, 3);
    expect([b.getIndex(39999), a.getMemcg(5)]).toEqual([77, 3]);
    expect(() => new PageStore(8).sharedState()).toThrow(/not on shared storage/);
    expect(() => new PageStore(4096, { attach: state })).toThrow(RangeError);
    // A shared list cannot grow: past its capacity, a RangeError and nothing changed.
    const c = new PageStore(1 << 20, { shared: true });
    for (let i = 0; i < SHARED_MAX_HANDOVER_RANGES; i++) c.addHandover(2 * i, 2 * i + 1);
    expect(() => c.addHandover(1 << 19, (1 << 19) + 1)).toThrow(/ranges awaiting handover on shared storage/);
    expect(c.pendingHandover()).toHaveLength(SHARED_MAX_HANDOVER_RANGES);
  });

  it('keeps a zone\'s counters and per-cpu pagesets on one buffer, shared with a Zone attached to it', () => {
    const layout = { nid: 0, zoneIdx: X86_64_ZONES.NORMAL, startPfn: 4096, spanned: 4096, present: 4096 };
    const a = new Zone(layout, X86_64_ZONES, 2, { shared: true });
    expect(a.storage).toBeInstanceOf(SharedArrayBuffer);
    expect(new Zone(layout, X86_64_ZONES, 2).storage).toBeInstanceOf(ArrayBuffer);
    const storage = a.storage;
    if (!(storage instanceof SharedArrayBuffer)) throw new Error('not shared');
    const b = new Zone(layout, X86_64_ZONES, 2, { storage });
    expect(b.pageset.map((p) => p.batch)).toEqual([1, 1]);
    a.managedPages = 4000;
    a.managedPages += 2 ** 33; // beyond 32 bits: float64 counters
    a.freePages += 3000;
    b.nrReservedHighatomic = 512;
    b.pageset[1].count++;
    b.pageset[1].high = 90;
    a.nrFree[3] = 2;
    expect([b.managedPages, b.freePages, a.nrReservedHighatomic, a.pageset[1].count, a.pageset[1].high, b.nrFree[3]]).toEqual([4000 + 2 ** 33, 3000, 512, 1, 90, 2]);
    expect(a.pcpPages()).toBe(1);
    expect(() => new Zone(layout, X86_64_ZONES, 3, { storage })).toThrow(/not a shared zone's/);
  });

  it('names the typed-array places the page allocator\'s hot paths index: freeCounts and pcpWords are what the accessors and views read', () => {
    const z = new Zone({ nid: 0, zoneIdx: X86_64_ZONES.NORMAL, startPfn: 0, spanned: 4096, present: 4096 }, X86_64_ZONES, 3);
    // @mmkit/buddy's hot paths index these places as literals (an imported constant costs a load and a check per use there).
    expect([FREE_PAGES, NR_FREE, NR_FREE_BY_TYPE, MIGRATE_TYPES]).toEqual([0, 1, 12, 6]);
    expect([PCP_COUNT, PCP_HIGH, PCP_BATCH, PCP_WORDS]).toEqual([0, 1, 2, 3]);
    z.freeCounts[FREE_PAGES] = 7;
    z.freeCounts[NR_FREE + 3] = 2;
    z.freeCounts[NR_FREE_BY_TYPE + 10 * MIGRATE_TYPES + MIGRATE_MOVABLE] = 5;
    expect([z.freePages, z.nrFree[3], z.nrFreeByType[10 * MIGRATE_TYPES + MIGRATE_MOVABLE]]).toEqual([7, 2, 5]);
    z.nrFree[10] = 1;
    z.freePages -= 8; // a corrupted count stays visible as one
    expect([z.freeCounts[NR_FREE + 10], z.freePages]).toEqual([1, -1]);
    z.pcpWords[2 * PCP_WORDS + PCP_COUNT] = 5;
    z.pcpWords[2 * PCP_WORDS + PCP_HIGH] = 90;
    z.pcpWords[2 * PCP_WORDS + PCP_BATCH] = 15;
    const { count, high, batch } = z.pageset[2];
    expect({ count, high, batch }).toEqual({ count: 5, high: 90, batch: 15 });
    expect(z.pageset[1].batch).toBe(1);
    for (const view of [z.freeCounts, z.nrFree, z.nrFreeByType, z.pcpWords, z.watermark]) expect(view.buffer).toBe(z.storage);
  });

  it('memmap init with a handover list writes only the reserved pages and holes, and records the rest', () => {
    const pages = new PageStore(4096);
    const zone = new Zone({ nid: 0, zoneIdx: X86_64_ZONES.DMA32, startPfn: 0, spanned: 4096, present: 4096 }, X86_64_ZONES, 1);
    memmapInitZone(pages, zone, [{ start: 16, end: 2000 }, { start: 2100, end: 4096 }]);
    expect([0, 15, 2000, 2099].every((p) => pages.refcount[p] === 1 && pages.testFlag(p, PG_reserved))).toBe(true);
    expect([16, 1999, 2100, 4095].every((p) => pages.refcount[p] === 0 && pages.flags[p] === 0)).toBe(true);
    expect(pages.pendingHandover()).toEqual([{ start: 16, end: 2000 }, { start: 2100, end: 4096 }]);
    expect(pages.takeHandover(100, 200)).toBe(200);
    expect(pages.takeHandover(100, 200)).toBe(100); // taken already
    expect(pages.pendingHandover()).toEqual([{ start: 16, end: 100 }, { start: 200, end: 2000 }, { start: 2100, end: 4096 }]);
    expect(pages.handoverEndAt(300)).toBe(2000);
    expect(pages.nextHandoverPfn(2000)).toBe(2100);
    expect(() => pages.addHandover(150, 250)).toThrow(RangeError);
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

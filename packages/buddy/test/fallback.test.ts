import { describe, expect, it } from 'vitest';
import {
  GFP_ATOMIC,
  GFP_DMA,
  GFP_KERNEL,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_TYPES,
  MIGRATE_UNMOVABLE,
  NO_PAGE,
  PG_lru,
  __GFP_MOVABLE,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
} from '@mmkit/core';
import { FALLBACKS, canStealFallback } from '../src/index.js';
import { checkCounters, createMachine } from './fixture.js';

const MOVABLE_DMA = GFP_DMA | __GFP_MOVABLE;

/** A 32 MiB machine whose ZONE_DMA (pfns 0..4095, 8 pageblocks) is entirely allocated as movable order-0 pages. */
function fullDma() {
  const m = createMachine({ nodesMiB: [32], config: { pcp: false, minFreeKbytes: 0 } });
  const a = m.allocator;
  let n = 0;
  while (a.allocPages(MOVABLE_DMA | __GFP_NOWARN, 0) !== NO_PAGE) n++;
  expect(n).toBe(4096);
  const dma = m.zones[0];
  const freeRange = (start: number, end: number) => {
    for (let p = start; p < end; p++) a.freePages(p, 0);
  };
  const byType = (order: number, mt: number) => dma.nrFreeByType[order * MIGRATE_TYPES + mt];
  return { m, a, dma, freeRange, byType };
}

describe('fallbacks[] and can_steal_fallback', () => {
  it('has the 4.17 fallback order', () => {
    expect(FALLBACKS[MIGRATE_UNMOVABLE]).toEqual([MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_TYPES]);
    expect(FALLBACKS[MIGRATE_RECLAIMABLE]).toEqual([MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_TYPES]);
    expect(FALLBACKS[MIGRATE_MOVABLE]).toEqual([MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_TYPES]);
    expect(FALLBACKS[MIGRATE_HIGHATOMIC]).toEqual([MIGRATE_TYPES]);
  });

  it('movable allocations steal whole pageblocks only from order pageblock_order/2 = 4', () => {
    expect(canStealFallback(3, MIGRATE_MOVABLE)).toBe(false);
    expect(canStealFallback(4, MIGRATE_MOVABLE)).toBe(true);
    expect(canStealFallback(0, MIGRATE_UNMOVABLE)).toBe(true);
    expect(canStealFallback(0, MIGRATE_RECLAIMABLE)).toBe(true);
    expect(canStealFallback(0, MIGRATE_MOVABLE, true)).toBe(true);
    expect(canStealFallback(9, MIGRATE_MOVABLE)).toBe(true);
  });
});

describe('__rmqueue_fallback and steal_suitable_fallback', () => {
  it('an unmovable allocation takes the largest movable block and every pageblock of it', () => {
    const m = createMachine({ nodesMiB: [32], config: { pcp: false } });
    const pfn = m.allocator.allocPages(GFP_DMA, 0);
    const block = pfn & ~1023;
    expect(m.pages.getPageblockMigratetype(block)).toBe(MIGRATE_UNMOVABLE);
    expect(m.pages.getPageblockMigratetype(block + 512)).toBe(MIGRATE_UNMOVABLE);
    const others = [0, 512, 1024, 1536, 2048, 2560, 3072, 3584].filter((p) => (p & ~1023) !== block);
    expect(others.map((p) => m.pages.getPageblockMigratetype(p))).toEqual(others.map(() => MIGRATE_MOVABLE));
    const dma = m.zones[0];
    for (let o = 0; o < 10; o++) expect(dma.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_UNMOVABLE]).toBe(1);
    expect(dma.nrFreeByType[10 * MIGRATE_TYPES + MIGRATE_MOVABLE]).toBe(3);
    expect(checkCounters(m)).toEqual([]);
  });

  it('a movable allocation that may not steal splits the smallest fallback block and leaves the pageblock alone', () => {
    const { m, a, dma, freeRange, byType } = fullDma();
    m.pages.setPageblockMigratetype(0, MIGRATE_UNMOVABLE);
    freeRange(0, 4); // order 2 at 0 on the unmovable list
    freeRange(8, 16); // order 3 at 8
    expect([byType(2, MIGRATE_UNMOVABLE), byType(3, MIGRATE_UNMOVABLE)]).toEqual([1, 1]);
    const pfn = a.allocPages(MOVABLE_DMA, 0);
    expect(pfn).toBe(0); // find_smallest, not the largest (order 3 at 8)
    expect(m.pages.getPageblockMigratetype(0)).toBe(MIGRATE_UNMOVABLE);
    expect(byType(3, MIGRATE_UNMOVABLE)).toBe(1);
    expect([byType(0, MIGRATE_MOVABLE), byType(1, MIGRATE_MOVABLE)]).toEqual([1, 1]);
    expect(dma.freePages).toBe(11);
    expect(checkCounters(m)).toEqual([]);
  });

  it('a movable order-4 fallback claims the pageblock when free + movable pages >= half of it', () => {
    for (const lru of [0, 300]) {
      const { m, a, freeRange, byType } = fullDma();
      m.pages.setPageblockMigratetype(0, MIGRATE_UNMOVABLE);
      for (let p = 100; p < 100 + lru; p++) m.pages.setFlag(p, PG_lru);
      freeRange(16, 32); // order 4 at 16
      freeRange(40, 41); // an order-0 page: moved along with the block
      const pfn = a.allocPages(MOVABLE_DMA, 4);
      expect(pfn).toBe(16);
      expect(m.pages.getPageblockMigratetype(0)).toBe(lru ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
      expect(byType(0, MIGRATE_MOVABLE)).toBe(1); // move_freepages_block moved the whole block's free pages
      expect(byType(0, MIGRATE_UNMOVABLE)).toBe(0);
      for (let p = 100; p < 100 + lru; p++) m.pages.clearFlag(p, PG_lru);
      expect(checkCounters(m)).toEqual([]);
    }
  });

  it('an unmovable fallback into a movable pageblock counts the non-movable pages as alike', () => {
    for (const lru of [0, 384]) {
      const { m, a, freeRange, byType } = fullDma();
      // pageblock 1 = pfns 512..1023; free 128 of them, PG_lru on the other 384 or none
      for (let p = 640; p < 640 + lru; p++) m.pages.setFlag(p, PG_lru);
      freeRange(512, 640);
      const pfn = a.allocPages(GFP_DMA, 0);
      expect(pfn).toBe(512);
      // 128 free + (512 - 128 - movable) alike >= 256 unless all the rest is movable
      expect(m.pages.getPageblockMigratetype(512)).toBe(lru ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
      // the free pages moved to the unmovable lists either way
      let unmovable = 0;
      for (let o = 0; o < 11; o++) unmovable += byType(o, MIGRATE_UNMOVABLE) << o;
      expect(unmovable).toBe(127);
      for (let p = 640; p < 640 + lru; p++) m.pages.clearFlag(p, PG_lru);
    }
  });

  it('between unmovable and reclaimable only free pages count', () => {
    for (const free of [128, 256]) {
      const { m, a } = fullDma();
      m.pages.setPageblockMigratetype(512, MIGRATE_UNMOVABLE);
      for (let p = 512; p < 512 + free; p++) a.freePages(p, 0);
      expect(a.allocPages(GFP_DMA | __GFP_RECLAIMABLE, 0)).toBe(512);
      expect(m.pages.getPageblockMigratetype(512)).toBe(free >= 256 ? MIGRATE_RECLAIMABLE : MIGRATE_UNMOVABLE);
    }
  });

  it('never falls back to the highatomic lists, and never claims a highatomic pageblock', () => {
    const { m, a, byType } = fullDma();
    m.pages.setPageblockMigratetype(0, MIGRATE_HIGHATOMIC);
    for (let p = 0; p < 64; p++) a.freePages(p, 0);
    expect(byType(6, MIGRATE_HIGHATOMIC)).toBe(1);
    expect(a.allocPages(GFP_DMA | __GFP_NOWARN, 0)).toBe(NO_PAGE);
    expect(a.allocPages(MOVABLE_DMA | __GFP_NOWARN, 0)).toBe(NO_PAGE);
    // ALLOC_HARDER uses the reserve
    expect(a.allocPages(GFP_ATOMIC | GFP_DMA, 0)).toBe(0);
    // a free block on the unmovable list inside a highatomic pageblock moves alone
    m.pages.setPageblockMigratetype(512, MIGRATE_UNMOVABLE);
    for (let p = 512; p < 528; p++) a.freePages(p, 0);
    m.pages.setPageblockMigratetype(512, MIGRATE_HIGHATOMIC);
    expect(a.allocPages(MOVABLE_DMA, 4)).toBe(512);
    expect(m.pages.getPageblockMigratetype(512)).toBe(MIGRATE_HIGHATOMIC);
    expect(checkCounters(m)).toEqual([]);
  });
});

describe('highatomic reserve', () => {
  it('reserves a pageblock after a high-order ALLOC_HARDER allocation and gives it back before failing', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const a = m.allocator;
    const dma32 = m.zones[1];
    while (a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0) !== NO_PAGE);
    expect(dma32.nrReservedHighatomic).toBe(0);
    const pfn = a.allocPages(GFP_ATOMIC, 1);
    expect(pfn).not.toBe(NO_PAGE);
    const zone = m.zones[m.pages.zoneNumOf(pfn)];
    expect(zone.nrReservedHighatomic).toBe(512);
    expect(m.pages.getPageblockMigratetype(pfn)).toBe(MIGRATE_HIGHATOMIC);
    let onHighatomic = 0;
    a.forEachFreeBlock((z, p, _o, mt) => {
      if (z === zone && (p & ~511) === (pfn & ~511)) expect(mt).toBe(MIGRATE_HIGHATOMIC);
      if (mt === MIGRATE_HIGHATOMIC) onHighatomic++;
    });
    expect(onHighatomic).toBeGreaterThan(0);
    // a sleeping allocation that fails releases the reserve (unreserve_highatomic_pageblock(force))
    a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
    expect(zone.nrReservedHighatomic).toBe(0);
    expect(m.pages.getPageblockMigratetype(pfn)).toBe(MIGRATE_UNMOVABLE);
    expect(checkCounters(m)).toEqual([]);
  });

  it('keeps the reserve to about 1% of the zone plus a pageblock', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const a = m.allocator;
    while (a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0) !== NO_PAGE);
    for (let i = 0; i < 40; i++) a.allocPages(GFP_ATOMIC | __GFP_NOWARN, 1);
    for (const zone of m.zones) {
      expect(zone.nrReservedHighatomic).toBeLessThanOrEqual(Math.floor(zone.managedPages / 100) + 512 + 511);
    }
    expect(m.zones[1].nrReservedHighatomic).toBeGreaterThan(0);
  });
});

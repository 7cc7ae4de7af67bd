import { describe, expect, it } from 'vitest';
import { GFP_DMA32, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_TYPES, MIGRATE_UNMOVABLE, NO_PAGE } from '@mmkit/core';
import { pagesetHighBatch, pcpListIndex, rounddownPowOfTwo, zoneBatchsize, type BuddyAllocator } from '../src/index.js';
import { buddyState } from '../src/internals.js';
import { checkCounters, createMachine, type Machine } from './fixture.js';

/** Pages on one CPU's list of one migratetype in a zone (pcp->lists[migratetype]). */
function listLength(m: Machine, zoneNum: number, cpu: number, migratetype: number): number {
  const st = buddyState(m.allocator as BuddyAllocator);
  return st.pcpLists.length[pcpListIndex(zoneNum, st.nrCpus, cpu, migratetype)];
}

describe('zone_batchsize and pageset_set_batch', () => {
  it('a 4 GiB zone has batch 31 and high 186', () => {
    expect(zoneBatchsize(1 << 20)).toBe(31);
    expect(pagesetHighBatch(31)).toEqual({ high: 186, batch: 31 });
  });

  it('follows managed/1024, capped at 512 KiB, /4, clamped to 2^n - 1', () => {
    expect(zoneBatchsize(61440)).toBe(15); // 60 / 4 = 15 -> 22 -> 16 - 1
    expect(zoneBatchsize(12288)).toBe(3); // 12 / 4 = 3 -> 3 + 1 = 4 -> 4 - 1
    expect(zoneBatchsize(4096)).toBe(0); // 4 / 4 = 1 -> 1 -> 1 - 1
    expect(zoneBatchsize(0)).toBe(0);
    expect(zoneBatchsize(64 << 20)).toBe(31);
    expect(pagesetHighBatch(0)).toEqual({ high: 0, batch: 1 });
    expect([1, 2, 3, 5, 8, 1023].map(rounddownPowOfTwo)).toEqual([1, 2, 2, 4, 8, 512]);
  });

  it('sets every CPU pageset of every zone at boot', () => {
    const m = createMachine({ nodesMiB: [256], nrCpus: 3 });
    expect(m.zones[0].pageset.map(({ count, high, batch }) => ({ count, high, batch }))).toEqual([0, 1, 2].map(() => ({ count: 0, high: 0, batch: 1 })));
    expect(m.zones[1].pageset.map(({ count, high, batch }) => ({ count, high, batch }))).toEqual([0, 1, 2].map(() => ({ count: 0, high: 90, batch: 15 })));
  });
});

describe('per-cpu lists', () => {
  const boot = () => createMachine({ nodesMiB: [256], nrCpus: 2 });

  it('refills with one batch in physical order and hands out the list head', () => {
    const m = boot();
    const dma32 = m.zones[1];
    const free = dma32.freePages;
    const p = m.allocator.allocPages(GFP_KERNEL, 0);
    expect(dma32.pageset[0].count).toBe(14);
    expect(listLength(m, dma32.zoneNum, 0, MIGRATE_UNMOVABLE)).toBe(14);
    expect(dma32.freePages).toBe(free - 15);
    expect(m.allocator.allocPages(GFP_KERNEL, 0)).toBe(p + 1);
    expect(m.allocator.allocPages(GFP_KERNEL, 0)).toBe(p + 2);
    // a page freed is the next one handed out (hot)
    m.allocator.freePages(p, 0);
    expect(m.allocator.allocPages(GFP_KERNEL, 0)).toBe(p);
    expect(checkCounters(m)).toEqual([]);
  });

  it('keeps lists per migratetype and per CPU', () => {
    const m = boot();
    const dma32 = m.zones[1];
    m.allocator.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    expect(listLength(m, dma32.zoneNum, 0, MIGRATE_MOVABLE)).toBe(14);
    m.sched.currentCpu = 1;
    const q = m.allocator.allocPages(GFP_KERNEL, 0);
    expect(dma32.pageset[1].count).toBe(14);
    m.allocator.freePages(q, 0);
    expect(dma32.pageset[1].count).toBe(15);
    expect(dma32.pageset[0].count).toBe(14);
    const seen: number[] = [];
    m.allocator.forEachPcpPage((zone, cpu, pfn) => cpu === 1 && zone === dma32 && seen.push(pfn));
    expect(seen).toContain(q);
    expect(seen).toHaveLength(15);
  });

  it('gives a batch back, oldest first, when the count reaches high', () => {
    const m = boot();
    const dma32 = m.zones[1];
    const got: number[] = [];
    for (let i = 0; i < 100; i++) got.push(m.allocator.allocPages(GFP_KERNEL, 0));
    const left = dma32.pageset[0].count;
    let first = -1;
    m.allocator.forEachPcpPage((_z, _c, pfn) => first === -1 && (first = pfn));
    for (let i = 0; i < 90 - left - 1; i++) m.allocator.freePages(got[i], 0);
    expect(dma32.pageset[0].count).toBe(89);
    const before = dma32.freePages;
    m.allocator.freePages(got[89 - left], 0);
    expect(dma32.pageset[0].count).toBe(90 - 15);
    expect(dma32.freePages).toBe(before + 15);
    expect(checkCounters(m)).toEqual([]);
  });

  it('highatomic pages ride on the movable list and return to the highatomic list; isolated pages bypass the lists', () => {
    const m = boot();
    const dma32 = m.zones[1];
    const p = m.allocator.allocPages(GFP_KERNEL, 0);
    const q = m.allocator.allocPages(GFP_KERNEL, 0);
    m.pages.setPageblockMigratetype(p, MIGRATE_HIGHATOMIC);
    m.allocator.freePages(p, 0);
    expect(listLength(m, dma32.zoneNum, 0, MIGRATE_MOVABLE)).toBe(1);
    m.allocator.drainAllPages();
    expect(dma32.pageset[0].count).toBe(0);
    expect(dma32.nrFreeByType[0 * MIGRATE_TYPES + MIGRATE_HIGHATOMIC]).toBe(1);
    m.pages.setPageblockMigratetype(q, MIGRATE_ISOLATE);
    m.allocator.freePages(q, 0);
    expect(dma32.pageset[0].count).toBe(0);
    // straight to the buddy lists (merging with p, its free buddy) on the isolate list
    let isolated = -1;
    m.allocator.forEachFreeBlock((_z, pfn, order, mt) => mt === MIGRATE_ISOLATE && q >= pfn && q < pfn + (1 << order) && (isolated = pfn));
    expect(isolated).toBe(Math.min(p, q));
    expect(checkCounters(m)).toEqual([]);
  });

  it('drain_all_pages empties every list of every CPU', () => {
    const m = boot();
    for (let cpu = 0; cpu < 2; cpu++) {
      m.sched.currentCpu = cpu;
      m.allocator.allocPages(GFP_KERNEL, 0);
      m.allocator.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    }
    expect(m.zones[1].pcpPages()).toBe(4 * 14);
    m.allocator.drainAllPages();
    expect(m.zones[1].pcpPages()).toBe(0);
    let n = 0;
    m.allocator.forEachPcpPage(() => n++);
    expect(n).toBe(0);
    expect(checkCounters(m)).toEqual([]);
  });

  it('with pcp off, order-0 pages go straight to the buddy lists', () => {
    const m = createMachine({ nodesMiB: [256], config: { pcp: false } });
    const free = m.zones[1].freePages;
    const p = m.allocator.allocPages(GFP_DMA32, 0);
    expect(p).not.toBe(NO_PAGE);
    expect(m.zones[1].freePages).toBe(free - 1);
    expect(m.zones[1].pcpPages()).toBe(0);
    m.allocator.freePages(p, 0);
    expect(m.zones[1].freePages).toBe(free);
  });
});

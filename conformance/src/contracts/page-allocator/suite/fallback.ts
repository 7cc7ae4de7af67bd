/** Page-allocator cases: __rmqueue_fallback(): stealing from other migratetypes. */
import {
  GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MAX_ORDER, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_TYPES, MIGRATE_UNMOVABLE, NO_PAGE, PAGEBLOCK_NR_PAGES, __GFP_MOVABLE, __GFP_RECLAIMABLE,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { M256, boot, zoneOf, zoneByIdx, pageblockMt, freeBlocks, checkCounters, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'fallback: steal the largest block, in fallbacks[] order, and claim its pageblocks',
  rules: ['page-allocator.fallback.steal-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    // kmem_cache_init()'s slabs claimed a pageblock for unmovable pages at boot: its free pages
    // are taken first, so that only the pageblocks memmap_init_zone() marked movable are free.
    const unmovableFree = freeBlocks(k, z).filter((b) => b.mt !== MIGRATE_MOVABLE).reduce((n, b) => n + 2 ** b.order, 0);
    for (let i = 0; i < unmovableFree; i++) assert.ok(pa.allocPages(GFP_KERNEL, 0) !== NO_PAGE, 'an unmovable page from the boot pageblock');
    const blocks0 = freeBlocks(k, z);
    assert.ok(blocks0.every((b) => b.mt === MIGRATE_MOVABLE), 'then the zone has only MIGRATE_MOVABLE free blocks (memmap_init_zone marks every pageblock movable)');
    const maxOrder = blocks0.reduce((max, b) => Math.max(max, b.order), -Infinity);
    assert.equal(maxOrder, MAX_ORDER - 1, 'DMA32 has free order-10 blocks');

    // A reclaimable page with no reclaimable free page: steal the largest movable block.
    const r = pa.allocPages(GFP_KERNEL | __GFP_RECLAIMABLE, 0);
    assert.equal(zoneOf(k, r), z, 'the reclaimable page comes from DMA32');
    const base = r - (r % 2 ** (MAX_ORDER - 1));
    assert.ok(blocks0.some((b) => b.pfn === base && b.order === MAX_ORDER - 1), `the reclaimable page ${r} was cut from a free order-10 block (largest first), not a smaller one`);
    assert.equal(pageblockMt(k, base), MIGRATE_RECLAIMABLE, 'the stolen order-10 block\u2019s first pageblock is now reclaimable');
    assert.equal(pageblockMt(k, base + PAGEBLOCK_NR_PAGES), MIGRATE_RECLAIMABLE, 'and its second pageblock too (change_pageblock_range)');
    assert.ok(
      freeBlocks(k, z).filter((b) => b.pfn >= base && b.pfn < base + 1024).every((b) => b.mt === MIGRATE_RECLAIMABLE),
      'the rest of the stolen block is on the reclaimable lists',
    );
    pa.freePages(r, 0);
    const back = freeBlocks(k, z).find((b) => b.pfn === base);
    assert.deepEqual(back && [back.order, back.mt], [MAX_ORDER - 1, MIGRATE_RECLAIMABLE], 'freed, the block merges back into an order-10 reclaimable block');

    // An unmovable page: fallbacks[UNMOVABLE] = RECLAIMABLE before MOVABLE at the same order.
    const u = pa.allocPages(GFP_KERNEL, 0);
    assert.ok(u >= base && u < base + 1024, `the unmovable page ${u} comes from the reclaimable order-10 block at ${base} (fallbacks[] tries RECLAIMABLE before MOVABLE)`);
    assert.equal(pageblockMt(k, base), MIGRATE_UNMOVABLE, 'the block\u2019s pageblocks are claimed for MIGRATE_UNMOVABLE');
    assert.equal(pageblockMt(k, base + PAGEBLOCK_NR_PAGES), MIGRATE_UNMOVABLE, 'both of them');

    // A movable allocation with movable pages free never touches other types.
    const m = pa.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    assert.equal(pageblockMt(k, m), MIGRATE_MOVABLE, 'a movable page comes from a movable pageblock');
    assert.ok(m < base || m >= base + 1024, 'not from the unmovable block');
    checkCounters(k, 'after the steals');
  },
});

add({
  name: 'fallback: a movable allocation that cannot claim a pageblock takes the smallest block',
  rules: ['page-allocator.fallback.steal-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const dma = zoneByIdx(k, 0, k.zoneConfig.DMA);
    assert.equal(pa.setMinFreeKbytes(0), 0, 'min_free_kbytes 0 (so DMA can be emptied)');
    const count = (order: number, mt: number) => dma.nrFreeByType[order * MIGRATE_TYPES + mt];
    assert.ok(count(MAX_ORDER - 1, MIGRATE_MOVABLE) > 0, 'ZONE_DMA has a free order-10 movable block');
    // ZONE_DMA starts at pfn 1, so memmap_init_zone() never marks its first pageblock movable:
    // take its unmovable free blocks first, smallest order first.
    for (let o = 0; o < MAX_ORDER; o++) {
      for (let guard = 0; count(o, MIGRATE_UNMOVABLE) > 0 && guard < 4096; guard++) assert.notEqual(pa.allocPages(GFP_DMA, o), NO_PAGE, `GFP_DMA order ${o}`);
      assert.equal(count(o, MIGRATE_UNMOVABLE), 0, `no unmovable order-${o} block left`);
    }
    // An unmovable page steals an order-10 block: unmovable pieces of orders 0..9 remain.
    const u = pa.allocPages(GFP_DMA, 0);
    assert.equal(zoneOf(k, u), dma, 'GFP_DMA is served by ZONE_DMA');
    for (let o = 0; o < MAX_ORDER - 1; o++) assert.equal(count(o, MIGRATE_UNMOVABLE), 1, `one unmovable order-${o} piece after splitting the stolen block`);
    // Keep unmovable pieces of order 0..3 only.
    for (let o = MAX_ORDER - 2; o >= 4; o--) assert.notEqual(pa.allocPages(GFP_DMA, o), NO_PAGE, `GFP_DMA order ${o}`);
    // Empty every movable free list of ZONE_DMA.
    for (let o = MAX_ORDER - 1; o >= 0; o--) {
      for (let guard = 0; count(o, MIGRATE_MOVABLE) > 0 && guard < 4096; guard++) {
        assert.notEqual(pa.allocPages(GFP_DMA | __GFP_MOVABLE, o), NO_PAGE, `GFP_DMA|__GFP_MOVABLE order ${o} while movable order-${o} blocks are free`);
      }
      assert.equal(count(o, MIGRATE_MOVABLE), 0, `no movable order-${o} block left`);
    }
    const pieces = freeBlocks(k, dma).filter((b) => b.mt === MIGRATE_UNMOVABLE);
    assert.deepEqual(pieces.map((b) => b.order).sort(), [0, 1, 2, 3], 'ZONE_DMA holds unmovable pieces of orders 0, 1, 2, 3 only');
    const smallest = pieces.find((b) => b.order === 0)!;
    // Order 3 < pageblock_order / 2: a movable allocation may not claim the pageblock, so 4.17
    // splits the smallest fallback block rather than the largest.
    const m = pa.allocPages(GFP_DMA | __GFP_MOVABLE, 0);
    assert.equal(m, smallest.pfn, `the movable page comes from the smallest unmovable block (pfn ${smallest.pfn}), not from the order-3 one`);
    assert.equal(pageblockMt(k, m), MIGRATE_UNMOVABLE, 'the pageblock stays unmovable (only the page was taken)');
    checkCounters(k, 'after the movable fallback');
  },
});

export const fallbackCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

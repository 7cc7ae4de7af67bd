/** Page-allocator cases: __free_pages(): coalescing back to the boot lists, bad frees. */
import {
  GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MAX_ORDER, NO_PAGE, Prng, __GFP_COMP, __GFP_NOWARN, __GFP_RECLAIMABLE, formatGfp,
} from '@mmkit/core';
import { type Kernel } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { M128, M256, boot, freeBlocks, freeBlockKeys, checkCounters, checkFullyCoalesced, totalFree, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'free: freeing everything restores the boot free lists',
  rules: ['page-allocator.free.coalesce'],
  run(ctx) {
    const k = boot(ctx, { machine: M256 });
    const pa = k.pageAllocator;
    pa.drainAllPages();
    const boot0 = freeBlockKeys(k);
    const free0 = k.zones.map((z) => z.freePages);
    checkFullyCoalesced(k, 'at boot');
    const prng = new Prng(ctx.seed);
    const held: [number, number][] = [];
    const mix = [[GFP_KERNEL, 0, 3000], [GFP_HIGHUSER_MOVABLE, 0, 3000], [GFP_KERNEL | __GFP_RECLAIMABLE, 1, 400], [GFP_HIGHUSER_MOVABLE, 3, 300], [GFP_KERNEL, 5, 40], [GFP_DMA, 0, 200], [GFP_HIGHUSER_MOVABLE, 9, 20]] as const;
    for (const [gfp, order, n] of mix) {
      for (let i = 0; i < n; i++) {
        const pfn = pa.allocPages(gfp, order);
        assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} order ${order} on a 256 MiB machine`);
        held.push([pfn, order]);
      }
    }
    for (let i = held.length - 1; i > 0; i--) {
      const j = prng.nextInt(i + 1);
      [held[i], held[j]] = [held[j], held[i]];
    }
    for (const [pfn, order] of held) pa.freePages(pfn, order);
    pa.drainAllPages();
    checkCounters(k, 'after freeing everything');
    assert.deepEqual(k.zones.map((z) => z.freePages), free0, 'free pages per zone after freeing everything');
    checkFullyCoalesced(k, 'after freeing everything');
    assert.deepEqual(freeBlockKeys(k), boot0, 'the free blocks (zone, pfn, order) after freeing everything, against boot');
  },
});

function freeState(k: Kernel): unknown {
  return { blocks: freeBlocks(k).map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}:${b.mt}`).sort(), pcp: k.zones.map((z) => z.pageset.map((p) => p.count)), free: k.zones.map((z) => z.freePages) };
}

add({
  name: 'free: with CONFIG_DEBUG_VM a double free is reported and changes nothing',
  rules: ['page-allocator.free.double-free'],
  run(ctx) {
    for (const pcp of [true, false]) {
      const k = boot(ctx, { machine: M128, pcp });
      assert.ok(k.debug.vm, 'the case boots with CONFIG_DEBUG_VM');
      const pa = k.pageAllocator;
      for (const order of [0, 3]) {
        const keep = pa.allocPages(GFP_KERNEL, order);
        const pfn = pa.allocPages(GFP_KERNEL, order);
        assert.ok(keep !== NO_PAGE && pfn !== NO_PAGE, 'allocations on a fresh machine');
        pa.freePages(pfn, order);
        const state = freeState(k);
        const reports = k.badPageReports.length;
        pa.freePages(pfn, order);
        assert.equal(k.badPageReports.length, reports + 1, `pcp ${pcp}: freeing order-${order} pfn ${pfn} twice is reported once`);
        assert.equal(k.badPageReports[reports].pfn, pfn, 'the report names the page');
        assert.deepEqual(freeState(k), state, `pcp ${pcp}: free lists, per-cpu lists and counters after the double free of order ${order}`);
        checkCounters(k, `pcp ${pcp}: after an order-${order} double free`);
        pa.freePages(keep, order);
      }
      // A page that was never allocated: the head of a free block.
      pa.drainAllPages();
      const head = freeBlocks(k).find((b) => b.order === MAX_ORDER - 1);
      assert.ok(head, 'a free order-10 block on a fresh machine');
      const state = freeState(k);
      const reports = k.badPageReports.length;
      pa.freePages(head.pfn, 0);
      assert.equal(k.badPageReports.length, reports + 1, 'freeing a free page is reported');
      assert.deepEqual(freeState(k), state, 'freeing a free page changes nothing');
      checkCounters(k, `pcp ${pcp}: after freeing a free page`);
    }
  },
});

add({
  name: "free: under 4.17's defaults a double free underflows the count and the next allocation of the page reports it",
  rules: ['page-allocator.free.double-free-underflow'],
  run(ctx) {
    for (const pcp of [true, false]) {
      for (const order of [0, 3]) {
        const k = boot(ctx, { machine: M128, pcp });
        assert.ok(!k.debug.vm, 'the case boots without CONFIG_DEBUG_VM');
        const pa = k.pageAllocator;
        const pfn = pa.allocPages(GFP_KERNEL, order);
        assert.notEqual(pfn, NO_PAGE, 'an allocation on a fresh machine');
        pa.freePages(pfn, order);
        pa.drainAllPages();
        const state = freeState(k);
        pa.freePages(pfn, order);
        assert.equal(k.badPageReports.length, 0, `pcp ${pcp}: freeing order-${order} pfn ${pfn} twice reports nothing when it happens`);
        assert.ok(k.pages.refcount[pfn] < 0, `pcp ${pcp}: the page count went below zero (${k.pages.refcount[pfn]})`);
        assert.deepEqual(freeState(k), state, `pcp ${pcp}: the second free of order ${order} frees nothing`);
        checkCounters(k, `pcp ${pcp}: after an order-${order} double free`);
        // Allocate the zone empty: the page comes off the free lists, is reported, and is never handed out.
        const zone = k.pageZone(pfn)!;
        const got = new Set<number>();
        for (let i = 0; i < zone.managedPages; i++) {
          const p = pa.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
          if (p === NO_PAGE) break;
          got.add(p);
        }
        const reports = k.badPageReports.filter((r) => r.pfn === pfn);
        assert.equal(reports.length, 1, `pcp ${pcp}: the order-${order} page freed twice is reported once, when an allocation reaches it`);
        assert.match(reports[0].reason, /nonzero _refcount/, 'the report says why');
        assert.ok(!got.has(pfn), `pcp ${pcp}: pfn ${pfn} is never handed out`);
      }
    }
  },
});

add({
  name: 'free: with CONFIG_DEBUG_VM a compound page freed with another order is reported and changes nothing',
  rules: ['page-allocator.free.wrong-order-compound'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const pa = k.pageAllocator;
    pa.drainAllPages();
    const free0 = totalFree(k);
    for (const [order, wrong] of [[2, 3], [2, 1], [1, 0], [4, 0]] as const) {
      const pfn = pa.allocPages(GFP_KERNEL | __GFP_COMP, order);
      assert.notEqual(pfn, NO_PAGE, `order-${order} allocation`);
      const state = freeState(k);
      const reports = k.badPageReports.length;
      pa.freePages(pfn, wrong);
      assert.equal(k.badPageReports.length, reports + 1, `freeing an order-${order} compound page as order ${wrong} is reported`);
      assert.deepEqual(freeState(k), state, `freeing an order-${order} compound page as order ${wrong} changes nothing`);
      pa.freePages(pfn, order);
      assert.equal(k.badPageReports.length, reports + 1, `then freeing it as order ${order} is fine`);
    }
    pa.drainAllPages();
    checkCounters(k, 'after the wrong-order frees');
    assert.equal(totalFree(k), free0, 'every block freed with the right order is free again');
  },
});

add({
  name: 'free: a smaller order frees the head of the block, reports nothing and loses the rest',
  rules: ['page-allocator.free.wrong-order-smaller'],
  run(ctx) {
    for (const gfp of [GFP_KERNEL, GFP_KERNEL | __GFP_COMP]) {
      const k = boot(ctx, { machine: M128, pcp: false });
      const pa = k.pageAllocator;
      for (const [order, wrong] of [[3, 1], [2, 0]] as const) {
        const pfn = pa.allocPages(gfp, order);
        assert.notEqual(pfn, NO_PAGE, `order-${order} allocation`);
        const free = totalFree(k);
        pa.freePages(pfn, wrong);
        assert.equal(k.badPageReports.length, 0, `freeing an order-${order} block as order ${wrong} (${formatGfp(gfp)}) reports nothing`);
        assert.equal(totalFree(k), free + 2 ** wrong, `freeing an order-${order} block as order ${wrong} frees ${2 ** wrong} pages, not ${2 ** order}`);
        checkCounters(k, `after freeing an order-${order} block as order ${wrong}`);
      }
    }
  },
});

add({
  name: 'free: a larger order over another allocated block is reported and frees nothing',
  rules: ['page-allocator.free.wrong-order-larger'],
  run(ctx) {
    const k = boot(ctx, { machine: M128, pcp: false });
    const pa = k.pageAllocator;
    // two neighbouring order-2 blocks that make an order-3 block
    let prev = -1;
    let lo = -1;
    for (let i = 0; i < 4096 && lo < 0; i++) {
      const p = pa.allocPages(GFP_KERNEL, 2);
      assert.notEqual(p, NO_PAGE, 'order-2 allocations on a fresh machine');
      if (p === prev + 4 && prev % 8 === 0) lo = prev;
      prev = p;
    }
    assert.ok(lo >= 0, 'two neighbouring order-2 blocks');
    const state = freeState(k);
    pa.freePages(lo, 3);
    assert.equal(k.badPageReports.length, 1, 'freeing an order-2 block as order 3 over its allocated neighbour is reported');
    assert.equal(k.badPageReports[0].pfn, lo + 4, 'the report names the page of the other block');
    assert.match(k.badPageReports[0].reason, /nonzero _refcount/, 'the report says why');
    assert.deepEqual(freeState(k), state, 'nothing is freed');
    pa.freePages(lo + 4, 2);
    assert.equal(k.badPageReports.length, 1, 'the neighbour is still allocated and frees normally');
    checkCounters(k, 'after the larger-order free');
  },
});

export const freeCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

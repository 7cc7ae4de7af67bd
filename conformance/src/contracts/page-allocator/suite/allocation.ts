/** Page-allocator cases: __alloc_pages_nodemask(): orders, zonelists, nodes, __GFP_ZERO. */
import {
  GFP_DMA, GFP_DMA32, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MAX_ORDER, NO_PAGE, PAGE_SIZE, __GFP_NOWARN, __GFP_THISNODE, __GFP_ZERO, formatGfp,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { M128, M256, TWO_NODES, boot, zoneOf, bootDmaZones, exhaust, checkCounters, totalFree, pcpTotal, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'allocation: order >= MAX_ORDER fails, MAX_ORDER - 1 is served',
  rules: ['page-allocator.alloc.order-limit'],
  run(ctx) {
    const k = boot(ctx, { machine: M256 });
    const pa = k.pageAllocator;
    const free0 = totalFree(k) + pcpTotal(k);
    const log0 = k.dmesg().length;
    assert.equal(pa.allocPages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER), NO_PAGE, `order ${MAX_ORDER} with __GFP_NOWARN`);
    assert.equal(k.dmesg().length, log0, 'no warning with __GFP_NOWARN');
    assert.equal(pa.allocPages(GFP_KERNEL, MAX_ORDER), NO_PAGE, `order ${MAX_ORDER}`);
    assert.ok(k.dmesg().length > log0, `order ${MAX_ORDER} without __GFP_NOWARN warns`);
    assert.equal(pa.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, MAX_ORDER + 3), NO_PAGE, `order ${MAX_ORDER + 3}`);
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'no page taken by the refused allocations');
    const pfn = pa.allocPages(GFP_KERNEL, MAX_ORDER - 1);
    assert.notEqual(pfn, NO_PAGE, `order ${MAX_ORDER - 1} on a fresh machine`);
    assert.equal(pfn % 2 ** (MAX_ORDER - 1), 0, `an order-${MAX_ORDER - 1} block is naturally aligned`);
    assert.equal(totalFree(k) + pcpTotal(k), free0 - 2 ** (MAX_ORDER - 1), 'free pages after the order-10 allocation');
    pa.freePages(pfn, MAX_ORDER - 1);
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'free pages after freeing it');
  },
});

add({
  name: 'allocation: the zonelist is walked down, never up',
  rules: ['page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default', pcp: false });
    const zc = k.zoneConfig;
    const cases = [
      [GFP_DMA, zc.DMA],
      [GFP_DMA32, zc.DMA32],
      [GFP_KERNEL, zc.NORMAL],
    ] as const;
    for (const [gfp, top] of cases) {
      const pfns = exhaust(k, gfp, 9);
      const zones = new Set(pfns.map((p) => zoneOf(k, p).idx));
      for (const idx of zones) assert.ok(idx <= top, `${formatGfp(gfp)} got a page of ${zc.names[idx]}, above ${zc.names[top]}`);
      assert.ok(zones.has(top) || pfns.length === 0, `${formatGfp(gfp)} starts with ${zc.names[top]}`);
      if (top === zc.NORMAL) assert.ok(zones.has(zc.DMA32), 'GFP_KERNEL falls back to DMA32 when Normal is exhausted');
      for (const p of pfns) k.pageAllocator.freePages(p, 9);
    }
    checkCounters(k, 'after the fallbacks');
  },
});

add({
  name: 'allocation: the fast path moves on at the low watermark',
  rules: ['page-allocator.alloc.watermark-low-fastpath', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const { k, dma, dma32, R } = bootDmaZones(ctx);
    const pa = k.pageAllocator;
    const limit = dma32.managedPages + dma.managedPages;
    let i = 0;
    let pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.equal(zoneOf(k, pfn), dma32, 'the first GFP_KERNEL page comes from DMA32, the preferred zone');
    for (; i < limit && zoneOf(k, pfn) === dma32; i++) pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.equal(zoneOf(k, pfn), dma, 'after DMA32 the allocations move to DMA');
    assert.equal(dma32.freePages, dma32.lowWmarkPages(), `DMA32 free pages when the first DMA page is taken: its low watermark (min is ${dma32.minWmarkPages()})`);
    for (; i < limit && zoneOf(k, pfn) === dma; i++) pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.notEqual(pfn, NO_PAGE, 'allocations go on below the low watermarks');
    assert.equal(zoneOf(k, pfn), dma32, 'once DMA is at its low mark (+ reserve), the slow path goes back to DMA32');
    assert.equal(dma.freePages, dma.lowWmarkPages() + R, 'DMA free pages when the fast path gives up: low + lowmem_reserve[DMA32]');
  },
});

add({
  name: 'allocation: __GFP_THISNODE stays on its node, otherwise fall back to other nodes',
  rules: ['page-allocator.alloc.thisnode', 'page-allocator.alloc.node-fallback'],
  run(ctx) {
    const k = boot(ctx, { machine: TWO_NODES, pcp: false });
    assert.equal(k.layout.nodes.length, 2, 'two nodes');
    const pa = k.pageAllocator;
    const node1 = exhaust(k, GFP_KERNEL | __GFP_THISNODE, 0, 1);
    assert.ok(node1.length > 1000, 'node 1 served __GFP_THISNODE allocations');
    for (const p of node1) assert.equal(zoneOf(k, p).nid, 1, `__GFP_THISNODE for node 1 got pfn ${p} of node ${zoneOf(k, p).nid}`);
    const node0Free = k.zones.filter((z) => z.nid === 0).reduce((n, z) => n + z.freePages, 0);
    assert.ok(node0Free > 10000, `node 0 still has ${node0Free} free pages`);
    assert.equal(pa.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 3, 1), NO_PAGE, '__GFP_THISNODE order 3 on the exhausted node 1 fails');
    const fallback = pa.allocPages(GFP_KERNEL, 0, 1);
    assert.notEqual(fallback, NO_PAGE, 'without __GFP_THISNODE node 1 falls back');
    assert.equal(zoneOf(k, fallback).nid, 0, 'the fallback page is on node 0');
    const big = pa.allocPages(GFP_HIGHUSER_MOVABLE, 9, 1);
    assert.notEqual(big, NO_PAGE, 'an order-9 fallback for node 1');
    assert.equal(zoneOf(k, big).nid, 0, 'the order-9 fallback comes from node 0');
    const local = pa.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, 0);
    assert.equal(zoneOf(k, local).nid, 0, '__GFP_THISNODE for node 0 is served by node 0');
  },
});

add({
  name: 'allocation: __GFP_ZERO pages read as zeros',
  rules: ['page-allocator.alloc.gfp-zero'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const pa = k.pageAllocator;
    const pattern = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const dirty = new Set<number>();
    const blocks: [number, number][] = [];
    for (let i = 0; i < 1500; i++) {
      const order = i % 10 === 0 ? 2 : 0;
      const pfn = pa.allocPages(GFP_KERNEL, order);
      assert.notEqual(pfn, NO_PAGE, 'allocation on a fresh machine');
      blocks.push([pfn, order]);
      for (let p = pfn; p < pfn + 2 ** order; p++) {
        k.contents.write(p, 0, pattern);
        k.contents.write(p, PAGE_SIZE - 4, pattern);
        dirty.add(p);
      }
    }
    for (const [pfn, order] of blocks.reverse()) pa.freePages(pfn, order);
    let reused = 0;
    for (let i = 0; i < 1500; i++) {
      const order = i % 10 === 0 ? 2 : 0;
      const pfn = pa.allocPages(GFP_KERNEL | __GFP_ZERO, order);
      assert.notEqual(pfn, NO_PAGE, '__GFP_ZERO allocation');
      for (let p = pfn; p < pfn + 2 ** order; p++) {
        if (dirty.has(p)) reused++;
        assert.equal(k.contents.readByte(p, 0), 0, `__GFP_ZERO page ${p} byte 0`);
        assert.equal(k.contents.readByte(p, PAGE_SIZE - 1), 0, `__GFP_ZERO page ${p} last byte`);
      }
    }
    ctx.note(`${reused} of the zeroed pages had been written before`);
    assert.ok(reused > 0, 'the allocator reused freed pages (needed for this case to mean anything)');
  },
});

export const allocationCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

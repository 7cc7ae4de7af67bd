/** Page-allocator cases: __zone_watermark_ok() and the watermark the allocation path stops at. */
import {
  ALLOC_HARDER, ALLOC_HIGH, ALLOC_OOM, ALLOC_WMARK_LOW, GFP_ATOMIC, GFP_KERNEL, GFP_NOWAIT, NO_PAGE, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER,
  __GFP_NOMEMALLOC, __GFP_NOWARN,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { effectiveMin, modelWatermarkOk } from './model.js';
import { M256, boot, label, zoneOf, populated, zoneByIdx, bootDmaZones, exhaust, exhaustAll, checkCounters, freeBlocks, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'zone_watermark_ok: free pages must exceed mark + lowmem_reserve[classzone_idx]',
  rules: ['page-allocator.watermark-ok.lowmem-reserve'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default', pcp: false });
    const pa = k.pageAllocator;
    let checked = 0;
    for (const z of populated(k)) {
      for (let cz = z.idx; cz < k.zoneConfig.nrZones; cz++) {
        const R = z.lowmemReserve[cz];
        const F = z.freePages;
        if (F - R - 1 < 0) {
          assert.equal(pa.zoneWatermarkOk(z, 0, 0, cz, 0), false, `${label(z)}: ${F} free pages, reserve ${R} for classzone ${cz}: even mark 0 fails`);
          continue;
        }
        assert.equal(pa.zoneWatermarkOk(z, 0, F - R - 1, cz, 0), true, `${label(z)} classzone ${cz}: free ${F} > mark ${F - R - 1} + reserve ${R}`);
        assert.equal(pa.zoneWatermarkOk(z, 0, F - R, cz, 0), false, `${label(z)} classzone ${cz}: free ${F} <= mark ${F - R} + reserve ${R}`);
        if (R > 0) checked++;
      }
    }
    assert.ok(checked > 0, 'at least one zone had a nonzero reserve to check');
  },
});

add({
  name: 'allocation: GFP_KERNEL stops at min + lowmem_reserve, GFP_ATOMIC digs deeper',
  rules: ['page-allocator.watermark-ok.lowmem-reserve', 'page-allocator.alloc.atomic-reserves'],
  run(ctx) {
    const { k, zc, dma, dma32, R } = bootDmaZones(ctx);
    assert.ok(R > 0 && R + dma.minWmarkPages() < dma.freePages, `model: DMA keeps a reserve of ${R} pages against DMA32 allocations and has more free`);
    const kernel = exhaustAll(k, GFP_KERNEL);
    for (const pfn of kernel) assert.ok(zoneOf(k, pfn).idx <= zc.DMA32, 'GFP_KERNEL pages come from DMA32 or DMA');
    assert.equal(dma32.freePages, dma32.minWmarkPages(), 'DMA32 (the classzone) free pages after exhausting GFP_KERNEL: exactly min');
    assert.equal(dma.freePages, dma.minWmarkPages() + R, `DMA free pages after exhausting GFP_KERNEL: min + lowmem_reserve[DMA32] = ${dma.minWmarkPages()} + ${R}`);

    const high = (m: number) => effectiveMin(m, ALLOC_HIGH);
    exhaust(k, GFP_ATOMIC | __GFP_NOMEMALLOC, 0);
    assert.equal(dma32.freePages, high(dma32.minWmarkPages()), 'DMA32 after GFP_ATOMIC|__GFP_NOMEMALLOC (ALLOC_HIGH): min - min/2');
    assert.equal(dma.freePages, high(dma.minWmarkPages()) + R, 'DMA after GFP_ATOMIC|__GFP_NOMEMALLOC: min - min/2 + reserve');

    const harder = (m: number) => effectiveMin(m, ALLOC_HIGH | ALLOC_HARDER);
    exhaust(k, GFP_ATOMIC, 0);
    assert.equal(dma32.freePages, harder(dma32.minWmarkPages()), 'DMA32 after GFP_ATOMIC (ALLOC_HIGH|ALLOC_HARDER): a further quarter off');
    assert.equal(dma.freePages, harder(dma.minWmarkPages()) + R, 'DMA after GFP_ATOMIC: a further quarter off, reserve kept');
    checkCounters(k, 'after exhausting memory');
  },
});

add({
  name: 'zone_watermark_ok: ALLOC_HIGH, ALLOC_HARDER, ALLOC_OOM and the highatomic reserve',
  rules: ['page-allocator.watermark-ok.alloc-high', 'page-allocator.watermark-ok.alloc-harder'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    const F = z.freePages;
    const flagsList = [0, ALLOC_HIGH, ALLOC_HARDER, ALLOC_HIGH | ALLOC_HARDER, ALLOC_OOM, ALLOC_HIGH | ALLOC_OOM];
    const saved = z.nrReservedHighatomic;
    try {
      for (const highatomic of [0, PAGEBLOCK_NR_PAGES]) {
        z.nrReservedHighatomic = highatomic;
        for (const flags of flagsList) {
          // The largest mark that passes, from the model; check around it.
          let boundary = 0;
          for (let m = 0; m < 8 * F; m++) {
            if (!modelWatermarkOk({ free: F, reserve: 0, highatomic }, 0, m, flags, () => true)) break;
            boundary = m;
          }
          for (const mark of [boundary - 2, boundary - 1, boundary, boundary + 1, boundary + 2, boundary + 5]) {
            if (mark < 0) continue;
            const want = modelWatermarkOk({ free: F, reserve: 0, highatomic }, 0, mark, flags, () => true);
            assert.equal(pa.zoneWatermarkOk(z, 0, mark, z.idx, flags), want, `zone_watermark_ok(free ${F}, mark ${mark}, alloc_flags 0x${flags.toString(16)}, nr_reserved_highatomic ${highatomic}); effective min ${effectiveMin(mark, flags)}`);
          }
        }
      }
    } finally {
      z.nrReservedHighatomic = saved;
    }
  },
});

add({
  name: 'zone_watermark_ok: high orders subtract 2^order - 1 and need a free block that large',
  rules: ['page-allocator.watermark-ok.high-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    let F = z.freePages;
    for (const order of [1, 3, 9, 10]) {
      const sub = 2 ** order - 1;
      assert.equal(pa.zoneWatermarkOk(z, order, F - sub - 1, z.idx, 0), true, `order ${order}: free ${F} - ${sub} > mark ${F - sub - 1}`);
      assert.equal(pa.zoneWatermarkOk(z, order, F - sub, z.idx, 0), false, `order ${order}: free ${F} - ${sub} <= mark ${F - sub}`);
    }
    // Fragment DMA32: take every page (min_free_kbytes 0), free every other one.
    assert.equal(pa.setMinFreeKbytes(0), 0, 'min_free_kbytes 0');
    const pfns = exhaust(k, GFP_KERNEL, 0).filter((p) => zoneOf(k, p) === z);
    assert.equal(z.freePages, 0, 'DMA32 free pages after taking everything with min 0');
    for (const p of pfns) if (p % 2 === 0) pa.freePages(p, 0);
    pa.drainAllPages();
    F = z.freePages;
    const maxFreeOrder = freeBlocks(k, z).reduce((max, b) => Math.max(max, b.order), -Infinity); // no spread: a zone has many blocks
    assert.equal(maxFreeOrder, 0, 'every other page freed leaves only order-0 blocks');
    assert.ok(F > 1000, `DMA32 has ${F} free order-0 pages`);
    assert.equal(pa.zoneWatermarkOk(z, 0, 0, z.idx, 0), true, `order 0 with ${F} free pages and mark 0`);
    for (const order of [1, 2, 5]) {
      assert.equal(pa.zoneWatermarkOk(z, order, 0, z.idx, 0), false, `order ${order}: ${F} free pages but no free block of order >= ${order}`);
      assert.equal(pa.zoneWatermarkOk(z, order, 0, z.idx, ALLOC_HARDER | ALLOC_HIGH), false, `order ${order} with ALLOC_HARDER: no block in any list`);
    }
    checkCounters(k, 'after fragmenting DMA32');
  },
});

add({
  name: 'zone_watermark_fast: order 0 passes on free > mark + lowmem_reserve, the highatomic reserve counted as free',
  rules: ['page-allocator.watermark-ok.order0-fast'],
  requires: 'highatomic',
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    // Exhaust GFP_KERNEL, with two pageblocks of the first zone taken as order-0 pages to give back later.
    const blocks = exhaust(k, GFP_KERNEL, PAGEBLOCK_ORDER);
    for (const b of blocks.filter((b) => zoneOf(k, b) === zoneOf(k, blocks[0])).slice(0, 2)) pa.freePages(b, PAGEBLOCK_ORDER);
    const pages = exhaust(k, GFP_KERNEL, 0);
    // A slow-path high-order atomic allocation reserves a highatomic pageblock.
    const atomic = pa.allocPages(GFP_ATOMIC, 1);
    assert.notEqual(atomic, NO_PAGE, 'GFP_ATOMIC order 1 once GFP_KERNEL is exhausted');
    const z = zoneOf(k, atomic);
    const H = z.nrReservedHighatomic;
    assert.ok(H > 0, `${label(z)} has a highatomic reserve after a slow-path GFP_ATOMIC order-1 allocation`);
    const low = z.lowWmarkPages();
    const min = z.minWmarkPages();
    const R = z.lowmemReserve[z.idx];
    // Give order-0 pages of the zone back until it is just above low + lowmem_reserve.
    const mine = pages.filter((p) => zoneOf(k, p) === z);
    while (z.freePages <= low + R) {
      const p = mine.pop();
      if (p === undefined) return assert.fail(`${label(z)}: ran out of pages to free below low ${low} + reserve ${R}`);
      pa.freePages(p, 0);
    }
    const F = z.freePages;
    assert.ok(F - H <= min + R, `model: free ${F} - nr_reserved_highatomic ${H} <= min ${min} + reserve ${R}, so __zone_watermark_ok() alone fails even at min`);
    assert.equal(pa.zoneWatermarkOk(z, 0, low, z.idx, ALLOC_WMARK_LOW), false, `__zone_watermark_ok(order 0, low ${low}) with free ${F} and nr_reserved_highatomic ${H}`);
    const pfn = pa.allocPages(GFP_NOWAIT | __GFP_NOWARN, 0);
    assert.notEqual(pfn, NO_PAGE, `GFP_NOWAIT order 0 with free ${F} > low ${low} + reserve ${R}: zone_watermark_fast() passes without subtracting nr_reserved_highatomic ${H}`);
    assert.equal(zoneOf(k, pfn), z, `the page comes from ${label(z)}`);
    // Order 1 gets no shortcut: __zone_watermark_ok() subtracts the reserve and fails.
    const p = mine.pop();
    if (p !== undefined) pa.freePages(p, 0);
    assert.ok(z.freePages > low + R, `${label(z)} is above low + reserve again`);
    assert.equal(pa.allocPages(GFP_NOWAIT | __GFP_NOWARN, 1), NO_PAGE, `GFP_NOWAIT order 1 with free ${z.freePages}: only order 0 takes the fast check`);
    checkCounters(k, 'after the fast-check allocations');
  },
});

export const watermarkOkCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

/** Page-allocator cases: gfp_zone(): which zones an allocation may use. */
import {
  GFP_DMA, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_USER, NO_PAGE, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_MOVABLE, formatGfp, gfpZone,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { M128, boot, zoneOf, zoneByIdx, exhaust, checkCounters, totalFree, pcpTotal, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'gfp_zone: only __GFP_HIGHMEM|__GFP_MOVABLE reaches ZONE_MOVABLE (x86-64, movablecore)',
  rules: ['page-allocator.gfp-zone.movable-needs-highmem', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'movable-4g', pcp: false });
    const zc = k.zoneConfig;
    assert.ok(k.zones.some((z) => z.idx === zc.MOVABLE && z.managedPages > 0), 'preset movable-4g has a managed ZONE_MOVABLE');
    const pa = k.pageAllocator;
    const got = (gfp: number, order: number) => {
      const pfn = pa.allocPages(gfp, order);
      assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} order ${order} on a fresh 4 GiB machine`);
      return zoneOf(k, pfn);
    };
    assert.equal(got(GFP_HIGHUSER_MOVABLE, 0).idx, zc.MOVABLE, 'GFP_HIGHUSER_MOVABLE is served from ZONE_MOVABLE first');
    assert.equal(got(GFP_HIGHUSER_MOVABLE, 9).idx, zc.MOVABLE, 'an order-9 GFP_HIGHUSER_MOVABLE block comes from ZONE_MOVABLE');
    for (const [gfp, order] of [[GFP_USER | __GFP_MOVABLE, 0], [GFP_KERNEL | __GFP_MOVABLE, 3], [__GFP_MOVABLE, 9]] as const) {
      const z = got(gfp, order);
      assert.ok(z.idx <= zc.NORMAL, `${formatGfp(gfp)} (no __GFP_HIGHMEM) must not use ${z.name}: gfp_zone() is ZONE_NORMAL`);
    }
    const z32 = got(__GFP_MOVABLE | __GFP_DMA32, 0);
    assert.ok(z32.idx <= zc.DMA32, `__GFP_MOVABLE|__GFP_DMA32 must stay at or below DMA32, got ${z32.name}`);
    assert.equal(gfpZone(GFP_HIGHUSER_MOVABLE, zc), zc.MOVABLE, 'the core GFP_ZONE_TABLE');
    // Exhaust what __GFP_MOVABLE alone may take: never a page of ZONE_MOVABLE.
    const movable = zoneByIdx(k, 0, zc.MOVABLE);
    const before = movable.freePages;
    const pfns = exhaust(k, GFP_USER | __GFP_MOVABLE, 9);
    for (const pfn of pfns) assert.ok(zoneOf(k, pfn).idx <= zc.NORMAL, `GFP_USER|__GFP_MOVABLE got pfn ${pfn} of ${zoneOf(k, pfn).name}`);
    assert.equal(movable.freePages, before, 'ZONE_MOVABLE free pages after exhausting GFP_USER|__GFP_MOVABLE');
    assert.ok(new Set(pfns.map((p) => zoneOf(k, p).idx)).size >= 2, 'exhausting ZONE_NORMAL falls back to DMA32 (more than one zone used)');
    checkCounters(k, 'after the allocations');
  },
});

add({
  name: 'gfp_zone: HighMem and ZONE_MOVABLE on a 32-bit kernel',
  rules: ['page-allocator.gfp-zone.movable-needs-highmem', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'i386-highmem-2g', pcp: false });
    const zc = k.zoneConfig;
    assert.equal(zc.arch, 'i386', 'preset i386-highmem-2g is 32-bit');
    const pa = k.pageAllocator;
    const zoneFor = (gfp: number) => {
      const pfn = pa.allocPages(gfp, 0);
      assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} on a fresh 2 GiB 32-bit machine`);
      return zoneOf(k, pfn).idx;
    };
    assert.equal(zoneFor(GFP_HIGHUSER_MOVABLE), zc.MOVABLE, 'GFP_HIGHUSER_MOVABLE uses ZONE_MOVABLE first');
    assert.equal(zoneFor(GFP_HIGHUSER), zc.HIGHMEM, 'GFP_HIGHUSER uses ZONE_HIGHMEM first');
    const zm = zoneFor(GFP_USER | __GFP_MOVABLE);
    assert.ok(zm <= zc.NORMAL, `GFP_USER|__GFP_MOVABLE must stay in lowmem, got ${zc.names[zm]}`);
    const zk = zoneFor(GFP_KERNEL);
    assert.ok(zk <= zc.NORMAL, `GFP_KERNEL must stay in lowmem, got ${zc.names[zk]}`);
    assert.equal(zoneFor(GFP_DMA), zc.DMA, 'GFP_DMA uses ZONE_DMA');
  },
});

add({
  name: 'gfp_zone: GFP_ZONE_BAD combinations are a kernel bug',
  rules: ['page-allocator.gfp-zone.bad-combination'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const bad = [
      __GFP_DMA | __GFP_HIGHMEM,
      __GFP_DMA | __GFP_DMA32,
      __GFP_DMA32 | __GFP_HIGHMEM,
      __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM,
      __GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM,
      __GFP_MOVABLE | __GFP_DMA32 | __GFP_HIGHMEM,
    ];
    const free0 = totalFree(k) + pcpTotal(k);
    for (const zoneBits of bad) {
      const gfp = GFP_KERNEL | zoneBits;
      assert.throws(
        () => k.pageAllocator.allocPages(gfp, 0),
        (e) => e instanceof Error && e.name === 'InvalidGfpError',
        `allocPages(${formatGfp(gfp)}) must throw InvalidGfpError`,
      );
    }
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'free pages after the refused allocations');
    checkCounters(k, 'after the refused allocations');
  },
});

export const gfpZoneCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

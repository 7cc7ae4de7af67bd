/**
 * Page-allocator cases: CMA areas under both CMA policies of the 4.17 cycle. The zone-movable
 * policy (the seed, 4.17-rc1 to rc6, the default) puts an area in ZONE_MOVABLE; the migratetype
 * policy (4.16 and 4.17-final, after the rc7 revert) leaves it in the zone its pfns belong to,
 * reached through ALLOC_CMA.
 */
import {
  ALLOC_CMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_USER, MIGRATE_CMA, MIGRATE_TYPES, MIGRATE_UNMOVABLE, NO_PAGE, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER,
  __GFP_MOVABLE, __GFP_NOWARN, type CmaPolicy, type PfnRange,
} from '@mmkit/core';
import type { Kernel } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { GiB, MiB, boot, checkCounters, checkReserves, checkWatermarks, exhaust, exhaustAll, freeBlocks, label, zoneByIdx, zoneOf, type Ctx, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

/** 1 GiB (DMA and DMA32) with a 64 MiB CMA area at the top, without pcp lists or THP. */
function bootCma(ctx: Ctx, policy?: CmaPolicy): Kernel {
  return boot(ctx, { machine: { mem: 1 * GiB, cma: [{ size: 64 * MiB }] }, pcp: false, ...(policy ? { cma: { policy } } : {}) });
}

function area(k: Kernel): PfnRange {
  assert.equal(k.layout.cma.length, 1, 'the machine has one CMA area');
  return k.layout.cma[0];
}

const inArea = (a: PfnRange, pfn: number) => pfn >= a.start && pfn < a.end;

function meminfoKb(k: Kernel, label: string): number {
  const m = new RegExp(`^${label}:\\s+(\\d+) kB$`, 'm').exec(k.readFile('/proc/meminfo'));
  return m ? Number(m[1]) : assert.fail(`/proc/meminfo has no ${label} line`);
}

add({
  name: 'CMA: every pageblock of an area is MIGRATE_CMA and free after boot, under either policy',
  rules: ['page-allocator.cma.pageblocks'],
  run(ctx) {
    for (const policy of ['zone-movable', 'migratetype'] as const) {
      const k = bootCma(ctx, policy);
      const a = area(k);
      const pages = a.end - a.start;
      assert.equal(pages, (64 * MiB) / 4096, `${policy}: the area's size`);
      for (let pfn = a.start; pfn < a.end; pfn += PAGEBLOCK_NR_PAGES) {
        assert.equal(k.pages.getPageblockMigratetype(pfn), MIGRATE_CMA, `${policy}: pageblock at pfn ${pfn} of the CMA area`);
      }
      const cmaBlocks = freeBlocks(k).filter((b) => b.mt === MIGRATE_CMA);
      assert.equal(cmaBlocks.reduce((n, b) => n + 2 ** b.order, 0), pages, `${policy}: pages on the MIGRATE_CMA free lists after boot`);
      for (const b of cmaBlocks) assert.ok(inArea(a, b.pfn) && inArea(a, b.pfn + 2 ** b.order - 1), `${policy}: free CMA block at pfn ${b.pfn} lies in the area`);
      assert.ok(cmaBlocks.every((b) => b.order >= PAGEBLOCK_ORDER), `${policy}: the area is freed in pageblock_order blocks (merged to MAX_ORDER - 1)`);
      assert.equal(k.zones.reduce((n, z) => n + z.freeCmaPages, 0), pages, `${policy}: NR_FREE_CMA_PAGES`);
      assert.equal(meminfoKb(k, 'CmaTotal'), pages * 4, `${policy}: meminfo CmaTotal`);
      assert.equal(meminfoKb(k, 'CmaFree'), pages * 4, `${policy}: meminfo CmaFree equals CmaTotal after boot`);
      const z = zoneOf(k, a.start);
      const row = new RegExp(`^Node 0, zone +${z.name} +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+) $`, 'm').exec(k.readFile('/proc/pagetypeinfo'));
      assert.ok(row, `${policy}: /proc/pagetypeinfo counts the blocks of ${label(z)}`);
      assert.equal(Number(row[5]), pages / PAGEBLOCK_NR_PAGES, `${policy}: pagetypeinfo's CMA block count for ${label(z)}`);
      checkCounters(k, `${policy}: after boot`);
    }
  },
});

add({
  name: 'CMA, zone-movable policy (the seed): the area is ZONE_MOVABLE, counted by the boot watermarks, used by GFP_HIGHUSER_MOVABLE only',
  rules: ['page-allocator.cma.zone-movable'],
  run(ctx) {
    const k = bootCma(ctx);
    const zc = k.zoneConfig;
    const pa = k.pageAllocator;
    const a = area(k);
    const movable = zoneByIdx(k, 0, zc.MOVABLE);
    for (const pfn of [a.start, a.end - 1]) assert.equal(zoneOf(k, pfn), movable, `pfn ${pfn} of the CMA area belongs to ZONE_MOVABLE`);
    assert.equal(movable.freeCmaPages, a.end - a.start, "ZONE_MOVABLE's free CMA pages are the area");
    // cma_init_reserved_areas() is a pure_initcall: init_per_zone_wmark_min() counts the area.
    checkWatermarks(k, pa.minFreeKbytes, pa.watermarkScaleFactor, 'after boot');
    checkReserves(k, pa.lowmemReserveRatio, 'after boot');
    const marks = k.zones.map((z) => [z.minWmarkPages(), z.lowWmarkPages(), z.highWmarkPages()]);
    assert.equal(pa.setMinFreeKbytes(pa.minFreeKbytes), 0, 'rewrite vm.min_free_kbytes with its value');
    assert.deepEqual(k.zones.map((z) => [z.minWmarkPages(), z.lowWmarkPages(), z.highWmarkPages()]), marks, 'rewriting min_free_kbytes changes no watermark: the boot ones already counted the area');
    // __GFP_MOVABLE without __GFP_HIGHMEM: gfp_zone() is ZONE_NORMAL, so never a CMA page.
    const user = [...exhaust(k, GFP_USER | __GFP_MOVABLE, PAGEBLOCK_ORDER), ...exhaust(k, GFP_USER | __GFP_MOVABLE, 0)];
    assert.ok(user.length > 0, 'GFP_USER|__GFP_MOVABLE gets pages');
    for (const pfn of user) assert.ok(!inArea(a, pfn), `GFP_USER|__GFP_MOVABLE got pfn ${pfn} of the CMA area`);
    assert.equal(movable.freeCmaPages, a.end - a.start, 'the area is untouched after exhausting GFP_USER|__GFP_MOVABLE');
    const highuser = exhaust(k, GFP_HIGHUSER_MOVABLE, 0);
    assert.ok(highuser.some((pfn) => inArea(a, pfn)), 'GFP_HIGHUSER_MOVABLE gets pages of the CMA area');
    checkCounters(k, 'after the allocations');
  },
});

add({
  name: 'CMA, zone-movable policy (the seed): no ALLOC_CMA, every watermark check counts the free CMA pages',
  rules: ['page-allocator.cma.no-alloc-cma'],
  run(ctx) {
    const k = bootCma(ctx);
    const pa = k.pageAllocator;
    const movable = zoneByIdx(k, 0, k.zoneConfig.MOVABLE);
    const F = movable.freePages;
    const C = movable.freeCmaPages;
    const R = movable.lowmemReserve[movable.idx];
    assert.ok(C > 0, `ZONE_MOVABLE holds ${C} free CMA pages`);
    assert.equal(pa.zoneWatermarkOk(movable, 0, F - R - 1, movable.idx, 0), true, `alloc_flags 0 (kswapd's check): free ${F} counts the ${C} CMA pages, mark ${F - R - 1}`);
    assert.equal(pa.zoneWatermarkOk(movable, 0, F - R, movable.idx, 0), false, `alloc_flags 0: free ${F} <= mark ${F - R} + reserve ${R}`);
    const sub = 2 ** PAGEBLOCK_ORDER - 1;
    assert.equal(pa.zoneWatermarkOk(movable, PAGEBLOCK_ORDER, F - sub - R - 1, movable.idx, 0), true, 'an order-9 check with alloc_flags 0 counts the free MIGRATE_CMA blocks');
  },
});

add({
  name: 'CMA, migratetype policy (4.16, 4.17-final): the area stays in its own zone; movable requests fall back to it, unmovable ones never',
  rules: ['page-allocator.cma.migratetype-own-zone'],
  run(ctx) {
    const k = bootCma(ctx, 'migratetype');
    const zc = k.zoneConfig;
    const pa = k.pageAllocator;
    const a = area(k);
    const movable = k.zones.find((z) => z.nid === 0 && z.idx === zc.MOVABLE);
    assert.equal(movable?.presentPages, 0, 'ZONE_MOVABLE is empty');
    const z = zoneOf(k, a.start);
    assert.equal(zoneOf(k, a.end - 1), z, 'the whole area lies in one zone');
    assert.ok(z.idx !== zc.MOVABLE && z.spansPfn(a.start) && z.spansPfn(a.end - 1), `${label(z)} spans the area`);
    // cma_init_reserved_areas() is a core_initcall after init_per_zone_wmark_min(): the boot
    // watermarks leave the area out, so recomputing them raises the zone's share.
    const min = z.minWmarkPages();
    assert.equal(pa.setMinFreeKbytes(pa.minFreeKbytes), 0, 'rewrite vm.min_free_kbytes with its value');
    assert.ok(z.minWmarkPages() > min, `${label(z)} min watermark ${min} at boot grows to ${z.minWmarkPages()} once the area's pages are counted`);
    // __rmqueue(): a movable request whose own lists are empty takes MIGRATE_CMA before it
    // steals from another type. One GFP_KERNEL page gives the zone free unmovable pages; then
    // movable pageblocks are taken until the first CMA one, with the unmovable lists untouched.
    const unmovableFree = () => {
      let n = 0;
      for (let o = 0; o < z.nrFree.length; o++) n += z.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_UNMOVABLE] * 2 ** o;
      return n;
    };
    const first = pa.allocPages(GFP_KERNEL, 0);
    assert.equal(zoneOf(k, first), z, `GFP_KERNEL is served from ${label(z)}`);
    const unmovable = unmovableFree();
    assert.ok(unmovable > 0, `${label(z)} has free unmovable pages`);
    const taken: number[] = [];
    for (;;) {
      const pfn = pa.allocPages(GFP_USER | __GFP_MOVABLE | __GFP_NOWARN, PAGEBLOCK_ORDER);
      if (pfn === NO_PAGE) return assert.fail(`GFP_USER|__GFP_MOVABLE order ${PAGEBLOCK_ORDER} failed before reaching the CMA area`);
      taken.push(pfn);
      if (inArea(a, pfn)) break;
      assert.equal(zoneOf(k, pfn), z, `movable pageblocks come from ${label(z)} until the CMA fallback`);
    }
    assert.equal(unmovableFree(), unmovable, `${label(z)}'s free unmovable pages when the first CMA block is taken: nothing was stolen first`);
    for (const pfn of taken) pa.freePages(pfn, PAGEBLOCK_ORDER);
    pa.freePages(first, 0);
    // Unmovable requests never get a CMA page.
    const kernel = exhaustAll(k, GFP_KERNEL);
    for (const pfn of kernel) assert.ok(!inArea(a, pfn), `GFP_KERNEL got pfn ${pfn} of the CMA area`);
    assert.equal(z.freeCmaPages, a.end - a.start, 'the area is untouched after exhausting GFP_KERNEL');
    // A movable request without __GFP_HIGHMEM takes the area once its movable lists are empty.
    const user = exhaust(k, GFP_USER | __GFP_MOVABLE, 0);
    const fromArea = user.filter((pfn) => inArea(a, pfn));
    assert.ok(fromArea.length > 0, 'GFP_USER|__GFP_MOVABLE falls back to MIGRATE_CMA (__rmqueue_cma_fallback())');
    assert.ok(z.freeCmaPages < (a.end - a.start) / 2, `GFP_USER|__GFP_MOVABLE used most of the area (${z.freeCmaPages} CMA pages left free)`);
    checkCounters(k, 'after the allocations');
  },
});

add({
  name: 'CMA, migratetype policy: a watermark check without ALLOC_CMA leaves the free CMA pages out',
  rules: ['page-allocator.cma.alloc-cma'],
  run(ctx) {
    const k = bootCma(ctx, 'migratetype');
    const pa = k.pageAllocator;
    const a = area(k);
    const z = zoneOf(k, a.start);
    const F = z.freePages;
    const C = z.freeCmaPages;
    const R = z.lowmemReserve[z.idx];
    assert.equal(C, a.end - a.start, `${label(z)} holds the free area`);
    assert.equal(pa.zoneWatermarkOk(z, 0, F - C - R - 1, z.idx, 0), true, `without ALLOC_CMA: free ${F} - CMA ${C} > mark ${F - C - R - 1} + reserve ${R}`);
    assert.equal(pa.zoneWatermarkOk(z, 0, F - C - R, z.idx, 0), false, `without ALLOC_CMA: free ${F} - CMA ${C} <= mark ${F - C - R} + reserve ${R}`);
    assert.equal(pa.zoneWatermarkOk(z, 0, F - C - R, z.idx, ALLOC_CMA), true, 'with ALLOC_CMA the free CMA pages count');
    // GFP_KERNEL (no ALLOC_CMA) stops at min with the whole area still free above it.
    exhaustAll(k, GFP_KERNEL);
    assert.equal(z.freeCmaPages, C, 'GFP_KERNEL left the area alone');
    assert.equal(z.freePages - z.freeCmaPages, z.minWmarkPages(), `${label(z)} free pages other than CMA after exhausting GFP_KERNEL: exactly min`);
    // For order > 0, a free MIGRATE_CMA block counts only with ALLOC_CMA: with min_free_kbytes 0
    // take every other page, free every other one, so the only free blocks above order 0 are the area's.
    {
      const f = boot(ctx, { machine: { mem: 256 * MiB, cma: [{ size: 16 * MiB }] }, pcp: false, cma: { policy: 'migratetype' } });
      const fa = area(f);
      const fz = zoneOf(f, fa.start);
      assert.equal(f.pageAllocator.setMinFreeKbytes(0), 0, 'min_free_kbytes 0');
      const all = exhaust(f, GFP_KERNEL, 0).filter((p) => zoneOf(f, p) === fz);
      for (const p of all) if (p % 2 === 0) f.pageAllocator.freePages(p, 0);
      const nonCma = fz.freePages - fz.freeCmaPages;
      assert.ok(nonCma > 1000 && freeBlocks(f, fz).every((b) => b.mt === MIGRATE_CMA || b.order === 0), `${label(fz)}: ${nonCma} free order-0 pages besides the area`);
      assert.equal(f.pageAllocator.zoneWatermarkOk(fz, 1, 0, fz.idx, 0), false, 'order 1 without ALLOC_CMA: no usable free block of order >= 1');
      assert.equal(f.pageAllocator.zoneWatermarkOk(fz, 1, 0, fz.idx, ALLOC_CMA), true, 'order 1 with ALLOC_CMA: the free MIGRATE_CMA blocks count');
    }
    // A movable request (ALLOC_CMA) passes the same zone's watermark on the CMA pages.
    const movablePages = exhaust(k, GFP_HIGHUSER_MOVABLE, 0);
    assert.ok(movablePages.some((pfn) => inArea(a, pfn)), `GFP_HIGHUSER_MOVABLE gets CMA pages of ${label(z)} below the unmovable watermark`);
    assert.ok(z.freeCmaPages < C / 2, `GFP_HIGHUSER_MOVABLE used most of the area (${z.freeCmaPages} CMA pages left free)`);
    checkCounters(k, 'after the allocations');
  },
});

export const cmaCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

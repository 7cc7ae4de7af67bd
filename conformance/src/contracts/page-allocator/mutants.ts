/**
 * Mutants of the reference buddy allocator: each one brings back the behaviour a changelog
 * entry changed (or, where marked, a plausible bug) by overriding hooks of
 * createBuddyAllocator() and nothing else; what more a hook needs comes from
 * @mmkit/buddy/internals. The page-allocator suite must fail each on the rule it names in
 * `breaks`.
 */
import { DEFAULT_BUDDY_HOOKS, createBuddyAllocator, type BuddyHooks } from '@mmkit/buddy';
import {
  addToFreeArea, calculateTotalreservePages, canStealFallback, findSuitableFallback, freeListIndex, nrFreeBufferPages,
  setupPerZoneLowmemReserve, stealSuitableFallback, zoneWatermarkOkFree,
} from '@mmkit/buddy/internals';
import {
  ALLOC_CMA, MAX_ORDER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, isHighmemIdx, type PageAllocatorFactory,
} from '@mmkit/core';
import type { Mutant } from '../../mutants/types.js';
import { changelogSource } from '../../rules/links.js';

/** (a) Before 4.17 khugepaged counted every populated zone, ZONE_MOVABLE too. */
const khugepagedCountsMovable: Partial<BuddyHooks> = {
  recommendedMinFreeZone: () => true,
};

/**
 * (b) Before 4.17 sysctl_lowmem_reserve_ratio had MAX_NR_ZONES - 1 entries initialised in order
 * {256 (DMA), 256 (DMA32), 32 (CONFIG_HIGHMEM), 32}, and a ratio below 1 was raised to 1: the
 * entry for HighMem was 32, so HighMem kept managed(Movable)/32 pages against
 * GFP_HIGHUSER_MOVABLE allocations.
 */
const lowmemReserveRatioShortArray: Partial<BuddyHooks> = {
  lowmemReserveRatioDefaults(st) {
    const c = st.zoneConfig;
    const init: number[] = [];
    if (c.DMA >= 0) init.push(256);
    if (c.DMA32 >= 0) init.push(256);
    if (c.HIGHMEM >= 0) init.push(32);
    init.push(32);
    const ratio = new Array<number>(c.nrZones - 1).fill(0);
    for (let i = 0; i < ratio.length && i < init.length; i++) ratio[i] = init[i];
    return ratio;
  },
  lowmemReserveOf(_st, ratio, idx, managed) {
    if (ratio[idx] < 1) ratio[idx] = 1;
    return Math.floor(managed / ratio[idx]);
  },
};

/**
 * (c) Before the seed's CMA series (4.16, and 4.17-final after the rc7 revert),
 * cma_init_reserved_areas() was a core_initcall linked after init_per_zone_wmark_min(): the
 * watermarks and lowmem reserves of boot were computed before the CMA pages were managed. The
 * seed made it a pure_initcall so they count the area in ZONE_MOVABLE.
 */
const cmaActivatedAfterWmarkInit: Partial<BuddyHooks> = {
  initPerZoneWmarkMin(st) {
    const zones = st.zoneByNum;
    const managed = zones.map((z) => z.managedPages);
    for (const r of st.services.layout.cma) {
      for (const z of zones) z.managedPages -= Math.max(0, Math.min(r.end, z.zoneEndPfn) - Math.max(r.start, z.zoneStartPfn));
    }
    try {
      DEFAULT_BUDDY_HOOKS.initPerZoneWmarkMin(st);
    } finally {
      zones.forEach((z, i) => (z.managedPages = managed[i]));
    }
  },
};

/**
 * (c2) Before "mm/cma: remove ALLOC_CMA": __zone_watermark_ok() and zone_watermark_fast() count
 * the free CMA pages (and MIGRATE_CMA blocks) only with ALLOC_CMA, so a check with alloc_flags 0
 * (kswapd's) sees a ZONE_MOVABLE that holds a CMA area as empty.
 */
const allocCmaHonoured: Partial<BuddyHooks> = {
  zoneWatermarkOk: (_st, zone, order, mark, classzoneIdx, allocFlags) =>
    allocFlags & ALLOC_CMA
      ? zoneWatermarkOkFree(zone, order, mark, classzoneIdx, allocFlags, zone.freePages, true)
      : zoneWatermarkOkFree(zone, order, mark, classzoneIdx, allocFlags, zone.freePages - zone.freeCmaPages, false),
  zoneWatermarkFast(st, zone, order, mark, classzoneIdx, allocFlags) {
    const free = allocFlags & ALLOC_CMA ? zone.freePages : zone.freePages - zone.freeCmaPages;
    if (order === 0 && free > mark + zone.lowmemReserve[classzoneIdx]) return true;
    return st.hooks.zoneWatermarkOk(st, zone, order, mark, classzoneIdx, allocFlags);
  },
};

/**
 * (c3) "mm/cma: remove ALLOC_CMA" without the CMA area moving to ZONE_MOVABLE (the migratetype
 * policy): every watermark check counts the free CMA pages, so an unmovable request passes on
 * pages it cannot use.
 */
const allocCmaIgnored: Partial<BuddyHooks> = {
  zoneWatermarkOk: (st, zone, order, mark, classzoneIdx, allocFlags) => DEFAULT_BUDDY_HOOKS.zoneWatermarkOk(st, zone, order, mark, classzoneIdx, allocFlags | ALLOC_CMA),
  zoneWatermarkFast: (st, zone, order, mark, classzoneIdx, allocFlags) => DEFAULT_BUDDY_HOOKS.zoneWatermarkFast(st, zone, order, mark, classzoneIdx, allocFlags | ALLOC_CMA),
};

/** (d) A bug: zone_watermark_ok() that forgets lowmem_reserve[classzone_idx]. */
const watermarkIgnoresLowmemReserve: Partial<BuddyHooks> = {
  // lowmem_reserve[zone_idx(zone)] is always 0: the reserve is never applied.
  zoneWatermarkOk: (st, zone, order, mark, _classzoneIdx, allocFlags) => DEFAULT_BUDDY_HOOKS.zoneWatermarkOk(st, zone, order, mark, zone.idx, allocFlags),
};

/** (e) A bug: __free_one_page() that never merges a block with its buddy. */
const buddyNeverCoalesces: Partial<BuddyHooks> = {
  __freeOnePage: (st, zone, pfn, order, migratetype) => addToFreeArea(st, zone, pfn, order, migratetype, false),
};

/** (f) Before 4.6 the low and high watermarks were min + share/4 and min + share/2, with no watermark_scale_factor. */
const watermarksWithoutScaleFactor: Partial<BuddyHooks> = {
  setupPerZoneWmarks(st) {
    DEFAULT_BUDDY_HOOKS.setupPerZoneWmarks(st);
    const pagesMin = Math.floor(st.minFreeKbytes / 4);
    let lowmemPages = 0;
    for (const zone of st.zoneByNum) if (!isHighmemIdx(st.zoneConfig, zone.idx, st.services.layout.movableZone)) lowmemPages += zone.managedPages;
    for (const zone of st.zoneByNum) {
      const tmp = lowmemPages ? Math.floor((pagesMin * zone.managedPages) / lowmemPages) : 0;
      zone.watermark[WMARK_LOW] = zone.watermark[WMARK_MIN] + (tmp >> 2);
      zone.watermark[WMARK_HIGH] = zone.watermark[WMARK_MIN] + (tmp >> 1);
    }
    calculateTotalreservePages(st);
  },
};

/**
 * (g) Before 4.13 __rmqueue_fallback() always split the largest fallback block, even for a
 * movable allocation that could not claim its pageblock.
 */
const fallbackAlwaysLargest: Partial<BuddyHooks> = {
  __rmqueueFallback(st, zone, order, startMigratetype) {
    for (let current = MAX_ORDER - 1; current >= order; current--) {
      const fallbackMt = findSuitableFallback(st, zone, current, startMigratetype, false);
      if (fallbackMt === -1) continue;
      const pfn = st.freeLists.first(freeListIndex(zone.zoneNum, current, fallbackMt));
      stealSuitableFallback(st, zone, pfn, startMigratetype, canStealFallback(st, current, startMigratetype));
      return true;
    }
    return false;
  },
};

/** (h) A bug: min_free_kbytes proportional to lowmem (1/128 of it) instead of int_sqrt(lowmem_kbytes * 16). */
const minFreeKbytesNoSqrt: Partial<BuddyHooks> = {
  initPerZoneWmarkMin(st) {
    const lowmemKbytes = nrFreeBufferPages(st) * 4;
    st.minFreeKbytes = Math.min(65536, Math.max(128, Math.floor(lowmemKbytes / 128)));
    st.hooks.setupPerZoneWmarks(st);
    setupPerZoneLowmemReserve(st);
  },
};

/**
 * (i) Before 4.7 get_page_from_freelist() called zone_watermark_ok() for every request: no
 * order-0 shortcut, so the highatomic reserve always counted as used.
 */
const noOrder0WatermarkShortcut: Partial<BuddyHooks> = {
  zoneWatermarkFast: (st, zone, order, mark, classzoneIdx, allocFlags) => st.hooks.zoneWatermarkOk(st, zone, order, mark, classzoneIdx, allocFlags),
};

/** The reference allocator with some hooks replaced, under a mutant's name. */
const mutate = (id: string, hooks: Partial<BuddyHooks>): PageAllocatorFactory => (services) => createBuddyAllocator(services, { name: `buddy (mutant: ${id})`, hooks });


export const BUDDY_MUTANTS: readonly Mutant[] = [
  {
    id: 'khugepaged-min-free-counts-movable',
    contract: 'page-allocator',
    breaks: 'page-allocator.min-free-kbytes.thp-excludes-movable',
    description: "khugepaged's set_recommended_min_free_kbytes() counts every populated zone, ZONE_MOVABLE included: the seed's 22 GB machine gets 112640 instead of 90112.",
    source: changelogSource('thp-dont-count-zone-movable'),
    factory: mutate('khugepaged-min-free-counts-movable', khugepagedCountsMovable),
  },
  {
    id: 'lowmem-reserve-ratio-short-array',
    contract: 'page-allocator',
    breaks: 'page-allocator.lowmem-reserve.ratio-defaults',
    description: 'sysctl_lowmem_reserve_ratio of MAX_NR_ZONES - 1 entries {256, 256, 32 (CONFIG_HIGHMEM), 32} with ratios below 1 raised to 1: x86-64 shows 4 entries, and a 32-bit HighMem zone keeps a reserve against ZONE_MOVABLE.',
    source: changelogSource('page-alloc-dont-reserve-highmem-for-movable'),
    factory: mutate('lowmem-reserve-ratio-short-array', lowmemReserveRatioShortArray),
  },
  {
    id: 'cma-activated-after-wmark-init',
    contract: 'page-allocator',
    breaks: 'page-allocator.cma.zone-movable',
    description: "The CMA areas are managed only after init_per_zone_wmark_min(), as 4.16's core_initcall ordering had it: under the seed's policy ZONE_MOVABLE's boot watermarks and the lowmem reserves against it leave the area out.",
    source: changelogSource('cma-zone-movable'),
    factory: mutate('cma-activated-after-wmark-init', cmaActivatedAfterWmarkInit),
  },
  {
    id: 'cma-alloc-cma-honoured',
    contract: 'page-allocator',
    breaks: 'page-allocator.cma.no-alloc-cma',
    description: "__zone_watermark_ok() and zone_watermark_fast() of 4.16, which count free CMA pages only with ALLOC_CMA: under the seed's policy a check with alloc_flags 0 (kswapd's) finds a ZONE_MOVABLE of CMA pages empty.",
    source: changelogSource('cma-remove-alloc-cma'),
    factory: mutate('cma-alloc-cma-honoured', allocCmaHonoured),
  },
  {
    id: 'cma-alloc-cma-ignored',
    contract: 'page-allocator',
    breaks: 'page-allocator.cma.alloc-cma',
    description: "The seed's removal of ALLOC_CMA applied under the migratetype policy, where the areas stay in their own zone: every watermark check counts the free CMA pages, so GFP_KERNEL passes on pages it cannot use and drains the zone's other free pages below min.",
    source: changelogSource('cma-remove-alloc-cma'),
    factory: mutate('cma-alloc-cma-ignored', allocCmaIgnored),
  },
  {
    id: 'watermark-ignores-lowmem-reserve',
    contract: 'page-allocator',
    breaks: 'page-allocator.watermark-ok.lowmem-reserve',
    description: 'zone_watermark_ok() without lowmem_reserve[classzone_idx]: GFP_KERNEL drains ZONE_DMA to its min watermark (a bug, not a historical behaviour).',
    source: { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' },
    factory: mutate('watermark-ignores-lowmem-reserve', watermarkIgnoresLowmemReserve),
  },
  {
    id: 'buddy-never-coalesces',
    contract: 'page-allocator',
    breaks: 'page-allocator.free.coalesce',
    description: '__free_one_page() puts a freed block on its list without merging it with its free buddy (a bug).',
    source: { kind: 'source', ref: 'mm/page_alloc.c: __free_one_page()' },
    factory: mutate('buddy-never-coalesces', buddyNeverCoalesces),
  },
  {
    id: 'watermarks-without-scale-factor',
    contract: 'page-allocator',
    breaks: 'page-allocator.watermarks.scale-factor',
    description: 'low = min + share/4 and high = min + share/2, ignoring watermark_scale_factor, as before Linux 4.6.',
    source: { kind: 'commit', ref: 'mm: scale kswapd watermarks in proportion to memory', hash: '795ae7a0de6b834a0cc202aa55c190ef81496665', release: '4.6' },
    factory: mutate('watermarks-without-scale-factor', watermarksWithoutScaleFactor),
  },
  {
    id: 'fallback-always-largest',
    contract: 'page-allocator',
    breaks: 'page-allocator.fallback.steal-order',
    description: '__rmqueue_fallback() always splits the largest fallback block, even for a movable allocation that cannot claim the pageblock, as before Linux 4.13.',
    source: { kind: 'commit', ref: 'mm, page_alloc: fallback to smallest page when not stealing whole pageblock', hash: '7a8f58f3918869dda0d71b2e9245baedbbe7bc5e', release: '4.13' },
    factory: mutate('fallback-always-largest', fallbackAlwaysLargest),
  },
  {
    id: 'min-free-kbytes-no-sqrt',
    contract: 'page-allocator',
    breaks: 'page-allocator.min-free-kbytes.int-sqrt',
    description: 'min_free_kbytes = lowmem_kbytes / 128 (clamped) instead of int_sqrt(lowmem_kbytes * 16) (a bug).',
    source: { kind: 'source', ref: 'mm/page_alloc.c: init_per_zone_wmark_min()' },
    factory: mutate('min-free-kbytes-no-sqrt', minFreeKbytesNoSqrt),
  },
  {
    id: 'no-order0-watermark-shortcut',
    contract: 'page-allocator',
    breaks: 'page-allocator.watermark-ok.order0-fast',
    description: 'get_page_from_freelist() checks every request with __zone_watermark_ok(), as before Linux 4.7: an order-0 request fails when free pages minus the highatomic reserve are at the mark, though 4.17 lets it through.',
    source: { kind: 'commit', ref: 'mm, page_alloc: shortcut watermark checks for order-0 pages', hash: '48ee5f3696f6', release: '4.7' },
    factory: mutate('no-order0-watermark-shortcut', noOrder0WatermarkShortcut),
  },
];

/**
 * The expected values of the page-allocator suite, computed from the 4.17 formulas and the
 * zones' managed pages: an independent model, written from mm/page_alloc.c and
 * mm/khugepaged.c, never from an implementation.
 */
import {
  ALLOC_HARDER, ALLOC_HIGH, ALLOC_OOM, GFP_USER, MAX_ORDER, MIGRATE_PCPTYPES, PAGEBLOCK_NR_PAGES,
  SWAP_CLUSTER_MAX, gfpZone, isHighmemIdx, type Zone, type ZoneLayoutConfig,
} from '@mmkit/core';

/** int_sqrt(): floor(sqrt(x)), exact for every safe integer. */
export function intSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** mult_frac(x, n, d) on non-negative integers. */
export function multFrac(x: number, n: number, d: number): number {
  return Math.floor(x / d) * n + Math.floor(((x % d) * n) / d);
}

/** gfp_zone(GFP_USER): the highest zone whose pages count as buffer (lowmem) pages. */
export function userZoneIdx(zc: ZoneLayoutConfig): number {
  return gfpZone(GFP_USER, zc);
}

/**
 * nr_free_buffer_pages(): for every zone at or below gfp_zone(GFP_USER), managed pages above
 * the high watermark (highs: by zone position; all 0 at boot, before any watermark is set).
 */
export function nrFreeBufferPages(zones: readonly Zone[], zc: ZoneLayoutConfig, highs?: readonly number[]): number {
  const top = userZoneIdx(zc);
  let sum = 0;
  zones.forEach((z, i) => {
    if (z.idx > top) return;
    const high = highs ? highs[i] : 0;
    if (z.managedPages > high) sum += z.managedPages - high;
  });
  return sum;
}

/** init_per_zone_wmark_min(): int_sqrt(lowmem_kbytes * 16) clamped to [128, 65536]. */
export function initMinFreeKbytes(zones: readonly Zone[], zc: ZoneLayoutConfig): number {
  const lowmemKbytes = nrFreeBufferPages(zones, zc) * 4;
  return Math.min(65536, Math.max(128, intSqrt(lowmemKbytes * 16)));
}

export interface Watermarks {
  min: number;
  low: number;
  high: number;
}

/**
 * movable_zone from the zones: the highest zone but ZONE_MOVABLE and ZONE_DEVICE spanning pages
 * (find_usable_zone_for_movable()), ZONE_NORMAL when none does.
 */
export function movableZoneOf(zones: readonly Zone[], zc: ZoneLayoutConfig): number {
  let best = -1;
  for (const z of zones) if (z.idx !== zc.MOVABLE && z.idx !== zc.DEVICE && z.spannedPages > 0 && z.idx > best) best = z.idx;
  return best < 0 ? zc.NORMAL : best;
}

/** __setup_per_zone_wmarks() for every zone (same order as `zones`). */
export function expectedWatermarks(zones: readonly Zone[], zc: ZoneLayoutConfig, minFreeKbytes: number, wsf: number): Watermarks[] {
  const pagesMin = Math.floor(minFreeKbytes / 4);
  let lowmemPages = 0;
  const movableZone = movableZoneOf(zones, zc);
  for (const z of zones) if (!isHighmemIdx(zc, z.idx, movableZone)) lowmemPages += z.managedPages;
  return zones.map((z) => {
    const tmp = lowmemPages ? Math.floor((pagesMin * z.managedPages) / lowmemPages) : 0;
    const min = isHighmemIdx(zc, z.idx, movableZone) ? Math.min(128, Math.max(SWAP_CLUSTER_MAX, Math.floor(z.managedPages / 1024))) : tmp;
    const gap = Math.max(Math.floor(tmp / 4), multFrac(z.managedPages, wsf, 10000));
    return { min, low: min + gap, high: min + 2 * gap };
  });
}

/** Populated zones khugepaged counts (4.17: only those at or below gfp_zone(GFP_USER)). */
export function thpZoneCount(zones: readonly Zone[], zc: ZoneLayoutConfig): number {
  const top = userZoneIdx(zc);
  return zones.filter((z) => z.populated && z.idx <= top).length;
}

/**
 * min_free_kbytes after boot: init_per_zone_wmark_min(), then with THP khugepaged's
 * set_recommended_min_free_kbytes(), which reads nr_free_buffer_pages() with the watermarks
 * the first step set.
 */
export function bootMinFreeKbytes(zones: readonly Zone[], zc: ZoneLayoutConfig, thp: boolean, wsf = 10): number {
  const initial = initMinFreeKbytes(zones, zc);
  if (!thp) return initial;
  const highs = expectedWatermarks(zones, zc, initial, wsf).map((w) => w.high);
  const nr = thpZoneCount(zones, zc);
  let pages = PAGEBLOCK_NR_PAGES * nr * 2 + PAGEBLOCK_NR_PAGES * nr * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
  pages = Math.min(pages, Math.floor(nrFreeBufferPages(zones, zc, highs) / 20));
  return Math.max(initial, pages * 4);
}

/** setup_per_zone_lowmem_reserve() (4.17): lowmem_reserve of every zone, by zone position. */
export function expectedLowmemReserve(zones: readonly Zone[], zc: ZoneLayoutConfig, ratio: readonly number[]): number[][] {
  const nr = zc.nrZones;
  const out = zones.map(() => new Array<number>(nr).fill(0));
  for (let base = 0; base < zones.length; base += nr) {
    for (let j = 0; j < nr; j++) {
      let managed = zones[base + j].managedPages;
      for (let idx = j - 1; idx >= 0; idx--) {
        out[base + idx][j] = ratio[idx] < 1 ? 0 : Math.floor(managed / ratio[idx]);
        managed += zones[base + idx].managedPages;
      }
    }
  }
  return out;
}

/** calculate_totalreserve_pages(). */
export function expectedTotalreserve(zones: readonly Zone[]): number {
  let total = 0;
  for (const z of zones) {
    let max = 0;
    for (let j = z.idx; j < z.lowmemReserve.length; j++) max = Math.max(max, z.lowmemReserve[j]);
    max += z.highWmarkPages();
    total += Math.min(max, z.managedPages);
  }
  return total;
}

/** rounddown_pow_of_two(). */
export function rounddownPowOfTwo(n: number): number {
  return n < 1 ? 0 : 2 ** Math.floor(Math.log2(n));
}

/** zone_batchsize() (4.17: 512 KiB cap) and pageset_set_batch(). */
export function expectedPcp(managedPages: number): { batch: number; high: number } {
  let batch = Math.floor(managedPages / 1024);
  if (batch * 4096 > 512 * 1024) batch = (512 * 1024) / 4096;
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  batch = rounddownPowOfTwo(batch + Math.floor(batch / 2)) - 1;
  return { high: 6 * batch, batch: Math.max(1, batch) };
}

/** The mark __zone_watermark_ok() compares against after the alloc-flag reductions. */
export function effectiveMin(mark: number, allocFlags: number): number {
  let min = mark;
  if (allocFlags & ALLOC_HIGH) min -= Math.trunc(min / 2);
  if (allocFlags & (ALLOC_HARDER | ALLOC_OOM)) {
    if (allocFlags & ALLOC_OOM) min -= Math.trunc(min / 2);
    else min -= Math.trunc(min / 4);
  }
  return min;
}

/**
 * __zone_watermark_ok() on a zone's counters: free pages, reserve of the classzone,
 * highatomic reserve, and whether a block of order o or more is free on a PCPTYPES list
 * (`hasBlock(o)`) or on the highatomic list (`hasHighatomic(o)`).
 */
export function modelWatermarkOk(
  z: { free: number; reserve: number; highatomic: number },
  order: number,
  mark: number,
  allocFlags: number,
  hasBlock: (o: number) => boolean,
  hasHighatomic: (o: number) => boolean = () => false,
): boolean {
  const harder = (allocFlags & (ALLOC_HARDER | ALLOC_OOM)) !== 0;
  let free = z.free - ((1 << order) - 1);
  if (!harder) free -= z.highatomic;
  const min = effectiveMin(mark, allocFlags);
  if (free <= min + z.reserve) return false;
  if (order === 0) return true;
  for (let o = order; o < MAX_ORDER; o++) {
    if (hasBlock(o)) return true;
    if (harder && hasHighatomic(o)) return true;
  }
  return false;
}

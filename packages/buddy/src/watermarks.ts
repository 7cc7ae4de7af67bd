/**
 * The formulas behind the zone watermarks, min_free_kbytes and the reserves
 * (mm/page_alloc.c and mm/khugepaged.c, 4.17). Pure functions of page counts, so they can be
 * checked against hand-computed numbers.
 */
import { MIGRATE_PCPTYPES, PAGE_SHIFT, PAGEBLOCK_NR_PAGES, SWAP_CLUSTER_MAX } from '@mmkit/core';

/** int_sqrt(): the integer square root, floor(sqrt(x)), exact for every safe integer. */
export function intSqrt(x: number): number {
  if (!(x >= 0)) throw new RangeError(`int_sqrt of ${x}`);
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** min_free_kbytes is kept in [128, 65536] when computed (init_per_zone_wmark_min()). */
export const MIN_FREE_KBYTES_FLOOR = 128;
export const MIN_FREE_KBYTES_CEIL = 65536;

/**
 * init_per_zone_wmark_min()'s computed value: int_sqrt(lowmem_kbytes * 16), clamped to
 * [128, 65536]. lowmem_kbytes is nr_free_buffer_pages() in kB.
 */
export function computeMinFreeKbytes(lowmemKbytes: number): number {
  const v = intSqrt(lowmemKbytes * 16);
  return Math.min(MIN_FREE_KBYTES_CEIL, Math.max(MIN_FREE_KBYTES_FLOOR, v));
}

/** mult_frac(x, n, d) for non-negative integers: floor(x * n / d) without overflow. */
export function multFrac(x: number, n: number, d: number): number {
  const q = Math.floor(x / d);
  const r = x % d;
  return q * n + Math.floor((r * n) / d);
}

/** The three watermarks of one zone (zone->watermark[WMARK_MIN..WMARK_HIGH]). */
export interface ZoneWatermarks {
  readonly min: number;
  readonly low: number;
  readonly high: number;
}

/**
 * __setup_per_zone_wmarks() for one zone (4.17): its share of pages_min by managed pages
 * among the lowmem zones; a highmem zone's min is managed/1024 clamped to
 * [SWAP_CLUSTER_MAX, 128]; the low and high marks sit max(share/4,
 * managed * watermark_scale_factor / 10000) and twice that above min.
 */
export function zoneWatermarks(
  managedPages: number,
  minFreeKbytes: number,
  lowmemPages: number,
  highmem: boolean,
  watermarkScaleFactor: number,
): ZoneWatermarks {
  const pagesMin = Math.floor(minFreeKbytes / (1 << (PAGE_SHIFT - 10)));
  const tmp = lowmemPages > 0 ? Math.floor((pagesMin * managedPages) / lowmemPages) : 0;
  const min = highmem ? Math.min(128, Math.max(SWAP_CLUSTER_MAX, Math.floor(managedPages / 1024))) : tmp;
  const gap = Math.max(Math.floor(tmp / 4), multFrac(managedPages, watermarkScaleFactor, 10000));
  return { min, low: min + gap, high: min + 2 * gap };
}

/**
 * set_recommended_min_free_kbytes() (mm/khugepaged.c): two free pageblocks per zone, plus
 * MIGRATE_PCPTYPES^2 pageblocks per zone so each type has one to fall back to, never more than
 * 5% of nr_free_buffer_pages(). Returns kB.
 */
export function recommendedMinFreeKbytes(nrZones: number, nrFreeBufferPages: number): number {
  let pages = PAGEBLOCK_NR_PAGES * nrZones * 2;
  pages += PAGEBLOCK_NR_PAGES * nrZones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
  pages = Math.min(pages, Math.floor(nrFreeBufferPages / 20));
  return pages * (1 << (PAGE_SHIFT - 10));
}

/** vm.watermark_scale_factor's default (0.1% of a zone between watermarks). */
export const DEFAULT_WATERMARK_SCALE_FACTOR = 10;

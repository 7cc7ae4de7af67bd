/**
 * The zone watermarks and reserves and the vm sysctls that drive them (mm/page_alloc.c and
 * mm/khugepaged.c, 4.17): nr_free_zone_pages(), init_per_zone_wmark_min(),
 * __setup_per_zone_wmarks(), khugepaged's set_recommended_min_free_kbytes(),
 * setup_per_zone_lowmem_reserve(), calculate_totalreserve_pages(), and the handlers of
 * min_free_kbytes, watermark_scale_factor and lowmem_reserve_ratio. The formulas are the pure
 * functions of watermarks.ts; the check against the watermarks, __zone_watermark_ok(), is part
 * of the allocation path (page-alloc.ts). Where a variant differs, the step is a hook
 * (hooks.ts) and the functions here call it through st.hooks.
 */
import { ERRNO, GFP_USER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, isHighmemIdx, type Zone, type ZoneIndex } from '@mmkit/core';
import { INT_MAX, isIntIn, type BuddyState } from './state.js';
import { MIN_FREE_KBYTES_CEIL, MIN_FREE_KBYTES_FLOOR, intSqrt, recommendedMinFreeKbytes, zoneWatermarks } from './watermarks.js';

/**
 * nr_free_zone_pages(): pages above the high watermark in the zones of the current node's
 * fallback zonelist up to zone index `offset`.
 */
export function nrFreeZonePages(st: BuddyState, offset: ZoneIndex): number {
  const zl = st.zonelists.fallback[st.services.cpuToNode(st.services.sched.currentCpu)] ?? new Int32Array(0);
  let sum = 0;
  for (let i = 0; i < zl.length; i++) {
    const zone = st.zoneByNum[zl[i]];
    if (zone.idx > offset) continue;
    const size = zone.managedPages;
    const high = zone.watermark[WMARK_HIGH];
    if (size > high) sum += size - high;
  }
  return sum;
}

/** nr_free_buffer_pages(): nr_free_zone_pages(gfp_zone(GFP_USER)). */
export function nrFreeBufferPages(st: BuddyState): number {
  return nrFreeZonePages(st, st.hooks.gfpZone(st, GFP_USER));
}

/**
 * init_per_zone_wmark_min(): min_free_kbytes = int_sqrt(lowmem_kbytes * 16) in [128, 65536]
 * unless the user's value is larger, then the watermarks and the lowmem reserves.
 */
export function initPerZoneWmarkMin(st: BuddyState): void {
  const lowmemKbytes = nrFreeBufferPages(st) * 4;
  const computed = intSqrt(lowmemKbytes * 16);
  if (computed > st.userMinFreeKbytes) {
    st.minFreeKbytes = Math.min(MIN_FREE_KBYTES_CEIL, Math.max(MIN_FREE_KBYTES_FLOOR, computed));
  } else {
    st.services.log('warn', `min_free_kbytes is not updated to ${computed} because user defined value ${st.userMinFreeKbytes} is preferred`);
  }
  st.hooks.setupPerZoneWmarks(st);
  setupPerZoneLowmemReserve(st);
}

/**
 * setup_per_zone_wmarks() (__setup_per_zone_wmarks() of 4.17): pages_min shared among the
 * lowmem zones by managed pages; highmem zones (is_highmem(): ZONE_HIGHMEM, and ZONE_MOVABLE only
 * when movable_zone is ZONE_HIGHMEM) get a small fixed min; low and high sit
 * max(min/4, managed * watermark_scale_factor / 10000) and twice that above min.
 */
export function setupPerZoneWmarks(st: BuddyState): void {
  const movableZone = st.services.layout.movableZone;
  let lowmemPages = 0;
  for (const zone of st.zoneByNum) if (!isHighmemIdx(st.zoneConfig, zone.idx, movableZone)) lowmemPages += zone.managedPages;
  for (const zone of st.zoneByNum) {
    const w = zoneWatermarks(zone.managedPages, st.minFreeKbytes, lowmemPages, isHighmemIdx(st.zoneConfig, zone.idx, movableZone), st.watermarkScaleFactor);
    zone.watermark[WMARK_MIN] = w.min;
    zone.watermark[WMARK_LOW] = w.low;
    zone.watermark[WMARK_HIGH] = w.high;
  }
  calculateTotalreservePages(st);
}

/** recommended_min_free_kbytes counts this populated zone (4.17: not above gfp_zone(GFP_USER), so not ZONE_MOVABLE). */
export function recommendedMinFreeZone(st: BuddyState, zone: Zone): boolean {
  return zone.idx <= st.hooks.gfpZone(st, GFP_USER);
}

/**
 * khugepaged's set_recommended_min_free_kbytes(): enough free pageblocks for fragmentation
 * avoidance (see recommendedMinFreeKbytes()), raising min_free_kbytes only; then the
 * watermarks.
 */
export function setRecommendedMinFreeKbytes(st: BuddyState): void {
  let nrZones = 0;
  for (const zone of st.zoneByNum) {
    if (!zone.populated) continue; // for_each_populated_zone
    if (!st.hooks.recommendedMinFreeZone(st, zone)) continue;
    nrZones++;
  }
  const recommended = recommendedMinFreeKbytes(nrZones, nrFreeBufferPages(st));
  if (recommended > st.minFreeKbytes) {
    if (st.userMinFreeKbytes >= 0) {
      st.services.log('info', `raising min_free_kbytes from ${st.minFreeKbytes} to ${recommended} to help transparent hugepage allocations`);
    }
    st.minFreeKbytes = recommended;
  }
  st.hooks.setupPerZoneWmarks(st);
}

/** sysctl_lowmem_reserve_ratio[] of 4.17: MAX_NR_ZONES entries, 256 for DMA and DMA32, 32 for Normal, 0 above. */
export function lowmemReserveRatioDefaults(st: BuddyState): number[] {
  const c = st.zoneConfig;
  const ratio = new Array<number>(c.nrZones).fill(0);
  if (c.DMA >= 0) ratio[c.DMA] = 256;
  if (c.DMA32 >= 0) ratio[c.DMA32] = 256;
  ratio[c.NORMAL] = 32;
  if (c.HIGHMEM >= 0) ratio[c.HIGHMEM] = 0;
  if (c.MOVABLE >= 0) ratio[c.MOVABLE] = 0;
  return ratio;
}

/**
 * setup_per_zone_lowmem_reserve() (4.17): a lower zone keeps back, from allocations that
 * could have used zone j, the managed pages of zone j and the zones between divided by the
 * lower zone's ratio; a ratio below 1 means no reserve (and reads back as 0).
 */
export function setupPerZoneLowmemReserve(st: BuddyState): void {
  const ratio = st.lowmemReserveRatio;
  for (let nid = 0; nid < st.nrNodes; nid++) {
    const base = nid * st.nrZones;
    for (let j = 0; j < st.nrZones; j++) {
      const zone = st.zoneByNum[base + j];
      let managed = zone.managedPages;
      zone.lowmemReserve[j] = 0;
      let idx = j;
      while (idx) {
        idx--;
        const lower = st.zoneByNum[base + idx];
        lower.lowmemReserve[j] = st.hooks.lowmemReserveOf(st, ratio, idx, managed);
        managed += lower.managedPages;
      }
    }
  }
  calculateTotalreservePages(st);
}

/**
 * One entry of setup_per_zone_lowmem_reserve(): what zone idx keeps back from `managed` pages
 * of the zones above it. 4.17: a ratio below 1 means no reserve, and is stored as 0.
 */
export function lowmemReserveOf(_st: BuddyState, ratio: number[], idx: ZoneIndex, managed: number): number {
  if (ratio[idx] < 1) {
    ratio[idx] = 0;
    return 0;
  }
  return Math.floor(managed / ratio[idx]);
}

/** calculate_totalreserve_pages(): per zone the largest reserve above it plus its high watermark, at most its managed pages. */
export function calculateTotalreservePages(st: BuddyState): void {
  let total = 0;
  for (const zone of st.zoneByNum) {
    let max = 0;
    for (let j = zone.idx; j < st.nrZones; j++) if (zone.lowmemReserve[j] > max) max = zone.lowmemReserve[j];
    max += zone.watermark[WMARK_HIGH];
    if (max > zone.managedPages) max = zone.managedPages;
    total += max;
  }
  st.totalreservePages = total;
}

/** min_free_kbytes_sysctl_handler(). */
export function minFreeKbytesSysctlHandler(st: BuddyState, kbytes: number): number {
  if (!isIntIn(kbytes, 0, INT_MAX)) return -ERRNO.EINVAL;
  st.minFreeKbytes = kbytes;
  st.userMinFreeKbytes = kbytes;
  st.hooks.setupPerZoneWmarks(st);
  return 0;
}

/** watermark_scale_factor_sysctl_handler(): [1, 1000]. */
export function watermarkScaleFactorSysctlHandler(st: BuddyState, factor: number): number {
  if (!isIntIn(factor, 1, 1000)) return -ERRNO.EINVAL;
  st.watermarkScaleFactor = factor;
  st.hooks.setupPerZoneWmarks(st);
  return 0;
}

/** lowmem_reserve_ratio_sysctl_handler(). */
export function lowmemReserveRatioSysctlHandler(st: BuddyState, ratios: readonly number[]): number {
  if (!validLowmemReserveRatio(st, ratios)) return -ERRNO.EINVAL;
  for (let i = 0; i < ratios.length; i++) st.lowmemReserveRatio[i] = ratios[i];
  setupPerZoneLowmemReserve(st);
  return 0;
}

/** A value lowmem_reserve_ratio takes: as many C ints as the array has entries (proc_dointvec; < 1 becomes 0). */
export function validLowmemReserveRatio(st: BuddyState, ratios: readonly number[]): boolean {
  const list: unknown = ratios;
  return Array.isArray(list) && list.length === st.lowmemReserveRatio.length && list.every((r: unknown) => isIntIn(r, -INT_MAX - 1, INT_MAX));
}

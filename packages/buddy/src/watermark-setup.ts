/**
 * The zone watermarks and reserves and the vm sysctls that drive them (mm/page_alloc.c and
 * mm/khugepaged.c, 4.17): nr_free_zone_pages(), init_per_zone_wmark_min(),
 * __setup_per_zone_wmarks(), khugepaged's set_recommended_min_free_kbytes(),
 * setup_per_zone_lowmem_reserve(), calculate_totalreserve_pages(), and the handlers of
 * min_free_kbytes, watermark_scale_factor and lowmem_reserve_ratio. The formulas are the pure
 * functions of watermarks.ts; the check against the watermarks, __zone_watermark_ok(), is part
 * of the allocation path (page-alloc.ts).
 */
import { ERRNO, GFP_USER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, isHighmemIdx, type Zone } from '@mmkit/core';
import { MIN_FREE_KBYTES_CEIL, MIN_FREE_KBYTES_FLOOR, intSqrt, recommendedMinFreeKbytes, zoneWatermarks } from './watermarks.js';
import { INT_MAX, PageAllocState, isIntIn } from './page-alloc-state.js';

export abstract class WatermarkSetup extends PageAllocState {
  /**
   * nr_free_zone_pages(): pages above the high watermark in the zones of the current node's
   * fallback zonelist up to zone index `offset`.
   */
  protected nrFreeZonePages(offset: number): number {
    const zl = this.zonelists.fallback[this.cpuToNode(this.services.sched.currentCpu)] ?? new Int32Array(0);
    let sum = 0;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx > offset) continue;
      const size = zone.managedPages;
      const high = zone.watermark[WMARK_HIGH];
      if (size > high) sum += size - high;
    }
    return sum;
  }

  /** nr_free_buffer_pages(): nr_free_zone_pages(gfp_zone(GFP_USER)). */
  protected nrFreeBufferPages(): number {
    return this.nrFreeZonePages(this.gfpZone(GFP_USER));
  }

  /**
   * init_per_zone_wmark_min(): min_free_kbytes = int_sqrt(lowmem_kbytes * 16) in [128, 65536]
   * unless the user's value is larger, then the watermarks and the lowmem reserves.
   */
  protected initPerZoneWmarkMin(): void {
    const lowmemKbytes = this.nrFreeBufferPages() * 4;
    const computed = intSqrt(lowmemKbytes * 16);
    if (computed > this.userMinFreeKbytes) {
      this.minFreeKbytesValue = Math.min(MIN_FREE_KBYTES_CEIL, Math.max(MIN_FREE_KBYTES_FLOOR, computed));
    } else {
      this.services.log(
        'warn',
        `min_free_kbytes is not updated to ${computed} because user defined value ${this.userMinFreeKbytes} is preferred`,
      );
    }
    this.setupPerZoneWmarks();
    this.setupPerZoneLowmemReserve();
  }

  /**
   * setup_per_zone_wmarks() (__setup_per_zone_wmarks() of 4.17): pages_min shared among the
   * lowmem zones by managed pages; highmem zones get a small fixed min; low and high sit
   * max(min/4, managed * watermark_scale_factor / 10000) and twice that above min.
   */
  protected setupPerZoneWmarks(): void {
    let lowmemPages = 0;
    for (const zone of this.zoneByNum) if (!isHighmemIdx(this.zoneConfig, zone.idx)) lowmemPages += zone.managedPages;
    for (const zone of this.zoneByNum) {
      const w = zoneWatermarks(
        zone.managedPages,
        this.minFreeKbytesValue,
        lowmemPages,
        isHighmemIdx(this.zoneConfig, zone.idx),
        this.watermarkScaleFactorValue,
      );
      zone.watermark[WMARK_MIN] = w.min;
      zone.watermark[WMARK_LOW] = w.low;
      zone.watermark[WMARK_HIGH] = w.high;
    }
    this.calculateTotalreservePages();
  }

  /** recommended_min_free_kbytes counts this populated zone (4.17: not above gfp_zone(GFP_USER), so not ZONE_MOVABLE). */
  protected recommendedMinFreeZone(zone: Zone): boolean {
    return zone.idx <= this.gfpZone(GFP_USER);
  }

  /**
   * khugepaged's set_recommended_min_free_kbytes(): enough free pageblocks for fragmentation
   * avoidance (see recommendedMinFreeKbytes()), raising min_free_kbytes only; then the
   * watermarks.
   */
  protected setRecommendedMinFreeKbytes(): void {
    let nrZones = 0;
    for (const zone of this.zoneByNum) {
      if (!zone.populated) continue; // for_each_populated_zone
      if (!this.recommendedMinFreeZone(zone)) continue;
      nrZones++;
    }
    const recommended = recommendedMinFreeKbytes(nrZones, this.nrFreeBufferPages());
    if (recommended > this.minFreeKbytesValue) {
      if (this.userMinFreeKbytes >= 0) {
        this.services.log('info', `raising min_free_kbytes from ${this.minFreeKbytesValue} to ${recommended} to help transparent hugepage allocations`);
      }
      this.minFreeKbytesValue = recommended;
    }
    this.setupPerZoneWmarks();
  }

  /** sysctl_lowmem_reserve_ratio[] of 4.17: MAX_NR_ZONES entries, 256 for DMA and DMA32, 32 for Normal, 0 above. */
  protected override lowmemReserveRatioDefaults(): number[] {
    const c = this.zoneConfig;
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
  protected setupPerZoneLowmemReserve(): void {
    const ratio = this.sysctlLowmemReserveRatio;
    for (let nid = 0; nid < this.nrNodes; nid++) {
      const base = nid * this.nrZones;
      for (let j = 0; j < this.nrZones; j++) {
        const zone = this.zoneByNum[base + j];
        let managed = zone.managedPages;
        zone.lowmemReserve[j] = 0;
        let idx = j;
        while (idx) {
          idx--;
          const lower = this.zoneByNum[base + idx];
          lower.lowmemReserve[j] = this.lowmemReserveOf(ratio, idx, managed);
          managed += lower.managedPages;
        }
      }
    }
    this.calculateTotalreservePages();
  }

  /**
   * One entry of setup_per_zone_lowmem_reserve(): what zone idx keeps back from `managed` pages
   * of the zones above it. 4.17: a ratio below 1 means no reserve, and is stored as 0.
   */
  protected lowmemReserveOf(ratio: number[], idx: number, managed: number): number {
    if (ratio[idx] < 1) {
      ratio[idx] = 0;
      return 0;
    }
    return Math.floor(managed / ratio[idx]);
  }

  /** calculate_totalreserve_pages(): per zone the largest reserve above it plus its high watermark, at most its managed pages. */
  protected calculateTotalreservePages(): void {
    let total = 0;
    for (const zone of this.zoneByNum) {
      let max = 0;
      for (let j = zone.idx; j < this.nrZones; j++) if (zone.lowmemReserve[j] > max) max = zone.lowmemReserve[j];
      max += zone.watermark[WMARK_HIGH];
      if (max > zone.managedPages) max = zone.managedPages;
      total += max;
    }
    this.totalreservePagesValue = total;
  }

  totalreservePages(): number {
    return this.totalreservePagesValue;
  }

  get minFreeKbytes(): number {
    return this.minFreeKbytesValue;
  }

  get watermarkScaleFactor(): number {
    return this.watermarkScaleFactorValue;
  }

  get lowmemReserveRatio(): readonly number[] {
    return this.sysctlLowmemReserveRatio.slice();
  }

  /** min_free_kbytes_sysctl_handler(). */
  setMinFreeKbytes(kbytes: number): number {
    if (!isIntIn(kbytes, 0, INT_MAX)) return -ERRNO.EINVAL;
    this.minFreeKbytesValue = kbytes;
    this.userMinFreeKbytes = kbytes;
    this.setupPerZoneWmarks();
    return 0;
  }

  /** watermark_scale_factor_sysctl_handler(): [1, 1000]. */
  setWatermarkScaleFactor(factor: number): number {
    if (!isIntIn(factor, 1, 1000)) return -ERRNO.EINVAL;
    this.watermarkScaleFactorValue = factor;
    this.setupPerZoneWmarks();
    return 0;
  }

  /** lowmem_reserve_ratio_sysctl_handler(). */
  setLowmemReserveRatio(ratios: readonly number[]): number {
    if (!this.validLowmemReserveRatio(ratios)) return -ERRNO.EINVAL;
    for (let i = 0; i < ratios.length; i++) this.sysctlLowmemReserveRatio[i] = ratios[i];
    this.setupPerZoneLowmemReserve();
    return 0;
  }

  protected override validLowmemReserveRatio(ratios: readonly number[]): boolean {
    const list: unknown = ratios;
    return Array.isArray(list) && list.length === this.sysctlLowmemReserveRatio.length && list.every((r: unknown) => isIntIn(r, -INT_MAX - 1, INT_MAX)); // proc_dointvec takes any int; < 1 becomes 0
  }
}

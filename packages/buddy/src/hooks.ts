/**
 * The variation points of the buddy allocator: an operations table, as Linux varies behaviour
 * with Kconfig choices and ops structs. DEFAULT_BUDDY_HOOKS is Linux 4.17; a variant (a mutant
 * that brings back an old behaviour, a researcher's policy) passes overrides to
 * createBuddyAllocator(services, { hooks }). Every hook gets the allocator's state first, so an
 * override can call the default (`DEFAULT_BUDDY_HOOKS.gfpZone(st, gfp)`) and any mechanism of
 * `@mmkit/buddy/internals`.
 */
import type { Gfp, MigrateType, Pfn, Zone, ZoneIndex } from '@mmkit/core';
import { __freeOnePage } from './free-area.js';
import { __zoneWatermarkOk, gfpZone, zoneWatermarkFast } from './page-alloc.js';
import { __rmqueueFallback } from './rmqueue-fallback.js';
import type { BuddyState } from './state.js';
import {
  initPerZoneWmarkMin,
  lowmemReserveOf,
  lowmemReserveRatioDefaults,
  recommendedMinFreeZone,
  setupPerZoneWmarks,
} from './watermark-setup.js';

export interface BuddyHooks {
  /** gfp_zone(): the highest zone an allocation may use (4.17: GFP_ZONE_TABLE). */
  gfpZone(st: BuddyState, gfp: Gfp): ZoneIndex;
  /**
   * __zone_watermark_ok(): may the zone serve an allocation of `order` and stay above `mark`
   * plus lowmem_reserve[classzoneIdx]? (4.17: ALLOC_HIGH halves the mark, ALLOC_HARDER takes a
   * quarter more and may use the highatomic reserve; order > 0 needs a free block that large.)
   */
  zoneWatermarkOk(st: BuddyState, zone: Zone, order: number, mark: number, classzoneIdx: ZoneIndex, allocFlags: number): boolean;
  /**
   * zone_watermark_fast(): the check get_page_from_freelist() makes (4.17: an order-0 request
   * passes when free pages > mark + lowmem_reserve[classzoneIdx], the highatomic reserve
   * counted as free; otherwise the zoneWatermarkOk hook decides).
   */
  zoneWatermarkFast(st: BuddyState, zone: Zone, order: number, mark: number, classzoneIdx: ZoneIndex, allocFlags: number): boolean;
  /**
   * __free_one_page(): merge a freed block with its free buddies and put it on its list (4.17:
   * at the tail when the next higher buddy is free; pageblocks merge across MIGRATE_ISOLATE
   * only when both are isolated).
   */
  __freeOnePage(st: BuddyState, zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType): void;
  /**
   * __rmqueue_fallback(): steal a block of another migratetype; true when something moved to
   * the allocation's lists (4.17: the largest block, but the smallest for a movable request
   * that cannot claim the pageblock).
   */
  __rmqueueFallback(st: BuddyState, zone: Zone, order: number, startMigratetype: MigrateType): boolean;
  /** init_per_zone_wmark_min(): min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped; then watermarks and reserves. */
  initPerZoneWmarkMin(st: BuddyState): void;
  /** __setup_per_zone_wmarks(): min by share of managed pages, low/high from watermark_scale_factor. */
  setupPerZoneWmarks(st: BuddyState): void;
  /** Does khugepaged's set_recommended_min_free_kbytes() count this populated zone? (4.17: not ZONE_MOVABLE.) */
  recommendedMinFreeZone(st: BuddyState, zone: Zone): boolean;
  /** sysctl_lowmem_reserve_ratio[]'s boot values (4.17: MAX_NR_ZONES entries, 256 256 32 0 0 on x86-64). */
  lowmemReserveRatioDefaults(st: BuddyState): number[];
  /**
   * One entry of setup_per_zone_lowmem_reserve(): what zone `idx` keeps back from `managed`
   * pages of the zones above it (4.17: a ratio below 1 means none, and is stored as 0).
   */
  lowmemReserveOf(st: BuddyState, ratio: number[], idx: ZoneIndex, managed: number): number;
}

/** Linux 4.17. */
export const DEFAULT_BUDDY_HOOKS: Readonly<BuddyHooks> = Object.freeze({
  gfpZone,
  zoneWatermarkOk: __zoneWatermarkOk,
  zoneWatermarkFast,
  __freeOnePage,
  __rmqueueFallback,
  initPerZoneWmarkMin,
  setupPerZoneWmarks,
  recommendedMinFreeZone,
  lowmemReserveRatioDefaults,
  lowmemReserveOf,
});

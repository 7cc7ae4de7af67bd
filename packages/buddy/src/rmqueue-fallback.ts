/**
 * Migratetype fallback (mm/page_alloc.c, 4.17): when an allocation's own free lists are empty,
 * __rmqueue_fallback() finds a block of another type (find_suitable_fallback(),
 * can_steal_fallback()) and steals it, or its whole pageblock (steal_suitable_fallback(),
 * change_pageblock_range()). The fallback table and the steal rule are in fallback.ts.
 */
import {
  MAX_ORDER,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_TYPES,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  type Zone,
} from '@mmkit/core';
import { FALLBACKS, canStealFallback } from './fallback.js';
import { freeListIndex } from './free-area.js';
import { BootMem } from './bootmem.js';

export abstract class RmqueueFallback extends BootMem {
  /** can_steal_fallback(). */
  protected canStealFallback(order: number, startMt: number): boolean {
    return canStealFallback(order, startMt, this.pageGroupByMobilityDisabled);
  }

  /**
   * find_suitable_fallback(): the first type in fallbacks[migratetype] with a free block of
   * exactly `order`, or -1; this.fallbackCanSteal tells whether the whole pageblock may be taken.
   */
  protected findSuitableFallback(zone: Zone, order: number, migratetype: number, onlyStealable: boolean): number {
    if (zone.nrFree[order] === 0) return -1;
    this.fallbackCanSteal = false;
    const fallbacks = FALLBACKS[migratetype];
    for (let i = 0; ; i++) {
      const fallbackMt = fallbacks[i];
      if (fallbackMt === MIGRATE_TYPES) break;
      if (this.freeLists.isEmpty(freeListIndex(zone.zoneNum, order, fallbackMt))) continue;
      if (this.canStealFallback(order, migratetype)) this.fallbackCanSteal = true;
      if (!onlyStealable) return fallbackMt;
      if (this.fallbackCanSteal) return fallbackMt;
    }
    return -1;
  }

  /**
   * __rmqueue_fallback(): take the largest free block of a fallback type (approximating the
   * pageblock with the most free pages); a movable allocation that may not steal the whole
   * block splits the smallest one instead. The block (or its pageblock) moves to the
   * allocation's type; the caller then retries its own lists.
   */
  protected __rmqueueFallback(zone: Zone, order: number, startMigratetype: number): boolean {
    let current = MAX_ORDER - 1;
    let fallbackMt = -1;
    for (; current >= order; current--) {
      fallbackMt = this.findSuitableFallback(zone, current, startMigratetype, false);
      if (fallbackMt === -1) continue;
      if (!this.fallbackCanSteal && startMigratetype === MIGRATE_MOVABLE && current > order) {
        // find_smallest:
        for (current = order; current < MAX_ORDER; current++) {
          fallbackMt = this.findSuitableFallback(zone, current, startMigratetype, false);
          if (fallbackMt !== -1) break;
        }
        if (current === MAX_ORDER) throw new Error('kernel BUG: __rmqueue_fallback found a fallback block and then none');
      }
      // do_steal:
      const pfn = this.freeLists.first(freeListIndex(zone.zoneNum, current, fallbackMt));
      this.stealSuitableFallback(zone, pfn, startMigratetype, this.fallbackCanSteal);
      return true;
    }
    return false;
  }

  /**
   * steal_suitable_fallback(): claim the whole pageblock (move all its free blocks, and
   * change its type when at least half of it is free or holds pages like ours) or only this
   * block. Highatomic pageblocks are never claimed; blocks of a pageblock or more change the
   * type of all their pageblocks.
   */
  protected stealSuitableFallback(zone: Zone, pfn: number, startType: number, wholeBlock: boolean): void {
    const currentOrder = this.pages.private[pfn];
    const oldBlockType = this.pages.getPageblockMigratetype(pfn);
    single: {
      if (oldBlockType === MIGRATE_HIGHATOMIC) break single;
      if (currentOrder >= PAGEBLOCK_ORDER) {
        this.changePageblockRange(pfn, currentOrder, startType);
        break single;
      }
      if (!wholeBlock) break single;
      const freePages = this.moveFreepagesBlock(zone, pfn, startType, true);
      const movablePages = this.lastNumMovable;
      let alikePages: number;
      if (startType === MIGRATE_MOVABLE) alikePages = movablePages;
      else if (oldBlockType === MIGRATE_MOVABLE) alikePages = PAGEBLOCK_NR_PAGES - (freePages + movablePages);
      else alikePages = 0;
      if (!freePages) break single; // moving the whole block can fail at a zone boundary
      if (freePages + alikePages >= 1 << (PAGEBLOCK_ORDER - 1) || this.pageGroupByMobilityDisabled) {
        this.setPageblockMigratetype(pfn, startType);
      }
      return;
    }
    this.moveToFreeList(zone, pfn, currentOrder, startType);
  }

  /** change_pageblock_range(). */
  protected changePageblockRange(pfn: number, startOrder: number, mt: number): void {
    for (let n = 1 << (startOrder - PAGEBLOCK_ORDER); n > 0; n--, pfn += PAGEBLOCK_NR_PAGES) this.setPageblockMigratetype(pfn, mt);
  }
}

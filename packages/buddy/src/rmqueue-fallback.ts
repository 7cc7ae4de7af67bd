/**
 * Taking a block off the buddy lists for a migratetype (mm/page_alloc.c, 4.17): __rmqueue()
 * tries the type's own lists, then CMA for movable requests, then migratetype fallback:
 * __rmqueue_fallback() finds a block of another type (find_suitable_fallback(),
 * can_steal_fallback()) and steals it, or its whole pageblock (steal_suitable_fallback(),
 * change_pageblock_range()). The fallback table and the steal rule are in fallback.ts.
 */
import {
  MAX_ORDER,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_TYPES,
  NO_PAGE,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  type MigrateType,
  type Pfn,
  type Zone,
} from '@mmkit/core';
import { FALLBACKS, canStealFallback as canStealFallbackRule } from './fallback.js';
import * as freeAreaMod from './free-area.js';
import * as pageblockMod from './pageblock.js';
import * as stateMod from './state.js';
import type { BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeListIndex } = stateMod;
const { __rmqueueSmallest, moveFreepagesBlock, moveToFreeList } = freeAreaMod;
const { setPageblockMigratetype } = pageblockMod;

/** __rmqueue(): own lists, then CMA for movable, then steal from another type and retry. */
export function __rmqueue(st: BuddyState, zone: Zone, order: number, migratetype: MigrateType): Pfn {
  for (;;) {
    let pfn = __rmqueueSmallest(st, zone, order, migratetype);
    if (pfn !== NO_PAGE) return pfn;
    if (migratetype === MIGRATE_MOVABLE) {
      pfn = __rmqueueSmallest(st, zone, order, MIGRATE_CMA); // __rmqueue_cma_fallback()
      if (pfn !== NO_PAGE) return pfn;
    }
    if (!st.hooks.__rmqueueFallback(st, zone, order, migratetype)) return NO_PAGE;
  }
}

/** can_steal_fallback(), with page_group_by_mobility_disabled. */
export function canStealFallback(st: BuddyState, order: number, startMt: MigrateType): boolean {
  return canStealFallbackRule(order, startMt, st.pageGroupByMobilityDisabled);
}

/**
 * find_suitable_fallback(): the first type in fallbacks[migratetype] with a free block of
 * exactly `order`, or -1. Linux's *can_steal out-parameter is canStealFallback(st, order,
 * migratetype) whenever a type is found (it does not depend on which one).
 */
export function findSuitableFallback(st: BuddyState, zone: Zone, order: number, migratetype: MigrateType, onlyStealable: boolean): MigrateType {
  if (zone.nrFree[order] === 0) return -1;
  const fallbacks = FALLBACKS[migratetype];
  for (let i = 0; ; i++) {
    const fallbackMt = fallbacks[i];
    if (fallbackMt === MIGRATE_TYPES) break;
    if (st.freeLists.isEmpty(freeListIndex(zone.zoneNum, order, fallbackMt))) continue;
    if (!onlyStealable || canStealFallback(st, order, migratetype)) return fallbackMt;
  }
  return -1;
}

/**
 * __rmqueue_fallback() (the default of the hook of that name): take the largest free block of
 * a fallback type (approximating the pageblock with the most free pages); a movable
 * allocation that may not steal the whole block splits the smallest one instead. The block
 * (or its pageblock) moves to the allocation's type; the caller then retries its own lists.
 */
export function __rmqueueFallback(st: BuddyState, zone: Zone, order: number, startMigratetype: MigrateType): boolean {
  let current = MAX_ORDER - 1;
  let fallbackMt = -1;
  for (; current >= order; current--) {
    fallbackMt = findSuitableFallback(st, zone, current, startMigratetype, false);
    if (fallbackMt === -1) continue;
    if (!canStealFallback(st, current, startMigratetype) && startMigratetype === MIGRATE_MOVABLE && current > order) {
      // find_smallest:
      for (current = order; current < MAX_ORDER; current++) {
        fallbackMt = findSuitableFallback(st, zone, current, startMigratetype, false);
        if (fallbackMt !== -1) break;
      }
      if (current === MAX_ORDER) throw new Error('kernel BUG: __rmqueue_fallback found a fallback block and then none');
    }
    // do_steal:
    const pfn = st.freeLists.first(freeListIndex(zone.zoneNum, current, fallbackMt));
    stealSuitableFallback(st, zone, pfn, startMigratetype, canStealFallback(st, current, startMigratetype));
    return true;
  }
  return false;
}

/** move_freepages_block()'s num_movable of steal_suitable_fallback() (a local of the C function; one buffer, no object per call). */
const numMovable = new Int32Array(1);

/**
 * steal_suitable_fallback(): claim the whole pageblock (move all its free blocks, and
 * change its type when at least half of it is free or holds pages like ours) or only this
 * block. Highatomic pageblocks are never claimed; blocks of a pageblock or more change the
 * type of all their pageblocks.
 */
export function stealSuitableFallback(st: BuddyState, zone: Zone, pfn: Pfn, startType: MigrateType, wholeBlock: boolean): void {
  const currentOrder = st.pages.buddyOrder(pfn);
  const oldBlockType = st.pages.getPageblockMigratetype(pfn);
  single: {
    if (oldBlockType === MIGRATE_HIGHATOMIC) break single;
    if (currentOrder >= PAGEBLOCK_ORDER) {
      changePageblockRange(st, pfn, currentOrder, startType);
      break single;
    }
    if (!wholeBlock) break single;
    const freePages = moveFreepagesBlock(st, zone, pfn, startType, numMovable);
    const movablePages = numMovable[0];
    let alikePages: number;
    if (startType === MIGRATE_MOVABLE) alikePages = movablePages;
    else if (oldBlockType === MIGRATE_MOVABLE) alikePages = PAGEBLOCK_NR_PAGES - (freePages + movablePages);
    else alikePages = 0;
    if (!freePages) break single; // moving the whole block can fail at a zone boundary
    if (freePages + alikePages >= 1 << (PAGEBLOCK_ORDER - 1) || st.pageGroupByMobilityDisabled) {
      setPageblockMigratetype(st, pfn, startType);
    }
    return;
  }
  moveToFreeList(st, zone, pfn, currentOrder, startType);
}

/** change_pageblock_range(). */
export function changePageblockRange(st: BuddyState, pfn: Pfn, startOrder: number, mt: MigrateType): void {
  for (let n = 1 << (startOrder - PAGEBLOCK_ORDER); n > 0; n--, pfn += PAGEBLOCK_NR_PAGES) setPageblockMigratetype(st, pfn, mt);
}

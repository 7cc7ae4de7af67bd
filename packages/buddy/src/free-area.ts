/**
 * struct free_area: the buddy free lists of every zone, and the mechanisms that work on them
 * directly (mm/page_alloc.c, 4.17): adding and removing a block, splitting one (expand()),
 * merging a freed block with its buddies (__free_one_page()), free_one_page(), taking the
 * smallest suitable block (__rmqueue_smallest()) and moving the free blocks of a pageblock to
 * another migratetype's list (move_freepages()).
 *
 * Lists are PfnListSet lists threaded through page->lru; one list per zone x order x
 * migratetype (freeListIndex()). Nothing here allocates a JavaScript object per call.
 */
import {
  MAX_ORDER,
  MIGRATE_ISOLATE,
  MIGRATE_TYPES,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  PG_lru,
  PG_movable,
  TOP_ORDER,
  type MigrateType,
  type PageStore,
  type Pfn,
  type Zone,
} from '@mmkit/core';
import * as coreMod from '@mmkit/core';
import * as pageExtrasMod from './page-extras.js';
import * as stateMod from './state.js';
import type { BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeListIndex } = stateMod;
const { buddyWordAux, clearBuddyWord, lowBuddyWordOf, pfnListAddHead, pfnListAddTail, pfnListRemove, setBuddyWord, setLowBuddyWord, topListAdd, topListRemove } = coreMod;

/**
 * HOT_LITERALS: addToFreeArea(), delFromFreeArea(), __freeOnePage() and __rmqueueSmallest()
 * write MAX_ORDER, MIGRATE_TYPES, TOP_ORDER, MIGRATE_ISOLATE and PAGEBLOCK_ORDER as literals: V8 loads an
 * imported constant from its module cell, and checks it, on every use.
 */
if (MAX_ORDER !== 11 || MIGRATE_TYPES !== 6 || TOP_ORDER !== 10 || MIGRATE_ISOLATE !== 5 || PAGEBLOCK_ORDER !== 9) throw new Error('buddy free-area.ts: the hot paths\' literals are out of date');
const { setListMigratetype } = pageExtrasMod;

/** page_zone(): the zone a pfn belongs to, or undefined. */
export function pageZone(st: BuddyState, pfn: Pfn): Zone | undefined {
  const zn = st.pages.zoneNumOf(pfn);
  return zn < 0 ? undefined : st.zoneByNum[zn]; // core NO_ZONE
}

/**
 * The mechanisms that work on the free lists, as closures made once per allocator state
 * (createFreeAreaPaths(), kept in BuddyState.freeArea) over the struct page store and the list
 * sets they touch: V8 then reads those objects' arrays as constants of the compiled code
 * instead of following st -> pages -> array, with a map check at each step, on every call
 * (docs/implementations.md, as the order-0 per-cpu fast paths). The functions exported below
 * with a BuddyState first (addToFreeArea(), __freeOnePage(), ...) hand over to these.
 */
export interface FreeAreaPaths {
  /** addToFreeArea(). */
  readonly add: (zone: Zone, pfn: Pfn, order: number, mt: MigrateType, tail: boolean) => void;
  /** delFromFreeArea(). */
  readonly del: (zone: Zone, pfn: Pfn, order: number, mt: MigrateType) => void;
  /** __free_one_page(). */
  readonly freeOne: (zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType) => void;
  /** expand(). */
  readonly expand: (zone: Zone, pfn: Pfn, low: number, high: number, mt: MigrateType) => void;
  /** __rmqueue_smallest(). */
  readonly rmqueueSmallest: (zone: Zone, order: number, mt: MigrateType) => Pfn;
}

/** The free-area mechanisms of one allocator state (BuddyState.freeArea). */
export function createFreeAreaPaths(st: BuddyState): FreeAreaPaths {
  const p = st.pages;
  const l = st.freeLists;
  return freeAreaPaths(p, p.maxPfn, p.mapLru, p.private, p.topBlock, p.flags, p.pageblockZone, p.pageblockMigratetype, l.head, l.tail, l.length);
}

// The closures take what they hold as parameters of the function that makes them, not as consts
// of it: a const read from a closure is checked for the hole (its temporal dead zone) on every
// read, a parameter never is.
function freeAreaPaths(
  pages: PageStore,
  maxPfn: number,
  mapLru: Int32Array,
  priv: Uint32Array,
  topBlock: Int32Array,
  flags: Uint32Array,
  pageblockZone: Uint16Array,
  pageblockMigratetype: Uint8Array,
  head: Int32Array,
  tail: Int32Array,
  length: Uint32Array,
): FreeAreaPaths {
  /** page_zone_id(): pages.zoneNumOf() with its common case (a pageblock in one zone) inline. */
  function zoneNumOf(pfn: Pfn): number {
    const z = pageblockZone[pfn >>> 9]; // PAGEBLOCK_ORDER (checked at load)
    return z !== 0xffff ? z - 1 : pages.zoneNumOf(pfn); // ZONE_MIXED
  }

  /**
   * Put a block on zone->free_area[order].free_list[mt] (set_page_order() + list_add() or
   * list_add_tail() + nr_free++), counting it in NR_FREE_PAGES (NR_FREE_CMA_PAGES is
   * Zone.freeCmaPages, read from the per-type counts). `counts` is the zone's freeCounts and
   * `lists` its first free list (freeListIndex(zone, 0, 0)): the callers read the zone once.
   */
  function addTo(counts: Int32Array, lists: number, pfn: Pfn, order: number, mt: MigrateType, atTail: boolean): void {
    const list = lists + order * 6 + mt; // freeListIndex(): MIGRATE_TYPES 6 (literals: see HOT_LITERALS)
    if (order === 10) addTop(list, pfn, mt, atTail); // TOP_ORDER
    else {
      setLowBuddyWord(mapLru, pfn, order, mt); // the free list's migratetype kept with the head (core's buddy word)
      if (atTail) pfnListAddTail(mapLru, head, tail, length, list, pfn);
      else pfnListAddHead(mapLru, head, tail, length, list, pfn);
    }
    // zone.freePages, nrFree[order] and nrFreeByType[order * MIGRATE_TYPES + mt], through their one view (core's
    // FREE_PAGES 0, NR_FREE 1, NR_FREE_BY_TYPE 12, MIGRATE_TYPES 6: literals, as an imported constant costs a load and a check)
    counts[0] += 1 << order;
    counts[1 + order]++;
    counts[12 + order * 6 + mt]++;
  }

  /**
   * addTo()'s word and links of a top-order block, in topBlock (TopOrderListSet), out of line:
   * V8 inlines a function's callees up to a total size, and the order-0 paths seldom reach the
   * top order.
   */
  function addTop(list: number, pfn: Pfn, mt: MigrateType, atTail: boolean): void {
    setBuddyWord(mapLru, topBlock, pfn, 10, mt); // TOP_ORDER
    topListAdd(topBlock, head, tail, length, list, pfn, atTail);
  }

  /** Take a block off its free list (list_del() + rmv_page_order() + nr_free--); `counts` and `lists` as addTo(). */
  function delFrom(counts: Int32Array, lists: number, pfn: Pfn, order: number, mt: MigrateType): void {
    const list = lists + order * 6 + mt; // freeListIndex(): MIGRATE_TYPES 6
    if (order === 10) topListRemove(topBlock, head, tail, length, list, pfn); // TOP_ORDER: TopOrderListSet
    else pfnListRemove(mapLru, head, tail, length, list, pfn);
    clearBuddyWord(mapLru, priv, topBlock, pfn);
    counts[0] -= 1 << order; // as addTo()
    counts[1 + order]--;
    counts[12 + order * 6 + mt]--;
  }

  /** addToFreeArea(). */
  function add(zone: Zone, pfn: Pfn, order: number, mt: MigrateType, atTail: boolean): void {
    addTo(zone.freeCounts, zone.zoneNum * 66, pfn, order, mt, atTail); // freeListIndex(zone, 0, 0): MAX_ORDER 11 x MIGRATE_TYPES 6
  }

  /** delFromFreeArea(). */
  function del(zone: Zone, pfn: Pfn, order: number, mt: MigrateType): void {
    delFrom(zone.freeCounts, zone.zoneNum * 66, pfn, order, mt);
  }

  /**
   * __free_one_page(): merge the block with its free buddies as far as possible (the buddy of
   * [pfn, order] is pfn ^ (1 << order)), then put it on its free list: at the tail when the
   * buddy of the next higher order is free, so it has a chance to merge soon (4.17), else at the
   * head. Two pageblocks merge (order >= pageblock_order) only when neither is MIGRATE_ISOLATE
   * or both are.
   */
  function freeOne(zone: Zone, blockPfn: Pfn, blockOrder: number, migratetype: MigrateType): void {
    // The merging loop's pfn and order as int32 locals: V8 keeps a reassigned parameter tagged
    // and untags and checks it on every iteration.
    let pfn = blockPfn | 0;
    let order = blockOrder | 0;
    const counts = zone.freeCounts;
    const lists = zone.zoneNum * 66; // freeListIndex(zone, 0, 0)
    const zn = zoneNumOf(pfn); // page_zone_id() of the block (its buddies share it once merged)
    // Below pageblock_order a buddy is in the block's pageblock: of its zone, unless that
    // pageblock is ZONE_MIXED (0xffff in the per-pageblock table).
    const oneZone = pageblockZone[pfn >>> 9] !== 0xffff;
    let maxOrder = 10; // MERGE_MAX_ORDER
    for (;;) {
      while (order < maxOrder - 1) {
        // (maxOrder - 1 <= 9: below TOP_ORDER, where a free head's buddy word is in mapLru)
        const buddy = pfn ^ (1 << order);
        // page_is_buddy(), inline: a free head of this order in the same zone.
        const word = buddy < maxPfn ? lowBuddyWordOf(mapLru, buddy, order) : 0;
        if (!(word !== 0 && ((oneZone && order < 9) || zoneNumOf(buddy) === zn))) break; // PAGEBLOCK_ORDER
        delFrom(counts, lists, buddy, order, buddyWordAux(word)); // PageStore.buddyAux(): the buddy's free list
        pfn &= buddy;
        order++;
      }
      if (order < maxOrder - 1 || maxOrder >= 11) break; // MAX_ORDER
      // order == pageblock_order: don't merge a MIGRATE_ISOLATE pageblock with a normal one.
      const buddy = pfn ^ (1 << order);
      if (buddy < maxPfn) {
        const buddyMt = pageblockMigratetype[buddy >>> 9]; // get_pageblock_migratetype(); PAGEBLOCK_ORDER
        if (migratetype !== buddyMt && (migratetype === 5 || buddyMt === 5)) break; // MIGRATE_ISOLATE
      }
      maxOrder++;
    }
    let atTail = false;
    if (order < 9) {
      // MAX_ORDER - 2
      const higher = pfn & ~(1 << order);
      const higherBuddy = higher ^ (1 << (order + 1));
      atTail = higherBuddy < maxPfn && lowBuddyWordOf(mapLru, higherBuddy, order + 1) !== 0 && ((oneZone && order < 8) || zoneNumOf(higherBuddy) === zoneNumOf(higher)); // order + 1 < TOP_ORDER; both in the pageblock below pageblock_order - 1
    }
    addTo(counts, lists, pfn, order, migratetype, atTail);
  }

  /**
   * expand(): split a block of order `high` taken off the lists down to order `low`, putting
   * the upper halves back on the lists of `mt` (list_add(): at the head).
   */
  function expand(zone: Zone, pfn: Pfn, low: number, high: number, mt: MigrateType): void {
    expandIn(zone.freeCounts, zone.zoneNum * 66, pfn, low, high, mt); // freeListIndex(zone, 0, 0)
  }

  /** expand() with `counts` and `lists` as addTo(). */
  function expandIn(counts: Int32Array, lists: number, pfn: Pfn, low: number, high: number, mt: MigrateType): void {
    // The order as an int32 local, not the reassigned parameter (see freeOne())
    for (let order = high | 0; order > low; ) {
      order--;
      addTo(counts, lists, (pfn + (1 << order)) | 0, order, mt, false); // | 0: a pfn is below 2^31 (PageStore.MAX_PAGES); V8 then indexes in int32, not float64
    }
  }

  /**
   * __rmqueue_smallest(): the first block of the smallest order >= `order` on the lists of
   * `mt`, split down to `order`. Returns its pfn (taken off the lists) or -1.
   */
  function rmqueueSmallest(zone: Zone, order: number, mt: MigrateType): Pfn {
    const lists = zone.zoneNum * 66; // freeListIndex(zone, 0, 0): MAX_ORDER 11, MIGRATE_TYPES 6
    let list = lists + order * 6 + mt;
    for (let current = order; current < 11; current++, list += 6) {
      const pfn = head[list]; // PfnListSet.first()
      if (pfn === -1) continue;
      const counts = zone.freeCounts;
      delFrom(counts, lists, pfn, current, mt);
      if (current > order) expandIn(counts, lists, pfn, order, current, mt);
      setListMigratetype(flags, pfn, mt); // set_pcppage_migratetype()
      return pfn;
    }
    return -1;
  }

  return { add, del, freeOne, expand, rmqueueSmallest };
}

/** Put a block on zone->free_area[order].free_list[mt] (see FreeAreaPaths.add). */
export function addToFreeArea(st: BuddyState, zone: Zone, pfn: Pfn, order: number, mt: MigrateType, tail: boolean): void {
  st.freeArea.add(zone, pfn, order, mt, tail);
}

/** Take a block off its free list (list_del() + rmv_page_order() + nr_free--). */
export function delFromFreeArea(st: BuddyState, zone: Zone, pfn: Pfn, order: number, mt: MigrateType): void {
  st.freeArea.del(zone, pfn, order, mt);
}

/**
 * list_move() of a free block to the head of another migratetype's list of the same order
 * (NR_FREE_CMA_PAGES, read from the per-type counts, follows the block, as
 * set_migratetype_isolate() and unset_migratetype_isolate() account a CMA pageblock's pages).
 */
export function moveToFreeList(st: BuddyState, zone: Zone, pfn: Pfn, order: number, mt: MigrateType): void {
  const old = st.pages.buddyAux(pfn);
  if (order === TOP_ORDER) {
    st.topFreeLists.remove(freeListIndex(zone.zoneNum, order, old), pfn);
    st.topFreeLists.add(freeListIndex(zone.zoneNum, order, mt), pfn, false);
  } else {
    st.freeLists.remove(freeListIndex(zone.zoneNum, order, old), pfn);
    st.freeLists.addHead(freeListIndex(zone.zoneNum, order, mt), pfn);
  }
  st.pages.setBuddy(pfn, order, mt);
  zone.nrFreeByType[order * MIGRATE_TYPES + old]--;
  zone.nrFreeByType[order * MIGRATE_TYPES + mt]++;
}

/**
 * page_is_buddy(): `buddy` is the head of a free block of exactly `order` in the same zone
 * as `pfn` (page_zone_id() equal).
 */
export function pageIsBuddy(st: BuddyState, pfn: Pfn, buddy: Pfn, order: number): boolean {
  const pages = st.pages;
  if (buddy >= pages.maxPfn) return false; // pfn_valid_within()
  return pages.isBuddyOfOrder(buddy, order) && pages.zoneNumOf(buddy) === pages.zoneNumOf(pfn);
}

/** __free_one_page() (the default of the hook of that name): see FreeAreaPaths.freeOne. */
export function __freeOnePage(st: BuddyState, zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType): void {
  st.freeArea.freeOne(zone, pfn, order, migratetype);
}

/** The order __free_one_page() merges up to without looking at migratetypes: min(MAX_ORDER, pageblock_order + 1) (a literal in freeOne()). */
const MERGE_MAX_ORDER = Math.min(MAX_ORDER, PAGEBLOCK_ORDER + 1);
if (MERGE_MAX_ORDER !== 10) throw new Error("buddy free-area.ts: freeOne()'s literal MERGE_MAX_ORDER is out of date");

/** free_one_page(): an isolated pageblock's pages go back to the isolate list; then __free_one_page(). */
export function freeOnePage(st: BuddyState, zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType): void {
  if (migratetype === MIGRATE_ISOLATE) migratetype = st.pages.getPageblockMigratetype(pfn);
  st.hooks.__freeOnePage(st, zone, pfn, order, migratetype);
}

/** expand(): split a block of order `high` down to order `low` (see FreeAreaPaths.expand). */
export function expand(st: BuddyState, zone: Zone, pfn: Pfn, low: number, high: number, mt: MigrateType): void {
  st.freeArea.expand(zone, pfn, low, high, mt);
}

/** __rmqueue_smallest(): see FreeAreaPaths.rmqueueSmallest. Returns its pfn (taken off the lists) or -1. */
export function __rmqueueSmallest(st: BuddyState, zone: Zone, order: number, mt: MigrateType): Pfn {
  return st.freeArea.rmqueueSmallest(zone, order, mt);
}

/**
 * move_freepages(): move every free block in [startPfn, endPfn] to the lists of `mt`.
 * Returns the pages moved; when `numMovable` is given (Linux's int *num_movable), its first
 * element is set to the allocated pages that look movable (PageLRU or __PageMovable).
 */
export function moveFreepages(st: BuddyState, zone: Zone, startPfn: Pfn, endPfn: Pfn, mt: MigrateType, numMovable: Int32Array | null): number {
  const pages = st.pages;
  const flags = pages.flags;
  const movableMask = (1 << PG_lru) | (1 << PG_movable);
  let moved = 0;
  let movable = 0;
  for (let pfn = startPfn; pfn <= endPfn; ) {
    if (!pages.isBuddy(pfn)) {
      if (numMovable && (flags[pfn] & movableMask) !== 0) movable++;
      pfn++;
      continue;
    }
    const order = pages.buddyOrder(pfn);
    moveToFreeList(st, zone, pfn, order, mt);
    pfn += 1 << order;
    moved += 1 << order;
  }
  if (numMovable) numMovable[0] = movable;
  return moved;
}

/**
 * move_freepages_block(): moveFreepages() over the pageblock of `pfn`, never crossing the
 * zone's boundaries (0 when the pageblock ends outside the zone).
 */
export function moveFreepagesBlock(st: BuddyState, zone: Zone, pfn: Pfn, mt: MigrateType, numMovable: Int32Array | null): number {
  let start = pfn & ~(PAGEBLOCK_NR_PAGES - 1);
  const end = start + PAGEBLOCK_NR_PAGES - 1;
  if (!zone.spansPfn(start)) start = pfn;
  if (!zone.spansPfn(end)) {
    if (numMovable) numMovable[0] = 0;
    return 0;
  }
  return moveFreepages(st, zone, start, end, mt, numMovable);
}

/** Every block on the buddy free lists: zone by zone, order by order, migratetype by migratetype. */
export function forEachFreeBlock(st: BuddyState, visit: (zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType) => void): void {
  for (const zone of st.zoneByNum) {
    for (let order = 0; order < MAX_ORDER; order++) {
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const list = freeListIndex(zone.zoneNum, order, mt);
        for (let pfn = st.freeLists.first(list); pfn !== -1; ) {
          const next = order === TOP_ORDER ? st.topFreeLists.next(pfn) : st.freeLists.next(pfn);
          visit(zone, pfn, order, mt);
          pfn = next;
        }
      }
    }
  }
}

/**
 * struct free_area: the buddy free lists of every zone, and the mechanisms that work on them
 * directly (mm/page_alloc.c, 4.17): adding and removing a block, splitting one (expand()),
 * merging a freed block with its buddies (__free_one_page()), taking the smallest suitable
 * block (__rmqueue_smallest()) and moving the free blocks of a pageblock to another
 * migratetype's list (move_freepages()).
 *
 * Lists are PfnListSet lists threaded through page->lru; one list per
 * zone x order x migratetype. Nothing here allocates a JavaScript object per call.
 */
import {
  MAX_ORDER,
  MIGRATE_ISOLATE,
  MIGRATE_TYPES,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  PG_lru,
  PG_movable,
  PfnListSet,
  type PageAllocatorServices,
  type PageStore,
  type Zone,
} from '@mmkit/core';

/** page_zonenum() of a pfn that belongs to no zone. */
export const NO_ZONE = 255;

/** The list of zone->free_area[order].free_list[migratetype] in the allocator's PfnListSet. */
export function freeListIndex(zoneNum: number, order: number, migratetype: number): number {
  return (zoneNum * MAX_ORDER + order) * MIGRATE_TYPES + migratetype;
}

/**
 * The buddy free lists and their primitives. BuddyAllocator builds the rest of the page
 * allocator on top; everything is protected so a subclass (an old behaviour) can replace a
 * single mechanism.
 */
export class FreeAreas {
  protected readonly services: PageAllocatorServices;
  protected readonly pages: PageStore;
  /** Zones by page_zonenum (nid * MAX_NR_ZONES + zone_idx): services.zones. */
  protected readonly zoneByNum: readonly Zone[];
  /** zone->free_area[order].free_list[migratetype] of every zone. */
  protected readonly freeLists: PfnListSet;
  /**
   * The migratetype of the list a page sits on: the free list of a buddy head, or
   * set_pcppage_migratetype() (page->index in Linux) for a page on a per-cpu list.
   */
  protected readonly listMigratetype: Uint8Array;
  /** move_freepages()'s *num_movable output of the last call (kept here: no object per call). */
  protected lastNumMovable = 0;

  constructor(services: PageAllocatorServices) {
    this.services = services;
    this.pages = services.pages;
    this.zoneByNum = services.zones;
    if (services.zones.length >= NO_ZONE) throw new RangeError(`${services.zones.length} zones do not fit page_zonenum's encoding`);
    this.freeLists = new PfnListSet(services.pages, services.zones.length * MAX_ORDER * MIGRATE_TYPES);
    this.listMigratetype = new Uint8Array(services.pages.maxPfn);
  }

  /** page_zone(): the zone a pfn belongs to, or undefined. */
  protected pageZone(pfn: number): Zone | undefined {
    const zn = this.pages.zoneNum[pfn];
    return zn === NO_ZONE ? undefined : this.zoneByNum[zn];
  }

  /**
   * Put a block on zone->free_area[order].free_list[mt] (set_page_order() + list_add() or
   * list_add_tail() + nr_free++), counting it in NR_FREE_PAGES.
   */
  protected addToFreeArea(zone: Zone, pfn: number, order: number, mt: number, tail: boolean): void {
    this.pages.setBuddy(pfn, order);
    this.listMigratetype[pfn] = mt;
    const list = freeListIndex(zone.zoneNum, order, mt);
    if (tail) this.freeLists.addTail(list, pfn);
    else this.freeLists.addHead(list, pfn);
    zone.nrFree[order]++;
    zone.nrFreeByType[order * MIGRATE_TYPES + mt]++;
    zone.freePages += 1 << order;
  }

  /** Take a block off its free list (list_del() + rmv_page_order() + nr_free--). */
  protected delFromFreeArea(zone: Zone, pfn: number, order: number, mt: number): void {
    this.freeLists.remove(freeListIndex(zone.zoneNum, order, mt), pfn);
    this.pages.clearBuddy(pfn);
    zone.nrFree[order]--;
    zone.nrFreeByType[order * MIGRATE_TYPES + mt]--;
    zone.freePages -= 1 << order;
  }

  /** list_move() of a free block to the head of another migratetype's list of the same order. */
  protected moveToFreeList(zone: Zone, pfn: number, order: number, mt: number): void {
    const old = this.listMigratetype[pfn];
    this.freeLists.remove(freeListIndex(zone.zoneNum, order, old), pfn);
    this.freeLists.addHead(freeListIndex(zone.zoneNum, order, mt), pfn);
    this.listMigratetype[pfn] = mt;
    zone.nrFreeByType[order * MIGRATE_TYPES + old]--;
    zone.nrFreeByType[order * MIGRATE_TYPES + mt]++;
  }

  /**
   * page_is_buddy(): `buddy` is the head of a free block of exactly `order` in the same zone
   * as `pfn` (page_zone_id() equal).
   */
  protected pageIsBuddy(pfn: number, buddy: number, order: number): boolean {
    const pages = this.pages;
    if (buddy >= pages.maxPfn) return false; // pfn_valid_within()
    return pages.isBuddy(buddy) && pages.private[buddy] === order && pages.zoneNum[buddy] === pages.zoneNum[pfn];
  }

  /**
   * __free_one_page(): merge the block with its free buddies as far as possible (the buddy of
   * [pfn, order] is pfn ^ (1 << order)), then put it on its free list: at the tail when the
   * buddy of the next higher order is free, so it has a chance to merge soon (4.17), else at
   * the head. Two pageblocks merge (order >= pageblock_order) only when neither is
   * MIGRATE_ISOLATE or both are.
   */
  protected __freeOneBlock(zone: Zone, pfn: number, order: number, migratetype: number): void {
    let maxOrder = Math.min(MAX_ORDER, PAGEBLOCK_ORDER + 1);
    for (;;) {
      while (order < maxOrder - 1) {
        const buddy = pfn ^ (1 << order);
        if (!this.pageIsBuddy(pfn, buddy, order)) break;
        this.delFromFreeArea(zone, buddy, order, this.listMigratetype[buddy]);
        pfn &= buddy;
        order++;
      }
      if (order < maxOrder - 1 || maxOrder >= MAX_ORDER) break;
      // order == pageblock_order: don't merge a MIGRATE_ISOLATE pageblock with a normal one.
      const buddy = pfn ^ (1 << order);
      if (buddy < this.pages.maxPfn) {
        const buddyMt = this.pages.getPageblockMigratetype(buddy);
        if (migratetype !== buddyMt && (migratetype === MIGRATE_ISOLATE || buddyMt === MIGRATE_ISOLATE)) break;
      }
      maxOrder++;
    }
    let tail = false;
    if (order < MAX_ORDER - 2) {
      const higher = pfn & ~(1 << order);
      const higherBuddy = higher ^ (1 << (order + 1));
      tail = this.pageIsBuddy(higher, higherBuddy, order + 1);
    }
    this.addToFreeArea(zone, pfn, order, migratetype, tail);
  }

  /**
   * expand(): split a block of order `high` taken off the lists down to order `low`, putting
   * the upper halves back on the lists of `mt` (list_add(): at the head).
   */
  protected expand(zone: Zone, pfn: number, low: number, high: number, mt: number): void {
    while (high > low) {
      high--;
      this.addToFreeArea(zone, pfn + (1 << high), high, mt, false);
    }
  }

  /**
   * __rmqueue_smallest(): the first block of the smallest order >= `order` on the lists of
   * `mt`, split down to `order`. Returns its pfn (taken off the lists) or -1.
   */
  protected __rmqueueSmallest(zone: Zone, order: number, mt: number): number {
    const base = zone.zoneNum * MAX_ORDER;
    for (let current = order; current < MAX_ORDER; current++) {
      const pfn = this.freeLists.first((base + current) * MIGRATE_TYPES + mt);
      if (pfn === -1) continue;
      this.delFromFreeArea(zone, pfn, current, mt);
      this.expand(zone, pfn, order, current, mt);
      this.listMigratetype[pfn] = mt; // set_pcppage_migratetype()
      return pfn;
    }
    return -1;
  }

  /**
   * move_freepages(): move every free block in [startPfn, endPfn] to the lists of `mt`.
   * Returns the pages moved; with countMovable, this.lastNumMovable is set to the allocated
   * pages that look movable (PageLRU or __PageMovable).
   */
  protected moveFreepages(zone: Zone, startPfn: number, endPfn: number, mt: number, countMovable: boolean): number {
    const pages = this.pages;
    const flags = pages.flags;
    const movableMask = (1 << PG_lru) | (1 << PG_movable);
    let moved = 0;
    let movable = 0;
    for (let pfn = startPfn; pfn <= endPfn; ) {
      if (!pages.isBuddy(pfn)) {
        if (countMovable && (flags[pfn] & movableMask) !== 0) movable++;
        pfn++;
        continue;
      }
      const order = pages.private[pfn];
      this.moveToFreeList(zone, pfn, order, mt);
      pfn += 1 << order;
      moved += 1 << order;
    }
    this.lastNumMovable = countMovable ? movable : 0;
    return moved;
  }

  /**
   * move_freepages_block(): moveFreepages() over the pageblock of `pfn`, never crossing the
   * zone's boundaries (0 when the pageblock ends outside the zone).
   */
  protected moveFreepagesBlock(zone: Zone, pfn: number, mt: number, countMovable: boolean): number {
    let start = pfn & ~(PAGEBLOCK_NR_PAGES - 1);
    const end = start + PAGEBLOCK_NR_PAGES - 1;
    if (!zone.spansPfn(start)) start = pfn;
    if (!zone.spansPfn(end)) {
      this.lastNumMovable = 0;
      return 0;
    }
    return this.moveFreepages(zone, start, end, mt, countMovable);
  }

  /** Every block on the buddy free lists: zone by zone, order by order, migratetype by migratetype. */
  forEachFreeBlock(visit: (zone: Zone, pfn: number, order: number, migratetype: number) => void): void {
    for (const zone of this.zoneByNum) {
      for (let order = 0; order < MAX_ORDER; order++) {
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          const list = freeListIndex(zone.zoneNum, order, mt);
          for (let pfn = this.freeLists.first(list); pfn !== -1; ) {
            const next = this.freeLists.next(pfn);
            visit(zone, pfn, order, mt);
            pfn = next;
          }
        }
      }
    }
  }
}

/**
 * The MIGRATE_HIGHATOMIC reserve (mm/page_alloc.c, 4.17): reserve_highatomic_pageblock() after
 * a high-order ALLOC_HARDER allocation, unreserve_highatomic_pageblock() when an allocation
 * that may sleep is about to fail.
 */
import {
  MAX_ORDER,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_ISOLATE,
  PAGEBLOCK_NR_PAGES,
  type Zone,
} from '@mmkit/core';
import { freeListIndex } from './free-area.js';
import { RmqueueFallback } from './rmqueue-fallback.js';

export abstract class HighatomicReserve extends RmqueueFallback {
  /**
   * reserve_highatomic_pageblock(): after a high-order ALLOC_HARDER allocation, turn its
   * pageblock into MIGRATE_HIGHATOMIC, up to about 1% of the zone plus one pageblock.
   */
  protected reserveHighatomicPageblock(pfn: number, zone: Zone, _order: number): void {
    const maxManaged = Math.floor(zone.managedPages / 100) + PAGEBLOCK_NR_PAGES;
    if (zone.nrReservedHighatomic >= maxManaged) return;
    const mt = this.pages.getPageblockMigratetype(pfn);
    if (mt !== MIGRATE_HIGHATOMIC && mt !== MIGRATE_ISOLATE && mt !== MIGRATE_CMA) {
      zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
      this.setPageblockMigratetype(pfn, MIGRATE_HIGHATOMIC);
      this.moveFreepagesBlock(zone, pfn, MIGRATE_HIGHATOMIC, false);
    }
  }

  /**
   * unreserve_highatomic_pageblock(): give one highatomic pageblock of the allocation's
   * zonelist back to the allocation's migratetype (keeping one per zone unless forced).
   */
  protected unreserveHighatomicPageblock(force: boolean): boolean {
    const zl = this.acZonelist;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx > this.acHighZoneidx) continue;
      if (!force && zone.nrReservedHighatomic <= PAGEBLOCK_NR_PAGES) continue;
      for (let order = 0; order < MAX_ORDER; order++) {
        const pfn = this.freeLists.first(freeListIndex(zone.zoneNum, order, MIGRATE_HIGHATOMIC));
        if (pfn === -1) continue;
        if (this.pages.getPageblockMigratetype(pfn) === MIGRATE_HIGHATOMIC) {
          zone.nrReservedHighatomic -= Math.min(PAGEBLOCK_NR_PAGES, zone.nrReservedHighatomic);
        }
        this.setPageblockMigratetype(pfn, this.acMigratetype);
        if (this.moveFreepagesBlock(zone, pfn, this.acMigratetype, false)) return true;
      }
    }
    return false;
  }
}

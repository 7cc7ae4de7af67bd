/**
 * The MIGRATE_HIGHATOMIC reserve (mm/page_alloc.c, 4.17): reserve_highatomic_pageblock() after
 * a high-order ALLOC_HARDER allocation, unreserve_highatomic_pageblock() when an allocation
 * that may sleep is about to fail.
 */
import { MAX_ORDER, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, PAGEBLOCK_NR_PAGES, type Pfn, type Zone } from '@mmkit/core';
import { moveFreepagesBlock } from './free-area.js';
import { setPageblockMigratetype } from './pageblock.js';
import * as stateMod from './state.js';
import type { AllocContext, BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeListIndex } = stateMod;

/**
 * reserve_highatomic_pageblock(): after a high-order ALLOC_HARDER allocation, turn its
 * pageblock into MIGRATE_HIGHATOMIC, up to about 1% of the zone plus one pageblock.
 */
export function reserveHighatomicPageblock(st: BuddyState, pfn: Pfn, zone: Zone, _order: number): void {
  const maxManaged = Math.floor(zone.managedPages / 100) + PAGEBLOCK_NR_PAGES;
  if (zone.nrReservedHighatomic >= maxManaged) return;
  const mt = st.pages.getPageblockMigratetype(pfn);
  if (mt !== MIGRATE_HIGHATOMIC && mt !== MIGRATE_ISOLATE && mt !== MIGRATE_CMA) {
    zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
    setPageblockMigratetype(st, pfn, MIGRATE_HIGHATOMIC);
    moveFreepagesBlock(st, zone, pfn, MIGRATE_HIGHATOMIC, null);
  }
}

/**
 * unreserve_highatomic_pageblock(): give one highatomic pageblock of the allocation's
 * zonelist back to the allocation's migratetype (keeping one per zone unless forced).
 */
export function unreserveHighatomicPageblock(st: BuddyState, ac: AllocContext, force: boolean): boolean {
  const zl = ac.zonelist;
  for (let i = 0; i < zl.length; i++) {
    const zone = st.zoneByNum[zl[i]];
    if (zone.idx > ac.highZoneidx) continue;
    if (!force && zone.nrReservedHighatomic <= PAGEBLOCK_NR_PAGES) continue;
    for (let order = 0; order < MAX_ORDER; order++) {
      const pfn = st.freeLists.first(freeListIndex(zone.zoneNum, order, MIGRATE_HIGHATOMIC));
      if (pfn === -1) continue;
      if (st.pages.getPageblockMigratetype(pfn) === MIGRATE_HIGHATOMIC) {
        zone.nrReservedHighatomic -= Math.min(PAGEBLOCK_NR_PAGES, zone.nrReservedHighatomic);
      }
      setPageblockMigratetype(st, pfn, ac.migratetype);
      if (moveFreepagesBlock(st, zone, pfn, ac.migratetype, null)) return true;
    }
  }
  return false;
}

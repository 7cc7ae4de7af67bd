/**
 * Handing the CMA areas to the allocator at boot: cma_init_reserved_areas() and
 * cma_activate_area() (mm/cma.c) with init_cma_reserved_pageblock() (mm/page_alloc.c), 4.17.
 * Under either CMA policy every pageblock of an area becomes MIGRATE_CMA and is freed as one
 * pageblock_order block; which zone manages it is the layout's (ZONE_MOVABLE under the seed's
 * policy, the zone its pfns belong to under the migratetype policy). When the areas are
 * activated relative to the watermarks is bootmem.ts's initWatermarks().
 */
import { MIGRATE_CMA, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, type Pfn } from '@mmkit/core';
import { freeOnePage, pageZone } from './free-area.js';
import { setPageblockMigratetype } from './pageblock.js';
import type { BuddyState } from './state.js';

/** cma_init_reserved_areas(): activate every area of the layout. */
export function cmaInitReservedAreas(st: BuddyState): void {
  for (const area of st.services.layout.cma) cmaActivateArea(st, area.start, area.end);
}

/**
 * cma_activate_area(): alloc_contig_range() needs an area inside one zone, so an area that
 * crosses a zone boundary (or a hole) is not activated ("CMA area could not be activated") and
 * its pages stay reserved; otherwise each pageblock goes to init_cma_reserved_pageblock().
 * Returns whether the area was activated.
 */
export function cmaActivateArea(st: BuddyState, start: Pfn, end: Pfn): boolean {
  const first = start < end ? pageZone(st, start) : undefined;
  const ok = first !== undefined && start % PAGEBLOCK_NR_PAGES === 0 && end % PAGEBLOCK_NR_PAGES === 0 && end <= st.pages.maxPfn && st.pages.rangeInZone(start, end, first.zoneNum);
  if (!ok) {
    st.services.log('err', `cma: CMA area at pfn 0x${start.toString(16)}-0x${end.toString(16)} could not be activated`);
    return false;
  }
  for (let pfn = start; pfn < end; pfn += PAGEBLOCK_NR_PAGES) initCmaReservedPageblock(st, pfn);
  return true;
}

/**
 * init_cma_reserved_pageblock(): clear PG_reserved and the references of the pageblock's
 * pages, set_pageblock_migratetype(MIGRATE_CMA), free it as one pageblock_order block (which
 * merges with a free buddy pageblock of the area) and count its pages as managed
 * (adjust_managed_page_count()).
 */
export function initCmaReservedPageblock(st: BuddyState, pfn: Pfn): void {
  const zone = pageZone(st, pfn);
  if (!zone) throw new RangeError(`init_cma_reserved_pageblock: pfn 0x${pfn.toString(16)} is in no zone`);
  const end = pfn + PAGEBLOCK_NR_PAGES;
  st.pages.flags.fill(0, pfn, end);
  st.pages.refcount.fill(0, pfn, end);
  setPageblockMigratetype(st, pfn, MIGRATE_CMA);
  zone.managedPages += PAGEBLOCK_NR_PAGES;
  freeOnePage(st, zone, pfn, PAGEBLOCK_ORDER, MIGRATE_CMA);
}

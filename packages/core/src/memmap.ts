/**
 * memmap_init_zone() (mm/page_alloc.c, 4.17): the boot step that initialises the struct pages
 * of a zone before any allocator sees them. It belongs to the kernel's boot, not to a page
 * allocator: every implementation of the contract starts from the same memmap.
 */
import { PAGEBLOCK_NR_PAGES } from './mmzone.js';
import { MIGRATE_MOVABLE } from './migratetype.js';
import { PG_reserved } from './page-flags.js';
import type { PageStore } from './struct-page.js';
import type { Zone } from './zone.js';

/**
 * Every page of the zone's span that has a struct page (early_pfn_valid(): under SPARSEMEM, the
 * pfns of sections with a memmap, holes inside them included) gets its zone link
 * (set_page_links()), one reference (init_page_count()) and PG_reserved (SetPageReserved(), until
 * memblock hands it over); every pageblock that starts there is MIGRATE_MOVABLE. Pfns of sections
 * without a memmap are skipped and keep no zone.
 */
export function memmapInitZone(pages: PageStore, zone: Zone): void {
  const end = zone.zoneEndPfn;
  for (let start = zone.zoneStartPfn; start < end; ) {
    const next = Math.min(end, pages.nextSectionPfn(start));
    if (pages.validPfn(start)) initRange(pages, zone, start, next);
    start = next;
  }
}

function initRange(pages: PageStore, zone: Zone, start: number, end: number): void {
  const flags = pages.flags;
  const reserved = 1 << PG_reserved;
  pages.zoneNum.fill(zone.zoneNum, start, end);
  pages.refcount.fill(1, start, end);
  for (let pfn = start; pfn < end; pfn++) flags[pfn] |= reserved;
  for (let pfn = (start + PAGEBLOCK_NR_PAGES - 1) & ~(PAGEBLOCK_NR_PAGES - 1); pfn < end; pfn += PAGEBLOCK_NR_PAGES) {
    pages.setPageblockMigratetype(pfn, MIGRATE_MOVABLE);
  }
}

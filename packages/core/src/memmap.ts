/**
 * memmap_init_zone() (mm/page_alloc.c, 4.17): the boot step that initialises the struct pages
 * of a zone before any allocator sees them. It belongs to the kernel's boot, not to a page
 * allocator: every implementation of the contract starts from the same memmap. Also
 * update_defer_init() (CONFIG_DEFERRED_STRUCT_PAGE_INIT): where a node's memmap init stops.
 */
import { PAGEBLOCK_ORDER, type PfnRange } from './mmzone.js';
import { MIGRATE_MOVABLE } from './migratetype.js';
import { PG_reserved } from './page-flags.js';
import type { PageStore } from './struct-page.js';
import type { Zone } from './zone.js';

/**
 * Every page of the zone's span that has a struct page (early_pfn_valid(): under SPARSEMEM, the
 * pfns of sections with a memmap, holes inside them included) gets its zone link
 * (set_page_links(): PageStore.setZoneSpan(), per pageblock), one reference
 * (init_page_count()) and PG_reserved (SetPageReserved(), until memblock hands it over); every
 * pageblock that starts there is MIGRATE_MOVABLE. Pfns of sections without a memmap are
 * skipped and keep no zone.
 *
 * `handover` (sorted, disjoint) is the free memory boot will hand to the page allocator
 * (memblock.memory minus memblock.reserved): its struct pages are left zero instead and
 * recorded as awaiting handover (PageStore.addHandover()), since __free_pages_boot_core() would
 * clear them again: a free page is all zero but its block's head. So the cost of this step is
 * the reserved pages and holes, plus the pageblocks. Without `handover` every page is written.
 */
export function memmapInitZone(pages: PageStore, zone: Zone, handover: readonly PfnRange[] = []): void {
  const end = zone.zoneEndPfn;
  for (let start = zone.zoneStartPfn; start < end; ) {
    let next = Math.min(end, pages.nextSectionPfn(start));
    if (!pages.validPfn(start)) {
      start = next;
      continue;
    }
    while (next < end && pages.validPfn(next)) next = Math.min(end, pages.nextSectionPfn(next));
    initRange(pages, zone, start, next, handover);
    start = next;
  }
}

function initRange(pages: PageStore, zone: Zone, start: number, end: number, handover: readonly PfnRange[]): void {
  pages.setZoneSpan(start, end, zone.zoneNum);
  const nr = 1 << PAGEBLOCK_ORDER;
  pages.pageblockMigratetype.fill(MIGRATE_MOVABLE, (start + nr - 1) >>> PAGEBLOCK_ORDER, (end + nr - 1) >>> PAGEBLOCK_ORDER);
  let pfn = start;
  for (const r of handover) {
    if (r.end <= pfn) continue;
    if (r.start >= end) break;
    const s = Math.max(pfn, r.start);
    const e = Math.min(end, r.end);
    initReserved(pages, pfn, s);
    pages.addHandover(s, e);
    pfn = e;
  }
  initReserved(pages, pfn, end);
}

/** __init_single_page() + SetPageReserved() for [start, end). */
function initReserved(pages: PageStore, start: number, end: number): void {
  if (start >= end) return;
  const flags = pages.flags;
  const reserved = 1 << PG_reserved;
  pages.refcount.fill(1, start, end);
  for (let pfn = start; pfn < end; pfn++) flags[pfn] |= reserved;
}

/**
 * update_defer_init() for a node under CONFIG_DEFERRED_STRUCT_PAGE_INIT (4.17): only the zone
 * that reaches the end of the node (the low zones are always populated, for address-constrained
 * allocations) is deferred, after its first pgdat->static_init_pgcnt valid pfns
 * (min(PAGES_PER_SECTION, node_spanned_pages)), at the next valid pfn that starts a section:
 * pgdat->first_deferred_pfn. Returns it, or -1 (ULONG_MAX: nothing deferred). Needs SPARSEMEM
 * (the option depends on !FLATMEM).
 */
export function firstDeferredPfn(pages: PageStore, nodeZones: readonly Zone[], nodeStartPfn: number, nodeSpanned: number): number {
  if (pages.sectionHasMemmap === undefined) throw new RangeError('deferred struct page init needs SPARSEMEM (CONFIG_DEFERRED_STRUCT_PAGE_INIT depends on !FLATMEM)');
  const sectionPages = 2 ** pages.pfnSectionShift;
  const staticInitPgcnt = Math.min(sectionPages, nodeSpanned);
  const nodeEnd = nodeStartPfn + nodeSpanned;
  let first = -1; // zones in memmap_init() order: the last one to stop sets first_deferred_pfn
  for (const zone of nodeZones) {
    if (zone.spannedPages === 0 || zone.zoneEndPfn < nodeEnd) continue;
    let initialised = 0;
    for (let pfn = zone.zoneStartPfn; pfn < zone.zoneEndPfn; ) {
      const next = Math.min(zone.zoneEndPfn, pages.nextSectionPfn(pfn));
      if (pages.validPfn(pfn)) {
        if (pfn % sectionPages === 0 && initialised >= staticInitPgcnt) {
          first = pfn;
          break;
        }
        initialised += next - pfn;
      }
      pfn = next;
    }
  }
  return first;
}

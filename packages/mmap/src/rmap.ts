/**
 * The struct page side of mapping user pages (mm/rmap.c, mm/swap.c of 4.17): what a fault, fork
 * and zap do to a page's _mapcount, _refcount, mapping and index, and which mm counter a page
 * counts in (mm_counter()). Anonymous pages only for now: a file or shmem page needs the page cache.
 */
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, PAGE_MAPPING_ANON, PG_swapbacked, encodeMapping } from '@mmkit/core';
import type { PageStore, Pfn } from '@mmkit/core';
import type { MmapContext } from './context.js';

/** page_add_new_anon_rmap() of a freshly allocated page: mapped once, PageAnon with its anon_vma, PageSwapBacked, index = linear_page_index(). */
export function pageAddNewAnonRmap(pages: PageStore, pfn: Pfn, anonVma: number, index: number): void {
  pages.setFlag(pfn, PG_swapbacked); // __SetPageSwapBacked()
  pages.setMapcount(pfn, 0); // atomic_set(&page->_mapcount, 0)
  pages.setMapping(pfn, encodeMapping(anonVma, PAGE_MAPPING_ANON)); // __page_set_anon_rmap()
  // pgoff_t is 64 bits in Linux; core's page->index holds 32 (its README): the low 32 bits of
  // linear_page_index() (an anonymous private page's is its address >> 12, up to 2^35).
  pages.setIndex(pfn, index >>> 0);
}

/** get_page() + page_dup_rmap() (copy_one_pte() of fork). */
export function pageDupRmap(pages: PageStore, pfn: Pfn): void {
  pages.refcount[pfn]++;
  pages.setMapcount(pfn, pages.getMapcount(pfn) + 1);
}

/** page_remove_rmap() of a small page. */
export function pageRemoveRmap(pages: PageStore, pfn: Pfn): void {
  pages.setMapcount(pfn, pages.getMapcount(pfn) - 1);
}

/** page_mapcount(): how many page tables map the page. */
export function pageMapcount(pages: PageStore, pfn: Pfn): number {
  return pages.getMapcount(pfn) + 1;
}

/**
 * put_page(): drop a reference; the last one frees the page. free_pages_prepare() clears an anon
 * page's mapping (PageMappingFlags) and its flags before the free checks: done here, for the page
 * allocator behind the contract to find the page as it expects a freed page.
 */
export function putPage(ctx: MmapContext, pfn: Pfn): void {
  const pages = ctx.services.pages;
  if (pages.refcount[pfn] === 1) {
    pages.setMapping(pfn, 0);
    pages.setIndex(pfn, 0);
    pages.clearFlag(pfn, PG_swapbacked);
  }
  ctx.services.pageAllocator.freePages(pfn, 0);
}

/** mm_counter(): MM_ANONPAGES for PageAnon, else MM_SHMEMPAGES for PageSwapBacked, else MM_FILEPAGES. */
export function mmCounter(pages: PageStore, pfn: Pfn): number {
  if ((pages.getMapping(pfn) & PAGE_MAPPING_ANON) !== 0) return MM_ANONPAGES;
  return pages.testFlag(pfn, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

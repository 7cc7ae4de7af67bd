/**
 * The page checks of mm/page_alloc.c (4.17) that both the free and the allocation paths run:
 * free_pages_check() (page_expected_state() with PAGE_FLAGS_CHECK_AT_FREE), check_new_page()
 * (with PAGE_FLAGS_CHECK_AT_PREP) and bad_page(). The checks are plain conditions; the reason
 * bad_page() prints is built off the hot path (freePagesCheckReason(), checkNewPageReason()).
 *
 * When each runs depends on CONFIG_DEBUG_VM (st.debugVm), as in 4.17: an order-0 page freed to
 * a per-cpu list is checked at once with it (free_pcp_prepare()) and when the list is drained
 * without it (bulkfree_pcp_prepare()); a page allocated from a per-cpu list is checked at once
 * with it (check_new_pcp()) and when the list is refilled without it (check_pcp_refill());
 * blocks freed to and allocated from the buddy lists are checked either way.
 */
import {
  NR_PAGEFLAGS,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_active,
  PG_locked,
  PG_lru,
  PG_mlocked,
  PG_private,
  PG_private_2,
  PG_reserved,
  PG_slab,
  PG_unevictable,
  PG_writeback,
  type LazyPageArray,
  type Pfn,
} from '@mmkit/core';
import * as coreMod from '@mmkit/core';
import type { BuddyState } from './state.js';

/** PAGE_FLAGS_CHECK_AT_FREE (include/linux/page-flags.h, 4.17). */
export const PAGE_FLAGS_CHECK_AT_FREE =
  (1 << PG_lru) |
  (1 << PG_locked) |
  (1 << PG_private) |
  (1 << PG_private_2) |
  (1 << PG_writeback) |
  (1 << PG_reserved) |
  (1 << PG_slab) |
  (1 << PG_active) |
  (1 << PG_unevictable) |
  (1 << PG_mlocked);

/**
 * PAGE_FLAGS_CHECK_AT_PREP (include/linux/page-flags.h, 4.17): every page flag, none of the
 * bits above them (Linux's section, node and zone; the page allocator's extras here).
 */
export const PAGE_FLAGS_CHECK_AT_PREP = (1 << NR_PAGEFLAGS) - 1;

// pageFreeCheck() and checkNewPage() (run on every page a per-cpu list drains or refills) write
// the masks and PAGE_UNMAPPED_MAPCOUNT as literals: V8 loads an imported or exported constant
// from its module cell on every use.
if (PAGE_FLAGS_CHECK_AT_FREE !== 0x187961 || PAGE_FLAGS_CHECK_AT_PREP !== 0x3ffffff || PAGE_UNMAPPED_MAPCOUNT !== -1) throw new Error('buddy page-checks.ts: the literals of pageFreeCheck() and checkNewPage() are out of date');

// Bound to a module constant: V8 (Node 20) inlines calls through these where it does not inline
// calls through import bindings (docs/implementations.md).
const { isUnmappedWord } = coreMod;

/**
 * free_pages_check() of the head and of every other page of the block (the reference the
 * caller drops is the head's last one): true when the block may be freed.
 */
export function freePagesCheck(st: BuddyState, pfn: Pfn, order: number): boolean {
  return freePagesCheckBadPfn(st, pfn, order) < 0;
}

/**
 * free_pages_check() of one page that is not the block's head of a larger block (the
 * per-cpu pages: order 0): its _refcount is the caller's to check. True when it may be freed.
 */
export function pageFreeCheck(st: BuddyState, pfn: Pfn): boolean {
  const p = st.pages;
  return pageFreeCheckOn(p.mapLru, p.topBlock, p.flags, p.mappingExt, p.memcgExt, pfn);
}

/**
 * pageFreeCheck() on struct page's arrays (what the per-cpu batch moves hold, per-cpu-pages.ts):
 * _mapcount -1, no mapping, no PAGE_FLAGS_CHECK_AT_FREE flag, no mem_cgroup.
 */
export function pageFreeCheckOn(mapLru: Int32Array, topBlock: Int32Array, flags: Uint32Array, mapping: LazyPageArray<Uint32Array>, memcg: LazyPageArray<Uint16Array>, pfn: Pfn): boolean {
  return isUnmappedWord(mapLru, topBlock, pfn) && mapping.get(pfn) === 0 && (flags[pfn] & 0x187961) === 0 && memcg.get(pfn) === 0; // PAGE_FLAGS_CHECK_AT_FREE
}

/**
 * check_new_page()'s page_expected_state() on struct page's arrays: _refcount 0, _mapcount -1,
 * no mapping, no page flag (PAGE_FLAGS_CHECK_AT_PREP), no mem_cgroup. True when the page is as
 * expected (checkNewPage() reports it when not).
 */
export function newPageOkOn(refcount: Int32Array, mapLru: Int32Array, topBlock: Int32Array, flags: Uint32Array, mapping: LazyPageArray<Uint32Array>, memcg: LazyPageArray<Uint16Array>, pfn: Pfn): boolean {
  return refcount[pfn] === 0 && isUnmappedWord(mapLru, topBlock, pfn) && mapping.get(pfn) === 0 && (flags[pfn] & 0x3ffffff) === 0 && memcg.get(pfn) === 0; // PAGE_FLAGS_CHECK_AT_PREP
}

/** The first page of the block free_pages_check() refuses (the pfn bad_page() names), or -1. */
export function freePagesCheckBadPfn(st: BuddyState, pfn: Pfn, order: number): Pfn {
  const pages = st.pages;
  const n = 1 << order;
  for (let i = 0; i < n; i++) {
    const p = pfn + i;
    if (pages.getMapcount(p) !== PAGE_UNMAPPED_MAPCOUNT || pages.getMapping(p) !== 0 || (i && pages.refcount[p] !== 0) || pages.flags[p] & PAGE_FLAGS_CHECK_AT_FREE || pages.getMemcg(p) !== 0) return p;
  }
  return -1;
}

/** bad_page()'s reason for a block free_pages_check() refuses (the first failing check, page by page). */
export function freePagesCheckReason(st: BuddyState, pfn: Pfn, order: number, notAllocated: boolean): string {
  const pages = st.pages;
  const n = 1 << order;
  for (let i = 0; i < n; i++) {
    const p = pfn + i;
    if (pages.getMapcount(p) !== PAGE_UNMAPPED_MAPCOUNT) return i ? `nonzero mapcount (page ${i} of the block)` : 'nonzero mapcount';
    if (pages.getMapping(p) !== 0) return i ? `non-NULL mapping (page ${i} of the block)` : 'non-NULL mapping';
    if (i && pages.refcount[p] !== 0) return `nonzero _refcount (page ${i} of the block)`;
    if (pages.flags[p] & PAGE_FLAGS_CHECK_AT_FREE) return i ? `PAGE_FLAGS_CHECK_AT_FREE flag(s) set (page ${i} of the block)` : 'PAGE_FLAGS_CHECK_AT_FREE flag(s) set';
    if (pages.getMemcg(p) !== 0) return 'page still charged to cgroup';
  }
  // mmkit's own check, no Linux counterpart: a page with a reference that the page allocator
  // never handed out (Linux would free it; mmkit keeps its free lists to what it gave out).
  if (notAllocated) return 'freeing a page the page allocator did not hand out (mmkit has no record of allocating it; Linux 4.17 does not check this)';
  return 'free_pages_check() passed';
}

/**
 * check_new_page() (page_expected_state(page, PAGE_FLAGS_CHECK_AT_PREP)): true when a page
 * taken off a free list is bad; then bad_page() has reported it, and the caller leaves it out
 * (Linux never hands it out again: the page is lost).
 */
export function checkNewPage(st: BuddyState, pfn: Pfn): boolean {
  const p = st.pages;
  if (newPageOkOn(p.refcount, p.mapLru, p.topBlock, p.flags, p.mappingExt, p.memcgExt, pfn)) return false;
  checkNewPageBad(st, pfn);
  return true;
}

/** check_new_pages(): every page of a block taken off the buddy lists; true when one is bad (the whole block is left out). */
export function checkNewPages(st: BuddyState, pfn: Pfn, order: number): boolean {
  for (let i = 0; i < 1 << order; i++) if (checkNewPage(st, pfn + i)) return true;
  return false;
}

/** check_new_page_bad() (check_new_page() found the page not as expected): the reason, then bad_page() (which resets the mapcount: "remove PageBuddy"). */
export function checkNewPageBad(st: BuddyState, pfn: Pfn): void {
  const pages = st.pages;
  let reason = 'PAGE_FLAGS_CHECK_AT_PREP flag set';
  if (pages.getMapcount(pfn) !== PAGE_UNMAPPED_MAPCOUNT) reason = 'nonzero mapcount';
  else if (pages.getMapping(pfn) !== 0) reason = 'non-NULL mapping';
  else if (pages.refcount[pfn] !== 0) reason = `nonzero _refcount (${pages.refcount[pfn]}: freed more often than allocated)`;
  else if (pages.getMemcg(pfn) !== 0) reason = 'page still charged to cgroup';
  badPage(st, pfn, reason);
  pages.resetMapcount(pfn); // page_mapcount_reset(): remove PageBuddy
}

/** bad_page(): report (the kernel prints "BUG: Bad page state" and taints itself). */
export function badPage(st: BuddyState, pfn: Pfn, reason: string): void {
  st.services.badPage(pfn, reason);
}

/**
 * The free path (mm/page_alloc.c, 4.17): __free_pages() with put_page_testzero(), the checks
 * of free_pages_check() and bad_page() reporting a bad free, free_pages_prepare(), and the
 * hand-over to the per-cpu lists (order 0) or free_one_page(); plus page_owner's record of the
 * order a block was allocated with.
 */
import {
  MAX_ORDER,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_active,
  PG_locked,
  PG_lru,
  PG_mlocked,
  PG_private,
  PG_private_2,
  PG_reserved,
  PG_slab,
  PG_tail,
  PG_unevictable,
  PG_writeback,
  type Pfn,
} from '@mmkit/core';
import * as freeAreaMod from './free-area.js';
import * as perCpuPagesMod from './per-cpu-pages.js';
import type { BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeOnePage, pageZone } = freeAreaMod;
const { freeUnrefPage } = perCpuPagesMod;

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
 * __free_pages(): drop a reference; the last one frees the block after the checks of
 * free_pages_prepare(). A bad free is reported through bad_page() and changes nothing. The
 * checks are plain conditions here; the report, with its text, is built off the hot path
 * (badFreeReason(), freePagesCheckReason()).
 */
export function __freePages(st: BuddyState, pfn: Pfn, order: number): void {
  const pages = st.pages;
  const zone = pages.validPfn(pfn) ? pageZone(st, pfn) : undefined;
  const allocated = zone ? st.allocOrder[pfn] : 0;
  if (
    !zone ||
    !(Number.isInteger(order) && order >= 0 && order < MAX_ORDER) ||
    pages.testFlag(pfn, PG_tail) ||
    pages.isBuddy(pfn) ||
    pages.refcount[pfn] <= 0 ||
    (allocated !== 0 && allocated !== order + 1) ||
    pfn + (1 << order) > zone.zoneEndPfn ||
    (pfn & ((1 << order) - 1)) !== 0
  ) {
    return badPage(st, pfn, badFreeReason(st, pfn, order));
  }
  // put_page_testzero()
  if (pages.refcount[pfn] > 1) {
    pages.refcount[pfn]--;
    return;
  }
  if (!freePagesCheck(st, pfn, order, allocated === 0)) return badPage(st, pfn, freePagesCheckReason(st, pfn, order, allocated === 0));
  freePagesPrepare(st, pfn, order);
  if (order === 0 && st.pcpEnabled) freeUnrefPage(st, zone, pfn);
  else freeOnePage(st, zone, pfn, order, pages.getPageblockMigratetype(pfn));
}

/** Why __freePages() refuses a free, in the order it checks (the first failing check). */
function badFreeReason(st: BuddyState, pfn: Pfn, order: number): string {
  const pages = st.pages;
  if (!pages.validPfn(pfn)) return `freeing pfn ${pfn}, which is outside the memmap (pfn_valid() fails)`;
  const zone = pageZone(st, pfn);
  if (!zone) return 'freeing a page that belongs to no zone';
  if (!(Number.isInteger(order) && order >= 0 && order < MAX_ORDER)) return `freed with order ${order}, which is not an order (0..${MAX_ORDER - 1})`;
  if (pages.testFlag(pfn, PG_tail)) return 'freeing a tail page (PageTail): free the compound head';
  if (pages.isBuddy(pfn) || pages.refcount[pfn] <= 0) return 'VM_BUG_ON_PAGE(page_ref_count(page) == 0): freeing a page that is already free';
  const allocated = st.allocOrder[pfn];
  if (allocated !== 0 && allocated !== order + 1) return `freed with order ${order}, allocated with order ${allocated - 1}`;
  return `freed with order ${order}, but pfn ${pfn} is not the start of an order-${order} block of its zone`;
}

/**
 * free_pages_check() of the head and of every other page of the block (the reference the
 * caller drops is the head's last one): true when the block may be freed.
 */
export function freePagesCheck(st: BuddyState, pfn: Pfn, order: number, notAllocated: boolean): boolean {
  const pages = st.pages;
  const n = 1 << order;
  for (let i = 0; i < n; i++) {
    const p = pfn + i;
    if (pages.mapcount[p] !== PAGE_UNMAPPED_MAPCOUNT || pages.mapping[p] !== 0 || (i && pages.refcount[p] !== 0) || pages.flags[p] & PAGE_FLAGS_CHECK_AT_FREE || pages.memcg[p] !== 0) {
      return false;
    }
  }
  return !notAllocated;
}

/** bad_page()'s reason for a block free_pages_check() refuses (the first failing check, page by page). */
export function freePagesCheckReason(st: BuddyState, pfn: Pfn, order: number, notAllocated: boolean): string {
  const pages = st.pages;
  const n = 1 << order;
  for (let i = 0; i < n; i++) {
    const p = pfn + i;
    if (pages.mapcount[p] !== PAGE_UNMAPPED_MAPCOUNT) return i ? `nonzero mapcount (page ${i} of the block)` : 'nonzero mapcount';
    if (pages.mapping[p] !== 0) return i ? `non-NULL mapping (page ${i} of the block)` : 'non-NULL mapping';
    if (i && pages.refcount[p] !== 0) return `nonzero _refcount (page ${i} of the block)`;
    if (pages.flags[p] & PAGE_FLAGS_CHECK_AT_FREE) return i ? `PAGE_FLAGS_CHECK_AT_FREE flag(s) set (page ${i} of the block)` : 'PAGE_FLAGS_CHECK_AT_FREE flag(s) set';
    if (pages.memcg[p] !== 0) return 'page still charged to cgroup';
  }
  if (notAllocated) return 'freeing a page the page allocator did not hand out (page_owner has no record of it)';
  return 'free_pages_check() passed';
}

/** free_pages_prepare(): drop the last reference and the flags (PAGE_FLAGS_CHECK_AT_PREP), undo the compound page. */
export function freePagesPrepare(st: BuddyState, pfn: Pfn, order: number): void {
  st.pages.refcount[pfn] = 0;
  st.pages.flags.fill(0, pfn, pfn + (1 << order));
  st.allocOrder[pfn] = 0;
}

/** bad_page(): report, and leave the page alone. */
export function badPage(st: BuddyState, pfn: Pfn, reason: string): void {
  st.services.badPage(pfn, reason);
}

/** The order a page was allocated with, or -1 (page_owner's record). */
export function allocatedOrder(st: BuddyState, pfn: Pfn): number {
  return st.pages.validPfn(pfn) ? st.allocOrder[pfn] - 1 : -1;
}

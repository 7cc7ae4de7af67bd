/**
 * The free path (mm/page_alloc.c, 4.17): __free_pages() with put_page_testzero(),
 * free_pages_prepare() and the hand-over to the per-cpu lists (order 0) or free_one_page();
 * plus page_owner's record of the order a block was allocated with, which mmkit keeps to refuse
 * the frees that would corrupt its free lists (Linux 4.17 keeps no such record: see
 * freeWrongOrder()).
 *
 * What is checked when depends on CONFIG_DEBUG_VM (st.debugVm), as in 4.17:
 * - put_page_testzero() on a page whose count is already 0 (a double free, a free page, a tail
 *   page): with CONFIG_DEBUG_VM, VM_BUG_ON_PAGE(page_ref_count(page) == 0) reports it and
 *   nothing changes; without it (the default) the count goes below zero, nothing is freed and
 *   nothing is reported there: the next allocation that takes the page off a free list finds a
 *   nonzero _refcount in check_new_page() (page-checks.ts).
 * - an order-0 page freed to a per-cpu list: free_pages_check() runs at once with
 *   CONFIG_DEBUG_VM (free_pcp_prepare()), else when the list is drained (bulkfree_pcp_prepare(),
 *   per-cpu-pages.ts).
 */
import { MAX_ORDER, PG_head, type Pfn, type Zone } from '@mmkit/core';
import * as freeAreaMod from './free-area.js';
import * as pageChecksMod from './page-checks.js';
import * as pageExtrasMod from './page-extras.js';
import * as perCpuPagesMod from './per-cpu-pages.js';
import type { BuddyState } from './state.js';

export { PAGE_FLAGS_CHECK_AT_FREE, PAGE_FLAGS_CHECK_AT_PREP, badPage, freePagesCheck, freePagesCheckReason } from './page-checks.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeOnePage, pageZone } = freeAreaMod;
const { badPage, freePagesCheck, freePagesCheckBadPfn, freePagesCheckReason } = pageChecksMod;
const { freeUnrefPage, isOnPcpList } = perCpuPagesMod;
const { PAGE_EXTRA_SHIFT, allocOrderField, clearPageExtra } = pageExtrasMod;

if (PAGE_EXTRA_SHIFT !== 26) throw new Error('buddy free-pages.ts, per-cpu-pages.ts: the order-0 fast paths write page_owner\'s order 0 as 1 << 26');

/**
 * __free_pages(): drop a reference (put_page_testzero()); the last one frees the block after
 * the checks of free_pages_prepare(). The checks are plain conditions here; a report, with its
 * text, is built off the hot path.
 */
export function __freePages(st: BuddyState, pfn: Pfn, order: number): void {
  const pages = st.pages;
  const zone = pages.validPfn(pfn) ? pageZone(st, pfn) : undefined;
  // order: an integer in [0, MAX_ORDER); the block must end inside its zone.
  if (zone === undefined || !((order >>> 0) === order && order < MAX_ORDER) || pfn + (1 << order) > zone.zoneStartPfn + zone.spannedPages) {
    return badPage(st, pfn, badAddressReason(st, pfn, order));
  }
  // put_page_testzero()
  const ref = pages.refcount[pfn];
  if (ref <= 0) return putPageTestzeroOfFreePage(st, pfn);
  if (ref > 1) {
    pages.refcount[pfn] = ref - 1;
    return;
  }
  if (pages.flags[pfn] >>> PAGE_EXTRA_SHIFT !== order + 1) return freeWrongOrder(st, zone, pfn, order); // page_owner's order (page-extras.ts)
  if (order === 0) {
    if (st.pcpEnabled) {
      // free_unref_page() -> free_pcp_prepare(): free_pages_check() now only with CONFIG_DEBUG_VM
      if (st.debugVm && !freePagesCheck(st, pfn, 0)) return badFreeLeak(st, pfn, 0);
      freePagePrepare(st, pfn);
      freeUnrefPage(st, zone, pfn);
      return;
    }
    if (!freePagesCheck(st, pfn, 0)) return badFreeLeak(st, pfn, 0);
    freePagePrepare(st, pfn);
  } else {
    // __free_pages_ok() -> free_pages_prepare(page, order, true)
    if (!freePagesCheck(st, pfn, order)) return badFreeLeak(st, pfn, order);
    freePagesPrepare(st, pfn, order);
  }
  freeOnePage(st, zone, pfn, order, pages.getPageblockMigratetype(pfn));
}

/**
 * mmkit's guard, no Linux counterpart: a pfn outside the memmap or any zone, an order that is
 * none, a block past its zone's end. Linux takes a struct page pointer and would crash or
 * corrupt memory; mmkit reports and changes nothing.
 */
function badAddressReason(st: BuddyState, pfn: Pfn, order: number): string {
  const pages = st.pages;
  if (!pages.validPfn(pfn)) return `freeing pfn ${pfn}, which is outside the memmap (pfn_valid() fails)`;
  const zone = pageZone(st, pfn);
  if (!zone) return 'freeing a page that belongs to no zone';
  if (!(Number.isInteger(order) && order >= 0 && order < MAX_ORDER)) return `freed with order ${order}, which is not an order (0..${MAX_ORDER - 1})`;
  return `freed with order ${order}, but the block would end past its zone (pfn ${zone.zoneEndPfn})`;
}

/**
 * put_page_testzero() of a page whose _refcount is already 0 or less: a double free, the free
 * of a free page or of a tail page. CONFIG_DEBUG_VM: VM_BUG_ON_PAGE(page_ref_count(page) == 0)
 * (the kernel oopses; mmkit reports and changes nothing). Without it (4.17's default):
 * page_ref_dec_and_test() takes the count below zero, which is not zero, so nothing is freed
 * and nothing is reported; the page stays where it is (on a free list, a per-cpu list, or in
 * its block) with the underflowed count until an allocation checks it.
 */
function putPageTestzeroOfFreePage(st: BuddyState, pfn: Pfn): void {
  if (st.debugVm) return badPage(st, pfn, `VM_BUG_ON_PAGE(page_ref_count(page) == 0): freeing a page whose _refcount is ${st.pages.refcount[pfn]} (a double free, or a page that is free)`);
  st.pages.refcount[pfn]--;
}

/**
 * free_pages_prepare() found a bad page: bad_page() reports it (the first one, mmkit names one)
 * and the block is not freed. Its last reference is gone (put_page_testzero() took the count to
 * 0), so it is lost, as in Linux: it is on no free list and nobody holds it.
 */
function badFreeLeak(st: BuddyState, pfn: Pfn, order: number): void {
  const bad = freePagesCheckBadPfn(st, pfn, order);
  badPage(st, bad < 0 ? pfn : bad, freePagesCheckReason(st, pfn, order, false));
  st.pages.refcount[pfn] = 0;
  clearPageExtra(st.pages.flags, pfn);
}

/**
 * The last reference of a block freed with another order than it was allocated with (or of a
 * page the allocator has no record of). Linux 4.17 has no record of the order (page_owner
 * records it for reading, not checking) and frees what it was told:
 * - a compound page (__GFP_COMP) with CONFIG_DEBUG_VM: VM_BUG_ON_PAGE(compound &&
 *   compound_order(page) != order) in free_pages_prepare(); reported, nothing changes;
 * - a smaller order: the first 2^order pages are freed, the rest of the block is lost, and
 *   nothing reports it;
 * - a larger order: free_pages_prepare() runs free_pages_check() over every page of the
 *   larger block; a page of another allocated block (nonzero _refcount) or the head of a free
 *   block (nonzero mapcount) is a bad page, and nothing is freed (the block is lost). When every
 *   page passes, Linux frees the larger block: it then merges pages that are still on a
 *   per-cpu list, or a block that is not aligned to its order (VM_BUG_ON_PAGE() in
 *   __free_one_page() with CONFIG_DEBUG_VM), and corrupts its free lists. mmkit refuses those
 *   two, with a report that says so, so that its own state stays sound; pages that were lost
 *   before are freed with the block, as in Linux.
 * - no record at all (a page the allocator never handed out, with a reference): mmkit's check,
 *   reported and refused.
 */
function freeWrongOrder(st: BuddyState, zone: Zone, pfn: Pfn, order: number): void {
  const pages = st.pages;
  const allocated = allocOrderField(pages.flags, pfn);
  if (allocated === 0) {
    if (!freePagesCheck(st, pfn, order)) return badPage(st, pfn, freePagesCheckReason(st, pfn, order, false));
    return badPage(st, pfn, freePagesCheckReason(st, pfn, order, true));
  }
  const allocOrder = allocated - 1;
  if (st.debugVm && pages.testFlag(pfn, PG_head)) {
    return badPage(st, pfn, `VM_BUG_ON_PAGE(compound && compound_order(page) != order): freed with order ${order}, compound order ${allocOrder}`);
  }
  if (order < allocOrder) {
    if (!freePagesCheck(st, pfn, order)) return badFreeLeak(st, pfn, order);
    freePagesPrepare(st, pfn, order); // the pages past 2^order keep what they had: lost
    if (order === 0 && st.pcpEnabled) freeUnrefPage(st, zone, pfn);
    else freeOnePage(st, zone, pfn, order, pages.getPageblockMigratetype(pfn));
    return;
  }
  if (!freePagesCheck(st, pfn, order)) return badFreeLeak(st, pfn, order);
  if ((pfn & ((1 << order) - 1)) !== 0) {
    const why = st.debugVm ? 'VM_BUG_ON_PAGE(pfn & ((1 << order) - 1))' : 'mmkit refuses it (Linux 4.17 without CONFIG_DEBUG_VM would merge the misaligned block and corrupt its free lists)';
    return badPage(st, pfn, `freed with order ${order}, allocated with order ${allocOrder}: pfn ${pfn} is not aligned to order ${order}; ${why}`);
  }
  for (let p = pfn + 1; p < pfn + (1 << order); p++) {
    if (isOnPcpList(st, zone, p)) {
      return badPage(st, pfn, `freed with order ${order}, allocated with order ${allocOrder}: pfn ${p} of the block is on a per-cpu list; mmkit refuses it (Linux 4.17 would free it twice and corrupt its lists)`);
    }
  }
  freePagesPrepare(st, pfn, order); // clears every page's flags: pages lost before are free again, no record of them
  freeOnePage(st, zone, pfn, order, pages.getPageblockMigratetype(pfn));
}

/** free_pages_prepare(): drop the last reference and the flags (PAGE_FLAGS_CHECK_AT_PREP), undo the compound page. */
export function freePagesPrepare(st: BuddyState, pfn: Pfn, order: number): void {
  if (order === 0) return freePagePrepare(st, pfn);
  const flags = st.pages.flags;
  st.pages.refcount[pfn] = 0;
  for (let p = pfn, end = pfn + (1 << order); p < end; p++) flags[p] = 0; // and page_owner's order (page-extras.ts)
}

/** free_pages_prepare() of one page (order 0): three stores. */
export function freePagePrepare(st: BuddyState, pfn: Pfn): void {
  st.pages.refcount[pfn] = 0;
  st.pages.flags[pfn] = 0; // and page_owner's order (page-extras.ts)
}

/** The order a page was allocated with, or -1 (page_owner's record). */
export function allocatedOrder(st: BuddyState, pfn: Pfn): number {
  return st.pages.validPfn(pfn) ? allocOrderField(st.pages.flags, pfn) - 1 : -1;
}

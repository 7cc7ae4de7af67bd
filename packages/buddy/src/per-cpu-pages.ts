/**
 * struct per_cpu_pages (mm/page_alloc.c, 4.17): setup_per_cpu_pageset(), and the per-cpu lists
 * of order-0 pages in front of the buddy lists: __rmqueue_pcplist() and rmqueue_bulk() on the
 * allocation side, free_unref_page() and free_pcppages_bulk() on the free side, and
 * drain_all_pages(). The batch and high formulas are the pure functions of pcp.ts.
 */
import { MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, NO_PAGE, type MigrateType, type Pfn, type Zone } from '@mmkit/core';
import * as freeAreaMod from './free-area.js';
import * as pageChecksMod from './page-checks.js';
import * as pageExtrasMod from './page-extras.js';
import { pagesetHighBatch, pcpListIndex, zoneBatchsize } from './pcp.js';
import * as rmqueueFallbackMod from './rmqueue-fallback.js';
import type { BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeOnePage } = freeAreaMod;
const { checkNewPage, pageFreeCheck } = pageChecksMod;
const { clearPageExtra, listMigratetype, setListMigratetype } = pageExtrasMod;
const { __rmqueue } = rmqueueFallbackMod;

/** setup_per_cpu_pageset() -> pageset_set_high_and_batch(): batch and high from zone_batchsize(). */
export function setupPerCpuPageset(st: BuddyState): void {
  for (const zone of st.zoneByNum) {
    const { high, batch } = pagesetHighBatch(zoneBatchsize(zone.managedPages));
    for (const pcp of zone.pageset) {
      pcp.high = high;
      pcp.batch = batch;
    }
  }
}

/**
 * __rmqueue_pcplist(): refill the CPU's list of this type with a batch when it is empty, then
 * take its first page; with CONFIG_DEBUG_VM the page is checked (check_new_pcp()), and a bad
 * one is left out and the next taken. Without it the page is not checked here: its check was
 * check_pcp_refill() when it came from the buddy lists, none when it was freed to the list.
 */
export function rmqueuePcplist(st: BuddyState, zone: Zone, migratetype: MigrateType): Pfn {
  const cpu = st.sched.currentCpu;
  const pcp = zone.pageset[cpu];
  const lists = st.pcpLists;
  const list = (zone.zoneNum * st.nrCpus + cpu) * MIGRATE_PCPTYPES + migratetype; // pcpListIndex()
  const counter = cpu * MIGRATE_PCPTYPES + migratetype;
  let pfn: Pfn;
  do {
    if (lists.isEmpty(list)) {
      const got = rmqueueBulk(st, zone, 0, pcp.batch, list, migratetype);
      pcp.count += got;
      zone.pcpCount[counter] += got;
      if (got === 0) return NO_PAGE;
    }
    pfn = lists.popHead(list);
    pcp.count--;
    zone.pcpCount[counter]--;
  } while (st.debugVm && checkNewPage(st, pfn));
  return pfn;
}

/**
 * rmqueue_bulk(): up to `count` blocks off the buddy lists onto a per-cpu list, in physical
 * order (list_add_tail); the number put on the list. Without CONFIG_DEBUG_VM each is checked
 * here (check_pcp_refill()): a bad one is reported and left out (lost, as in Linux).
 */
export function rmqueueBulk(st: BuddyState, zone: Zone, order: number, count: number, list: number, migratetype: MigrateType): number {
  let alloced = 0;
  const check = !st.debugVm;
  for (let i = 0; i < count; i++) {
    const pfn = __rmqueue(st, zone, order, migratetype);
    if (pfn === NO_PAGE) break;
    if (check && checkNewPage(st, pfn)) continue;
    st.pcpLists.addTail(list, pfn);
    alloced++;
  }
  return alloced;
}

/**
 * free_unref_page(): an order-0 page goes on the CPU's list of its pageblock's type
 * (highatomic and CMA pages on the movable list, isolated pages straight to the buddy
 * lists); a full list (count >= high) gives a batch back.
 */
export function freeUnrefPage(st: BuddyState, zone: Zone, pfn: Pfn): void {
  let mt = st.pages.getPageblockMigratetype(pfn);
  setListMigratetype(st.pages.flags, pfn, mt); // set_pcppage_migratetype()
  if (mt >= MIGRATE_PCPTYPES) {
    if (mt === MIGRATE_ISOLATE) {
      clearPageExtra(st.pages.flags, pfn); // on no per-cpu list after all
      freeOnePage(st, zone, pfn, 0, mt);
      return;
    }
    mt = MIGRATE_MOVABLE;
  }
  const cpu = st.sched.currentCpu;
  const pcp = zone.pageset[cpu];
  st.pcpLists.addHead((zone.zoneNum * st.nrCpus + cpu) * MIGRATE_PCPTYPES + mt, pfn); // pcpListIndex()
  zone.pcpCount[cpu * MIGRATE_PCPTYPES + mt]++;
  if (++pcp.count >= pcp.high) freePcppagesBulk(st, zone, pcp.batch, cpu);
}

/**
 * free_pcppages_bulk(): give `count` pages of a CPU's lists back to the buddy lists, taking
 * them round-robin from the lists (more from fuller ones), oldest first. Without
 * CONFIG_DEBUG_VM each page is checked now (bulkfree_pcp_prepare(): free_pages_check(), which
 * free_pcp_prepare() left out when it was freed): a bad one is reported and not freed (lost).
 */
export function freePcppagesBulk(st: BuddyState, zone: Zone, count: number, cpu: number): void {
  const pcp = zone.pageset[cpu];
  const lists = st.pcpLists;
  const pages = st.pages;
  const check = !st.debugVm;
  const listBase = (zone.zoneNum * st.nrCpus + cpu) * MIGRATE_PCPTYPES; // pcpListIndex(zone, cpu, 0)
  const counterBase = cpu * MIGRATE_PCPTYPES;
  if (count > pcp.count) count = pcp.count;
  let migratetype = 0;
  let batchFree = 0;
  while (count > 0) {
    let list: number;
    do {
      batchFree++;
      if (++migratetype === MIGRATE_PCPTYPES) migratetype = 0;
      list = listBase + migratetype;
    } while (lists.isEmpty(list));
    // This is the only non-empty list. Free them all.
    if (batchFree === MIGRATE_PCPTYPES) batchFree = count;
    const counter = counterBase + migratetype;
    do {
      const pfn = lists.last(list);
      lists.remove(list, pfn);
      pcp.count--;
      zone.pcpCount[counter]--;
      let mt = listMigratetype(pages.flags, pfn); // get_pcppage_migratetype()
      clearPageExtra(pages.flags, pfn); // off the per-cpu list: nothing recorded until it heads a free block
      // The pageblock could have been isolated meanwhile.
      if (pages.getPageblockMigratetype(pfn) === MIGRATE_ISOLATE) mt = MIGRATE_ISOLATE;
      if (check && (pages.refcount[pfn] !== 0 || !pageFreeCheck(st, pfn))) bulkfreeBadPage(st, pfn);
      else st.hooks.__freeOnePage(st, zone, pfn, 0, mt);
    } while (--count > 0 && --batchFree > 0 && !lists.isEmpty(list));
  }
}

/** bulkfree_pcp_prepare() refused a page: bad_page() with free_pages_check()'s reason. */
function bulkfreeBadPage(st: BuddyState, pfn: Pfn): void {
  const pages = st.pages;
  const reason = pages.refcount[pfn] !== 0 ? `nonzero _refcount (${pages.refcount[pfn]}: freed more often than allocated)` : pageChecksMod.freePagesCheckReason(st, pfn, 0, false);
  pageChecksMod.badPage(st, pfn, reason);
}

/** Whether a page is on one of the per-cpu lists of its zone (a walk of the lists: for the cold paths only). */
export function isOnPcpList(st: BuddyState, zone: Zone, pfn: Pfn): boolean {
  for (let cpu = 0; cpu < st.nrCpus; cpu++) {
    if (zone.pageset[cpu].count === 0) continue;
    for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
      const list = pcpListIndex(zone.zoneNum, st.nrCpus, cpu, mt);
      for (let p = st.pcpLists.first(list); p !== -1; p = st.pcpLists.next(p)) if (p === pfn) return true;
    }
  }
  return false;
}

/** drain_all_pages(NULL): every CPU's lists of every zone back to the buddy lists. */
export function drainAllPages(st: BuddyState): void {
  for (const zone of st.zoneByNum) {
    for (let cpu = 0; cpu < st.nrCpus; cpu++) {
      const count = zone.pageset[cpu].count;
      if (count > 0) freePcppagesBulk(st, zone, count, cpu);
    }
  }
}

/** Every page on a per-cpu list: zone by zone, CPU by CPU, list by list. */
export function forEachPcpPage(st: BuddyState, visit: (zone: Zone, cpu: number, pfn: Pfn) => void): void {
  for (const zone of st.zoneByNum) {
    for (let cpu = 0; cpu < st.nrCpus; cpu++) {
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
        const list = pcpListIndex(zone.zoneNum, st.nrCpus, cpu, mt);
        for (let pfn = st.pcpLists.first(list); pfn !== -1; ) {
          const next = st.pcpLists.next(pfn);
          visit(zone, cpu, pfn);
          pfn = next;
        }
      }
    }
  }
}

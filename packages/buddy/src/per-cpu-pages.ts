/**
 * struct per_cpu_pages (mm/page_alloc.c, 4.17): setup_per_cpu_pageset(), and the per-cpu lists
 * of order-0 pages in front of the buddy lists: __rmqueue_pcplist() and rmqueue_bulk() on the
 * allocation side, free_unref_page() and free_pcppages_bulk() on the free side, and
 * drain_all_pages(). The batch and high formulas are the pure functions of pcp.ts.
 */
import {
  GFP_MOVABLE_MASK,
  GFP_MOVABLE_SHIFT,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  NO_PAGE,
  PAGEBLOCK_ORDER,
  PCP_BATCH,
  PCP_COUNT,
  PCP_WORDS,
  __GFP_BITS_MASK,
  __GFP_THISNODE,
  gfpZoneValid,
  type Gfp,
  type LazyPageArray,
  type MigrateType,
  type Pfn,
  type Zone,
} from '@mmkit/core';
import * as coreMod from '@mmkit/core';
import * as freeAreaMod from './free-area.js';
import type { FreeAreaPaths } from './free-area.js';
import * as pageChecksMod from './page-checks.js';
import * as pageExtrasMod from './page-extras.js';
import * as pageblockMod from './pageblock.js';
import { pagesetHighBatch, pcpListIndex, zoneBatchsize } from './pcp.js';
import * as rmqueueFallbackMod from './rmqueue-fallback.js';
import { PCP_FAST, PCP_FAST_GFP, PCP_FAST_LIST, PCP_FAST_MT, PCP_FAST_ZONE, type BuddyState } from './state.js';

// freeUnrefPage() and pcp-fast-path.ts use MIGRATE_PCPTYPES as the literal 3.
if (MIGRATE_PCPTYPES !== 3 || MIGRATE_MOVABLE !== 1 || MIGRATE_ISOLATE !== 5 || PCP_WORDS !== 3 || PCP_COUNT !== 0 || PAGEBLOCK_ORDER !== 9) throw new Error('buddy per-cpu-pages.ts: the hot paths assume MIGRATE_PCPTYPES 3, MIGRATE_MOVABLE 1, MIGRATE_ISOLATE 5, PCP_WORDS 3, PCP_COUNT 0, PAGEBLOCK_ORDER 9');

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeOnePage } = freeAreaMod;
const { pfnListAddTail, pfnListRemove } = coreMod;
const { checkNewPage, checkNewPageBad, newPageOkOn, pageFreeCheckOn } = pageChecksMod;
const { clearPageExtra, listMigratetype, setListMigratetype } = pageExtrasMod;
const { __rmqueue } = rmqueueFallbackMod;
const { gfpflagsToMigratetype } = pageblockMod;

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
  const pcp = zone.pcpWords; // zone.pageset[cpu], on the typed array itself
  const at = cpu * PCP_WORDS;
  const lists = st.pcpLists;
  const list = (zone.zoneNum * st.nrCpus + cpu) * MIGRATE_PCPTYPES + migratetype; // pcpListIndex()
  let pfn: Pfn;
  do {
    if (lists.isEmpty(list)) {
      const got = rmqueueBulk(st, zone, 0, pcp[at + PCP_BATCH], list, migratetype);
      pcp[at + PCP_COUNT] += got;
      if (got === 0) return NO_PAGE;
    }
    pfn = lists.popHead(list);
    pcp[at + PCP_COUNT]--;
  } while (st.debugVm && checkNewPage(st, pfn));
  return pfn;
}

/**
 * Work out pcpFast for this CPU and a gfp as prepare_alloc_pages() and finalise_ac() do
 * (gfp_zone(), gfpflags_to_migratetype(), numa_mem_id(), first_zones_zonelist()) for the
 * order-0 fast path (pcp-fast-path.ts); false, with
 * nothing kept, for a gfp the general path must judge (no gfp mask, an invalid zone or
 * migratetype combination, no zone).
 */
export function pcpFastSetup(st: BuddyState, cpu: number, gfp: Gfp): boolean {
  if (!(gfp >>> 0 === gfp && gfp <= __GFP_BITS_MASK) || !gfpZoneValid(gfp, st.zoneConfig)) return false;
  const bits = (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
  if (bits === 3) return false; // __GFP_RECLAIMABLE|__GFP_MOVABLE
  const high = st.hooks.gfpZone(st, gfp);
  const mt = gfpflagsToMigratetype(st, gfp);
  const nid = st.cpuNode[cpu];
  const zl = st.zonelists;
  const preferred = (gfp & __GFP_THISNODE ? zl.firstNoFallback : zl.firstFallback)[nid * st.nrZones + high];
  if (preferred < 0) return false;
  const at = cpu * PCP_FAST;
  const f = st.pcpFast;
  f[at + PCP_FAST_GFP] = gfp;
  f[at + PCP_FAST_ZONE] = preferred;
  f[at + PCP_FAST_LIST] = pcpListIndex(preferred, st.nrCpus, cpu, mt);
  f[at + PCP_FAST_MT] = mt;
  return true;
}

/** Forget pcpFast's answers (page_group_by_mobility_disabled changed: the migratetypes may). */
export function resetPcpFast(st: BuddyState): void {
  st.pcpFast.fill(-1);
}

/**
 * rmqueue_bulk(): up to `count` blocks off the buddy lists onto a per-cpu list, in physical
 * order (list_add_tail); the number put on the list. Without CONFIG_DEBUG_VM each is checked
 * here (check_pcp_refill()): a bad one is reported and left out (lost, as in Linux). See
 * PcpBulkPaths.rmqueueBulk.
 */
export function rmqueueBulk(st: BuddyState, zone: Zone, order: number, count: number, list: number, migratetype: MigrateType): number {
  return st.pcpBulk.rmqueueBulk(zone, order, count, list, migratetype);
}

/**
 * free_unref_page(): an order-0 page goes on the CPU's list of its pageblock's type
 * (highatomic and CMA pages on the movable list, isolated pages straight to the buddy
 * lists); a full list (count >= high) gives a batch back.
 */
export function freeUnrefPage(st: BuddyState, zone: Zone, pfn: Pfn): void {
  let mt = st.pages.getPageblockMigratetype(pfn);
  setListMigratetype(st.pages.flags, pfn, mt); // set_pcppage_migratetype()
  if (mt >= 3) {
    // MIGRATE_PCPTYPES (3: checked at load)
    if (mt === 5) {
      // MIGRATE_ISOLATE
      clearPageExtra(st.pages.flags, pfn); // on no per-cpu list after all
      freeOnePage(st, zone, pfn, 0, mt);
      return;
    }
    mt = 1; // MIGRATE_MOVABLE
  }
  const cpu = st.sched.currentCpu;
  const pcp = zone.pcpWords; // zone.pageset[cpu], on the typed array itself
  const at = cpu * 3; // PCP_WORDS
  st.pcpLists.addHead((zone.zoneNum * st.nrCpus + cpu) * 3 + mt, pfn); // pcpListIndex(); 3: MIGRATE_PCPTYPES
  if (++pcp[at] >= pcp[at + 1]) freePcppagesBulk(st, zone, pcp[at + 2], cpu); // PCP_COUNT, PCP_HIGH, PCP_BATCH
}

/**
 * free_pcppages_bulk(): give `count` pages of a CPU's lists back to the buddy lists, taking
 * them round-robin from the lists (more from fuller ones), oldest first. Without
 * CONFIG_DEBUG_VM each page is checked now (bulkfree_pcp_prepare(): free_pages_check(), which
 * free_pcp_prepare() left out when it was freed): a bad one is reported and not freed (lost).
 * See PcpBulkPaths.freePcppagesBulk.
 */
export function freePcppagesBulk(st: BuddyState, zone: Zone, count: number, cpu: number): void {
  st.pcpBulk.freePcppagesBulk(zone, count, cpu);
}

/**
 * The moves of a batch between the buddy lists and a per-cpu list, as closures made once per
 * allocator state (BuddyState.pcpBulk) over the arrays they touch, as the free-area mechanisms
 * they call (free-area.ts: V8 reads arrays a closure holds as constants of its code). Every page
 * of an order-0 burst goes through both, when the lists fill up and when they run dry.
 */
export interface PcpBulkPaths {
  /** rmqueue_bulk(). */
  readonly rmqueueBulk: (zone: Zone, order: number, count: number, list: number, migratetype: MigrateType) => number;
  /** free_pcppages_bulk(). */
  readonly freePcppagesBulk: (zone: Zone, count: number, cpu: number) => void;
}

/** The batch moves of one allocator state (BuddyState.pcpBulk); its free-area paths (st.freeArea) are made first. */
export function createPcpBulkPaths(st: BuddyState): PcpBulkPaths {
  const p = st.pages;
  const l = st.pcpLists;
  // The default __free_one_page() hook is the free-area closure itself: called without the hook table.
  const freeOne = st.hooks.__freeOnePage === freeAreaMod.__freeOnePage ? st.freeArea.freeOne : null;
  return pcpBulkPaths(st, st.freeArea.rmqueueSmallest, freeOne, st.nrCpus, !st.debugVm, p.mapLru, p.topBlock, p.flags, p.refcount, p.mappingExt, p.memcgExt, p.pageblockMigratetype, l.head, l.tail, l.length);
}

// The closures take what they hold as parameters of the function that makes them (see free-area.ts).
function pcpBulkPaths(
  st: BuddyState,
  rmqueueSmallest: FreeAreaPaths['rmqueueSmallest'],
  freeOne: FreeAreaPaths['freeOne'] | null,
  nrCpus: number,
  check: boolean,
  mapLru: Int32Array,
  topBlock: Int32Array,
  flags: Uint32Array,
  refcount: Int32Array,
  mapping: LazyPageArray<Uint32Array>,
  memcg: LazyPageArray<Uint16Array>,
  pageblockMigratetype: Uint8Array,
  head: Int32Array,
  tail: Int32Array,
  length: Uint32Array,
): PcpBulkPaths {
  function rmqueueBulk(zone: Zone, order: number, count: number, list: number, migratetype: MigrateType): number {
    let alloced = 0;
    for (let i = 0; i < count; i++) {
      // __rmqueue(): its first step inline (it fails with nothing changed, and __rmqueue() takes it again before the fallbacks).
      let pfn = rmqueueSmallest(zone, order, migratetype);
      if (pfn === -1) pfn = __rmqueue(st, zone, order, migratetype);
      if (pfn === -1) break; // NO_PAGE
      // check_pcp_refill() -> check_new_page(): a bad page is reported and left out
      if (check && !newPageOkOn(refcount, mapLru, topBlock, flags, mapping, memcg, pfn)) {
        checkNewPageBad(st, pfn);
        continue;
      }
      pfnListAddTail(mapLru, head, tail, length, list, pfn); // PfnListSet.addTail() of st.pcpLists
      alloced++;
    }
    return alloced;
  }

  function freePcppagesBulk(zone: Zone, batch: number, cpu: number): void {
    const pcp = zone.pcpWords; // zone.pageset[cpu], on the typed array itself
    const pcpCount = cpu * 3; // PCP_WORDS, PCP_COUNT
    const listBase = (zone.zoneNum * nrCpus + cpu) * 3; // pcpListIndex(zone, cpu, 0); MIGRATE_PCPTYPES
    // count as an int32 local: V8 keeps a reassigned parameter tagged, untagged on every use
    let count = (batch > pcp[pcpCount] ? pcp[pcpCount] : batch) | 0;
    let migratetype = 0;
    let batchFree = 0;
    while (count > 0) {
      let list: number;
      do {
        batchFree++;
        if (++migratetype === 3) migratetype = 0; // MIGRATE_PCPTYPES
        list = listBase + migratetype;
      } while (head[list] === -1);
      // This is the only non-empty list. Free them all.
      if (batchFree === 3) batchFree = count; // MIGRATE_PCPTYPES
      do {
        const pfn = tail[list]; // PfnListSet.last()
        pfnListRemove(mapLru, head, tail, length, list, pfn);
        pcp[pcpCount]--;
        let mt = listMigratetype(flags, pfn); // get_pcppage_migratetype()
        clearPageExtra(flags, pfn); // off the per-cpu list: nothing recorded until it heads a free block
        // The pageblock could have been isolated meanwhile.
        if (pageblockMigratetype[pfn >>> 9] === 5) mt = 5; // get_pageblock_migratetype(), MIGRATE_ISOLATE; PAGEBLOCK_ORDER (checked at load)
        if (check && (refcount[pfn] !== 0 || !pageFreeCheckOn(mapLru, topBlock, flags, mapping, memcg, pfn))) bulkfreeBadPage(st, pfn);
        else if (freeOne !== null) freeOne(zone, pfn, 0, mt);
        else st.hooks.__freeOnePage(st, zone, pfn, 0, mt);
      } while (--count > 0 && --batchFree > 0 && head[list] !== -1);
    }
  }

  return { rmqueueBulk, freePcppagesBulk };
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

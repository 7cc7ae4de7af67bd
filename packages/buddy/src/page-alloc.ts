/**
 * The allocation path of the page allocator (mm/page_alloc.c, 4.17): gfp_zone(),
 * __alloc_pages_nodemask() with prepare_alloc_pages() and finalise_ac(),
 * get_page_from_freelist() with the __zone_watermark_ok() check, gfp_to_alloc_flags(), the
 * slow path, rmqueue() and prep_new_page().
 */
import {
  ALLOC_CMA,
  ALLOC_CPUSET,
  ALLOC_HARDER,
  ALLOC_HIGH,
  ALLOC_NO_WATERMARKS,
  ALLOC_OOM,
  ALLOC_WMARK_LOW,
  ALLOC_WMARK_MASK,
  ALLOC_WMARK_MIN,
  MAX_ORDER,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  NO_PAGE,
  PG_head,
  PG_tail,
  __GFP_ATOMIC,
  __GFP_BITS_MASK,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_HIGH,
  __GFP_MEMALLOC,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_ZERO,
  formatGfp,
  gfpZone as gfpZoneTable,
  gfpflagsAllowBlocking,
  type Gfp,
  type MigrateType,
  type Pfn,
  type Zone,
  type ZoneIndex,
} from '@mmkit/core';
import * as freeAreaMod from './free-area.js';
import * as highatomicMod from './highatomic.js';
import * as pageChecksMod from './page-checks.js';
import * as pageExtrasMod from './page-extras.js';
import * as pageblockMod from './pageblock.js';
import * as perCpuPagesMod from './per-cpu-pages.js';
import * as rmqueueFallbackMod from './rmqueue-fallback.js';
import type { AllocContext, BuddyState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { __rmqueueSmallest } = freeAreaMod;
const { reserveHighatomicPageblock, unreserveHighatomicPageblock } = highatomicMod;
const { checkNewPages } = pageChecksMod;
const { PAGE_EXTRA_SHIFT } = pageExtrasMod;
const { gfpflagsToMigratetype } = pageblockMod;
const { drainAllPages, rmqueuePcplist } = perCpuPagesMod;
const { __rmqueue } = rmqueueFallbackMod;

/** PAGE_ALLOC_COSTLY_ORDER. */
export const PAGE_ALLOC_COSTLY_ORDER = 3;

/** gfp_zone() (the default of the hook of that name): GFP_ZONE_TABLE. */
export function gfpZone(st: BuddyState, gfp: Gfp): ZoneIndex {
  return gfpZoneTable(gfp, st.zoneConfig);
}

/**
 * __zone_watermark_ok() (the default of the zoneWatermarkOk hook), 4.17. Under the migratetype
 * CMA policy (4.16, 4.17-final) a request without ALLOC_CMA cannot use the free CMA pages:
 * NR_FREE_CMA_PAGES comes off the free pages and the MIGRATE_CMA lists do not count as a free
 * block; the seed's zone-movable policy removed ALLOC_CMA and counts them for everyone.
 */
export function __zoneWatermarkOk(st: BuddyState, zone: Zone, order: number, mark: number, classzoneIdx: ZoneIndex, allocFlags: number): boolean {
  if (st.cmaMigratetype && !(allocFlags & ALLOC_CMA)) {
    return zoneWatermarkOkFree(zone, order, mark, classzoneIdx, allocFlags, zone.freeCounts[0] - zone.freeCmaPages, false); // FREE_PAGES: zone.freePages
  }
  return zoneWatermarkOkFree(zone, order, mark, classzoneIdx, allocFlags, zone.freeCounts[0], true); // FREE_PAGES
}

/**
 * The body of __zone_watermark_ok() with its free_pages argument (NR_FREE_PAGES, less
 * NR_FREE_CMA_PAGES for a request that may not use CMA) and whether a free MIGRATE_CMA block
 * counts. ALLOC_HIGH halves the mark; ALLOC_HARDER takes another quarter (ALLOC_OOM half) and
 * may use the highatomic reserve, which everyone else counts as used. The zone must stay above
 * mark + lowmem_reserve[classzone_idx] after the allocation, and for order > 0 hold a free
 * block of that order or more on a list the caller may use.
 */
export function zoneWatermarkOkFree(zone: Zone, order: number, mark: number, classzoneIdx: ZoneIndex, allocFlags: number, freePages: number, cmaUsable: boolean): boolean {
  freePages -= (1 << order) - 1;
  let min = mark;
  const allocHarder = (allocFlags & (ALLOC_HARDER | ALLOC_OOM)) !== 0;
  if (allocFlags & ALLOC_HIGH) min -= Math.trunc(min / 2);
  if (!allocHarder) {
    freePages -= zone.nrReservedHighatomic;
  } else if (allocFlags & ALLOC_OOM) {
    min -= Math.trunc(min / 2);
  } else {
    min -= Math.trunc(min / 4);
  }
  if (freePages <= min + zone.lowmemReserve[classzoneIdx]) return false;
  if (order === 0) return true;
  const byType = zone.nrFreeByType;
  for (let o = order; o < MAX_ORDER; o++) {
    if (zone.nrFree[o] === 0) continue;
    const base = o * MIGRATE_TYPES;
    for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (byType[base + mt] !== 0) return true;
    if (cmaUsable && byType[base + MIGRATE_CMA] !== 0) return true;
    if (allocHarder && byType[base + MIGRATE_HIGHATOMIC] !== 0) return true;
  }
  return false;
}

/**
 * zone_watermark_fast() (the default of the hook of that name), as 4.17's
 * get_page_from_freelist() calls it: an order-0 request passes when NR_FREE_PAGES (less
 * NR_FREE_CMA_PAGES without ALLOC_CMA, under the migratetype CMA policy) >
 * mark + lowmem_reserve[classzone_idx], with no highatomic reserve subtracted and no
 * ALLOC_HIGH/ALLOC_HARDER adjustment (Linux accepts that the check can pass when only the
 * highatomic reserve is free); any other request, or an order-0 one that fails this, is
 * decided by __zone_watermark_ok() (the zoneWatermarkOk hook).
 */
export function zoneWatermarkFast(st: BuddyState, zone: Zone, order: number, mark: number, classzoneIdx: ZoneIndex, allocFlags: number): boolean {
  if (order === 0) {
    const free = zone.freeCounts[0]; // FREE_PAGES: zone.freePages
    const freePages = st.cmaMigratetype && !(allocFlags & ALLOC_CMA) ? free - zone.freeCmaPages : free;
    if (freePages > mark + zone.lowmemReserve[classzoneIdx]) return true;
  }
  return st.hooks.zoneWatermarkOk(st, zone, order, mark, classzoneIdx, allocFlags);
}

/**
 * __alloc_pages_nodemask(): prepare the allocation context, try the zonelist at the low
 * watermark, then the slow path.
 */
export function __allocPagesNodemask(st: BuddyState, gfp: Gfp, order: number, preferredNid?: number): Pfn {
  if (!((order >>> 0) === order && order < MAX_ORDER)) return warnOrder(st, gfp, order); // an integer in [0, MAX_ORDER)
  gfp &= __GFP_BITS_MASK; // gfp_allowed_mask
  // prepare_alloc_pages()
  const ac = st.ac;
  const highZoneidx = st.hooks.gfpZone(st, gfp);
  const migratetype = gfpflagsToMigratetype(st, gfp);
  let nid = preferredNid ?? -1;
  if (nid === -1) nid = st.cpuNode[st.sched.currentCpu]; // NUMA_NO_NODE: numa_mem_id()
  else if (!((nid >>> 0) === nid && nid < st.nrNodes)) noSuchNode(nid);
  const zonelists = st.zonelists;
  const thisnode = (gfp & __GFP_THISNODE) !== 0;
  ac.zonelist = thisnode ? zonelists.noFallback[nid] : zonelists.fallback[nid];
  ac.highZoneidx = highZoneidx;
  ac.migratetype = migratetype;
  if (st.failAllocArmed[0] !== 0 && st.services.shouldFailAlloc(gfp, order)) return NO_PAGE;
  // finalise_ac(): first_zones_zonelist(), worked out once per node and high_zoneidx.
  const preferred = (thisnode ? zonelists.firstNoFallback : zonelists.firstFallback)[nid * st.nrZones + highZoneidx];
  ac.preferredZone = preferred;
  ac.classzoneIdx = preferred < 0 ? 0 : st.zoneByNum[preferred].idx;

  // First allocation attempt; prepare_alloc_pages() gives movable requests ALLOC_CMA (read only
  // under the migratetype CMA policy: the seed removed it).
  let pfn = getPageFromFreelist(st, ac, gfp, order, migratetype === MIGRATE_MOVABLE ? ALLOC_WMARK_LOW | ALLOC_CMA : ALLOC_WMARK_LOW);
  if (pfn === NO_PAGE) pfn = __allocPagesSlowpath(st, ac, gfp, order);
  return pfn;
}

/** WARN_ON_ONCE(order >= MAX_ORDER) of __alloc_pages_nodemask() (unless __GFP_NOWARN); the allocation fails. */
function warnOrder(st: BuddyState, gfp: Gfp, order: number): Pfn {
  if (!(gfp & __GFP_NOWARN)) {
    st.services.log('warn', `WARNING: __alloc_pages_nodemask: order:${order} is not below MAX_ORDER (${MAX_ORDER}), mode:0x${(gfp >>> 0).toString(16)}(${formatGfp(gfp)})`);
  }
  return NO_PAGE;
}

/** A preferred node that does not exist: a kernel bug. */
function noSuchNode(nid: number): never {
  throw new RangeError(`kernel BUG: __alloc_pages_nodemask for node ${nid}, which does not exist`);
}

/**
 * get_page_from_freelist(): the first zone of the zonelist (up to high_zoneidx) that passes
 * the watermark of allocFlags (zone_watermark_fast()) and has a block.
 */
export function getPageFromFreelist(st: BuddyState, ac: AllocContext, gfp: Gfp, order: number, allocFlags: number): Pfn {
  const zl = ac.zonelist;
  const high = ac.highZoneidx;
  const classzoneIdx = ac.classzoneIdx;
  const preferred = ac.preferredZone;
  for (let i = 0; i < zl.length; i++) {
    const zone = st.zoneByNum[zl[i]];
    if (zone.idx > high) continue;
    const mark = zone.watermark[allocFlags & ALLOC_WMARK_MASK];
    if (!st.hooks.zoneWatermarkFast(st, zone, order, mark, classzoneIdx, allocFlags)) {
      if (!(allocFlags & ALLOC_NO_WATERMARKS)) continue;
    }
    const pfn = rmqueue(st, preferred, zone, order, gfp, allocFlags, ac.migratetype);
    if (pfn !== NO_PAGE) {
      prepNewPage(st, pfn, order, gfp, allocFlags);
      if (order && allocFlags & ALLOC_HARDER) reserveHighatomicPageblock(st, pfn, zone, order);
      return pfn;
    }
  }
  return NO_PAGE;
}

/**
 * gfp_to_alloc_flags(): ALLOC_CMA for a movable request (`migratetype` is
 * gfpflags_to_migratetype(gfp), ac->migratetype), read only under the migratetype CMA policy.
 */
export function gfpToAllocFlags(gfp: Gfp, migratetype: MigrateType): number {
  let allocFlags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
  if (gfp & __GFP_HIGH) allocFlags |= ALLOC_HIGH;
  if (gfp & __GFP_ATOMIC) {
    if (!(gfp & __GFP_NOMEMALLOC)) allocFlags |= ALLOC_HARDER;
    allocFlags &= ~ALLOC_CPUSET;
  }
  if (migratetype === MIGRATE_MOVABLE) allocFlags |= ALLOC_CMA;
  return allocFlags;
}

/** __gfp_pfmemalloc_flags(): __GFP_MEMALLOC may ignore the watermarks. */
export function gfpPfmemallocFlags(gfp: Gfp): number {
  if (gfp & __GFP_NOMEMALLOC) return 0;
  if (gfp & __GFP_MEMALLOC) return ALLOC_NO_WATERMARKS;
  return 0;
}

/**
 * __alloc_pages_slowpath(): retry at the min watermark with the caller's rights; if it may
 * block, drain the per-cpu lists and give back part of the highatomic reserve (what direct
 * reclaim does when it frees nothing: this model has nothing to reclaim), then all of it
 * before failing. __GFP_NOFAIL that still cannot be satisfied would loop forever in Linux:
 * it throws.
 */
export function __allocPagesSlowpath(st: BuddyState, ac: AllocContext, gfp: Gfp, order: number): Pfn {
  const canDirectReclaim = gfpflagsAllowBlocking(gfp);
  const costlyOrder = order > PAGE_ALLOC_COSTLY_ORDER;
  // __GFP_ATOMIC and __GFP_DIRECT_RECLAIM together make no sense (WARN_ON_ONCE in Linux).
  if ((gfp & (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM)) === (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM)) gfp &= ~__GFP_ATOMIC;
  let allocFlags = gfpToAllocFlags(gfp, ac.migratetype);
  let pfn = NO_PAGE;
  if (ac.preferredZone >= 0) {
    pfn = getPageFromFreelist(st, ac, gfp, order, allocFlags);
    if (pfn !== NO_PAGE) return pfn;
    let drained = false;
    let forced = false;
    for (;;) {
      // retry:
      const reserveFlags = gfpPfmemallocFlags(gfp);
      if (reserveFlags) allocFlags = reserveFlags;
      pfn = getPageFromFreelist(st, ac, gfp, order, allocFlags);
      if (pfn !== NO_PAGE) return pfn;
      if (!canDirectReclaim) break;
      // __alloc_pages_direct_reclaim(): reclaim frees nothing here; before giving up it
      // releases part of the highatomic reserve and drains the per-cpu lists, once.
      if (!drained) {
        unreserveHighatomicPageblock(st, ac, false);
        drainAllPages(st);
        drained = true;
        continue;
      }
      if (gfp & __GFP_NORETRY) break;
      if (costlyOrder && !(gfp & __GFP_RETRY_MAYFAIL)) break;
      // should_reclaim_retry(): out of retries, exhaust the highatomic reserve before OOM.
      if (!forced) {
        forced = true;
        if (unreserveHighatomicPageblock(st, ac, true)) continue;
      }
      break;
    }
  }
  // nopage:
  if (gfp & __GFP_NOFAIL) {
    if (!canDirectReclaim) {
      // WARN_ON_ONCE(!can_direct_reclaim): __GFP_NOFAIL without the right to sleep fails.
      st.services.log('warn', `WARNING: __alloc_pages_slowpath: __GFP_NOFAIL without __GFP_DIRECT_RECLAIM, mode:0x${gfp.toString(16)}(${formatGfp(gfp)})`);
    } else {
      // __alloc_pages_cpuset_fallback(gfp, order, ALLOC_HARDER)
      if (ac.preferredZone >= 0) {
        pfn = getPageFromFreelist(st, ac, gfp, order, ALLOC_HARDER | ALLOC_CPUSET);
        if (pfn === NO_PAGE) pfn = getPageFromFreelist(st, ac, gfp, order, ALLOC_HARDER);
        if (pfn !== NO_PAGE) return pfn;
      }
      throw new Error(`kernel BUG: __GFP_NOFAIL allocation of order ${order} (mode:0x${gfp.toString(16)}(${formatGfp(gfp)})) cannot be satisfied; Linux would retry forever`);
    }
  }
  warnAlloc(st, gfp, order);
  return NO_PAGE;
}

/** warn_alloc(). */
export function warnAlloc(st: BuddyState, gfp: Gfp, order: number): void {
  if (gfp & __GFP_NOWARN) return;
  st.services.log('warn', `page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${formatGfp(gfp)}), nodemask=(null)`);
}

/**
 * rmqueue(): order 0 from the per-cpu lists; otherwise from the buddy lists, the highatomic
 * reserve first for ALLOC_HARDER, every page of the block checked (check_new_pages(), with or
 * without CONFIG_DEBUG_VM): a block with a bad page is reported, left out (lost, as in Linux)
 * and the next one taken.
 */
export function rmqueue(st: BuddyState, _preferredZone: number, zone: Zone, order: number, _gfp: Gfp, allocFlags: number, migratetype: MigrateType): Pfn {
  if (order === 0 && st.pcpEnabled) return rmqueuePcplist(st, zone, migratetype);
  let pfn: Pfn;
  do {
    pfn = NO_PAGE;
    if (allocFlags & ALLOC_HARDER) pfn = __rmqueueSmallest(st, zone, order, MIGRATE_HIGHATOMIC);
    if (pfn === NO_PAGE) pfn = __rmqueue(st, zone, order, migratetype);
  } while (pfn !== NO_PAGE && checkNewPages(st, pfn, order));
  return pfn;
}

/**
 * prep_new_page() / post_alloc_hook(): the head holds one reference, every page is unmapped
 * with clear flags; __GFP_ZERO clears the contents, __GFP_COMP makes a compound page.
 */
export function prepNewPage(st: BuddyState, pfn: Pfn, order: number, gfp: Gfp, _allocFlags: number): void {
  const pages = st.pages;
  const n = 1 << order;
  pages.private[pfn] = 0;
  pages.refcount[pfn] = 1;
  pages.resetMapcount(pfn);
  pages.flags[pfn] = (order + 1) << PAGE_EXTRA_SHIFT; // no page flag; page_owner's order (page-extras.ts)
  if (gfp & __GFP_ZERO) for (let i = 0; i < n; i++) st.services.contents.clear(pfn + i);
  if (order && gfp & __GFP_COMP) {
    // prep_compound_page()
    pages.flags[pfn] |= 1 << PG_head;
    const tail = 1 << PG_tail;
    for (let i = 1; i < n; i++) pages.flags[pfn + i] |= tail;
  }
}

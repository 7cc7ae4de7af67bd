/**
 * The order-0 per-cpu fast paths (no Linux counterpart of their own: __alloc_pages_nodemask()
 * and __free_pages() of the common case, written out): the allocation of an order-0 page off a
 * non-empty per-cpu list (rmqueue_pcplist()) and the free of one to its CPU's list
 * (free_unref_page()), as closures over the typed arrays they touch. An allocator's state never
 * replaces those arrays, so each closure holds them from the start: V8 then reads them from the
 * closure's context instead of following st -> pages -> array, with a map check at every step,
 * on each call (docs/implementations.md). Whatever the fast path does not decide it
 * hands back (NO_PAGE, false) with nothing changed, and the general path decides the same way
 * it would have.
 */
import { NO_PAGE, type Gfp, type Pfn, type Zone } from '@mmkit/core';
import * as coreMod from '@mmkit/core';
import * as perCpuPagesMod from './per-cpu-pages.js';
import type { BuddyState } from './state.js';

const { freePcppagesBulk, freeUnrefPage, pcpFastSetup } = perCpuPagesMod;
const { pfnListAddHead } = coreMod;

/** rmqueue_pcplist() of an order-0 page for a gfp, or NO_PAGE: the general path decides. */
export type PcpFastAlloc = (gfp: Gfp) => Pfn;
/** free_unref_page() of the last reference of an order-0 page, or false: the general path decides. */
export type PcpFastFree = (pfn: Pfn) => boolean;

/** The fast paths never take a page (state.pcpFastOn false: no pcp, CONFIG_DEBUG_VM, or a variant's zone hooks). */
export const PCP_FAST_OFF: { readonly alloc: PcpFastAlloc; readonly free: PcpFastFree } = {
  alloc: () => NO_PAGE,
  free: () => false,
};

/**
 * The fast paths of one allocator's state. Allocation: the gfp's preferred zone and per-cpu
 * list as worked out before for this CPU and gfp (st.pcpFast), fault injection off, that zone's
 * order-0 zone_watermark_fast() at the low mark (| ALLOC_CMA for a movable request), the head
 * of a non-empty list, prepared as prep_new_page() does without __GFP_ZERO. Free: the last
 * reference of a page allocated with order 0 and no page flag set, in a zone whose pageblock
 * is not mixed, to this CPU's list of its pageblock's type (the rest of free_unref_page() for
 * highatomic, CMA and isolated pageblocks in freeUnrefPage()).
 */
export function createPcpFastPaths(st: BuddyState): { readonly alloc: PcpFastAlloc; readonly free: PcpFastFree } {
  if (!st.pcpFastOn) return PCP_FAST_OFF;
  const p = st.pages;
  const l = st.pcpLists;
  return {
    alloc: pcpFastAlloc(st, st.pcpFast, st.sched, st.zoneByNum, st.failAllocArmed, st.cmaMigratetype, l.head, l.tail, l.length, p.mapLru, p.private, p.refcount, p.flags),
    free: pcpFastFree(st, st.sched, st.zoneByNum, st.nrCpus, p.maxPfn, l.head, l.tail, l.length, p.mapLru, p.refcount, p.flags, p.pageblockZone, p.pageblockMigratetype),
  };
}

// alloc() returns NO_PAGE as the literal -1: an imported constant is a module variable V8 loads
// and checks at each use, which also counts against the bytecode V8 inlines into a caller.
if (NO_PAGE !== -1) throw new Error('buddy pcp-fast-path.ts: alloc() returns NO_PAGE as the literal -1');

// The closures take what they hold as parameters of the function that makes them, not as
// consts of it: a const read from a closure is checked for the hole (its temporal dead zone) on
// every read, a parameter never is.

function pcpFastAlloc(
  st: BuddyState,
  f: Int32Array,
  sched: BuddyState['sched'],
  zones: readonly Zone[],
  armed: Uint8Array,
  cma: boolean,
  head: Int32Array,
  tail: Int32Array,
  length: Uint32Array,
  mapLru: Int32Array,
  priv: Uint32Array,
  refcount: Int32Array,
  flags: Uint32Array,
): PcpFastAlloc {
  return function alloc(gfp: Gfp): Pfn {
    if (armed[0] !== 0) return -1; // NO_PAGE (a literal, checked at load); should_fail_alloc_page() may fail it: the general path
    const cpu = sched.currentCpu;
    const at = cpu << 2; // PCP_FAST
    if (f[at] !== gfp && !pcpFastSetup(st, cpu, gfp)) return -1; // PCP_FAST_GFP; NO_PAGE
    const zone = zones[f[at + 1]]; // PCP_FAST_ZONE
    const mt = f[at + 3]; // PCP_FAST_MT
    const counts = zone.freeCounts;
    const free = cma && mt !== 1 ? counts[0] - zone.freeCmaPages : counts[0]; // 1: MIGRATE_MOVABLE; FREE_PAGES
    if (!(free > zone.watermark[1] + zone.lowmemReserve[zone.idx])) return -1; // WMARK_LOW; NO_PAGE
    const list = f[at + 2]; // PCP_FAST_LIST
    const pfn = head[list];
    if (pfn === -1 || gfp & 0x8000) return -1; // NO_PAGE: an empty list (rmqueue_bulk()), or __GFP_ZERO
    // list_del() of the head (its prev link is 0), and page_mapcount_reset(): mapLru's three words
    const i = pfn * 3; // MAPLRU_WORDS
    const next = mapLru[i + 1] - 1;
    head[list] = next;
    if (next === -1) tail[list] = -1;
    else mapLru[next * 3 + 2] = 0;
    mapLru[i] = 0;
    mapLru[i + 1] = 0;
    length[list]--;
    zone.pcpWords[cpu * 3]--; // PCP_WORDS, PCP_COUNT
    // prep_new_page(): one reference, no flags but page_owner's order 0 (page-extras.ts)
    priv[pfn] = 0;
    refcount[pfn] = 1;
    flags[pfn] = 1 << 26; // (0 + 1) << PAGE_EXTRA_SHIFT
    return pfn;
  };
}

function pcpFastFree(
  st: BuddyState,
  sched: BuddyState['sched'],
  zones: readonly Zone[],
  nrCpus: number,
  maxPfn: number,
  head: Int32Array,
  tail: Int32Array,
  length: Uint32Array,
  mapLru: Int32Array,
  refcount: Int32Array,
  flags: Uint32Array,
  pageblockZone: Uint16Array,
  pageblockMigratetype: Uint8Array,
): PcpFastFree {
  return function free(pfn: Pfn): boolean {
    if (!(pfn >>> 0 === pfn && pfn < maxPfn && refcount[pfn] === 1 && flags[pfn] === 1 << 26)) return false; // page_owner's order 0, no flag
    const z = pageblockZone[pfn >>> 9]; // PAGEBLOCK_ORDER; zone number + 1, ZONE_MIXED 0xffff
    if (z === 0 || z === 0xffff) return false;
    const zone = zones[z - 1];
    refcount[pfn] = 0; // free_pages_prepare()
    const mt = pageblockMigratetype[pfn >>> 9];
    if (mt >= 3) {
      // MIGRATE_PCPTYPES: a highatomic, CMA or isolated pageblock
      flags[pfn] = 0;
      freeUnrefPage(st, zone, pfn);
      return true;
    }
    flags[pfn] = (0x20 | mt) << 26; // set_pcppage_migratetype(): PAGE_EXTRA_ON_LIST | mt
    const cpu = sched.currentCpu;
    const list = (zone.zoneNum * nrCpus + cpu) * 3 + mt; // pcpListIndex()
    pfnListAddHead(mapLru, head, tail, length, list, pfn); // list_add(): PfnListSet.addHead() of st.pcpLists
    const pcp = zone.pcpWords;
    const c = cpu * 3; // PCP_WORDS
    if (++pcp[c] >= pcp[c + 1]) freePcppagesBulk(st, zone, pcp[c + 2], cpu); // PCP_COUNT, PCP_HIGH, PCP_BATCH
    return true;
  };
}

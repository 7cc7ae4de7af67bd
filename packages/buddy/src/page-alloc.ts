/**
 * The zoned buddy page allocator of Linux 4.17 (mm/page_alloc.c): allocation through the
 * zonelists with watermarks and lowmem reserves, migratetype fallback and pageblock stealing,
 * the MIGRATE_HIGHATOMIC reserve, per-cpu page lists, page state checks on free, boot memory,
 * and the vm sysctls that drive the watermarks (min_free_kbytes, watermark_scale_factor,
 * lowmem_reserve_ratio), with khugepaged's recommended min_free_kbytes.
 *
 * This module is the allocation path: __alloc_pages_nodemask(), get_page_from_freelist() with
 * the __zone_watermark_ok() check, the slow path, rmqueue() and prep_new_page(). The rest of
 * the allocator is stacked below BuddyAllocator, one concern per module (see
 * page-alloc-state.ts).
 *
 * Methods a historical variant might change are protected and carry the Linux name, so an old
 * behaviour is a subclass overriding one method.
 */
import {
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
  PAGE_UNMAPPED_MAPCOUNT,
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
  gfpflagsAllowBlocking,
  type Gfp,
  type PageAllocator,
  type PageAllocatorFeatures,
  type Zone,
} from '@mmkit/core';
import { HighatomicReserve } from './highatomic.js';

/** PAGE_ALLOC_COSTLY_ORDER. */
export const PAGE_ALLOC_COSTLY_ORDER = 3;

export class BuddyAllocator extends HighatomicReserve implements PageAllocator {
  readonly name: string = 'buddy';
  readonly supports: PageAllocatorFeatures = { pcp: true, highatomic: true };

  /**
   * __zone_watermark_ok() with free_pages = NR_FREE_PAGES (4.17). ALLOC_HIGH halves the mark;
   * ALLOC_HARDER takes another quarter (ALLOC_OOM half) and may use the highatomic reserve,
   * which everyone else counts as used. The zone must stay above mark + lowmem_reserve
   * [classzone_idx] after the allocation, and for order > 0 hold a free block of that order or
   * more on a list the caller may use.
   */
  zoneWatermarkOk(zone: Zone, order: number, mark: number, classzoneIdx: number, allocFlags: number): boolean {
    let freePages = zone.freePages - ((1 << order) - 1);
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
      if (allocHarder && byType[base + MIGRATE_HIGHATOMIC] !== 0) return true;
    }
    return false;
  }

  /**
   * __alloc_pages_nodemask(): prepare the allocation context, try the zonelist at the low
   * watermark, then the slow path.
   */
  allocPages(gfp: Gfp, order: number, preferredNid?: number): number {
    if (!(Number.isInteger(order) && order >= 0 && order < MAX_ORDER)) {
      if (!(gfp & __GFP_NOWARN)) {
        this.services.log('warn', `WARNING: __alloc_pages_nodemask: order:${order} is not below MAX_ORDER (${MAX_ORDER}), mode:0x${(gfp >>> 0).toString(16)}(${formatGfp(gfp)})`);
      }
      return NO_PAGE;
    }
    gfp &= __GFP_BITS_MASK; // gfp_allowed_mask
    // prepare_alloc_pages()
    const highZoneidx = this.gfpZone(gfp);
    const migratetype = this.gfpflagsToMigratetype(gfp);
    let nid = preferredNid ?? -1;
    if (nid === -1) nid = this.cpuToNode(this.services.sched.currentCpu); // NUMA_NO_NODE: numa_mem_id()
    if (!(Number.isInteger(nid) && nid >= 0 && nid < this.nrNodes)) {
      throw new RangeError(`kernel BUG: __alloc_pages_nodemask for node ${nid}, which does not exist`);
    }
    this.acZonelist = gfp & __GFP_THISNODE ? this.zonelists.noFallback[nid] : this.zonelists.fallback[nid];
    this.acHighZoneidx = highZoneidx;
    this.acMigratetype = migratetype;
    if (this.services.shouldFailAlloc(gfp, order)) return NO_PAGE;
    this.finaliseAc();

    // First allocation attempt
    let pfn = this.getPageFromFreelist(gfp, order, ALLOC_WMARK_LOW);
    if (pfn === NO_PAGE) pfn = this.__allocPagesSlowpath(gfp, order);
    return pfn;
  }

  /** finalise_ac(): ac->preferred_zoneref = first_zones_zonelist(zonelist, high_zoneidx). */
  protected finaliseAc(): void {
    const zl = this.acZonelist;
    this.acPreferredZone = -1;
    this.acClasszoneIdx = 0;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx <= this.acHighZoneidx) {
        this.acPreferredZone = zone.zoneNum;
        this.acClasszoneIdx = zone.idx;
        return;
      }
    }
  }

  /**
   * get_page_from_freelist(): the first zone of the zonelist (up to high_zoneidx) that passes
   * the watermark of allocFlags and has a block.
   */
  protected getPageFromFreelist(gfp: Gfp, order: number, allocFlags: number): number {
    const zl = this.acZonelist;
    const high = this.acHighZoneidx;
    const classzoneIdx = this.acClasszoneIdx;
    const preferred = this.acPreferredZone;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx > high) continue;
      const mark = zone.watermark[allocFlags & ALLOC_WMARK_MASK];
      if (!this.zoneWatermarkOk(zone, order, mark, classzoneIdx, allocFlags)) {
        if (!(allocFlags & ALLOC_NO_WATERMARKS)) continue;
      }
      const pfn = this.rmqueue(preferred, zone, order, gfp, allocFlags, this.acMigratetype);
      if (pfn !== NO_PAGE) {
        this.prepNewPage(pfn, order, gfp, allocFlags);
        if (order && allocFlags & ALLOC_HARDER) this.reserveHighatomicPageblock(pfn, zone, order);
        return pfn;
      }
    }
    return NO_PAGE;
  }

  /** gfp_to_alloc_flags(). */
  protected gfpToAllocFlags(gfp: Gfp): number {
    let allocFlags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
    if (gfp & __GFP_HIGH) allocFlags |= ALLOC_HIGH;
    if (gfp & __GFP_ATOMIC) {
      if (!(gfp & __GFP_NOMEMALLOC)) allocFlags |= ALLOC_HARDER;
      allocFlags &= ~ALLOC_CPUSET;
    }
    return allocFlags;
  }

  /** __gfp_pfmemalloc_flags(): __GFP_MEMALLOC may ignore the watermarks. */
  protected gfpPfmemallocFlags(gfp: Gfp): number {
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
  protected __allocPagesSlowpath(gfp: Gfp, order: number): number {
    const canDirectReclaim = gfpflagsAllowBlocking(gfp);
    const costlyOrder = order > PAGE_ALLOC_COSTLY_ORDER;
    // __GFP_ATOMIC and __GFP_DIRECT_RECLAIM together make no sense (WARN_ON_ONCE in Linux).
    if ((gfp & (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM)) === (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM)) gfp &= ~__GFP_ATOMIC;
    let allocFlags = this.gfpToAllocFlags(gfp);
    let pfn = NO_PAGE;
    if (this.acPreferredZone >= 0) {
      pfn = this.getPageFromFreelist(gfp, order, allocFlags);
      if (pfn !== NO_PAGE) return pfn;
      let drained = false;
      let forced = false;
      for (;;) {
        // retry:
        const reserveFlags = this.gfpPfmemallocFlags(gfp);
        if (reserveFlags) allocFlags = reserveFlags;
        pfn = this.getPageFromFreelist(gfp, order, allocFlags);
        if (pfn !== NO_PAGE) return pfn;
        if (!canDirectReclaim) break;
        // __alloc_pages_direct_reclaim(): reclaim frees nothing here; before giving up it
        // releases part of the highatomic reserve and drains the per-cpu lists, once.
        if (!drained) {
          this.unreserveHighatomicPageblock(false);
          this.drainAllPages();
          drained = true;
          continue;
        }
        if (gfp & __GFP_NORETRY) break;
        if (costlyOrder && !(gfp & __GFP_RETRY_MAYFAIL)) break;
        // should_reclaim_retry(): out of retries, exhaust the highatomic reserve before OOM.
        if (!forced) {
          forced = true;
          if (this.unreserveHighatomicPageblock(true)) continue;
        }
        break;
      }
    }
    // nopage:
    if (gfp & __GFP_NOFAIL) {
      if (!canDirectReclaim) {
        // WARN_ON_ONCE(!can_direct_reclaim): __GFP_NOFAIL without the right to sleep fails.
        this.services.log('warn', `WARNING: __alloc_pages_slowpath: __GFP_NOFAIL without __GFP_DIRECT_RECLAIM, mode:0x${gfp.toString(16)}(${formatGfp(gfp)})`);
      } else {
        // __alloc_pages_cpuset_fallback(gfp, order, ALLOC_HARDER)
        if (this.acPreferredZone >= 0) {
          pfn = this.getPageFromFreelist(gfp, order, ALLOC_HARDER | ALLOC_CPUSET);
          if (pfn === NO_PAGE) pfn = this.getPageFromFreelist(gfp, order, ALLOC_HARDER);
          if (pfn !== NO_PAGE) return pfn;
        }
        throw new Error(
          `kernel BUG: __GFP_NOFAIL allocation of order ${order} (mode:0x${gfp.toString(16)}(${formatGfp(gfp)})) cannot be satisfied; Linux would retry forever`,
        );
      }
    }
    this.warnAlloc(gfp, order);
    return NO_PAGE;
  }

  /** warn_alloc(). */
  protected warnAlloc(gfp: Gfp, order: number): void {
    if (gfp & __GFP_NOWARN) return;
    this.services.log('warn', `page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${formatGfp(gfp)}), nodemask=(null)`);
  }

  /**
   * rmqueue(): order 0 from the per-cpu lists; otherwise from the buddy lists, the highatomic
   * reserve first for ALLOC_HARDER.
   */
  protected rmqueue(_preferredZone: number, zone: Zone, order: number, _gfp: Gfp, allocFlags: number, migratetype: number): number {
    if (order === 0 && this.pcpEnabled) return this.rmqueuePcplist(zone, migratetype);
    let pfn = NO_PAGE;
    if (allocFlags & ALLOC_HARDER) pfn = this.__rmqueueSmallest(zone, order, MIGRATE_HIGHATOMIC);
    if (pfn === NO_PAGE) pfn = this.__rmqueue(zone, order, migratetype);
    return pfn;
  }

  /** __rmqueue(): own lists, then CMA for movable, then steal from another type and retry. */
  protected override __rmqueue(zone: Zone, order: number, migratetype: number): number {
    for (;;) {
      let pfn = this.__rmqueueSmallest(zone, order, migratetype);
      if (pfn !== NO_PAGE) return pfn;
      if (migratetype === MIGRATE_MOVABLE) {
        pfn = this.__rmqueueSmallest(zone, order, MIGRATE_CMA); // __rmqueue_cma_fallback()
        if (pfn !== NO_PAGE) return pfn;
      }
      if (!this.__rmqueueFallback(zone, order, migratetype)) return NO_PAGE;
    }
  }

  /**
   * prep_new_page() / post_alloc_hook(): the head holds one reference, every page is unmapped
   * with clear flags; __GFP_ZERO clears the contents, __GFP_COMP makes a compound page.
   */
  protected prepNewPage(pfn: number, order: number, gfp: Gfp, _allocFlags: number): void {
    const pages = this.pages;
    const n = 1 << order;
    pages.private[pfn] = 0;
    pages.refcount[pfn] = 1;
    pages.mapcount[pfn] = PAGE_UNMAPPED_MAPCOUNT;
    pages.flags[pfn] = 0;
    this.allocOrder[pfn] = order + 1;
    if (gfp & __GFP_ZERO) for (let i = 0; i < n; i++) this.services.contents.clear(pfn + i);
    if (order && gfp & __GFP_COMP) {
      // prep_compound_page()
      pages.flags[pfn] |= 1 << PG_head;
      const tail = 1 << PG_tail;
      for (let i = 1; i < n; i++) pages.flags[pfn + i] |= tail;
    }
  }
}

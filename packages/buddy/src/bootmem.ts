/**
 * Boot (mm/page_alloc.c and mm/memblock.c, 4.17): memmap_init_zone() marks every page of the
 * zones reserved; memblock_free_all() hands the free memory over (__free_pages_memory(),
 * __free_pages_boot_core()); then the boot-time setup of the per-cpu lists, mobility grouping,
 * the watermarks and the boot sysctls (initWatermarks()).
 */
import {
  GFP_HIGHUSER_MOVABLE,
  MAX_ORDER,
  MIGRATE_MOVABLE,
  MIGRATE_TYPES,
  PAGEBLOCK_NR_PAGES,
  PG_reserved,
  type Zone,
} from '@mmkit/core';
import { FreePages } from './free-pages.js';

export abstract class BootMem extends FreePages {
  /**
   * memmap_init_zone(): every page of every zone's span gets its zone link, a reference and
   * PG_reserved (until memblock hands it over); every pageblock starting in the zone is
   * MIGRATE_MOVABLE.
   */
  protected override memmapInit(): void {
    const pages = this.pages;
    const flags = pages.flags;
    const reserved = 1 << PG_reserved;
    for (const zone of this.zoneByNum) {
      const start = zone.zoneStartPfn;
      const end = zone.zoneEndPfn;
      if (end <= start) continue;
      pages.zoneNum.fill(zone.zoneNum, start, end);
      pages.refcount.fill(1, start, end);
      for (let pfn = start; pfn < end; pfn++) flags[pfn] |= reserved;
      for (let pfn = (start + PAGEBLOCK_NR_PAGES - 1) & ~(PAGEBLOCK_NR_PAGES - 1); pfn < end; pfn += PAGEBLOCK_NR_PAGES) {
        pages.setPageblockMigratetype(pfn, MIGRATE_MOVABLE);
      }
    }
  }

  /**
   * memblock_free_all() for one range: the pages join their zone's managed pages and are freed
   * in the largest naturally aligned blocks that fit (__free_pages_memory()).
   */
  freeBootmem(startPfn: number, nrPages: number): void {
    if (!Number.isInteger(startPfn) || !Number.isInteger(nrPages) || startPfn < 0 || nrPages < 0) {
      throw new RangeError(`freeBootmem(${startPfn}, ${nrPages}): not a pfn range`);
    }
    const end = startPfn + nrPages;
    if (end > this.pages.maxPfn) throw new RangeError(`freeBootmem: pfns up to ${end} are beyond the memmap (${this.pages.maxPfn})`);
    let pfn = startPfn;
    while (pfn < end) {
      const zone = this.pageZone(pfn);
      if (!zone) throw new RangeError(`freeBootmem: pfn 0x${pfn.toString(16)} is in no zone`);
      const present = this.presentRangeEnd(pfn);
      if (present <= pfn) throw new RangeError(`freeBootmem: pfn 0x${pfn.toString(16)} is not present memory (a hole in memblock.memory)`);
      const chunkEnd = Math.min(end, zone.zoneEndPfn, present);
      const refcount = this.pages.refcount;
      for (let p = pfn; p < chunkEnd; p++) {
        if (refcount[p] !== 1 || this.pages.isBuddy(p)) {
          throw new Error(`freeBootmem: pfn 0x${p.toString(16)} was already handed to the page allocator`);
        }
      }
      this.__freePagesMemory(zone, pfn, chunkEnd);
      pfn = chunkEnd;
    }
  }

  /** End of the memblock.memory range containing pfn, or pfn when it is in a hole. */
  protected presentRangeEnd(pfn: number): number {
    const memory = this.services.layout.memory;
    let lo = 0;
    let hi = memory.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = memory[mid];
      if (pfn < r.start) hi = mid - 1;
      else if (pfn >= r.end) lo = mid + 1;
      else {
        // Adjacent ranges continue the present memory.
        let e = r.end;
        for (let i = mid + 1; i < memory.length && memory[i].start === e; i++) e = memory[i].end;
        return e;
      }
    }
    return pfn;
  }

  /** __free_pages_memory(): order = min(MAX_ORDER - 1, __ffs(start)), shrunk to fit. */
  protected __freePagesMemory(zone: Zone, start: number, end: number): void {
    while (start < end) {
      let order = start === 0 ? MAX_ORDER - 1 : Math.min(MAX_ORDER - 1, 31 - Math.clz32(start & -start));
      while (start + (1 << order) > end) order--;
      this.__freePagesBootCore(zone, start, order);
      start += 1 << order;
    }
  }

  /**
   * __free_pages_boot_core(): clear PG_reserved and the references, count the pages as
   * managed, and free the block (straight to the buddy lists: the per-cpu lists of boot are
   * the boot_pageset, which holds nothing).
   */
  protected __freePagesBootCore(zone: Zone, pfn: number, order: number): void {
    const n = 1 << order;
    this.pages.flags.fill(0, pfn, pfn + n);
    this.pages.refcount.fill(0, pfn, pfn + n);
    zone.managedPages += n;
    this.freeOnePage(zone, pfn, order, this.pages.getPageblockMigratetype(pfn));
  }

  /**
   * The boot-time part of the allocator's setup: setup_per_cpu_pageset() and the mobility
   * grouping decision of build_all_zonelists(), then init_per_zone_wmark_min(), khugepaged's
   * set_recommended_min_free_kbytes() when THP is on, and the boot sysctls.
   */
  initWatermarks(): void {
    const totalPages = this.nrFreeZonePages(this.gfpZone(GFP_HIGHUSER_MOVABLE));
    this.pageGroupByMobilityDisabled = totalPages < PAGEBLOCK_NR_PAGES * MIGRATE_TYPES;
    this.services.log(
      'info',
      `Built ${this.nrNodes} zonelists, mobility grouping ${this.pageGroupByMobilityDisabled ? 'off' : 'on'}.  Total pages: ${totalPages}`,
    );
    this.setupPerCpuPageset();
    this.initPerZoneWmarkMin();
    if (this.services.config.thp) this.setRecommendedMinFreeKbytes();
    const user = this.services.config.minFreeKbytes;
    if (user !== undefined) this.setMinFreeKbytes(user);
  }
}

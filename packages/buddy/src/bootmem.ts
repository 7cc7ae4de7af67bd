/**
 * Boot (mm/page_alloc.c and mm/memblock.c, 4.17): memblock_free_all() hands the free memory
 * over (__free_pages_memory(), __free_pages_boot_core()); then the boot-time setup of the
 * per-cpu lists, mobility grouping, the watermarks and the boot sysctls (initWatermarks()).
 * The memmap itself (memmap_init_zone()) is the kernel's boot step, before the allocator is
 * created: core's memmapInitZone().
 */
import { GFP_HIGHUSER_MOVABLE, MAX_ORDER, MIGRATE_TYPES, PAGEBLOCK_NR_PAGES, type Pfn, type Zone } from '@mmkit/core';
import { cmaInitReservedAreas } from './cma-init.js';
import { freeOnePage, pageZone } from './free-area.js';
import { resetPcpFast, setupPerCpuPageset } from './per-cpu-pages.js';
import type { BuddyState } from './state.js';
import { minFreeKbytesSysctlHandler, nrFreeZonePages, setRecommendedMinFreeKbytes } from './watermark-setup.js';

/**
 * memblock_free_all() for one range: the pages join their zone's managed pages and are freed
 * in the largest naturally aligned blocks that fit (__free_pages_memory()). Memory that memmap
 * init left zero for this (PageStore's ranges awaiting handover) is taken whole, per range;
 * other pages must be as memmap init reserved them (one reference, not free), checked per page
 * (they are reserved ranges given back later). A page handed over twice is refused, whole.
 */
export function freeBootmem(st: BuddyState, startPfn: Pfn, nrPages: number): void {
  if (!Number.isInteger(startPfn) || !Number.isInteger(nrPages) || startPfn < 0 || nrPages < 0) {
    throw new RangeError(`freeBootmem(${startPfn}, ${nrPages}): not a pfn range`);
  }
  const end = startPfn + nrPages;
  const pages = st.pages;
  if (end > pages.maxPfn) throw new RangeError(`freeBootmem: pfns up to ${end} are beyond the memmap (${pages.maxPfn})`);
  // Check the whole range before freeing any of it: a refused call changes nothing.
  for (let pfn = startPfn; pfn < end; ) {
    const chunkEnd = bootmemChunkEnd(st, pfn, end);
    const pendingEnd = Math.min(chunkEnd, pages.handoverEndAt(pfn));
    if (pendingEnd > pfn) {
      pfn = pendingEnd;
      continue;
    }
    const reservedEnd = Math.min(chunkEnd, pages.nextHandoverPfn(pfn));
    for (let p = pfn; p < reservedEnd; p++) {
      if (pages.refcount[p] !== 1 || pages.isBuddy(p)) throw new Error(`freeBootmem: pfn 0x${p.toString(16)} was already handed to the page allocator`);
    }
    pfn = reservedEnd;
  }
  for (let pfn = startPfn; pfn < end; ) {
    const zone = pageZone(st, pfn)!;
    const chunkEnd = bootmemChunkEnd(st, pfn, end);
    const pendingEnd = pages.takeHandover(pfn, chunkEnd);
    if (pendingEnd > pfn) {
      __freePagesMemory(st, zone, pfn, pendingEnd, false);
      pfn = pendingEnd;
      continue;
    }
    const reservedEnd = Math.min(chunkEnd, pages.nextHandoverPfn(pfn));
    __freePagesMemory(st, zone, pfn, reservedEnd, true);
    pfn = reservedEnd;
  }
}

/** The end of the part of [pfn, end) in pfn's zone and present memory; throws when pfn is in neither. */
function bootmemChunkEnd(st: BuddyState, pfn: Pfn, end: Pfn): Pfn {
  const zone = pageZone(st, pfn);
  if (!zone) throw new RangeError(`freeBootmem: pfn 0x${pfn.toString(16)} is in no zone`);
  const present = presentRangeEnd(st, pfn);
  if (present <= pfn) throw new RangeError(`freeBootmem: pfn 0x${pfn.toString(16)} is not present memory (a hole in memblock.memory)`);
  return Math.min(end, zone.zoneEndPfn, present);
}

/** End of the memblock.memory range containing pfn, or pfn when it is in a hole. */
export function presentRangeEnd(st: BuddyState, pfn: Pfn): Pfn {
  const memory = st.services.layout.memory;
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

/**
 * __free_pages_memory(): order = min(MAX_ORDER - 1, __ffs(start)), shrunk to fit. `clear`: the
 * struct pages were written by memmap init (reserved) and must be cleared; else they are zero.
 */
export function __freePagesMemory(st: BuddyState, zone: Zone, start: Pfn, end: Pfn, clear: boolean): void {
  while (start < end) {
    const lowest = (start as number) & -(start as number); // __ffs(start)
    let order = start === 0 ? MAX_ORDER - 1 : Math.min(MAX_ORDER - 1, 31 - Math.clz32(lowest));
    while (start + (1 << order) > end) order--;
    __freePagesBootCore(st, zone, start, order, clear);
    start += 1 << order;
  }
}

/**
 * __free_pages_boot_core(): clear PG_reserved and the references, count the pages as
 * managed, and free the block (straight to the buddy lists: the per-cpu lists of boot are
 * the boot_pageset, which holds nothing). With `clear` false the pages are already zero (memmap
 * init left them so), and only the block's head is written, by the free itself.
 */
export function __freePagesBootCore(st: BuddyState, zone: Zone, pfn: Pfn, order: number, clear: boolean): void {
  const n = 1 << order;
  if (clear) {
    st.pages.flags.fill(0, pfn, pfn + n);
    st.pages.refcount.fill(0, pfn, pfn + n);
  }
  zone.managedPages += n;
  freeOnePage(st, zone, pfn, order, st.pages.getPageblockMigratetype(pfn));
}

/**
 * The boot-time part of the allocator's setup: setup_per_cpu_pageset() and the mobility
 * grouping decision of build_all_zonelists(), then init_per_zone_wmark_min(), khugepaged's
 * set_recommended_min_free_kbytes() when THP is on, and the boot sysctls. The CMA areas are
 * activated (cma_init_reserved_areas()) where the CMA policy's kernel ran it: the seed made it
 * a pure_initcall that rebuilds the zonelists and per-cpu pagesets, so everything here counts
 * the areas; 4.16 and 4.17-final have it a core_initcall that runs after
 * init_per_zone_wmark_min() (mm/cma.o links after mm/page_alloc.o; "mm: include CMA pages in
 * lowmem_reserve at boot" changed that later), so the boot watermarks, lowmem reserves and
 * per-cpu batches leave the areas out until khugepaged recomputes the watermarks.
 */
export function initWatermarks(st: BuddyState): void {
  if (!st.cmaMigratetype) cmaInitReservedAreas(st); // pure_initcall
  const totalPages = nrFreeZonePages(st, st.hooks.gfpZone(st, GFP_HIGHUSER_MOVABLE));
  st.pageGroupByMobilityDisabled = totalPages < PAGEBLOCK_NR_PAGES * MIGRATE_TYPES;
  resetPcpFast(st);
  st.services.log('info', `Built ${st.nrNodes} zonelists, mobility grouping ${st.pageGroupByMobilityDisabled ? 'off' : 'on'}.  Total pages: ${totalPages}`);
  setupPerCpuPageset(st);
  st.hooks.initPerZoneWmarkMin(st);
  if (st.cmaMigratetype) cmaInitReservedAreas(st); // core_initcall, after init_per_zone_wmark_min
  if (st.services.config.thp) setRecommendedMinFreeKbytes(st);
  const user = st.services.config.minFreeKbytes;
  if (user !== undefined) minFreeKbytesSysctlHandler(st, user);
}

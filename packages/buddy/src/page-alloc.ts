/**
 * The zoned buddy page allocator of Linux 4.17 (mm/page_alloc.c): allocation through the
 * zonelists with watermarks and lowmem reserves, migratetype fallback and pageblock stealing,
 * the MIGRATE_HIGHATOMIC reserve, per-cpu page lists, page state checks on free, boot memory,
 * and the vm sysctls that drive the watermarks (min_free_kbytes, watermark_scale_factor,
 * lowmem_reserve_ratio), with khugepaged's recommended min_free_kbytes.
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
  ERRNO,
  GFP_HIGHUSER_MOVABLE,
  GFP_USER,
  MAX_ORDER,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MIGRATE_UNMOVABLE,
  NO_PAGE,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_active,
  PG_head,
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
  PfnListSet,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
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
  gfpMigratetype,
  gfpZone,
  gfpflagsAllowBlocking,
  isHighmemIdx,
  type Gfp,
  type PageAllocator,
  type PageAllocatorFeatures,
  type PageAllocatorServices,
  type Zone,
  type ZoneLayoutConfig,
} from '@mmkit/core';
import { FALLBACKS, canStealFallback } from './fallback.js';
import { FreeAreas, freeListIndex } from './free-area.js';
import { pagesetHighBatch, pcpListIndex, zoneBatchsize } from './pcp.js';
import {
  DEFAULT_WATERMARK_SCALE_FACTOR,
  MIN_FREE_KBYTES_CEIL,
  MIN_FREE_KBYTES_FLOOR,
  intSqrt,
  recommendedMinFreeKbytes,
  zoneWatermarks,
} from './watermarks.js';
import { buildZonelists, type Zonelists } from './zonelist.js';

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

/** PAGE_ALLOC_COSTLY_ORDER. */
export const PAGE_ALLOC_COSTLY_ORDER = 3;

const INT_MAX = 0x7fffffff;

export class BuddyAllocator extends FreeAreas implements PageAllocator {
  readonly name: string = 'buddy';
  readonly supports: PageAllocatorFeatures = { pcp: true, highatomic: true };

  protected readonly zoneConfig: ZoneLayoutConfig;
  protected readonly nrZones: number;
  protected readonly nrNodes: number;
  protected readonly nrCpus: number;
  protected readonly pcpEnabled: boolean;
  /** The order each allocated block was handed out with, plus one (0 = not allocated): page_owner. */
  protected readonly allocOrder: Uint8Array;
  /** pcp->lists[migratetype] of every zone and CPU. */
  protected readonly pcpLists: PfnListSet;
  protected readonly zonelists: Zonelists;

  /** min_free_kbytes. */
  protected minFreeKbytesValue = 1024;
  /** user_min_free_kbytes: -1 until the sysctl is written. */
  protected userMinFreeKbytes = -1;
  /** watermark_scale_factor. */
  protected watermarkScaleFactorValue: number;
  /** sysctl_lowmem_reserve_ratio[]. */
  protected sysctlLowmemReserveRatio: number[];
  /** totalreserve_pages. */
  protected totalreservePagesValue = 0;
  /** page_group_by_mobility_disabled: too little memory to group pages by mobility. */
  protected pageGroupByMobilityDisabled = false;

  // struct alloc_context of the allocation in progress (fields, not an object per call).
  protected acZonelist: Int32Array;
  protected acHighZoneidx = 0;
  protected acMigratetype = MIGRATE_UNMOVABLE;
  /** ac->preferred_zoneref: zone number of the first usable zone, or -1. */
  protected acPreferredZone = -1;
  /** ac_classzone_idx(): zone_idx of the preferred zone. */
  protected acClasszoneIdx = 0;
  /** find_suitable_fallback()'s *can_steal output. */
  protected fallbackCanSteal = false;

  constructor(services: PageAllocatorServices) {
    super(services);
    const { layout, zones, pages, config } = services;
    this.zoneConfig = services.zoneConfig;
    this.nrZones = this.zoneConfig.nrZones;
    this.nrNodes = layout.nodes.length;
    this.nrCpus = services.sched.nrCpus;
    this.pcpEnabled = config.pcp;
    if (zones.length !== this.nrNodes * this.nrZones) {
      throw new RangeError(`expected ${this.nrNodes * this.nrZones} zones (nodes x MAX_NR_ZONES), got ${zones.length}`);
    }
    zones.forEach((zone, i) => {
      if (zone.zoneNum !== i) throw new RangeError(`zone ${zone.name} of node ${zone.nid} has zone number ${zone.zoneNum} at position ${i}`);
      if (zone.zoneEndPfn > pages.maxPfn) throw new RangeError(`zone ${zone.name} of node ${zone.nid} ends at pfn ${zone.zoneEndPfn}, beyond the memmap (${pages.maxPfn})`);
      if (zone.pageset.length !== this.nrCpus) throw new RangeError(`zone ${zone.name} has ${zone.pageset.length} pagesets for ${this.nrCpus} CPUs`);
    });
    this.allocOrder = new Uint8Array(pages.maxPfn);
    this.pcpLists = new PfnListSet(pages, zones.length * this.nrCpus * MIGRATE_PCPTYPES);
    this.zonelists = buildZonelists(layout, zones);
    this.acZonelist = this.zonelists.fallback[0] ?? new Int32Array(0);

    const wsf = config.watermarkScaleFactor ?? DEFAULT_WATERMARK_SCALE_FACTOR;
    if (!isIntIn(wsf, 1, 1000)) throw new RangeError(`watermark_scale_factor ${wsf} is outside [1, 1000]`);
    this.watermarkScaleFactorValue = wsf;
    const ratios = config.lowmemReserveRatio ?? this.lowmemReserveRatioDefaults();
    this.sysctlLowmemReserveRatio = [...this.lowmemReserveRatioDefaults()];
    if (!this.validLowmemReserveRatio(ratios)) {
      throw new RangeError(`lowmem_reserve_ratio needs ${this.sysctlLowmemReserveRatio.length} non-negative integers, got [${ratios.join(', ')}]`);
    }
    this.sysctlLowmemReserveRatio = [...ratios];
    if (config.minFreeKbytes !== undefined && !isIntIn(config.minFreeKbytes, 0, INT_MAX)) {
      throw new RangeError(`min_free_kbytes ${config.minFreeKbytes} is not a non-negative integer`);
    }
    this.memmapInit();
  }

  // ---------------------------------------------------------------------------------------
  // Boot

  /**
   * memmap_init_zone(): every page of every zone's span gets its zone link, a reference and
   * PG_reserved (until memblock hands it over); every pageblock starting in the zone is
   * MIGRATE_MOVABLE.
   */
  protected memmapInit(): void {
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

  /** setup_per_cpu_pageset() -> pageset_set_high_and_batch(): batch and high from zone_batchsize(). */
  protected setupPerCpuPageset(): void {
    for (const zone of this.zoneByNum) {
      const { high, batch } = pagesetHighBatch(this.zoneBatchsize(zone));
      for (const pcp of zone.pageset) {
        pcp.high = high;
        pcp.batch = batch;
      }
    }
  }

  /** zone_batchsize(). */
  protected zoneBatchsize(zone: Zone): number {
    return zoneBatchsize(zone.managedPages);
  }

  // ---------------------------------------------------------------------------------------
  // Watermarks, reserves and their sysctls

  /** gfp_zone(). */
  protected gfpZone(gfp: Gfp): number {
    return gfpZone(gfp, this.zoneConfig);
  }

  /**
   * nr_free_zone_pages(): pages above the high watermark in the zones of the current node's
   * fallback zonelist up to zone index `offset`.
   */
  protected nrFreeZonePages(offset: number): number {
    const zl = this.zonelists.fallback[this.cpuToNode(this.services.sched.currentCpu)] ?? new Int32Array(0);
    let sum = 0;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx > offset) continue;
      const size = zone.managedPages;
      const high = zone.watermark[WMARK_HIGH];
      if (size > high) sum += size - high;
    }
    return sum;
  }

  /** nr_free_buffer_pages(): nr_free_zone_pages(gfp_zone(GFP_USER)). */
  protected nrFreeBufferPages(): number {
    return this.nrFreeZonePages(this.gfpZone(GFP_USER));
  }

  /**
   * init_per_zone_wmark_min(): min_free_kbytes = int_sqrt(lowmem_kbytes * 16) in [128, 65536]
   * unless the user's value is larger, then the watermarks and the lowmem reserves.
   */
  protected initPerZoneWmarkMin(): void {
    const lowmemKbytes = this.nrFreeBufferPages() * 4;
    const computed = intSqrt(lowmemKbytes * 16);
    if (computed > this.userMinFreeKbytes) {
      this.minFreeKbytesValue = Math.min(MIN_FREE_KBYTES_CEIL, Math.max(MIN_FREE_KBYTES_FLOOR, computed));
    } else {
      this.services.log(
        'warn',
        `min_free_kbytes is not updated to ${computed} because user defined value ${this.userMinFreeKbytes} is preferred`,
      );
    }
    this.setupPerZoneWmarks();
    this.setupPerZoneLowmemReserve();
  }

  /**
   * setup_per_zone_wmarks() (__setup_per_zone_wmarks() of 4.17): pages_min shared among the
   * lowmem zones by managed pages; highmem zones get a small fixed min; low and high sit
   * max(min/4, managed * watermark_scale_factor / 10000) and twice that above min.
   */
  protected setupPerZoneWmarks(): void {
    let lowmemPages = 0;
    for (const zone of this.zoneByNum) if (!isHighmemIdx(this.zoneConfig, zone.idx)) lowmemPages += zone.managedPages;
    for (const zone of this.zoneByNum) {
      const w = zoneWatermarks(
        zone.managedPages,
        this.minFreeKbytesValue,
        lowmemPages,
        isHighmemIdx(this.zoneConfig, zone.idx),
        this.watermarkScaleFactorValue,
      );
      zone.watermark[WMARK_MIN] = w.min;
      zone.watermark[WMARK_LOW] = w.low;
      zone.watermark[WMARK_HIGH] = w.high;
    }
    this.calculateTotalreservePages();
  }

  /** recommended_min_free_kbytes counts this populated zone (4.17: not above gfp_zone(GFP_USER), so not ZONE_MOVABLE). */
  protected recommendedMinFreeZone(zone: Zone): boolean {
    return zone.idx <= this.gfpZone(GFP_USER);
  }

  /**
   * khugepaged's set_recommended_min_free_kbytes(): enough free pageblocks for fragmentation
   * avoidance (see recommendedMinFreeKbytes()), raising min_free_kbytes only; then the
   * watermarks.
   */
  protected setRecommendedMinFreeKbytes(): void {
    let nrZones = 0;
    for (const zone of this.zoneByNum) {
      if (!zone.populated) continue; // for_each_populated_zone
      if (!this.recommendedMinFreeZone(zone)) continue;
      nrZones++;
    }
    const recommended = recommendedMinFreeKbytes(nrZones, this.nrFreeBufferPages());
    if (recommended > this.minFreeKbytesValue) {
      if (this.userMinFreeKbytes >= 0) {
        this.services.log('info', `raising min_free_kbytes from ${this.minFreeKbytesValue} to ${recommended} to help transparent hugepage allocations`);
      }
      this.minFreeKbytesValue = recommended;
    }
    this.setupPerZoneWmarks();
  }

  /** sysctl_lowmem_reserve_ratio[] of 4.17: MAX_NR_ZONES entries, 256 for DMA and DMA32, 32 for Normal, 0 above. */
  protected lowmemReserveRatioDefaults(): number[] {
    const c = this.zoneConfig;
    const ratio = new Array<number>(c.nrZones).fill(0);
    if (c.DMA >= 0) ratio[c.DMA] = 256;
    if (c.DMA32 >= 0) ratio[c.DMA32] = 256;
    ratio[c.NORMAL] = 32;
    if (c.HIGHMEM >= 0) ratio[c.HIGHMEM] = 0;
    if (c.MOVABLE >= 0) ratio[c.MOVABLE] = 0;
    return ratio;
  }

  /**
   * setup_per_zone_lowmem_reserve() (4.17): a lower zone keeps back, from allocations that
   * could have used zone j, the managed pages of zone j and the zones between divided by the
   * lower zone's ratio; a ratio below 1 means no reserve (and reads back as 0).
   */
  protected setupPerZoneLowmemReserve(): void {
    const ratio = this.sysctlLowmemReserveRatio;
    for (let nid = 0; nid < this.nrNodes; nid++) {
      const base = nid * this.nrZones;
      for (let j = 0; j < this.nrZones; j++) {
        const zone = this.zoneByNum[base + j];
        let managed = zone.managedPages;
        zone.lowmemReserve[j] = 0;
        let idx = j;
        while (idx) {
          idx--;
          const lower = this.zoneByNum[base + idx];
          if (ratio[idx] < 1) {
            ratio[idx] = 0;
            lower.lowmemReserve[j] = 0;
          } else {
            lower.lowmemReserve[j] = Math.floor(managed / ratio[idx]);
          }
          managed += lower.managedPages;
        }
      }
    }
    this.calculateTotalreservePages();
  }

  /** calculate_totalreserve_pages(): per zone the largest reserve above it plus its high watermark, at most its managed pages. */
  protected calculateTotalreservePages(): void {
    let total = 0;
    for (const zone of this.zoneByNum) {
      let max = 0;
      for (let j = zone.idx; j < this.nrZones; j++) if (zone.lowmemReserve[j] > max) max = zone.lowmemReserve[j];
      max += zone.watermark[WMARK_HIGH];
      if (max > zone.managedPages) max = zone.managedPages;
      total += max;
    }
    this.totalreservePagesValue = total;
  }

  totalreservePages(): number {
    return this.totalreservePagesValue;
  }

  get minFreeKbytes(): number {
    return this.minFreeKbytesValue;
  }

  get watermarkScaleFactor(): number {
    return this.watermarkScaleFactorValue;
  }

  get lowmemReserveRatio(): readonly number[] {
    return this.sysctlLowmemReserveRatio.slice();
  }

  /** min_free_kbytes_sysctl_handler(). */
  setMinFreeKbytes(kbytes: number): number {
    if (!isIntIn(kbytes, 0, INT_MAX)) return -ERRNO.EINVAL;
    this.minFreeKbytesValue = kbytes;
    this.userMinFreeKbytes = kbytes;
    this.setupPerZoneWmarks();
    return 0;
  }

  /** watermark_scale_factor_sysctl_handler(): [1, 1000]. */
  setWatermarkScaleFactor(factor: number): number {
    if (!isIntIn(factor, 1, 1000)) return -ERRNO.EINVAL;
    this.watermarkScaleFactorValue = factor;
    this.setupPerZoneWmarks();
    return 0;
  }

  /** lowmem_reserve_ratio_sysctl_handler(). */
  setLowmemReserveRatio(ratios: readonly number[]): number {
    if (!this.validLowmemReserveRatio(ratios)) return -ERRNO.EINVAL;
    for (let i = 0; i < ratios.length; i++) this.sysctlLowmemReserveRatio[i] = ratios[i];
    this.setupPerZoneLowmemReserve();
    return 0;
  }

  protected validLowmemReserveRatio(ratios: readonly number[]): boolean {
    const list: unknown = ratios;
    return Array.isArray(list) && list.length === this.sysctlLowmemReserveRatio.length && list.every((r: unknown) => isIntIn(r, -INT_MAX - 1, INT_MAX)); // proc_dointvec takes any int; < 1 becomes 0
  }

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

  // ---------------------------------------------------------------------------------------
  // Allocation

  /** cpu_to_node(), as the kernel maps CPUs to nodes. */
  protected cpuToNode(cpu: number): number {
    return this.services.cpuToNode(cpu);
  }

  /** gfpflags_to_migratetype() (everything is unmovable when grouping by mobility is off). */
  protected gfpflagsToMigratetype(gfp: Gfp): number {
    const mt = gfpMigratetype(gfp);
    return this.pageGroupByMobilityDisabled ? MIGRATE_UNMOVABLE : mt;
  }

  /** set_pageblock_migratetype(). */
  protected setPageblockMigratetype(pfn: number, mt: number): void {
    if (this.pageGroupByMobilityDisabled && mt < MIGRATE_PCPTYPES) mt = MIGRATE_UNMOVABLE;
    this.pages.setPageblockMigratetype(pfn, mt);
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
  protected __rmqueue(zone: Zone, order: number, migratetype: number): number {
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

  /** can_steal_fallback(). */
  protected canStealFallback(order: number, startMt: number): boolean {
    return canStealFallback(order, startMt, this.pageGroupByMobilityDisabled);
  }

  /**
   * find_suitable_fallback(): the first type in fallbacks[migratetype] with a free block of
   * exactly `order`, or -1; this.fallbackCanSteal tells whether the whole pageblock may be taken.
   */
  protected findSuitableFallback(zone: Zone, order: number, migratetype: number, onlyStealable: boolean): number {
    if (zone.nrFree[order] === 0) return -1;
    this.fallbackCanSteal = false;
    const fallbacks = FALLBACKS[migratetype];
    for (let i = 0; ; i++) {
      const fallbackMt = fallbacks[i];
      if (fallbackMt === MIGRATE_TYPES) break;
      if (this.freeLists.isEmpty(freeListIndex(zone.zoneNum, order, fallbackMt))) continue;
      if (this.canStealFallback(order, migratetype)) this.fallbackCanSteal = true;
      if (!onlyStealable) return fallbackMt;
      if (this.fallbackCanSteal) return fallbackMt;
    }
    return -1;
  }

  /**
   * __rmqueue_fallback(): take the largest free block of a fallback type (approximating the
   * pageblock with the most free pages); a movable allocation that may not steal the whole
   * block splits the smallest one instead. The block (or its pageblock) moves to the
   * allocation's type; the caller then retries its own lists.
   */
  protected __rmqueueFallback(zone: Zone, order: number, startMigratetype: number): boolean {
    let current = MAX_ORDER - 1;
    let fallbackMt = -1;
    for (; current >= order; current--) {
      fallbackMt = this.findSuitableFallback(zone, current, startMigratetype, false);
      if (fallbackMt === -1) continue;
      if (!this.fallbackCanSteal && startMigratetype === MIGRATE_MOVABLE && current > order) {
        // find_smallest:
        for (current = order; current < MAX_ORDER; current++) {
          fallbackMt = this.findSuitableFallback(zone, current, startMigratetype, false);
          if (fallbackMt !== -1) break;
        }
        if (current === MAX_ORDER) throw new Error('kernel BUG: __rmqueue_fallback found a fallback block and then none');
      }
      // do_steal:
      const pfn = this.freeLists.first(freeListIndex(zone.zoneNum, current, fallbackMt));
      this.stealSuitableFallback(zone, pfn, startMigratetype, this.fallbackCanSteal);
      return true;
    }
    return false;
  }

  /**
   * steal_suitable_fallback(): claim the whole pageblock (move all its free blocks, and
   * change its type when at least half of it is free or holds pages like ours) or only this
   * block. Highatomic pageblocks are never claimed; blocks of a pageblock or more change the
   * type of all their pageblocks.
   */
  protected stealSuitableFallback(zone: Zone, pfn: number, startType: number, wholeBlock: boolean): void {
    const currentOrder = this.pages.private[pfn];
    const oldBlockType = this.pages.getPageblockMigratetype(pfn);
    single: {
      if (oldBlockType === MIGRATE_HIGHATOMIC) break single;
      if (currentOrder >= PAGEBLOCK_ORDER) {
        this.changePageblockRange(pfn, currentOrder, startType);
        break single;
      }
      if (!wholeBlock) break single;
      const freePages = this.moveFreepagesBlock(zone, pfn, startType, true);
      const movablePages = this.lastNumMovable;
      let alikePages: number;
      if (startType === MIGRATE_MOVABLE) alikePages = movablePages;
      else if (oldBlockType === MIGRATE_MOVABLE) alikePages = PAGEBLOCK_NR_PAGES - (freePages + movablePages);
      else alikePages = 0;
      if (!freePages) break single; // moving the whole block can fail at a zone boundary
      if (freePages + alikePages >= 1 << (PAGEBLOCK_ORDER - 1) || this.pageGroupByMobilityDisabled) {
        this.setPageblockMigratetype(pfn, startType);
      }
      return;
    }
    this.moveToFreeList(zone, pfn, currentOrder, startType);
  }

  /** change_pageblock_range(). */
  protected changePageblockRange(pfn: number, startOrder: number, mt: number): void {
    for (let n = 1 << (startOrder - PAGEBLOCK_ORDER); n > 0; n--, pfn += PAGEBLOCK_NR_PAGES) this.setPageblockMigratetype(pfn, mt);
  }

  /**
   * reserve_highatomic_pageblock(): after a high-order ALLOC_HARDER allocation, turn its
   * pageblock into MIGRATE_HIGHATOMIC, up to about 1% of the zone plus one pageblock.
   */
  protected reserveHighatomicPageblock(pfn: number, zone: Zone, _order: number): void {
    const maxManaged = Math.floor(zone.managedPages / 100) + PAGEBLOCK_NR_PAGES;
    if (zone.nrReservedHighatomic >= maxManaged) return;
    const mt = this.pages.getPageblockMigratetype(pfn);
    if (mt !== MIGRATE_HIGHATOMIC && mt !== MIGRATE_ISOLATE && mt !== MIGRATE_CMA) {
      zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
      this.setPageblockMigratetype(pfn, MIGRATE_HIGHATOMIC);
      this.moveFreepagesBlock(zone, pfn, MIGRATE_HIGHATOMIC, false);
    }
  }

  /**
   * unreserve_highatomic_pageblock(): give one highatomic pageblock of the allocation's
   * zonelist back to the allocation's migratetype (keeping one per zone unless forced).
   */
  protected unreserveHighatomicPageblock(force: boolean): boolean {
    const zl = this.acZonelist;
    for (let i = 0; i < zl.length; i++) {
      const zone = this.zoneByNum[zl[i]];
      if (zone.idx > this.acHighZoneidx) continue;
      if (!force && zone.nrReservedHighatomic <= PAGEBLOCK_NR_PAGES) continue;
      for (let order = 0; order < MAX_ORDER; order++) {
        const pfn = this.freeLists.first(freeListIndex(zone.zoneNum, order, MIGRATE_HIGHATOMIC));
        if (pfn === -1) continue;
        if (this.pages.getPageblockMigratetype(pfn) === MIGRATE_HIGHATOMIC) {
          zone.nrReservedHighatomic -= Math.min(PAGEBLOCK_NR_PAGES, zone.nrReservedHighatomic);
        }
        this.setPageblockMigratetype(pfn, this.acMigratetype);
        if (this.moveFreepagesBlock(zone, pfn, this.acMigratetype, false)) return true;
      }
    }
    return false;
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

  // ---------------------------------------------------------------------------------------
  // Per-cpu lists

  /** __rmqueue_pcplist(): refill the CPU's list of this type with a batch when it is empty. */
  protected rmqueuePcplist(zone: Zone, migratetype: number): number {
    const cpu = this.services.sched.currentCpu;
    const pcp = zone.pageset[cpu];
    const list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, migratetype);
    if (this.pcpLists.isEmpty(list)) {
      const got = this.rmqueueBulk(zone, 0, pcp.batch, list, migratetype);
      pcp.count += got;
      zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype] += got;
      if (got === 0) return NO_PAGE;
    }
    const pfn = this.pcpLists.popHead(list);
    pcp.count--;
    zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype]--;
    return pfn;
  }

  /** rmqueue_bulk(): up to `count` blocks onto a per-cpu list, in physical order (list_add_tail). */
  protected rmqueueBulk(zone: Zone, order: number, count: number, list: number, migratetype: number): number {
    let i = 0;
    for (; i < count; i++) {
      const pfn = this.__rmqueue(zone, order, migratetype);
      if (pfn === NO_PAGE) break;
      this.pcpLists.addTail(list, pfn);
    }
    return i;
  }

  /**
   * free_unref_page(): an order-0 page goes on the CPU's list of its pageblock's type
   * (highatomic and CMA pages on the movable list, isolated pages straight to the buddy
   * lists); a full list (count >= high) gives a batch back.
   */
  protected freeUnrefPage(zone: Zone, pfn: number): void {
    let mt = this.pages.getPageblockMigratetype(pfn);
    this.listMigratetype[pfn] = mt; // set_pcppage_migratetype()
    if (mt >= MIGRATE_PCPTYPES) {
      if (mt === MIGRATE_ISOLATE) {
        this.freeOnePage(zone, pfn, 0, mt);
        return;
      }
      mt = MIGRATE_MOVABLE;
    }
    const cpu = this.services.sched.currentCpu;
    const pcp = zone.pageset[cpu];
    this.pcpLists.addHead(pcpListIndex(zone.zoneNum, this.nrCpus, cpu, mt), pfn);
    pcp.count++;
    zone.pcpCount[cpu * MIGRATE_PCPTYPES + mt]++;
    if (pcp.count >= pcp.high) this.freePcppagesBulk(zone, pcp.batch, cpu);
  }

  /**
   * free_pcppages_bulk(): give `count` pages of a CPU's lists back to the buddy lists, taking
   * them round-robin from the lists (more from fuller ones), oldest first.
   */
  protected freePcppagesBulk(zone: Zone, count: number, cpu: number): void {
    const pcp = zone.pageset[cpu];
    const lists = this.pcpLists;
    count = Math.min(count, pcp.count);
    let migratetype = 0;
    let batchFree = 0;
    while (count > 0) {
      let list: number;
      do {
        batchFree++;
        if (++migratetype === MIGRATE_PCPTYPES) migratetype = 0;
        list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, migratetype);
      } while (lists.isEmpty(list));
      // This is the only non-empty list. Free them all.
      if (batchFree === MIGRATE_PCPTYPES) batchFree = count;
      do {
        const pfn = lists.last(list);
        lists.remove(list, pfn);
        pcp.count--;
        zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype]--;
        let mt = this.listMigratetype[pfn];
        // The pageblock could have been isolated meanwhile.
        if (this.pages.getPageblockMigratetype(pfn) === MIGRATE_ISOLATE) mt = MIGRATE_ISOLATE;
        this.__freeOneBlock(zone, pfn, 0, mt);
      } while (--count > 0 && --batchFree > 0 && !lists.isEmpty(list));
    }
  }

  /** drain_all_pages(NULL): every CPU's lists of every zone back to the buddy lists. */
  drainAllPages(): void {
    for (const zone of this.zoneByNum) {
      for (let cpu = 0; cpu < this.nrCpus; cpu++) {
        const count = zone.pageset[cpu].count;
        if (count > 0) this.freePcppagesBulk(zone, count, cpu);
      }
    }
  }

  forEachPcpPage(visit: (zone: Zone, cpu: number, pfn: number) => void): void {
    for (const zone of this.zoneByNum) {
      for (let cpu = 0; cpu < this.nrCpus; cpu++) {
        for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
          const list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, mt);
          for (let pfn = this.pcpLists.first(list); pfn !== -1; ) {
            const next = this.pcpLists.next(pfn);
            visit(zone, cpu, pfn);
            pfn = next;
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Freeing

  /**
   * __free_pages(): drop a reference; the last one frees the block after the checks of
   * free_pages_prepare(). A bad free is reported through badPage() and changes nothing.
   */
  freePages(pfn: number, order: number): void {
    const pages = this.pages;
    if (!pages.validPfn(pfn)) return this.badPage(pfn, `freeing pfn ${pfn}, which is outside the memmap (pfn_valid() fails)`);
    const zone = this.pageZone(pfn);
    if (!zone) return this.badPage(pfn, 'freeing a page that belongs to no zone');
    if (!(Number.isInteger(order) && order >= 0 && order < MAX_ORDER)) {
      return this.badPage(pfn, `freed with order ${order}, which is not an order (0..${MAX_ORDER - 1})`);
    }
    if (pages.testFlag(pfn, PG_tail)) return this.badPage(pfn, 'freeing a tail page (PageTail): free the compound head');
    if (pages.isBuddy(pfn) || pages.refcount[pfn] <= 0) {
      return this.badPage(pfn, 'VM_BUG_ON_PAGE(page_ref_count(page) == 0): freeing a page that is already free');
    }
    const allocated = this.allocOrder[pfn];
    if (allocated !== 0 && allocated !== order + 1) return this.badPage(pfn, `freed with order ${order}, allocated with order ${allocated - 1}`);
    if (pfn + (1 << order) > zone.zoneEndPfn || (pfn & ((1 << order) - 1)) !== 0) {
      return this.badPage(pfn, `freed with order ${order}, but pfn ${pfn} is not the start of an order-${order} block of its zone`);
    }
    // put_page_testzero()
    if (pages.refcount[pfn] > 1) {
      pages.refcount[pfn]--;
      return;
    }
    const reason = this.freePagesCheck(pfn, order, allocated === 0);
    if (reason !== null) return this.badPage(pfn, reason);
    this.freePagesPrepare(pfn, order);
    if (order === 0 && this.pcpEnabled) this.freeUnrefPage(zone, pfn);
    else this.freeOnePage(zone, pfn, order, pages.getPageblockMigratetype(pfn));
  }

  /**
   * free_pages_check() of the head and of every other page of the block (the reference the
   * caller drops is the head's last one). Returns bad_page()'s reason, or null.
   */
  protected freePagesCheck(pfn: number, order: number, notAllocated: boolean): string | null {
    const pages = this.pages;
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
    return null;
  }

  /** free_pages_prepare(): drop the last reference and the flags (PAGE_FLAGS_CHECK_AT_PREP), undo the compound page. */
  protected freePagesPrepare(pfn: number, order: number): void {
    this.pages.refcount[pfn] = 0;
    this.pages.flags.fill(0, pfn, pfn + (1 << order));
    this.allocOrder[pfn] = 0;
  }

  /** free_one_page(): an isolated pageblock's pages go back to the isolate list. */
  protected freeOnePage(zone: Zone, pfn: number, order: number, migratetype: number): void {
    if (migratetype === MIGRATE_ISOLATE) migratetype = this.pages.getPageblockMigratetype(pfn);
    this.__freeOneBlock(zone, pfn, order, migratetype);
  }

  /** bad_page(): report, and leave the page alone. */
  protected badPage(pfn: number, reason: string): void {
    this.services.badPage(pfn, reason);
  }

  /** The order a page was allocated with, or -1 (page_owner's record). */
  allocatedOrder(pfn: number): number {
    return this.pages.validPfn(pfn) ? this.allocOrder[pfn] - 1 : -1;
  }
}

/** True for an integer in [lo, hi]. */
function isIntIn(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}


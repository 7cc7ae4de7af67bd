/**
 * The page allocator's state beyond the free lists (mm/page_alloc.c, 4.17): the zone layout,
 * the per-cpu lists, the zonelists, page_owner's record of allocation orders, the values of
 * the vm sysctls (min_free_kbytes, watermark_scale_factor, lowmem_reserve_ratio),
 * page_group_by_mobility_disabled and struct alloc_context of the allocation in progress; the
 * constructor that checks and sets it up; and the small helpers every path uses (gfp_zone(),
 * cpu_to_node(), gfpflags_to_migratetype(), set_pageblock_migratetype()).
 *
 * The concerns of the allocator are stacked on this base, one class each, ending in
 * BuddyAllocator: WatermarkSetup, PerCpuPages, FreePages, BootMem, RmqueueFallback,
 * HighatomicReserve, BuddyAllocator. A member one of them calls before the class that
 * defines it is declared abstract where it is called.
 */
import {
  MIGRATE_PCPTYPES,
  MIGRATE_UNMOVABLE,
  PfnListSet,
  gfpMigratetype,
  gfpZone,
  type Gfp,
  type PageAllocatorServices,
  type ZoneLayoutConfig,
} from '@mmkit/core';
import { FreeAreas } from './free-area.js';
import { DEFAULT_WATERMARK_SCALE_FACTOR } from './watermarks.js';
import { buildZonelists, type Zonelists } from './zonelist.js';

/** INT_MAX: the largest value of a C int sysctl. */
export const INT_MAX = 0x7fffffff;

export abstract class PageAllocState extends FreeAreas {
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

  /** memmap_init_zone(): BootMem (bootmem.ts). */
  protected abstract memmapInit(): void;

  /** sysctl_lowmem_reserve_ratio[]'s defaults: WatermarkSetup (watermark-setup.ts). */
  protected abstract lowmemReserveRatioDefaults(): number[];

  /** The check of a lowmem_reserve_ratio value: WatermarkSetup (watermark-setup.ts). */
  protected abstract validLowmemReserveRatio(ratios: readonly number[]): boolean;

  /** gfp_zone(). */
  protected gfpZone(gfp: Gfp): number {
    return gfpZone(gfp, this.zoneConfig);
  }

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
}

/** True for an integer in [lo, hi]. */
export function isIntIn(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

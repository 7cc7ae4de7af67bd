/**
 * The page allocator's state (mm/page_alloc.c, 4.17), in one place: the free lists of every
 * zone (struct free_area), the per-cpu lists (struct per_cpu_pages), the zonelists, the values
 * of the vm sysctls, page_group_by_mobility_disabled, the struct alloc_context of the
 * allocation in progress, and the resolved hook table.
 *
 * Fields only: every mechanism is a function over this state in a module named after it, and
 * the constructor calls no hook (the factory runs the initialisation steps once the state
 * exists). Per-page state lives in core's PageStore, the allocator's own per-page extras (the
 * migratetype of the list a free page is on, page_owner's allocation order) in the bits of
 * page->flags left to it (page-extras.ts): nothing here is an array or an object per page.
 */
import {
  MAX_ORDER,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MIGRATE_UNMOVABLE,
  PfnListSet,
  TopOrderListSet,
  type MigrateType,
  type PageAllocatorServices,
  type PageStore,
  type Zone,
  type ZoneIndex,
  type ZoneLayoutConfig,
} from '@mmkit/core';
// free-area.ts and per-cpu-pages.ts import this module too: none reads another's bindings while it loads.
import { createFreeAreaPaths, type FreeAreaPaths } from './free-area.js';
import { createPcpBulkPaths, type PcpBulkPaths } from './per-cpu-pages.js';
import type { BuddyHooks } from './hooks.js';
import { DEFAULT_WATERMARK_SCALE_FACTOR } from './watermarks.js';
import { buildZonelists, type Zonelists } from './zonelist.js';

/**
 * One more than the most zones the buddy allocator takes (its zone numbers stay below 255, the
 * bound of the 8-bit page_zonenum encoding struct page had before issue 12; core's zoneNumOf()
 * answers core's NO_ZONE, -1, for a pfn in no zone, and its per-pageblock table would allow
 * more zones).
 */
export const NO_ZONE = 255;

/** INT_MAX: the largest value of a C int sysctl. */
export const INT_MAX = 0x7fffffff;

/**
 * struct alloc_context: what __alloc_pages_nodemask() works out once and every step of the
 * allocation reads. Linux keeps it on the stack; here one is preallocated per allocator and
 * passed explicitly to the functions that read it (no object per allocation).
 */
export interface AllocContext {
  /** ac->zonelist: zone numbers (nid * MAX_NR_ZONES + zone_idx), in fallback order. */
  zonelist: Int32Array;
  /** ac->high_zoneidx: gfp_zone(). */
  highZoneidx: ZoneIndex;
  /** ac->migratetype: gfpflags_to_migratetype(). */
  migratetype: MigrateType;
  /** ac->preferred_zoneref: zone number of the first usable zone, or -1. */
  preferredZone: number;
  /** ac_classzone_idx(): zone_idx of the preferred zone. */
  classzoneIdx: ZoneIndex;
}

export class BuddyState {
  readonly services: PageAllocatorServices;
  readonly hooks: BuddyHooks;
  readonly pages: PageStore;
  readonly zoneConfig: ZoneLayoutConfig;
  /** Zones by page_zonenum (nid * MAX_NR_ZONES + zone_idx): services.zones. */
  readonly zoneByNum: readonly Zone[];
  readonly nrZones: number;
  readonly nrNodes: number;
  readonly nrCpus: number;
  readonly pcpEnabled: boolean;
  /** services.sched: the current CPU (smp_processor_id()) is read from it on the hot paths. */
  readonly sched: PageAllocatorServices['sched'];
  /**
   * cpu_to_node() of every CPU, looked up once at creation (numa_mem_id() on the allocation
   * path reads it; the CPU-to-node map does not change while the machine runs).
   */
  readonly cpuNode: Int32Array;
  /**
   * Element 0 nonzero while should_fail_alloc_page() may fail a call (services.failAllocArmed:
   * fail_page_alloc armed): the allocation path tests it before calling shouldFailAlloc(), so
   * fault injection that is off costs one branch. Always 1 when the services give no such flag.
   */
  readonly failAllocArmed: Uint8Array;
  /**
   * CONFIG_DEBUG_VM (services.debug.vm): VM_BUG_ON_PAGE() checks on the free path, and the
   * per-cpu pages checked when freed to and allocated from a list instead of when the list is
   * drained and refilled. Read once at creation: one branch per call on the hot paths.
   */
  readonly debugVm: boolean;
  /**
   * The migratetype CMA policy (4.16, 4.17-final): a watermark check without ALLOC_CMA leaves
   * the free CMA pages out. False under the seed's zone-movable policy (no ALLOC_CMA).
   */
  readonly cmaMigratetype: boolean;

  /** zone->free_area[order].free_list[migratetype] of every zone (freeListIndex()). */
  readonly freeLists: PfnListSet;
  /**
   * The links of freeLists' lists of order MAX_ORDER - 1 (TOP_ORDER), kept per 4 MiB block in
   * core's PageStore.topBlock, so boot's memblock_free_all() writes no per-page struct page for
   * the blocks it frees whole. Same heads, tails and lengths as freeLists: add, remove and walk
   * a top-order list through this set (free-area.ts), read it through either.
   */
  readonly topFreeLists: TopOrderListSet;
  /** The mechanisms on the free lists, as closures over pages and the list sets (free-area.ts). */
  readonly freeArea: FreeAreaPaths;
  /** rmqueue_bulk() and free_pcppages_bulk(), as closures over the arrays they touch (per-cpu-pages.ts). */
  readonly pcpBulk: PcpBulkPaths;
  /** pcp->lists[migratetype] of every zone and CPU (pcpListIndex()). */
  readonly pcpLists: PfnListSet;
  readonly zonelists: Zonelists;

  /** min_free_kbytes. */
  minFreeKbytes = 1024;
  /** user_min_free_kbytes: -1 until the sysctl is written. */
  userMinFreeKbytes = -1;
  /** watermark_scale_factor. */
  watermarkScaleFactor = DEFAULT_WATERMARK_SCALE_FACTOR;
  /** sysctl_lowmem_reserve_ratio[] (filled in by the factory from the lowmemReserveRatioDefaults hook). */
  lowmemReserveRatio: number[] = [];
  /** totalreserve_pages. */
  totalreservePages = 0;
  /** page_group_by_mobility_disabled: too little memory to group pages by mobility. */
  pageGroupByMobilityDisabled = false;

  /**
   * The order-0 per-cpu fast path's answers (pcp-fast-path.ts), PCP_FAST
   * integers per CPU: the gfp they are for (-1: none yet), the preferred zone's number, its
   * per-cpu list of this CPU for the gfp's migratetype, and that migratetype. What
   * __alloc_pages_nodemask() works out from the gfp and the CPU's node each time, asked once
   * per CPU and gfp; empty (and never used) when the path cannot be taken: no pcp,
   * CONFIG_DEBUG_VM, or a gfpZone or zoneWatermarkFast hook of a variant.
   */
  readonly pcpFast: Int32Array;
  /** Whether the order-0 per-cpu fast paths may run (see pcpFast). */
  readonly pcpFastOn: boolean;

  /** The struct alloc_context of the allocation in progress. */
  readonly ac: AllocContext;

  /** defaultZoneHooks: the gfpZone and zoneWatermarkFast hooks are 4.17's (the order-0 per-cpu fast paths need them). */
  constructor(services: PageAllocatorServices, hooks: BuddyHooks, defaultZoneHooks = false) {
    const { layout, zones, pages, config } = services;
    this.services = services;
    this.hooks = hooks;
    this.pages = pages;
    this.zoneConfig = services.zoneConfig;
    this.zoneByNum = zones;
    this.nrZones = this.zoneConfig.nrZones;
    this.nrNodes = layout.nodes.length;
    this.nrCpus = services.sched.nrCpus;
    this.pcpEnabled = config.pcp;
    this.sched = services.sched;
    this.cpuNode = new Int32Array(this.nrCpus);
    for (let cpu = 0; cpu < this.nrCpus; cpu++) {
      const nid = services.cpuToNode(cpu);
      if (!(Number.isInteger(nid) && nid >= 0 && nid < this.nrNodes)) throw new RangeError(`cpu_to_node(${cpu}) is ${nid}, which is no node`);
      this.cpuNode[cpu] = nid;
    }
    this.failAllocArmed = services.failAllocArmed ?? Uint8Array.of(1);
    this.debugVm = services.debug.vm;
    this.cmaMigratetype = config.cmaPolicy === 'migratetype';
    if (zones.length >= NO_ZONE) throw new RangeError(`${zones.length} zones do not fit page_zonenum's encoding`);
    if (zones.length !== this.nrNodes * this.nrZones) {
      throw new RangeError(`expected ${this.nrNodes * this.nrZones} zones (nodes x MAX_NR_ZONES), got ${zones.length}`);
    }
    zones.forEach((zone, i) => {
      if (zone.zoneNum !== i) throw new RangeError(`zone ${zone.name} of node ${zone.nid} has zone number ${zone.zoneNum} at position ${i}`);
      if (zone.zoneEndPfn > pages.maxPfn) throw new RangeError(`zone ${zone.name} of node ${zone.nid} ends at pfn ${zone.zoneEndPfn}, beyond the memmap (${pages.maxPfn})`);
      if (zone.pageset.length !== this.nrCpus) throw new RangeError(`zone ${zone.name} has ${zone.pageset.length} pagesets for ${this.nrCpus} CPUs`);
    });
    this.freeLists = new PfnListSet(pages, zones.length * MAX_ORDER * MIGRATE_TYPES);
    this.topFreeLists = new TopOrderListSet(pages, this.freeLists);
    this.freeArea = createFreeAreaPaths(this);
    this.pcpLists = new PfnListSet(pages, zones.length * this.nrCpus * MIGRATE_PCPTYPES);
    this.pcpBulk = createPcpBulkPaths(this);
    this.zonelists = buildZonelists(layout, zones);
    this.pcpFastOn = this.pcpEnabled && !this.debugVm && defaultZoneHooks;
    // On an ArrayBuffer of its own, off V8's heap (see the kernel's FaultAttr.armed): the fast path's code reads it at a fixed address.
    this.pcpFast = new Int32Array(new ArrayBuffer(this.pcpFastOn ? this.nrCpus * PCP_FAST * 4 : 0)).fill(-1);
    this.ac = {
      zonelist: this.zonelists.fallback[0] ?? new Int32Array(0),
      highZoneidx: 0,
      migratetype: MIGRATE_UNMOVABLE,
      preferredZone: -1,
      classzoneIdx: 0,
    };
  }
}

/** BuddyState.pcpFast: integers per CPU, and their places. */
export const PCP_FAST = 4;
export const PCP_FAST_GFP = 0;
export const PCP_FAST_ZONE = 1;
export const PCP_FAST_LIST = 2;
export const PCP_FAST_MT = 3;

/** The list of zone->free_area[order].free_list[migratetype] in BuddyState.freeLists. */
export function freeListIndex(zoneNum: number, order: number, migratetype: MigrateType): number {
  return (zoneNum * MAX_ORDER + order) * MIGRATE_TYPES + migratetype;
}

/** True for an integer in [lo, hi]. */
export function isIntIn(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

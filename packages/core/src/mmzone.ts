/**
 * Zones, orders and pageblocks (include/linux/mmzone.h, 4.17).
 *
 * As in Linux, a zone's index (zone_idx) depends on the configuration: x86-64 has
 * DMA, DMA32, Normal, Movable, Device; a 32-bit x86 kernel with CONFIG_HIGHMEM has
 * DMA, Normal, HighMem, Movable. A ZoneLayoutConfig carries those indexes (-1 for a zone the
 * configuration lacks), MAX_NR_ZONES and the GFP_ZONE_TABLE built for it.
 */
import { buildGfpZoneTable } from './gfp.js';

export * from './migratetype.js';

/** MAX_ORDER of 4.17: orders 0..10 (4 MiB blocks with 4 KiB pages). */
export const MAX_ORDER = 11;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** pageblock_order = HUGETLB_PAGE_ORDER on x86 (2 MiB). */
export const PAGEBLOCK_ORDER = 9;
export const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;
/** SWAP_CLUSTER_MAX, used as the floor of a highmem zone's min watermark. */
export const SWAP_CLUSTER_MAX = 32;

/** An index into a node's zones (zone_idx), valid for one ZoneLayoutConfig. */
export type { ZoneIndex } from './units.js';
import type { ZoneIndex } from './units.js';

export interface ZoneLayoutConfig {
  readonly arch: 'x86_64' | 'i386';
  /** MAX_NR_ZONES. */
  readonly nrZones: number;
  /** Names as /proc/zoneinfo prints them, by zone index. */
  readonly names: readonly string[];
  readonly DMA: ZoneIndex;
  readonly DMA32: ZoneIndex;
  readonly NORMAL: ZoneIndex;
  readonly HIGHMEM: ZoneIndex;
  readonly MOVABLE: ZoneIndex;
  readonly DEVICE: ZoneIndex;
  readonly gfpZoneTable: Int8Array;
}

function zoneConfig(arch: 'x86_64' | 'i386', names: string[]): ZoneLayoutConfig {
  const idx = (n: string) => names.indexOf(n);
  const base = {
    arch,
    nrZones: names.length,
    names,
    DMA: idx('DMA'),
    DMA32: idx('DMA32'),
    NORMAL: idx('Normal'),
    HIGHMEM: idx('HighMem'),
    MOVABLE: idx('Movable'),
    DEVICE: idx('Device'),
  };
  return Object.freeze({ ...base, gfpZoneTable: buildGfpZoneTable(base) });
}

/** x86-64 with CONFIG_ZONE_DMA, CONFIG_ZONE_DMA32 and CONFIG_ZONE_DEVICE. */
export const X86_64_ZONES = zoneConfig('x86_64', ['DMA', 'DMA32', 'Normal', 'Movable', 'Device']);
/** 32-bit x86 with CONFIG_HIGHMEM (ZONE_DEVICE needs x86-64). */
export const I386_ZONES = zoneConfig('i386', ['DMA', 'Normal', 'HighMem', 'Movable']);

export function zoneConfigFor(arch: 'x86_64' | 'i386'): ZoneLayoutConfig {
  return arch === 'x86_64' ? X86_64_ZONES : I386_ZONES;
}

/**
 * is_highmem_idx() / is_highmem() (include/linux/mmzone.h, 4.17): ZONE_HIGHMEM, and ZONE_MOVABLE
 * when its pages were taken from highmem (zone_movable_is_highmem(): movable_zone == ZONE_HIGHMEM).
 * On x86-64 there is no ZONE_HIGHMEM, and on a 32-bit machine without memory above max_low_pfn
 * ZONE_MOVABLE comes out of ZONE_NORMAL: in both cases it is lowmem. `movableZone` is the
 * layout's movable_zone (MemoryLayout.movableZone).
 */
export function isHighmemIdx(zones: ZoneLayoutConfig, idx: ZoneIndex, movableZone: ZoneIndex): boolean {
  if (zones.HIGHMEM < 0) return false;
  return idx === zones.HIGHMEM || (idx === zones.MOVABLE && movableZone === zones.HIGHMEM);
}

/**
 * find_usable_zone_for_movable() over a layout's zones: the highest zone other than ZONE_MOVABLE
 * (and ZONE_DEVICE, which gets no memblock memory) spanning pages on some node, ZONE_NORMAL when
 * none does. The architecture's setup decides it from its zone ranges (hw-x86 zones.ts); this is
 * for layouts that only have the zones (a zoneinfo file, test machines).
 */
export function findUsableZoneForMovable(zones: ZoneLayoutConfig, nodes: readonly NodeLayout[]): ZoneIndex {
  for (let z = zones.nrZones - 1; z >= 0; z--) {
    if (z === zones.MOVABLE || z === zones.DEVICE) continue;
    if (nodes.some((n) => (n.zones[z]?.spanned ?? 0) > 0)) return z;
  }
  return zones.NORMAL;
}

/** The watermark indexes of zone->watermark[]. */
export const WMARK_MIN = 0;
export const WMARK_LOW = 1;
export const WMARK_HIGH = 2;
export type WatermarkIndex = 0 | 1 | 2;

/**
 * Physical layout of one zone as the architecture and memblock see it at boot: what
 * free_area_init_node() and memblock hand to the page allocator.
 */
export interface ZoneLayout {
  readonly nid: number;
  readonly zoneIdx: ZoneIndex;
  /** zone_start_pfn. */
  readonly startPfn: number;
  /** spanned_pages: end - start, holes included. */
  readonly spanned: number;
  /** present_pages: pages that exist (memblock memory). */
  readonly present: number;
}

export interface NodeLayout {
  readonly nid: number;
  readonly startPfn: number;
  readonly spanned: number;
  readonly present: number;
  /** One entry per zone index of the configuration (empty zones have spanned 0). */
  readonly zones: readonly ZoneLayout[];
}

/** A pfn range [start, end) of one kind of memory. */
export interface PfnRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The machine's memory after the architecture's setup: nodes and zones, the memory memblock
 * knows, what is reserved (kernel image, memmap, firmware...), and the NUMA distances.
 * Pages present and not reserved are handed to the page allocator at boot (memblock_free_all).
 */
export interface MemoryLayout {
  readonly zones: ZoneLayoutConfig;
  readonly nodes: readonly NodeLayout[];
  /** One past the highest pfn (max_pfn). */
  readonly maxPfn: number;
  /** memblock.memory: sorted, disjoint. */
  readonly memory: readonly PfnRange[];
  /** memblock.reserved: sorted, disjoint, inside memory. */
  readonly reserved: readonly PfnRange[];
  /** node_distance(a, b): distance[a * nodes.length + b] (10 local, 20 remote by default). */
  readonly distance: readonly number[];
  /**
   * Contiguous areas (CMA) in pfns: reserved in memblock at boot, then their pageblocks are made
   * MIGRATE_CMA and freed (init_cma_reserved_pageblock()). Which zone manages them is the CMA
   * policy's choice (CmaPolicy).
   */
  readonly cma: readonly PfnRange[];
  /**
   * movable_zone (find_usable_zone_for_movable(), mm/page_alloc.c): the zone ZONE_MOVABLE takes
   * its pages from, the highest zone but ZONE_MOVABLE the architecture gives pfns to; ZONE_MOVABLE
   * is highmem exactly when this is ZONE_HIGHMEM (isHighmemIdx()).
   */
  readonly movableZone: ZoneIndex;
}

/**
 * How CMA areas are managed: the two designs Linux 4.17 had in its release cycle.
 * - 'zone-movable': the seed (4.17-rc1 to rc6, "mm/cma: manage the memory of the CMA area by
 *   using the ZONE_MOVABLE" and "mm/cma: remove ALLOC_CMA"): the areas belong to ZONE_MOVABLE,
 *   which only __GFP_HIGHMEM|__GFP_MOVABLE requests reach; no ALLOC_CMA; the areas are
 *   activated at pure_initcall, before the watermarks are computed. mmkit's default, since the
 *   seed is what mmkit models.
 * - 'migratetype': 4.16 and 4.17-final (the series was reverted in 4.17-rc7, commit
 *   d883c6cf3b39): the areas stay in the zone their pfns belong to, as MIGRATE_CMA pageblocks
 *   that movable requests reach through __rmqueue_cma_fallback(); a watermark check without
 *   ALLOC_CMA does not count free CMA pages; the areas are activated at core_initcall, after
 *   init_per_zone_wmark_min().
 */
export type CmaPolicy = 'zone-movable' | 'migratetype';
export const CMA_POLICIES: readonly CmaPolicy[] = Object.freeze(['zone-movable', 'migratetype']);
export const DEFAULT_CMA_POLICY: CmaPolicy = 'zone-movable';

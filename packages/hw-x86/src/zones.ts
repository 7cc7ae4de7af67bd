/**
 * Zones (arch/x86/mm/init.c zone_sizes_init(), mm/page_alloc.c free_area_init_nodes() and
 * find_zone_movable_pfns_for_nodes(), 4.17): where each zone of each node starts, how many
 * pages it spans and how many of them exist.
 */
import { MAX_ORDER, alignUp, pagesInRange, totalPages, type NodeLayout, type PfnRange, type ZoneLayout, type ZoneLayoutConfig } from '@mmkit/core';

/** MAX_DMA_PFN: 16 MiB. */
export const MAX_DMA_PFN = (16 << 20) >> 12;
/** MAX_DMA32_PFN: 4 GiB. */
export const MAX_DMA32_PFN = 1 << 20;
/** MAX_ORDER_NR_PAGES: ZONE_MOVABLE starts on a multiple of it. */
export const MAX_ORDER_NR_PAGES = 1 << (MAX_ORDER - 1);

/**
 * zone_sizes_init(): the highest pfn of each zone (max_zone_pfns[]). x86-64: DMA below
 * 16 MiB, DMA32 below 4 GiB, Normal up to max_low_pfn (= max_pfn). i386 with HIGHMEM: DMA
 * below 16 MiB, Normal up to max_low_pfn (896 MiB), HighMem up to max_pfn.
 */
export function zoneSizesInit(zones: ZoneLayoutConfig, maxLowPfn: number, maxPfn: number): number[] {
  const maxZonePfns = new Array<number>(zones.nrZones).fill(0);
  if (zones.DMA >= 0) maxZonePfns[zones.DMA] = Math.min(MAX_DMA_PFN, maxLowPfn);
  if (zones.DMA32 >= 0) maxZonePfns[zones.DMA32] = Math.min(MAX_DMA32_PFN, maxLowPfn);
  maxZonePfns[zones.NORMAL] = maxLowPfn;
  if (zones.HIGHMEM >= 0) maxZonePfns[zones.HIGHMEM] = maxPfn;
  return maxZonePfns;
}

/** The memory options that create ZONE_MOVABLE, in pages. */
export interface MovableOptions {
  /** kernelcore=: pages, or percent of all memory. */
  kernelcorePages?: number;
  kernelcorePercent?: number;
  /** movablecore=. */
  movablecorePages?: number;
  movablecorePercent?: number;
  /** movable_node with these nodes hotpluggable. */
  movableNodes?: readonly number[];
  /** Where a CMA area starts on a node: from there up the node is ZONE_MOVABLE (the zone-movable CMA policy, the seed's). */
  cmaStart?: ReadonlyMap<number, number>;
}

export interface FreeAreaInitResult {
  nodes: NodeLayout[];
  /** zone_movable_pfn[] (0: no ZONE_MOVABLE on the node). */
  zoneMovablePfn: number[];
  /** movable_zone: the zone ZONE_MOVABLE takes its pages from. */
  movableZone: number;
}

/**
 * free_area_init_nodes(): the zone ranges from max_zone_pfns (each zone starts where the one
 * below ends; ZONE_MOVABLE is left out), ZONE_MOVABLE per node, then each node's zones.
 * `nodeMemory[nid]` is memblock.memory of node nid (sorted, disjoint).
 */
export function freeAreaInitNodes(
  zones: ZoneLayoutConfig,
  maxZonePfns: readonly number[],
  nodeMemory: readonly (readonly PfnRange[])[],
  options: MovableOptions = {},
): FreeAreaInitResult {
  const nrZones = zones.nrZones;
  const lowest = new Array<number>(nrZones).fill(0);
  const highest = new Array<number>(nrZones).fill(0);
  // find_min_pfn_with_active_regions()
  let startPfn = nodeMemory.reduce((min, m) => (m.length > 0 ? Math.min(min, m[0].start) : min), Infinity);
  for (let i = 0; i < nrZones; i++) {
    if (i === zones.MOVABLE) continue;
    const endPfn = Math.max(maxZonePfns[i], startPfn);
    lowest[i] = startPfn;
    highest[i] = endPfn;
    startPfn = endPfn;
  }

  const movableZone = findUsableZoneForMovable(zones, lowest, highest);
  const zoneMovablePfn = findZoneMovablePfnsForNodes(nodeMemory, lowest[movableZone], options);

  const nodes = nodeMemory.map((mem, nid) =>
    freeAreaInitNode(zones, nid, mem, lowest, highest, zoneMovablePfn[nid], movableZone),
  );
  return { nodes, zoneMovablePfn, movableZone };
}

/** find_usable_zone_for_movable(): the highest zone (not ZONE_MOVABLE) that has pfns. */
function findUsableZoneForMovable(zones: ZoneLayoutConfig, lowest: number[], highest: number[]): number {
  for (let z = zones.nrZones - 1; z >= 0; z--) {
    if (z === zones.MOVABLE) continue;
    if (highest[z] > lowest[z]) return z;
  }
  return zones.NORMAL;
}

/**
 * find_zone_movable_pfns_for_nodes(): where ZONE_MOVABLE starts on each node.
 * - movable_node: a hotpluggable node is ZONE_MOVABLE from its first pfn;
 * - kernelcore= (or movablecore=, turned into kernelcore = total - movablecore, movablecore
 *   rounded up to MAX_ORDER_NR_PAGES): kernelcore is spread evenly across the nodes, memory
 *   below the movable zone counting as kernelcore; whatever a node holds beyond its share is
 *   ZONE_MOVABLE; nodes that cannot take their share leave it to the others (restart);
 * then every start is rounded up to MAX_ORDER_NR_PAGES.
 * Under the seed's CMA policy a CMA area is managed by ZONE_MOVABLE too: the node's
 * ZONE_MOVABLE starts at the area at the latest.
 */
export function findZoneMovablePfnsForNodes(
  nodeMemory: readonly (readonly PfnRange[])[],
  usableStartPfn: number,
  options: MovableOptions,
): number[] {
  const nrNodes = nodeMemory.length;
  const zoneMovablePfn = new Array<number>(nrNodes).fill(0);
  const totalpages = nodeMemory.reduce((n, m) => n + totalPages(m), 0);
  const memoryNodes = nodeMemory.map((m, nid) => (m.length > 0 ? nid : -1)).filter((nid) => nid >= 0);
  let usableNodes = memoryNodes.length;
  let aligned = false;

  if (options.movableNodes && options.movableNodes.length > 0) {
    for (const nid of options.movableNodes) {
      const mem = nodeMemory[nid];
      if (mem.length === 0) continue;
      const start = mem[0].start;
      zoneMovablePfn[nid] = zoneMovablePfn[nid] ? Math.min(start, zoneMovablePfn[nid]) : start;
    }
    aligned = true;
  } else {
    let requiredKernelcore = options.kernelcorePages ?? 0;
    let requiredMovablecore = options.movablecorePages ?? 0;
    if (options.kernelcorePercent !== undefined) {
      requiredKernelcore = Math.floor((totalpages * 100 * options.kernelcorePercent) / 10000);
    }
    if (options.movablecorePercent !== undefined) {
      requiredMovablecore = Math.floor((totalpages * 100 * options.movablecorePercent) / 10000);
    }
    if (requiredMovablecore) {
      requiredMovablecore = Math.min(totalpages, alignUp(requiredMovablecore, MAX_ORDER_NR_PAGES));
      const corepages = totalpages - requiredMovablecore;
      requiredKernelcore = Math.max(requiredKernelcore, corepages);
    }
    if (requiredKernelcore && requiredKernelcore < totalpages) {
      for (;;) {
        // Spread kernelcore memory as evenly as possible throughout nodes.
        let kernelcoreNode = Math.floor(requiredKernelcore / usableNodes);
        for (const nid of memoryNodes) {
          if (requiredKernelcore < kernelcoreNode) kernelcoreNode = Math.floor(requiredKernelcore / usableNodes);
          let kernelcoreRemaining = kernelcoreNode;
          for (const r of nodeMemory[nid]) {
            let start = Math.max(r.start, zoneMovablePfn[nid]);
            const end = r.end;
            if (start >= end) continue;
            // Memory below the movable zone can only be kernelcore.
            if (start < usableStartPfn) {
              const kernelPages = Math.min(end, usableStartPfn) - start;
              kernelcoreRemaining -= Math.min(kernelPages, kernelcoreRemaining);
              requiredKernelcore -= Math.min(kernelPages, requiredKernelcore);
              if (end <= usableStartPfn) {
                zoneMovablePfn[nid] = end;
                continue;
              }
              start = usableStartPfn;
            }
            const sizePages = Math.min(end - start, kernelcoreRemaining);
            zoneMovablePfn[nid] = start + sizePages;
            requiredKernelcore -= Math.min(requiredKernelcore, sizePages);
            kernelcoreRemaining -= sizePages;
            if (!kernelcoreRemaining) break;
          }
        }
        usableNodes--;
        if (!(usableNodes && requiredKernelcore > usableNodes)) break;
      }
      aligned = true;
    }
  }
  if (aligned) {
    for (let nid = 0; nid < nrNodes; nid++) zoneMovablePfn[nid] = alignUp(zoneMovablePfn[nid], MAX_ORDER_NR_PAGES);
  }
  if (options.cmaStart) {
    for (const [nid, start] of options.cmaStart) {
      zoneMovablePfn[nid] = zoneMovablePfn[nid] ? Math.min(zoneMovablePfn[nid], start) : start;
    }
  }
  return zoneMovablePfn;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/**
 * free_area_init_node() / calculate_node_totalpages(): each zone's span on the node
 * (zone_spanned_pages_in_node() with adjust_zone_range_for_zone_movable()) and its present
 * pages (spanned minus zone_absent_pages_in_node()). An empty zone has start_pfn 0.
 */
function freeAreaInitNode(
  zones: ZoneLayoutConfig,
  nid: number,
  mem: readonly PfnRange[],
  lowest: readonly number[],
  highest: readonly number[],
  movablePfn: number,
  movableZone: number,
): NodeLayout {
  const nodeStart = mem.length ? mem[0].start : 0;
  const nodeEnd = mem.length ? mem[mem.length - 1].end : 0;
  const zoneLayouts: ZoneLayout[] = [];
  let present = 0;
  for (let z = 0; z < zones.nrZones; z++) {
    let zs = 0;
    let ze = 0;
    if (nodeEnd > nodeStart) {
      zs = clamp(nodeStart, lowest[z], highest[z]);
      ze = clamp(nodeEnd, lowest[z], highest[z]);
      if (movablePfn) {
        if (z === zones.MOVABLE) {
          zs = movablePfn;
          ze = Math.min(nodeEnd, highest[movableZone]);
        } else if (zs < movablePfn && ze > movablePfn) {
          ze = movablePfn;
        } else if (zs >= movablePfn) {
          zs = ze;
        }
      }
      if (ze < nodeStart || zs > nodeEnd) {
        zs = ze = 0;
      } else {
        ze = Math.min(ze, nodeEnd);
        zs = Math.max(zs, nodeStart);
      }
    }
    const spanned = Math.max(0, ze - zs);
    const zonePresent = spanned ? pagesInRange(mem, zs, ze) : 0;
    present += zonePresent;
    zoneLayouts.push({ nid, zoneIdx: z, startPfn: spanned ? zs : 0, spanned, present: zonePresent });
  }
  return { nid, startPfn: nodeStart, spanned: nodeEnd - nodeStart, present, zones: zoneLayouts };
}

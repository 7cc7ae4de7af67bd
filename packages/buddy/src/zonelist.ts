/**
 * build_zonelists() (mm/page_alloc.c, 4.17, NUMA): each node's fallback list is node order
 * (the node itself, then the others by node_distance, ties by node id), each node contributing
 * its zones from the highest to the lowest; ZONELIST_NOFALLBACK (__GFP_THISNODE) holds the
 * node's own zones only. 4.17 has no zone ordering any more, only node ordering.
 */
import type { MemoryLayout, Zone } from '@mmkit/core';

export interface Zonelists {
  /** ZONELIST_FALLBACK of each node: zone numbers (nid * MAX_NR_ZONES + zone_idx). */
  readonly fallback: readonly Int32Array[];
  /** ZONELIST_NOFALLBACK of each node. */
  readonly noFallback: readonly Int32Array[];
  /**
   * first_zones_zonelist() worked out once for every node and high_zoneidx:
   * firstFallback[nid * MAX_NR_ZONES + highZoneidx] is the first zone (its zone number) of the
   * node's fallback list with zone_idx <= highZoneidx, or -1 (finalise_ac()'s
   * ac->preferred_zoneref); firstNoFallback the same for ZONELIST_NOFALLBACK.
   */
  readonly firstFallback: Int32Array;
  readonly firstNoFallback: Int32Array;
}

/** The order in which a node's allocations visit the nodes. */
export function nodeOrder(layout: MemoryLayout, nid: number): number[] {
  const n = layout.nodes.length;
  const distance = (a: number, b: number) => layout.distance[a * n + b] ?? (a === b ? 10 : 20);
  const others = [];
  for (let m = 0; m < n; m++) if (m !== nid) others.push(m);
  others.sort((a, b) => distance(nid, a) - distance(nid, b) || a - b);
  return [nid, ...others];
}

/** build_zonerefs_node(): a node's zones that hold memory, highest zone first. */
function nodeZones(zones: readonly Zone[], nrZones: number, nid: number): number[] {
  const out: number[] = [];
  for (let idx = nrZones - 1; idx >= 0; idx--) {
    const zone = zones[nid * nrZones + idx];
    if (zone && zone.populated) out.push(zone.zoneNum);
  }
  return out;
}

export function buildZonelists(layout: MemoryLayout, zones: readonly Zone[]): Zonelists {
  const nrZones = layout.zones.nrZones;
  const fallback: Int32Array[] = [];
  const noFallback: Int32Array[] = [];
  for (let nid = 0; nid < layout.nodes.length; nid++) {
    fallback.push(Int32Array.from(nodeOrder(layout, nid).flatMap((m) => nodeZones(zones, nrZones, m))));
    noFallback.push(Int32Array.from(nodeZones(zones, nrZones, nid)));
  }
  return { fallback, noFallback, firstFallback: firstZones(zones, fallback, nrZones), firstNoFallback: firstZones(zones, noFallback, nrZones) };
}

/** first_zones_zonelist() of each list for each high_zoneidx: the first zone with zone_idx <= it, or -1. */
function firstZones(zones: readonly Zone[], lists: readonly Int32Array[], nrZones: number): Int32Array {
  const out = new Int32Array(lists.length * nrZones).fill(-1);
  lists.forEach((zl, nid) => {
    for (let high = 0; high < nrZones; high++) {
      const first = zl.find((zn) => zones[zn].idx <= high);
      if (first !== undefined) out[nid * nrZones + high] = first;
    }
  });
  return out;
}

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
  return { fallback, noFallback };
}

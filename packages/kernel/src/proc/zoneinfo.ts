/**
 * /proc/zoneinfo in the format of 4.17's zoneinfo_show_print() (mm/vmstat.c).
 */
import type { Zone } from '@mmkit/core';
import { NODE_STAT_ITEMS, NUMA_STAT_ITEMS, ZONE_STAT_ITEMS } from './vmstat-items.js';

export interface ZoneinfoSource {
  readonly zones: readonly Zone[];
  readonly nrNodes: number;
  readonly nrZones: number;
  readonly nrCpus: number;
  /** zone_numa_state_snapshot(zone, item). */
  numaStat(zone: Zone, item: number): number;
}

const pad12 = (s: string) => s.padEnd(12);

/** calculate_normal_threshold(): the per-cpu vmstat threshold of a zone. */
export function calculateNormalThreshold(zone: Zone, nrCpus: number): number {
  const mem = Math.floor(zone.managedPages / 32768); // managed_pages >> (27 - PAGE_SHIFT): 128 MiB units
  const threshold = 2 * fls(nrCpus) * (1 + fls(mem));
  return Math.min(125, threshold);
}

/** fls(): the position of the most significant set bit, 1-based (0 for 0). */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

export function renderZoneinfo(src: ZoneinfoSource): string {
  let out = '';
  for (let nid = 0; nid < src.nrNodes; nid++) {
    const nodeZones = src.zones.slice(nid * src.nrZones, (nid + 1) * src.nrZones);
    const firstPopulated = nodeZones.find((z) => z.populated);
    for (const zone of nodeZones) {
      out += `Node ${nid}, zone ${zone.name.padStart(8)}`;
      if (zone === firstPopulated) {
        out += '\n  per-node stats';
        for (const item of NODE_STAT_ITEMS) out += `\n      ${pad12(item)} 0`;
      }
      out +=
        `\n  pages free     ${zone.freePages}` +
        `\n        min      ${zone.minWmarkPages()}` +
        `\n        low      ${zone.lowWmarkPages()}` +
        `\n        high     ${zone.highWmarkPages()}` +
        `\n        spanned  ${zone.spannedPages}` +
        `\n        present  ${zone.presentPages}` +
        `\n        managed  ${zone.managedPages}`;
      out += `\n        protection: (${Array.from(zone.lowmemReserve).join(', ')})`;
      if (!zone.populated) {
        out += '\n';
        continue;
      }
      for (const item of ZONE_STAT_ITEMS) {
        out += `\n      ${pad12(item)} ${item === 'nr_free_pages' ? zone.freePages : item === 'nr_free_cma' ? zone.freeCmaPages : item === 'nr_page_table_pages' ? zone.nrPagetable : 0}`;
      }
      NUMA_STAT_ITEMS.forEach((item, i) => {
        out += `\n      ${pad12(item)} ${src.numaStat(zone, i)}`;
      });
      out += '\n  pagesets';
      const threshold = calculateNormalThreshold(zone, src.nrCpus);
      zone.pageset.forEach((pcp, cpu) => {
        out +=
          `\n    cpu: ${cpu}` +
          `\n              count: ${pcp.count}` +
          `\n              high:  ${pcp.high}` +
          `\n              batch: ${pcp.batch}` +
          `\n  vm stats threshold: ${threshold}`;
      });
      out += `\n  node_unreclaimable:  0\n  start_pfn:           ${zone.zoneStartPfn}\n`;
    }
  }
  return out;
}

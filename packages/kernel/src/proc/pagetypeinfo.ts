/**
 * /proc/pagetypeinfo (pagetypeinfo_show(), mm/vmstat.c, 4.17): printed node by node. The block
 * counts (pagetypeinfo_showblockcount_print()) walk each zone's span in pageblock steps and skip
 * pfns without a struct page (pfn_valid(): under SPARSEMEM, whole sections without memory).
 */
import { MAX_ORDER, MIGRATE_TYPES, MIGRATETYPE_NAMES, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, type PageStore, type Zone } from '@mmkit/core';

export function renderPagetypeinfo(zones: readonly Zone[], nrNodes: number, nrZones: number, pages: PageStore): string {
  let out = '';
  for (let nid = 0; nid < nrNodes; nid++) {
    const populated = zones.slice(nid * nrZones, (nid + 1) * nrZones).filter((z) => z.populated);
    if (populated.length === 0) continue; // !node_state(nid, N_MEMORY)
    out += `Page block order: ${PAGEBLOCK_ORDER}\nPages per block:  ${PAGEBLOCK_NR_PAGES}\n\n`;
    out += 'Free pages count per migrate type at order'.padEnd(43) + ' ';
    for (let order = 0; order < MAX_ORDER; order++) out += `${String(order).padStart(6)} `;
    out += '\n';
    for (const zone of populated) {
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        out += `Node ${String(zone.nid).padStart(4)}, zone ${zone.name.padStart(8)}, type ${MIGRATETYPE_NAMES[mt].padStart(12)} `;
        for (let order = 0; order < MAX_ORDER; order++) out += `${String(zone.nrFreeByType[order * MIGRATE_TYPES + mt]).padStart(6)} `;
        out += '\n';
      }
    }
    out += '\n' + 'Number of blocks type '.padEnd(23);
    for (const name of MIGRATETYPE_NAMES) out += `${name.padStart(12)} `;
    out += '\n';
    for (const zone of populated) {
      const counts = new Array<number>(MIGRATE_TYPES).fill(0);
      for (let pfn = zone.zoneStartPfn; pfn < zone.zoneEndPfn; pfn += PAGEBLOCK_NR_PAGES) {
        if (!pages.validPfn(pfn)) continue; // a section without a memmap (SPARSEMEM)
        if (pages.zoneNumOf(pfn) !== zone.zoneNum) continue; // page_zone(page) != zone
        counts[pages.getPageblockMigratetype(pfn)]++;
      }
      out += `Node ${zone.nid}, zone ${zone.name.padStart(8)} `;
      for (const c of counts) out += `${String(c).padStart(12)} `;
      out += '\n';
    }
  }
  return out;
}

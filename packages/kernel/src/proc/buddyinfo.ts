/** /proc/buddyinfo (frag_show_print(), mm/vmstat.c): free blocks per order of each populated zone. */
import { MAX_ORDER, type Zone } from '@mmkit/core';

export function renderBuddyinfo(zones: readonly Zone[]): string {
  let out = '';
  for (const zone of zones) {
    if (!zone.populated) continue;
    out += `Node ${zone.nid}, zone ${zone.name.padStart(8)} `;
    for (let order = 0; order < MAX_ORDER; order++) out += `${String(zone.nrFree[order]).padStart(6)} `;
    out += '\n';
  }
  return out;
}

/**
 * What the kernel will hand to the page allocator from a layout: every present page that is
 * not reserved (memblock_free_all()), zone by zone.
 */
import type { MemoryLayout } from '@mmkit/core';
import { intersectRanges, totalPages } from '@mmkit/core';

/** managed_pages of one zone: present pages minus the reserved pages inside its span. */
export function managedPages(layout: MemoryLayout, nid: number, zoneIdx: number): number {
  const z = layout.nodes[nid].zones[zoneIdx];
  if (z.spanned === 0) return 0;
  const span = [{ start: z.startPfn, end: z.startPfn + z.spanned }];
  const reserved = totalPages(intersectRanges(intersectRanges(layout.reserved, layout.memory), span));
  return z.present - reserved;
}

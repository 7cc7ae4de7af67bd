/** /proc/slabinfo, version 2.1 (print_slabinfo_header() and cache_show(), mm/slab_common.c). */
import type { SlabAllocator } from '@mmkit/core';

export function renderSlabinfo(slab: SlabAllocator): string {
  let out = 'slabinfo - version: 2.1\n';
  out += '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>';
  out += ' : tunables <limit> <batchcount> <sharedfactor>';
  out += ' : slabdata <active_slabs> <num_slabs> <sharedavail>\n';
  // slab_caches: create_cache() adds each new cache at the head of the list.
  const caches = [...slab.caches()].reverse();
  for (const cache of caches) {
    const s = slab.slabinfo(cache);
    out += `${cache.name.padEnd(17)} ${pad(s.activeObjs, 6)} ${pad(s.numObjs, 6)} ${pad(cache.size, 6)} ${pad(s.objectsPerSlab, 4)} ${pad(s.pagesPerSlab, 4)}`;
    out += ` : tunables ${pad(s.limit, 4)} ${pad(s.batchcount, 4)} ${pad(s.shared, 4)}`;
    out += ` : slabdata ${pad(s.activeSlabs, 6)} ${pad(s.numSlabs, 6)} ${pad(s.sharedAvail, 6)}\n`;
  }
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w);

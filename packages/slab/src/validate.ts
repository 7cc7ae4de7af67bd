/**
 * The freelists of SLAB walked for the invariant checker (mmkit's; Linux's SLAB has no
 * validate file, and checks a slab's freelist only with CONFIG_DEBUG_SLAB in slab_put_obj() and
 * check_slabp()). Without CONFIG_DEBUG_SLAB a double free puts an object in the array caches
 * twice, or twice among its slab's free indexes, and an interior pointer goes into an array
 * cache: this is where that shows. Cold, O(objects); every walk is bounded.
 */
import { type FreelistCorruption } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import { objectIndex, virtToSlab, slabCache } from './lookup.js';
import type { SlabState } from './state.js';

export function validateFreelists(st: SlabState, max: number): FreelistCorruption[] {
  const out: FreelistCorruption[] = [];
  const t = st.slabs;
  // Per slab: the free indexes, freelist[active .. num), distinct and below num.
  const free = new Map<number, Uint8Array>();
  for (let slab = 0; slab < t.idLimit && out.length < max; slab++) {
    const c = st.cacheById[t.cacheId[slab]];
    if (t.cacheId[slab] === 0 || !c) continue;
    const seen = new Uint8Array(c.num);
    const base = t.freelistBase(slab);
    for (let i = t.active[slab]; i < c.num; i++) {
      const idx = t.freelist[base + i];
      const addr = t.sMem[slab] + idx * c.size + c.objOffset;
      if (idx >= c.num) {
        out.push({ cache: c, kind: 'not-an-object', slab: t.headPfn[slab], addr });
        break;
      }
      if (seen[idx]) {
        out.push({ cache: c, kind: 'duplicate', slab: t.headPfn[slab], addr });
        break;
      }
      seen[idx] = 1;
      if (st.tracked && t.testInUse(slab, idx)) out.push({ cache: c, kind: 'allocated', slab: t.headPfn[slab], addr });
    }
    free.set(slab, seen);
  }
  // The array caches (per CPU and shared): object starts of their cache, none free in its slab, none twice.
  for (const c of st.cacheList) {
    const inArrays = new Set<number>();
    const check = (addr: number) => {
      if (out.length >= max) return;
      const slab = virtToSlab(st, addr);
      if (slab < 0 || slabCache(st, slab) !== c || objectIndex(st, c, slab, addr) < 0) {
        out.push({ cache: c, kind: 'not-an-object', slab: slab < 0 ? -1 : t.headPfn[slab], addr });
        return;
      }
      if (inArrays.has(addr) || free.get(slab)?.[objectIndex(st, c, slab, addr)]) {
        out.push({ cache: c, kind: 'duplicate', slab: t.headPfn[slab], addr });
        return;
      }
      inArrays.add(addr);
    };
    walkArrays(c, st.sched.nrCpus, check);
  }
  return out;
}

function walkArrays(c: SlabCache, nrCpus: number, fn: (addr: number) => void): void {
  for (let cpu = 0; cpu < nrCpus; cpu++) {
    for (let i = 0; i < c.acAvail[cpu]; i++) fn(c.acEntry[cpu * c.limit + i]);
  }
  for (let node = 0; node < c.sharedAvail.length; node++) {
    for (let i = 0; i < c.sharedAvail[node]; i++) fn(c.sharedEntry[node * c.sharedLimit + i]);
  }
}

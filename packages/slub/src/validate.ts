/**
 * validate_slab_cache() → validate_slab() (mm/slub.c, 4.17, the `validate` file of slub_debug's
 * sysfs): walk every slab's freelists and check them against page->inuse. mmkit runs it for
 * the invariant checker in every configuration, since without slub_debug misuse is not caught
 * at free time and shows only here: a double free puts an object on a freelist twice (at the
 * head of its freelist: a freelist pointing to itself), the free of an interior pointer puts
 * something that is no object start on it. Each walk is bounded by the slab's object count and
 * ends at the first bad entry, so a cycle is reported, never followed for ever. Cold.
 */
import { PAGE_SIZE, type FreelistCorruption } from '@mmkit/core';
import { OBJ_FREE, SLAB_INUSE, SLAB_STATE, cpuFreelist, slabFreelist, type SlubCache } from './cache.js';
import { getFreepointer } from './slab-page.js';
import type { SlubState } from './state.js';

export function validateFreelists(st: SlubState, max: number): FreelistCorruption[] {
  const out: FreelistCorruption[] = [];
  for (const s of st.slabCaches) {
    const seen = new Uint8Array(s.stride);
    for (let slot = 0; slot < s.slotLimit && out.length < max; slot++) {
      if (s.slabPfn[slot] === -1 || s.slabIsolated[slot]) continue;
      seen.fill(0);
      const free = walk(st, s, slot, slabFreelist(s, slot), seen, out, max);
      for (let cpu = 0; cpu < st.nrCpus; cpu++) {
        if (s.cpuSlab[cpu] === slot) walk(st, s, slot, cpuFreelist(s, cpu), seen, out, max);
      }
      // page->inuse counts every object not on page->freelist (a cpu slab's c->freelist too).
      if (free >= 0 && s.slabState[slot * SLAB_STATE + SLAB_INUSE] + free !== s.slabObjects[slot] && out.length < max) {
        out.push({ cache: s, kind: 'count', slab: s.slabPfn[slot], addr: 0, inuse: s.slabState[slot * SLAB_STATE + SLAB_INUSE], free, objects: s.slabObjects[slot] });
      }
    }
  }
  return out;
}

/** One freelist of the slab: the objects counted, or -1 when a bad entry ended the walk (reported). */
function walk(st: SlubState, s: SlubCache, slot: number, object: number, seen: Uint8Array, out: FreelistCorruption[], max: number): number {
  const base = s.slabPfn[slot] * PAGE_SIZE + s.redLeftPad;
  const objects = s.slabObjects[slot];
  let n = 0;
  while (object !== 0) {
    const idx = (object - base) / s.size;
    if (!(Number.isInteger(idx) && idx >= 0 && idx < objects)) {
      if (out.length < max) out.push({ cache: s, kind: 'not-an-object', slab: s.slabPfn[slot], addr: object });
      return -1;
    }
    if (seen[idx]) {
      if (out.length < max) out.push({ cache: s, kind: 'duplicate', slab: s.slabPfn[slot], addr: object });
      return -1;
    }
    seen[idx] = 1;
    if (s.tracked && s.objState[slot * s.stride + idx] !== OBJ_FREE && out.length < max) {
      out.push({ cache: s, kind: 'allocated', slab: s.slabPfn[slot], addr: object });
    }
    n++;
    object = getFreepointer(st, s, object);
  }
  return n;
}

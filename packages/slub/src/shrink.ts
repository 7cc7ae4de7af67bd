/**
 * Shrinking and destroying SLUB caches, and their statistics (mm/slub.c, mm/slab_common.c,
 * 4.17): __kmem_cache_shrink(), kmem_cache_destroy() → shutdown_cache() (kasan_cache_shutdown(),
 * __kmem_cache_shutdown() with free_partial() and list_slab_objects()), get_slabinfo().
 */
import { PAGE_SIZE, type KmemCache, type SlabInfo } from '@mmkit/core';
import { OBJ_FREE, SLAB_INUSE, SLAB_STATE, SlubCache, slabFreelist } from './cache.js';
import { flushAll } from './cpu-slab.js';
import { discardIsolated, discardSlab, getFreepointer, hex, objectAddr, ownCache } from './slab-page.js';
import type { SlubState } from './state.js';
import { freeCacheStructs } from './create.js';

/** SHRINK_PROMOTE_MAX: __kmem_cache_shrink() sorts slabs with up to this many free objects. */
const SHRINK_PROMOTE_MAX = 32;

/**
 * kmem_cache_destroy() → shutdown_cache(): kasan_cache_shutdown(), then
 * __kmem_cache_shutdown() (flush_all(), free_partial()); objects left are reported and the
 * cache stays.
 */
export function kmemCacheDestroy(st: SlubState, cache: KmemCache): void {
  const s = ownCache(st, cache, 'kmem_cache_destroy');
  if (!s) return;
  if (s.boot) {
    st.services.slabError('wrong-cache', s, 0, `kmem_cache_destroy: ${s.name} is a cache of kmem_cache_init()`);
    return;
  }
  st.services.kasan?.cacheShutdown(s);
  flushAll(st, s);
  let remaining = 0;
  for (let node = 0; node < st.nrNodes; node++) {
    // free_partial()
    let pfn = s.partial.first(node);
    while (pfn !== -1) {
      const next = s.partial.next(pfn);
      const slot = st.pages.private[pfn];
      if (s.slabState[slot * SLAB_STATE + SLAB_INUSE] === 0) {
        s.partial.remove(node, pfn);
        discardSlab(st, s, slot);
      }
      pfn = next;
    }
  }
  discardIsolated(st, s);
  for (let node = 0; node < st.nrNodes; node++) remaining += s.nrSlabs[node];
  if (remaining > 0) {
    // list_slab_objects(): slab_err(s, page, "Objects remaining in %s on __kmem_cache_shutdown()")
    let info = '';
    let shown = 0;
    const onFreelist = s.tracked ? undefined : new Uint8Array(s.stride);
    for (let slot = 0; slot < s.slotLimit && shown < 16; slot++) {
      if (s.slabPfn[slot] === -1) continue;
      if (onFreelist) getMap(st, s, slot, onFreelist);
      for (let i = 0; i < s.slabObjects[slot] && shown < 16; i++) {
        if (onFreelist ? onFreelist[i] : s.objState[slot * s.stride + i] === OBJ_FREE) continue;
        info += `\nINFO: Object ${hex(objectAddr(s, slot, i))} @offset=${s.redLeftPad + i * s.size}`;
        shown++;
      }
    }
    st.services.log('err', `BUG ${s.name} (Not tainted): Objects remaining in ${s.name} on __kmem_cache_shutdown()${info}`);
    st.services.slabError('leak', s, 0, `kmem_cache_destroy ${s.name}: Slab cache still has objects`);
    return;
  }
  s.destroyed = true;
  st.byId[s.id] = undefined;
  st.slabCaches.splice(st.slabCaches.indexOf(s), 1);
  freeCacheStructs(st, s); // free_kmem_cache_nodes(), then slab_kmem_cache_release()
}

/**
 * get_map(): the objects on page->freelist (an untracked cache keeps no per-object state), the
 * walk bounded by the slab's object count and ended by an entry that is no object start.
 */
function getMap(st: SlubState, s: SlubCache, slot: number, map: Uint8Array): void {
  map.fill(0);
  const base = s.slabPfn[slot] * PAGE_SIZE + s.redLeftPad;
  let object = slabFreelist(s, slot);
  for (let n = 0; object !== 0 && n < s.slabObjects[slot]; n++) {
    const idx = (object - base) / s.size;
    if (!(Number.isInteger(idx) && idx >= 0 && idx < s.slabObjects[slot])) return;
    map[idx] = 1;
    object = getFreepointer(st, s, object);
  }
}

/**
 * kmem_cache_shrink() → __kmem_cache_shrink(): flush_all(), then per node discard the empty
 * partial slabs and sort the rest so that the fullest come first. Returns 1 when slabs remain
 * (slabs_node()).
 */
export function __kmemCacheShrink(st: SlubState, cache: KmemCache): number {
  const s = ownCache(st, cache, 'kmem_cache_shrink');
  if (!s) return 0;
  flushAll(st, s);
  let ret = 0;
  const promote: number[][] = Array.from({ length: SHRINK_PROMOTE_MAX }, () => []);
  for (let node = 0; node < st.nrNodes; node++) {
    const discard: number[] = [];
    const rest: number[] = [];
    for (const list of promote) list.length = 0;
    let pfn = s.partial.popHead(node);
    while (pfn !== -1) {
      const slot = st.pages.private[pfn];
      const free = s.slabObjects[slot] - s.slabState[slot * SLAB_STATE + SLAB_INUSE];
      if (free === s.slabObjects[slot]) discard.push(slot);
      else if (free <= SHRINK_PROMOTE_MAX) promote[free - 1].unshift(pfn); // list_move(): at the head
      else rest.push(pfn);
      pfn = s.partial.popHead(node);
    }
    // for (i = SHRINK_PROMOTE_MAX - 1; i >= 0; i--) list_splice(promote + i, &n->partial)
    for (const list of promote) for (const p of list) s.partial.addTail(node, p);
    for (const p of rest) s.partial.addTail(node, p);
    for (const slot of discard) discardSlab(st, s, slot);
  }
  discardIsolated(st, s);
  for (let node = 0; node < st.nrNodes; node++) if (s.nrSlabs[node]) ret = 1;
  return ret;
}

/**
 * get_slabinfo(): partial slabs' free objects are free; cpu slabs count as in use. num_objs is
 * n->total_objects, the sum of page->objects (a slab of the fallback order s->min has fewer);
 * objperslab and pagesperslab are those of s->oo.
 */
export function getSlabinfo(st: SlubState, cache: KmemCache): SlabInfo {
  const s = cache instanceof SlubCache ? cache : undefined;
  if (!s) return { activeObjs: 0, numObjs: 0, activeSlabs: 0, numSlabs: 0, objectsPerSlab: 0, pagesPerSlab: 0, numPages: 0, limit: 0, batchcount: 0, shared: 0, sharedAvail: 0 };
  let nrSlabs = 0;
  let nrObjs = 0;
  let nrFree = 0;
  let nrPages = 0;
  for (let node = 0; node < st.nrNodes; node++) {
    nrSlabs += s.nrSlabs[node];
    nrObjs += s.totalObjects[node];
    nrPages += s.totalPages[node];
    // count_partial(n, count_free)
    for (let pfn = s.partial.first(node); pfn !== -1; pfn = s.partial.next(pfn)) {
      const slot = st.pages.private[pfn];
      nrFree += s.slabObjects[slot] - s.slabState[slot * SLAB_STATE + SLAB_INUSE];
    }
  }
  return {
    activeObjs: nrObjs - nrFree,
    numObjs: nrObjs,
    activeSlabs: nrSlabs,
    numSlabs: nrSlabs,
    objectsPerSlab: s.objects,
    pagesPerSlab: 1 << s.order,
    numPages: nrPages,
    limit: 0,
    batchcount: 0,
    shared: 0,
    sharedAvail: 0,
  };
}

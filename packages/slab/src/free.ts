/**
 * SLAB's free path (mm/slab.c, 4.17): kmem_cache_free() and kfree(), __cache_free() with the
 * KASAN hook (kasan_slab_free() may keep the object in its quarantine), ___cache_free() onto
 * the CPU's array cache, cache_flusharray() to the shared array, and free_block() back to the
 * slabs, destroying free slabs above free_limit. Also the quarantine's release of an object.
 */
import { ZERO_SIZE_PTR, cacheFromObjChecks, wrongSlabCacheWarning, type KmemCache, type ObjAddr } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_PARTIAL, type SlabCache } from './cache.js';
import * as debugChecksMod from './debug-checks.js';
import * as growMod from './grow.js';
import * as lookupMod from './lookup.js';
import type { SlabState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { cacheFreeDebugcheck, checkFree } = debugChecksMod;
const { slabDestroy, slabPutObj } = growMod;
const { cpuNode, hex, indexInSlab, liveCache, objectIndex, objToIndex, ownSlab, slabCache, slabOfHead, virtToSlab } = lookupMod;

/**
 * kmem_cache_free(): cache_from_obj(), then __cache_free(). An object of another cache goes
 * back to its own cache, with a warning only when cache_from_obj() checks (4.17: with
 * CONFIG_SLAB_FREELIST_HARDENED or SLAB_CONSISTENCY_CHECKS on the cache, which SLAB takes only
 * with CONFIG_DEBUG_SLAB). Without the check Linux's SLAB would put the object in the given
 * cache's per-cpu array and hand it out from there, an object of the wrong size: mmkit frees
 * it into its own cache instead, so that no cache is corrupted.
 */
export function kmemCacheFree(st: SlabState, cache: KmemCache, addr: ObjAddr): void {
  if (addr === 0) return;
  const c = liveCache(st, cache, 'kmem_cache_free');
  if (c === undefined) return;
  // The fast path, kmem_cache_free() → __cache_free() → ___cache_free() without
  // CONFIG_DEBUG_SLAB or KASAN, into the slab the last free found (SlabCache.hitStart: set only
  // then, and without red zone or poison): a whole offset below num * size from its first object
  // is in one of its objects (uncheckedFree()'s check, no page lookup), and the object goes onto
  // the CPU's array cache when it has room. Small, so that V8 inlines it into its callers.
  const off = addr - c.hitStart;
  if (off >= 0 && off < c.objectsBytes && (off | 0) === off) {
    const cpu = st.sched.currentCpu;
    const avail = c.acAvail[cpu];
    if (avail < c.limit) {
      c.acEntry[cpu * c.limit + avail] = addr;
      c.acAvail[cpu] = avail + 1;
      return;
    }
  }
  kmemCacheFreeSlow(st, c, addr);
}

/**
 * kmem_cache_free() past its fast path: an unchecked free within a slab of c (ownSlab(), which
 * becomes the remembered slab), else kmemCacheFreeChecked().
 */
function kmemCacheFreeSlow(st: SlabState, c: SlabCache, addr: number): void {
  if (!st.tracked) {
    // uncheckedFree() of an address in a slab of c, inline (untracked: no allocation bitmap, no
    // KASAN hook, so the object's index is not needed), its obj_to_index() < c->num as
    // off < num * size (no division).
    const slab = ownSlab(st, c, addr);
    if (slab >= 0) {
      const start = c.objOffset + st.slabs.sMem[slab];
      const off = addr - start;
      if (off >= 0 && off < c.objectsBytes) {
        if (!c.redzoneOrPoison) {
          c.hitSlab = slab;
          c.hitStart = start;
        }
        return ___cacheFree(st, c, addr);
      }
    }
  }
  kmemCacheFreeChecked(st, c, virtToSlab(st, addr), addr);
}

/** kmem_cache_free() of what is not an unchecked free within a slab of c: another cache's object, no object, or a tracked free. */
function kmemCacheFreeChecked(st: SlabState, c: SlabCache, slab: number, addr: number): void {
  if (slab >= 0 && slabCache(st, slab) !== c) c = cacheFromObj(st, c, slabCache(st, slab), addr);
  const idx = st.tracked ? checkFree(st, addr, slab, c) : uncheckedFree(st, addr, slab, c);
  if (idx >= 0) __cacheFree(st, c, slab, idx, addr);
}

/** cache_from_obj() for an object of `owner` freed to `c`: WARN_ONCE() when it checks (core's cacheFromObjChecks()); the object's own cache. */
function cacheFromObj(st: SlabState, c: SlabCache, owner: SlabCache, addr: number): SlabCache {
  if (cacheFromObjChecks(st.services.debug, c.flags) && !st.cacheFromObjWarned) {
    st.cacheFromObjWarned = true;
    st.services.slabError('wrong-cache', c, addr, wrongSlabCacheWarning(c.name, owner.name));
  }
  return owner;
}

/** kfree(). */
export function kfree(st: SlabState, addr: ObjAddr): void {
  if (addr === 0 || addr === ZERO_SIZE_PTR) return;
  const slab = virtToSlab(st, addr);
  const idx = st.tracked ? checkFree(st, addr, slab, undefined) : uncheckedFree(st, addr, slab, undefined);
  if (idx >= 0) __cacheFree(st, slabCache(st, slab), slab, idx, addr);
}

/** The quarantine gives back an object whose free KASAN delayed: ___cache_free() without the hook. */
export function quarantineRelease(st: SlabState, cache: KmemCache, addr: ObjAddr): void {
  const c = liveCache(st, cache, 'quarantine release');
  if (!c) return;
  const slab = virtToSlab(st, addr);
  const owner = slab < 0 ? undefined : slabCache(st, slab);
  const idx = owner === undefined ? -1 : objectIndex(st, owner, slab, addr);
  if (owner !== c || idx < 0) {
    st.services.slabError(owner && owner !== c ? 'wrong-cache' : 'invalid-free', c, addr, `qlink_free: ${hex(addr)} is not an object of cache ${c.name}`);
    return;
  }
  if (st.slabs.testInUse(slab, idx)) {
    st.services.slabError('double-free', c, addr, `qlink_free: ${hex(addr)} of cache ${c.name} is allocated, not in the quarantine`);
    return;
  }
  ___cacheFree(st, c, addr);
}

/**
 * __cache_free() of the object checkFree() passed (index idx of `slab`): the allocation bitmap,
 * then KASAN may keep the object (quarantine); else ___cache_free().
 */
export function __cacheFree(st: SlabState, c: SlabCache, slab: number, idx: number, addr: number): void {
  if (st.tracked) st.slabs.clearInUse(slab, idx);
  if (st.kasan !== undefined && st.kasan.slabFree(c, addr)) return;
  ___cacheFree(st, c, addr);
}

/** ___cache_free(): cache_free_debugcheck(), then onto the CPU's array cache, flushing a batch when full. */
export function ___cacheFree(st: SlabState, c: SlabCache, addr: number): void {
  if (c.redzoneOrPoison) cacheFreeDebugcheck(st, c, addr);
  const cpu = st.sched.currentCpu;
  if (c.acAvail[cpu] >= c.limit) cacheFlusharray(st, c, cpu);
  c.acEntry[cpu * c.limit + c.acAvail[cpu]++] = addr;
}

/**
 * cache_flusharray(): the oldest batchcount objects of the array cache go to the node's
 * shared array when it has room, else back to their slabs (free_block()).
 */
export function cacheFlusharray(st: SlabState, c: SlabCache, cpu: number): void {
  const node = cpuNode(st, cpu);
  const base = cpu * c.limit;
  let batchcount = c.batchcount;
  let done = false;
  if (c.sharedLimit > 0) {
    const max = c.sharedLimit - c.sharedAvail[node];
    if (max > 0) {
      if (batchcount > max) batchcount = max;
      const dst = node * c.sharedLimit + c.sharedAvail[node];
      for (let i = 0; i < batchcount; i++) c.sharedEntry[dst + i] = c.acEntry[base + i];
      c.sharedAvail[node] += batchcount;
      done = true;
    }
  }
  if (!done) freeBlock(st, c, c.acEntry, base, batchcount);
  const avail = c.acAvail[cpu] - batchcount;
  c.acEntry.copyWithin(base, base + batchcount, base + batchcount + avail);
  c.acAvail[cpu] = avail;
}

/**
 * free_block() of an object whose slab has no active object left, or is gone (destroyed when
 * the first copy emptied it): a double free that reached the slabs (4.17 checks nothing without
 * CONFIG_DEBUG_SLAB, so page->active wraps below 0 and slab_put_obj() writes before the slab's
 * freelist, or the free writes into a page that is no longer this cache's). mmkit reports it
 * here, later than the free, and drops the object (cold).
 */
function activeUnderflow(st: SlabState, c: SlabCache, addr: number): void {
  st.services.slabError('double-free', c, addr, `free_block: ${c.name}: object ${hex(addr)} goes back to a slab that is gone or has no active object (a double free, not checked without CONFIG_DEBUG_SLAB); Linux would corrupt page->active or another page, mmkit drops it`);
}

/**
 * free_block(): objects back to their slabs (a slab that becomes empty goes to slabs_free,
 * others to the tail of slabs_partial), then free slabs beyond n->free_limit are destroyed
 * (slabs_destroy()). Each object goes to the node of its page.
 */
export function freeBlock(st: SlabState, c: SlabCache, entries: Float64Array, start: number, count: number): void {
  const t = st.slabs;
  for (let i = start; i < start + count; i++) {
    const addr = entries[i];
    const slab = virtToSlab(st, addr);
    if (slab < 0 || t.cacheId[slab] !== c.id || t.active[slab] === 0) {
      activeUnderflow(st, c, addr);
      continue;
    }
    const node = t.node[slab];
    c.freeObjects[node]++;
    c.lists.remove(t.list[slab], t.headPfn[slab]);
    slabPutObj(st, c, slab, objToIndex(st, slabCache(st, slab), slab, addr));
    let list: number;
    if (t.active[slab] === 0) {
      list = node * NR_SLAB_LISTS + SLABS_FREE;
      c.lists.addHead(list, t.headPfn[slab]);
      c.freeSlabs[node]++;
    } else {
      list = node * NR_SLAB_LISTS + SLABS_PARTIAL;
      c.lists.addTail(list, t.headPfn[slab]);
    }
    t.list[slab] = list;
  }
  for (let node = 0; node < c.nrNodes; node++) {
    const freeList = node * NR_SLAB_LISTS + SLABS_FREE;
    while (c.freeObjects[node] > c.freeLimit[node] && !c.lists.isEmpty(freeList)) {
      c.freeObjects[node] -= c.num;
      const pfn = c.lists.last(freeList);
      c.lists.remove(freeList, pfn);
      c.freeSlabs[node]--;
      c.totalSlabs[node]--;
      slabDestroy(st, c, slabOfHead(st, pfn));
    }
  }
}

/**
 * The free of addr without CONFIG_DEBUG_SLAB (4.17's default): ___cache_free() puts whatever it
 * is given on the array cache, unchecked, so a double free hands the object out twice and an
 * interior pointer is handed out as an object (free_block()'s obj_to_index() rounds it down to
 * the object it lies in). mmkit refuses only what is in no slab of the expected cache or past
 * its slab's objects (Linux would hand out memory that is no object at all): reported as an
 * invalid free (reportBadFree()), nothing changes. The object's index in its slab (rounded
 * down), or -1.
 */
export function uncheckedFree(st: SlabState, addr: number, slab: number, expected: SlabCache | undefined): number {
  if (slab >= 0) {
    const c = slabCache(st, slab);
    if (!expected || c === expected) {
      const off = addr - c.objOffset - st.slabs.sMem[slab];
      const idx = indexInSlab(c, off);
      if (off >= 0 && idx < c.num) return idx;
    }
  }
  return checkFree(st, addr, slab, expected); // reports what is wrong
}

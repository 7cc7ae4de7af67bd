/**
 * SLAB's allocation path (mm/slab.c, 4.17): kmem_cache_alloc() -> slab_alloc() ->
 * ____cache_alloc() from the CPU's array cache, else cache_alloc_refill() (the shared array
 * first, then partial and free slabs, else cache_grow_begin()), then
 * cache_alloc_debugcheck_after(), __GFP_ZERO and the KASAN hook. Also kmalloc() (kmalloc_slab()
 * -> slab_alloc()) and the bulk calls, kmem_cache_alloc_bulk() and kmem_cache_free_bulk().
 */
import { GFP_DMA, SLAB_POISON, ZERO_SIZE_PTR, __GFP_NOWARN, __GFP_ZERO, type Gfp, type KmemCache, type ObjAddr } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_PARTIAL, type SlabCache } from './cache.js';
import { BATCHREFILL_LIMIT } from './constants.js';
import * as debugChecksMod from './debug-checks.js';
import * as freeMod from './free.js';
import * as growMod from './grow.js';
import * as kmallocMod from './kmalloc.js';
import { KMALLOC_MAX_SIZE } from './kmalloc.js';
import * as lookupMod from './lookup.js';
import type { SlabState } from './state.js';

if (__GFP_ZERO !== 0x8000) throw new Error('slab alloc.ts: slabPostAlloc() assumes __GFP_ZERO is 0x8000');

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { cacheAllocDebugcheckAfter, checkFree } = debugChecksMod;
const { __cacheFree, ___cacheFree, uncheckedFree } = freeMod;
const { cacheGrowBegin, cacheGrowEnd, fixupSlabList, slabGetObj } = growMod;
const { kmallocIndex } = kmallocMod;
const { cpuNode, liveCache, objToIndex, slabOfHead, virtToSlab } = lookupMod;

/** kmem_cache_alloc(). */
export function kmemCacheAlloc(st: SlabState, cache: KmemCache, gfp: Gfp): ObjAddr {
  const c = liveCache(st, cache, 'kmem_cache_alloc');
  if (c === undefined) return 0;
  return slabAlloc(st, c, gfp);
}

/** kmalloc() -> __do_kmalloc(): kmalloc_slab() (kmalloc_dma_caches[] for GFP_DMA), then slab_alloc(). */
export function kmalloc(st: SlabState, size: number, gfp: Gfp): ObjAddr {
  if (size === 0) return ZERO_SIZE_PTR;
  if (!Number.isInteger(size) || size < 0) return 0; // no size_t holds it
  if (size > KMALLOC_MAX_SIZE) return kmallocTooLarge(st, size, gfp);
  const c = (gfp & GFP_DMA ? st.kmallocDmaCaches : st.kmallocCaches)[kmallocIndex(size)]!;
  return slabAlloc(st, c, gfp);
}

/** kmalloc_slab() above KMALLOC_MAX_SIZE: WARN_ON_ONCE unless __GFP_NOWARN, and no object (out of the hot path). */
function kmallocTooLarge(st: SlabState, size: number, gfp: Gfp): ObjAddr {
  if (!(gfp & __GFP_NOWARN)) st.services.log('warn', `WARNING: kmalloc_slab(): kmalloc(${size}) is above KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`);
  return 0;
}

/** slab_alloc(): slab_pre_alloc_hook(), __do_cache_alloc(), the debug checks, __GFP_ZERO, slab_post_alloc_hook(). */
export function slabAlloc(st: SlabState, c: SlabCache, gfp: Gfp): ObjAddr {
  // slab_pre_alloc_hook() -> should_failslab(): asked only when armed, or to refuse a gfp that is no gfp_t.
  if ((st.failSlabArmed[0] !== 0 || gfp >>> 0 !== gfp) && st.shouldFailSlab(c, gfp)) return 0;
  const addr = ____cacheAlloc(st, c, gfp);
  if (addr === 0) return 0;
  if (!c.postAllocWork) {
    // No debug checks, bitmap or KASAN: slabPostAlloc() would only zero for __GFP_ZERO.
    if (gfp & 0x8000) st.bytes.zero(addr, c.objectSize); // 0x8000: __GFP_ZERO
    return addr;
  }
  if (c.ctorAtAlloc) return slabPostAllocCtor(st, c, addr, gfp) ? addr : 0;
  slabPostAlloc(st, c, addr, gfp);
  return addr;
}

/**
 * slabPostAlloc() of a SLAB_POISON cache with a constructor, which runs it at each allocation
 * (cache_alloc_debugcheck_after()), off the hot path: a constructor that throws gets the
 * object given back (___cache_free(), so it is poisoned and free again) and false.
 */
function slabPostAllocCtor(st: SlabState, c: SlabCache, addr: number, gfp: Gfp): boolean {
  try {
    slabPostAlloc(st, c, addr, gfp);
    return true;
  } catch (err) {
    st.services.log('err', `SLAB: the constructor of ${c.name} threw (${err instanceof Error ? err.message : String(err)}): the object is given back and the allocation fails`);
    ___cacheFree(st, c, addr);
    return false;
  }
}

/** cache_alloc_debugcheck_after(), the allocation bitmap, __GFP_ZERO and slab_post_alloc_hook() (kasan_slab_alloc()). */
export function slabPostAlloc(st: SlabState, c: SlabCache, addr: number, gfp: Gfp): void {
  if (c.redzoneOrPoison) cacheAllocDebugcheckAfter(st, c, addr);
  if (st.tracked) setInUse(st, c, addr);
  if (gfp & 0x8000) st.bytes.zero(addr, c.objectSize); // 0x8000: __GFP_ZERO, a literal on the hot path
  if (st.kasan !== undefined) st.kasan.slabAlloc(c, addr);
}

/** The allocation bitmap of a tracked SLAB: addr is handed out. */
function setInUse(st: SlabState, c: SlabCache, addr: number): void {
  const slab = virtToSlab(st, addr);
  st.slabs.setInUse(slab, objToIndex(st, c, slab, addr));
}

/** ____cache_alloc(): the CPU's array cache, else cache_alloc_refill(). */
export function ____cacheAlloc(st: SlabState, c: SlabCache, gfp: Gfp): number {
  const cpu = st.sched.currentCpu;
  const avail = c.acAvail[cpu];
  if (avail > 0) {
    c.acTouched[cpu] = 1;
    c.acAvail[cpu] = avail - 1;
    return c.acEntry[cpu * c.limit + avail - 1];
  }
  return cacheAllocRefill(st, c, gfp, cpu);
}

/**
 * cache_alloc_refill(): batchcount objects (16 when the array cache was not touched since the
 * last reap) from the shared array, else from partial then free slabs, else a new slab.
 */
export function cacheAllocRefill(st: SlabState, c: SlabCache, gfp: Gfp, cpu: number): number {
  const node = cpuNode(st, cpu);
  let batchcount = c.batchcount;
  if (!c.acTouched[cpu] && batchcount > BATCHREFILL_LIMIT) batchcount = BATCHREFILL_LIMIT;
  const base = cpu * c.limit;
  if (c.freeObjects[node] > 0 || c.sharedAvail[node] > 0) {
    if (c.sharedLimit > 0 && transferObjects(c, node, cpu, batchcount)) {
      c.sharedTouched[node] = 1;
    } else {
      while (batchcount > 0) {
        const slab = getFirstSlab(st, c, node);
        if (slab < 0) break;
        batchcount = allocBlock(st, c, cpu, slab, batchcount);
        fixupSlabList(st, c, slab);
      }
      c.freeObjects[node] -= c.acAvail[cpu];
    }
  }
  if (c.acAvail[cpu] === 0) {
    // direct_grow
    const slab = cacheGrowBegin(st, c, gfp, node);
    if (slab >= 0) {
      if (c.acAvail[cpu] === 0) allocBlock(st, c, cpu, slab, batchcount);
      cacheGrowEnd(st, c, slab);
    }
    if (c.acAvail[cpu] === 0) return 0;
  }
  c.acTouched[cpu] = 1;
  const avail = --c.acAvail[cpu];
  return c.acEntry[base + avail];
}

/** transfer_objects(ac, n->shared, batchcount): from the top of the node's shared array; the count moved. */
export function transferObjects(c: SlabCache, node: number, cpu: number, max: number): number {
  const from = c.sharedAvail[node];
  const to = c.acAvail[cpu];
  const nr = Math.min(from, max, c.limit - to);
  if (nr <= 0) return 0;
  const src = node * c.sharedLimit + from - nr;
  const dst = cpu * c.limit + to;
  for (let i = 0; i < nr; i++) c.acEntry[dst + i] = c.sharedEntry[src + i];
  c.sharedAvail[node] = from - nr;
  c.acAvail[cpu] = to + nr;
  return nr;
}

/** get_first_slab(): a partial slab, else a free one (noting n->free_touched). */
export function getFirstSlab(st: SlabState, c: SlabCache, node: number): number {
  let pfn = c.lists.first(node * NR_SLAB_LISTS + SLABS_PARTIAL);
  if (pfn < 0) {
    c.freeTouched[node] = 1;
    pfn = c.lists.first(node * NR_SLAB_LISTS + SLABS_FREE);
    if (pfn < 0) return -1;
    c.freeSlabs[node]--;
  }
  return slabOfHead(st, pfn);
}

/** alloc_block(): objects of one slab into the CPU's array cache. Returns what is left of batchcount. */
export function allocBlock(st: SlabState, c: SlabCache, cpu: number, slab: number, batchcount: number): number {
  const t = st.slabs;
  const base = cpu * c.limit;
  while (t.active[slab] < c.num) {
    if (batchcount-- === 0) break;
    c.acEntry[base + c.acAvail[cpu]++] = slabGetObj(st, c, slab);
  }
  return batchcount;
}

// ---------------------------------------------------------------- bulk

/** kmem_cache_alloc_bulk(): __do_cache_alloc() in a loop; all or nothing. */
export function kmemCacheAllocBulk(st: SlabState, cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
  const c = liveCache(st, cache, 'kmem_cache_alloc_bulk');
  if (!c || !Number.isInteger(n) || n < 0 || n > out.length) return 0;
  if (st.shouldFailSlab(c, gfp)) return 0;
  let i = 0;
  for (; i < n; i++) {
    const addr = ____cacheAlloc(st, c, gfp);
    if (addr === 0) break;
    out[i] = addr;
  }
  let ctorFailed = false;
  if (c.ctor !== undefined && c.flags & SLAB_POISON) {
    for (let j = 0; j < i; j++) {
      if (slabPostAllocCtor(st, c, out[j], gfp)) continue;
      out[j] = 0; // given back already
      ctorFailed = true;
    }
  } else for (let j = 0; j < i; j++) slabPostAlloc(st, c, out[j], gfp);
  if (i < n || ctorFailed) {
    // error: __kmem_cache_free_bulk() of what was taken.
    for (let j = 0; j < i; j++) {
      if (out[j] === 0) continue;
      const slab = virtToSlab(st, out[j]);
      const idx = st.tracked ? checkFree(st, out[j], slab, c) : uncheckedFree(st, out[j], slab, c);
      if (idx >= 0) __cacheFree(st, c, slab, idx, out[j]);
    }
    return 0;
  }
  return n;
}

/** kmem_cache_free_bulk(): cache_from_obj() and __cache_free() per object. */
export function kmemCacheFreeBulk(st: SlabState, cache: KmemCache, n: number, addrs: Float64Array): void {
  const c = liveCache(st, cache, 'kmem_cache_free_bulk');
  if (!c) return;
  const count = Math.min(n, addrs.length);
  for (let i = 0; i < count; i++) {
    const addr = addrs[i];
    if (addr === 0) continue;
    const slab = virtToSlab(st, addr);
    const idx = st.tracked ? checkFree(st, addr, slab, c) : uncheckedFree(st, addr, slab, c);
    if (idx >= 0) __cacheFree(st, c, slab, idx, addr);
  }
}

/**
 * SLAB's allocation path (mm/slab.c, 4.17): kmem_cache_alloc() -> slab_alloc() ->
 * ____cache_alloc() from the CPU's array cache, else cache_alloc_refill() (the shared array
 * first, then partial and free slabs, else cache_grow_begin()), then
 * cache_alloc_debugcheck_after(), __GFP_ZERO and the KASAN hook. Also the bulk calls,
 * kmem_cache_alloc_bulk() and kmem_cache_free_bulk().
 */
import { SLAB_POISON, SLAB_RED_ZONE, __GFP_ZERO, type Gfp, type KmemCache, type ObjAddr } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_PARTIAL, type SlabCache } from './cache.js';
import { BATCHREFILL_LIMIT } from './constants.js';
import { SlabFreePath } from './free.js';

export class SlabAllocPath extends SlabFreePath {
  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr {
    const c = this.live(cache, 'kmem_cache_alloc');
    if (!c) return 0;
    return this.slabAlloc(c, gfp);
  }

  /** slab_alloc(): slab_pre_alloc_hook(), __do_cache_alloc(), the debug checks, __GFP_ZERO, slab_post_alloc_hook(). */
  protected slabAlloc(c: SlabCache, gfp: Gfp): ObjAddr {
    if (this.services.shouldFailSlab(c, gfp)) return 0;
    const addr = this.cacheAlloc(c, gfp);
    if (addr === 0) return 0;
    this.postAlloc(c, addr, gfp);
    return addr;
  }

  /** cache_alloc_debugcheck_after(), the allocation bitmap, __GFP_ZERO and kasan_slab_alloc(). */
  private postAlloc(c: SlabCache, addr: number, gfp: Gfp): void {
    if (c.flags & (SLAB_POISON | SLAB_RED_ZONE)) this.allocDebugcheckAfter(c, addr);
    this.lookupObject(addr);
    this.slabs.setInUse(this.foundSlab, this.foundIdx);
    if (gfp & __GFP_ZERO) this.bytes.zero(addr, c.objectSize);
    this.services.kasan?.slabAlloc(c, addr);
  }

  /** ____cache_alloc(): the CPU's array cache, else cache_alloc_refill(). */
  private cacheAlloc(c: SlabCache, gfp: Gfp): number {
    const cpu = this.sched.currentCpu;
    const avail = c.acAvail[cpu];
    if (avail > 0) {
      c.acTouched[cpu] = 1;
      c.acAvail[cpu] = avail - 1;
      return c.acEntry[cpu * c.limit + avail - 1];
    }
    return this.cacheAllocRefill(c, gfp, cpu);
  }

  /**
   * cache_alloc_refill(): batchcount objects (16 when the array cache was not touched since the
   * last reap) from the shared array, else from partial then free slabs, else a new slab.
   */
  private cacheAllocRefill(c: SlabCache, gfp: Gfp, cpu: number): number {
    const node = this.cpuNode(cpu);
    let batchcount = c.batchcount;
    if (!c.acTouched[cpu] && batchcount > BATCHREFILL_LIMIT) batchcount = BATCHREFILL_LIMIT;
    const base = cpu * c.limit;
    if (c.freeObjects[node] > 0 || c.sharedAvail[node] > 0) {
      if (c.sharedLimit > 0 && this.transferFromShared(c, node, cpu, batchcount)) {
        c.sharedTouched[node] = 1;
      } else {
        while (batchcount > 0) {
          const slab = this.getFirstSlab(c, node);
          if (slab < 0) break;
          batchcount = this.allocBlock(c, cpu, slab, batchcount);
          this.fixupSlabList(c, slab);
        }
        c.freeObjects[node] -= c.acAvail[cpu];
      }
    }
    if (c.acAvail[cpu] === 0) {
      // direct_grow
      const slab = this.cacheGrowBegin(c, gfp, node);
      if (slab >= 0) {
        if (c.acAvail[cpu] === 0) this.allocBlock(c, cpu, slab, batchcount);
        this.cacheGrowEnd(c, slab);
      }
      if (c.acAvail[cpu] === 0) return 0;
    }
    c.acTouched[cpu] = 1;
    const avail = --c.acAvail[cpu];
    return c.acEntry[base + avail];
  }

  /** transfer_objects(ac, n->shared, batchcount): from the top of the shared array. */
  private transferFromShared(c: SlabCache, node: number, cpu: number, max: number): number {
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
  private getFirstSlab(c: SlabCache, node: number): number {
    let pfn = c.lists.first(node * NR_SLAB_LISTS + SLABS_PARTIAL);
    if (pfn < 0) {
      c.freeTouched[node] = 1;
      pfn = c.lists.first(node * NR_SLAB_LISTS + SLABS_FREE);
      if (pfn < 0) return -1;
      c.freeSlabs[node]--;
    }
    return this.pages.index[pfn];
  }

  /** alloc_block(): objects of one slab into the CPU's array cache. Returns what is left of batchcount. */
  private allocBlock(c: SlabCache, cpu: number, slab: number, batchcount: number): number {
    const t = this.slabs;
    const base = cpu * c.limit;
    while (t.active[slab] < c.num) {
      if (batchcount-- === 0) break;
      c.acEntry[base + c.acAvail[cpu]++] = this.slabGetObj(c, slab);
    }
    return batchcount;
  }

  // ---------------------------------------------------------------- bulk

  /** kmem_cache_alloc_bulk(): __do_cache_alloc() in a loop; all or nothing. */
  kmemCacheAllocBulk(cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
    const c = this.live(cache, 'kmem_cache_alloc_bulk');
    if (!c || !Number.isInteger(n) || n < 0 || n > out.length) return 0;
    if (this.services.shouldFailSlab(c, gfp)) return 0;
    let i = 0;
    for (; i < n; i++) {
      const addr = this.cacheAlloc(c, gfp);
      if (addr === 0) break;
      out[i] = addr;
    }
    for (let j = 0; j < i; j++) this.postAlloc(c, out[j], gfp);
    if (i < n) {
      // error: __kmem_cache_free_bulk() of what was taken.
      for (let j = 0; j < i; j++) {
        if (this.checkFree(out[j], c)) this.cacheFree(c, out[j]);
      }
      return 0;
    }
    return n;
  }

  /** kmem_cache_free_bulk(): cache_from_obj() and __cache_free() per object. */
  kmemCacheFreeBulk(cache: KmemCache, n: number, addrs: Float64Array): void {
    const c = this.live(cache, 'kmem_cache_free_bulk');
    if (!c) return;
    const count = Math.min(n, addrs.length);
    for (let i = 0; i < count; i++) {
      const addr = addrs[i];
      if (addr === 0) continue;
      if (this.checkFree(addr, c)) this.cacheFree(c, addr);
    }
  }
}

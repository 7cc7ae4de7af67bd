/**
 * SLAB's free path (mm/slab.c, 4.17): kmem_cache_free() and kfree(), __cache_free() with the
 * KASAN hook (kasan_slab_free() may keep the object in its quarantine), ___cache_free() onto
 * the CPU's array cache, cache_flusharray() to the shared array, and free_block() back to the
 * slabs, destroying free slabs above free_limit. Also the quarantine's release of an object.
 */
import { SLAB_POISON, SLAB_RED_ZONE, ZERO_SIZE_PTR, type KmemCache, type ObjAddr } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_PARTIAL, type SlabCache } from './cache.js';
import { SlabGrow } from './grow.js';
import { hex } from './slab-state.js';

export class SlabFreePath extends SlabGrow {
  kmemCacheFree(cache: KmemCache, addr: ObjAddr): void {
    if (addr === 0) return;
    const c = this.live(cache, 'kmem_cache_free');
    if (!c) return;
    const owner = this.checkFree(addr, c);
    if (owner) this.cacheFree(owner, addr);
  }

  kfree(addr: ObjAddr): void {
    if (addr === 0 || addr === ZERO_SIZE_PTR) return;
    const owner = this.checkFree(addr, undefined);
    if (owner) this.cacheFree(owner, addr);
  }

  /** The quarantine gives back an object whose free KASAN delayed: ___cache_free() without the hook. */
  quarantineRelease(cache: KmemCache, addr: ObjAddr): void {
    const c = this.live(cache, 'quarantine release');
    if (!c) return;
    const owner = this.lookupObject(addr);
    if (owner !== c || this.foundIdx < 0) {
      this.services.slabError(owner && owner !== c ? 'wrong-cache' : 'invalid-free', c, addr, `qlink_free: ${hex(addr)} is not an object of cache ${c.name}`);
      return;
    }
    if (this.slabs.testInUse(this.foundSlab, this.foundIdx)) {
      this.services.slabError('double-free', c, addr, `qlink_free: ${hex(addr)} of cache ${c.name} is allocated, not in the quarantine`);
      return;
    }
    this.cacheFreeNoHook(c, addr);
  }

  /** __cache_free(): KASAN may keep the object (quarantine); else ___cache_free(). */
  protected cacheFree(c: SlabCache, addr: number): void {
    this.slabs.clearInUse(this.foundSlab, this.foundIdx);
    if (this.services.kasan?.slabFree(c, addr)) return;
    this.cacheFreeNoHook(c, addr);
  }

  /** ___cache_free(): cache_free_debugcheck(), then onto the CPU's array cache, flushing a batch when full. */
  private cacheFreeNoHook(c: SlabCache, addr: number): void {
    if (c.flags & (SLAB_POISON | SLAB_RED_ZONE)) this.freeDebugcheck(c, addr);
    const cpu = this.sched.currentCpu;
    if (c.acAvail[cpu] >= c.limit) this.cacheFlusharray(c, cpu);
    c.acEntry[cpu * c.limit + c.acAvail[cpu]++] = addr;
  }

  /**
   * cache_flusharray(): the oldest batchcount objects of the array cache go to the node's
   * shared array when it has room, else back to their slabs (free_block()).
   */
  private cacheFlusharray(c: SlabCache, cpu: number): void {
    const node = this.cpuNode(cpu);
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
    if (!done) this.freeBlock(c, c.acEntry, base, batchcount);
    const avail = c.acAvail[cpu] - batchcount;
    c.acEntry.copyWithin(base, base + batchcount, base + batchcount + avail);
    c.acAvail[cpu] = avail;
  }

  /**
   * free_block(): objects back to their slabs (a slab that becomes empty goes to slabs_free,
   * others to the tail of slabs_partial), then free slabs beyond n->free_limit are destroyed
   * (slabs_destroy()). Each object goes to the node of its page.
   */
  protected freeBlock(c: SlabCache, entries: Float64Array, start: number, count: number): void {
    const t = this.slabs;
    for (let i = start; i < start + count; i++) {
      const addr = entries[i];
      this.lookupObject(addr);
      const slab = this.foundSlab;
      const node = t.node[slab];
      c.freeObjects[node]++;
      c.lists.remove(t.list[slab], t.headPfn[slab]);
      this.slabPutObj(c, slab, this.foundIdx);
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
        this.slabDestroy(c, this.pages.index[pfn]);
      }
    }
  }
}

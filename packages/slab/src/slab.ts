/**
 * SLAB (mm/slab.c, Linux 4.17): caches of objects in slabs, per-cpu array caches in front of
 * per-node slab lists and shared arrays, and the periodic cache_reap().
 *
 * Objects live in page memory (PhysMemory); every per-slab, per-cpu and per-node figure lives
 * in typed arrays, so kmem_cache_alloc()/kmem_cache_free() allocate no JavaScript objects.
 *
 * `Slab` is the allocator as the kernel sees it (the SlabAllocator contract): it holds the state
 * (state.ts) in a private field and hands each call to a mechanism (alloc.ts, free.ts, reap.ts,
 * slab-common.ts, lookup.ts). It has no behaviour of its own to override: variants pass hooks to
 * createSlabAllocator() (index.ts), which builds the state, boots it and then this object.
 */
import type { FreelistCorruption, Gfp, KmemCache, ObjAddr, SlabAllocator, SlabInfo } from '@mmkit/core';
import * as allocMod from './alloc.js';
import * as freeMod from './free.js';
import { KMALLOC_MAX_SIZE } from './kmalloc.js';
import * as lookupMod from './lookup.js';
import * as reapMod from './reap.js';
import * as slabCommonMod from './slab-common.js';
import type { SlabState } from './state.js';
import { validateFreelists } from './validate.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { kmalloc, kmemCacheAlloc, kmemCacheAllocBulk, kmemCacheFreeBulk } = allocMod;
const { kfree, kmemCacheFree, quarantineRelease } = freeMod;
const { ksize } = lookupMod;
const { cacheReapRuns, kmemCacheShrink } = reapMod;
const { getSlabinfo, kmemCacheBootstrap, kmemCacheCreate, kmemCacheDestroy } = slabCommonMod;

export class Slab implements SlabAllocator {
  readonly name: string;
  readonly supports = { bulk: true, kasan: true } as const;
  readonly kmallocSizes: readonly number[];
  readonly kmallocMaxCacheSize = KMALLOC_MAX_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;
  /** slab_max_order (kmem_cache_init()). */
  readonly slabMaxOrder: number;

  private readonly st: SlabState;

  /** The state must be booted already (createSlabAllocator() does it). */
  constructor(st: SlabState, name = 'slab') {
    this.st = st;
    this.name = name;
    this.kmallocSizes = st.kmallocSizes;
    this.slabMaxOrder = st.slabMaxOrder;
  }

  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): KmemCache | null {
    return kmemCacheCreate(this.st, name, size, align, flags, ctor);
  }

  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr {
    return kmemCacheAlloc(this.st, cache, gfp);
  }

  kmemCacheFree(cache: KmemCache, addr: ObjAddr): void {
    kmemCacheFree(this.st, cache, addr);
  }

  kmemCacheAllocBulk(cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
    return kmemCacheAllocBulk(this.st, cache, gfp, n, out);
  }

  kmemCacheFreeBulk(cache: KmemCache, n: number, addrs: Float64Array): void {
    kmemCacheFreeBulk(this.st, cache, n, addrs);
  }

  kmemCacheShrink(cache: KmemCache): number {
    return kmemCacheShrink(this.st, cache);
  }

  kmemCacheDestroy(cache: KmemCache): void {
    kmemCacheDestroy(this.st, cache);
  }

  caches(): readonly KmemCache[] {
    return this.st.cacheList;
  }

  kmalloc(size: number, gfp: Gfp): ObjAddr {
    return kmalloc(this.st, size, gfp);
  }

  kfree(addr: ObjAddr): void {
    kfree(this.st, addr);
  }

  ksize(addr: ObjAddr): number {
    return ksize(this.st, addr);
  }

  bootstrap(): void {
    kmemCacheBootstrap(this.st);
  }

  quarantineRelease(cache: KmemCache, addr: ObjAddr): void {
    quarantineRelease(this.st, cache, addr);
  }

  cacheReapRuns(cpu: number): number {
    return cacheReapRuns(this.st, cpu);
  }

  slabinfo(cache: KmemCache): SlabInfo {
    return getSlabinfo(cache);
  }

  validateFreelists(max: number): readonly FreelistCorruption[] {
    return validateFreelists(this.st, max);
  }
}

/**
 * SLAB (mm/slab.c, Linux 4.17): caches of objects in slabs, per-cpu array caches in front of
 * per-node slab lists and shared arrays, and the periodic cache_reap().
 *
 * Objects live in page memory (PhysMemory); every per-slab, per-cpu and per-node figure lives
 * in typed arrays, so kmem_cache_alloc()/kmem_cache_free() allocate no JavaScript objects.
 *
 * This module is the allocator as the kernel sees it: kmem_cache_init() and
 * create_kmalloc_caches(), kmem_cache_create() (create_cache() -> __kmem_cache_create()),
 * kmalloc() / ksize(), kmem_cache_destroy() and get_slabinfo(). The paths it builds on are its
 * base classes: slab-state.ts, debug-checks.ts, grow.ts, free.ts, alloc.ts, reap.ts.
 */
import {
  GFP_DMA,
  PAGE_SIZE,
  SLAB_ACCOUNT,
  SLAB_CACHE_DMA,
  SLAB_DEBUG_OBJECTS,
  SLAB_FAILSLAB,
  SLAB_HWCACHE_ALIGN,
  SLAB_KASAN,
  SLAB_MEM_SPREAD,
  SLAB_NOLEAKTRACE,
  SLAB_PANIC,
  SLAB_TYPESAFE_BY_RCU,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  ZERO_SIZE_PTR,
  __GFP_COMP,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  type Gfp,
  type KmemCache,
  type ObjAddr,
  type SlabAllocator,
  type SlabAllocatorServices,
  type SlabInfo,
  calculateAlignment,
} from '@mmkit/core';
import { SlabCache } from './cache.js';
import { SLAB_MAX_ORDER_HI, SLAB_MAX_ORDER_LO } from './constants.js';
import { POISON_FREE, POISON_INUSE, poisonTemplate } from './debug.js';
import { KMALLOC_MAX_SIZE, kmallocIndex, kmallocSizes } from './kmalloc.js';
import { kmemCacheLayout } from './layout.js';
import { SlabReap } from './reap.js';

/**
 * CACHE_CREATE_MASK of CONFIG_SLAB (mm/slab.h): SLAB_CORE_FLAGS, the SLAB debug flags and
 * SLAB_CACHE_FLAGS; kmem_cache_create() drops the rest. SLAB_FAILSLAB is kept for the failslab
 * cache filter of the simulator.
 */
const CACHE_CREATE_MASK =
  SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | SLAB_DEBUG_OBJECTS |
  SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER |
  SLAB_MEM_SPREAD | SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | SLAB_FAILSLAB;


export class Slab extends SlabReap implements SlabAllocator {
  readonly name: string = 'slab';
  readonly supports = { bulk: true, kasan: true } as const;
  readonly kmallocSizes: readonly number[] = kmallocSizes();
  readonly kmallocMaxCacheSize = KMALLOC_MAX_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;

  /** slab_max_order (kmem_cache_init()). */
  readonly slabMaxOrder: number;

  /** kmalloc_caches[] by kmalloc_index(). */
  private readonly kmallocCaches: (SlabCache | undefined)[] = [];
  /** kmalloc_dma_caches[] (CONFIG_ZONE_DMA): "dma-kmalloc-<n>", for kmalloc(GFP_DMA). */
  private readonly kmallocDmaCaches: (SlabCache | undefined)[] = [];

  constructor(services: SlabAllocatorServices) {
    super(services);

    // kmem_cache_init(): slab_max_order is raised when there is more than 32 MiB of memory.
    let totalram = 0;
    for (const r of services.layout.memory) totalram += r.end - r.start;
    for (const r of services.layout.reserved) totalram -= r.end - r.start;
    this.slabMaxOrder = totalram > (32 << 20) / PAGE_SIZE ? SLAB_MAX_ORDER_HI : SLAB_MAX_ORDER_LO;

    // create_kmalloc_caches(ARCH_KMALLOC_FLAGS = SLAB_HWCACHE_ALIGN), ascending.
    for (const size of this.kmallocSizes) {
      const cache = this.createCache(`kmalloc-${size}`, size, 0, SLAB_HWCACHE_ALIGN, undefined, true);
      if (!cache) throw new Error(`kernel bug: cannot create kmalloc-${size}`);
      this.kmallocCaches[kmallocIndex(size)] = cache;
    }
    // Then the DMA twins, in kmalloc_caches[] index order (96 and 192 first: indexes 1 and 2).
    for (let i = 0; i < this.kmallocCaches.length; i++) {
      const k = this.kmallocCaches[i];
      if (!k) continue;
      const cache = this.createCache(`dma-${k.name}`, k.objectSize, 0, SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA, undefined, true);
      if (!cache) throw new Error(`kernel bug: cannot create dma-${k.name}`);
      this.kmallocDmaCaches[i] = cache;
    }

    // cpucache_init() -> slab_online_cpu() -> start_cpu_timer() for every CPU.
    for (let cpu = 0; cpu < this.sched.nrCpus; cpu++) this.startCpuTimer(cpu);
  }

  // ---------------------------------------------------------------- cache creation

  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): KmemCache | null {
    // kmem_cache_sanity_check() and the alignment check of kmem_cache_create_usercopy().
    if (typeof name !== 'string' || name.length === 0 || !Number.isInteger(size) || size < 8 || size > KMALLOC_MAX_SIZE) {
      this.services.log('err', `kmem_cache_create(${String(name)}) failed with error -22`);
      return null;
    }
    if (!Number.isInteger(align) || align < 0 || (align & (align - 1)) !== 0) {
      this.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
      return null;
    }
    const cache = this.createCache(name, size, align, flags & CACHE_CREATE_MASK, ctor, false);
    if (!cache) {
      this.services.log('err', `kmem_cache_create(${name}) failed with error -7`);
      return null;
    }
    return cache;
  }

  /** create_cache() -> __kmem_cache_create() -> setup_cpu_cache() / enable_cpucache(). */
  private createCache(name: string, size: number, align: number, flags: number, ctor: ((addr: ObjAddr) => void) | undefined, isKmalloc: boolean): SlabCache | undefined {
    if (this.services.kasan) flags |= SLAB_KASAN; // kasan_cache_create()
    const calcAlign = calculateAlignment(flags, align, size);
    const layout = kmemCacheLayout(size, calcAlign, flags, ctor !== undefined, this.slabMaxOrder, (freelistSize) => {
      // kmalloc_slab(freelist_size, 0): the cache an off-slab freelist would come from.
      const idx = kmallocIndex(freelistSize);
      const c = idx < 0 ? undefined : this.kmallocCaches[idx];
      return c ? { size: c.size, offSlab: c.mgmt === 'off-slab' } : undefined;
    });
    if (!layout) return undefined;
    let allocflags = __GFP_COMP;
    if (layout.flags & SLAB_CACHE_DMA) allocflags |= GFP_DMA;
    if (layout.flags & SLAB_RECLAIM_ACCOUNT) allocflags |= __GFP_RECLAIMABLE;
    const id = this.cacheById.length;
    const nrCpus = this.sched.nrCpus;
    const cache = new SlabCache({
      name,
      objectSize: size,
      layout,
      id,
      ctor,
      allocflags,
      isKmalloc,
      nrCpus,
      nrNodes: this.nrNodes,
      cpusOfNode: (node) => (node === 0 ? nrCpus : 0),
      pages: this.pages,
      jiffies: this.sched.jiffies,
      hz: this.sched.hz,
    });
    this.cacheById.push(cache);
    this.poisonFree.push(layout.flags & SLAB_POISON ? poisonTemplate(size, POISON_FREE) : undefined);
    this.poisonInuse.push(layout.flags & SLAB_POISON ? poisonTemplate(size, POISON_INUSE) : undefined);
    this.cacheList.push(cache);
    return cache;
  }

  caches(): readonly KmemCache[] {
    return this.cacheList;
  }

  // ---------------------------------------------------------------- kmalloc

  kmalloc(size: number, gfp: Gfp): ObjAddr {
    if (size === 0) return ZERO_SIZE_PTR;
    if (!Number.isInteger(size) || size < 0) return 0; // no size_t holds it
    if (size > KMALLOC_MAX_SIZE) {
      if (!(gfp & __GFP_NOWARN)) this.services.log('warn', `WARNING: kmalloc_slab(): kmalloc(${size}) is above KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`);
      return 0;
    }
    // kmalloc_slab(): kmalloc_dma_caches[] for GFP_DMA.
    const c = (gfp & GFP_DMA ? this.kmallocDmaCaches : this.kmallocCaches)[kmallocIndex(size)]!;
    return this.slabAlloc(c, gfp);
  }

  /** ksize(): the object_size of the object's cache. */
  ksize(addr: ObjAddr): number {
    if (addr === ZERO_SIZE_PTR || addr === 0) return 0;
    const c = this.lookupObject(addr);
    return c ? c.objectSize : 0;
  }

  // ---------------------------------------------------------------- destroy, slabinfo

  kmemCacheDestroy(cache: KmemCache): void {
    if (!cache) return; // kmem_cache_destroy(NULL)
    const c = this.cacheById[(cache as Partial<SlabCache>).id ?? 0];
    if (!c || c !== cache) {
      this.services.slabError('wrong-cache', cache, 0, `kmem_cache_destroy ${cache.name}: not a live cache of this allocator (already destroyed?)`);
      return;
    }
    if (c.isKmalloc) {
      this.services.slabError('wrong-cache', c, 0, `kmem_cache_destroy ${c.name}: kmalloc caches are never destroyed`);
      return;
    }
    // kmem_cache_destroy(): kasan_cache_shutdown(), then shutdown_cache() -> __kmem_cache_shutdown().
    this.services.kasan?.cacheShutdown(c);
    if (this.shrink(c)) {
      this.services.slabError('leak', c, 0, `kmem_cache_destroy ${c.name}: Slab cache still has objects`);
      return;
    }
    c.destroyed = true;
    this.cacheById[c.id] = undefined;
    this.poisonFree[c.id] = undefined;
    this.poisonInuse[c.id] = undefined;
    this.cacheList.splice(this.cacheList.indexOf(c), 1);
  }

  /** get_slabinfo(): objects in array caches count as active. */
  slabinfo(cache: KmemCache): SlabInfo {
    if (!(cache instanceof SlabCache)) {
      return { activeObjs: 0, numObjs: 0, activeSlabs: 0, numSlabs: 0, objectsPerSlab: 0, pagesPerSlab: 0, limit: 0, batchcount: 0, shared: 0, sharedAvail: 0 };
    }
    const c = cache;
    let totalSlabs = 0;
    let freeSlabs = 0;
    let freeObjects = 0;
    let sharedAvail = 0;
    for (let node = 0; node < c.nrNodes; node++) {
      totalSlabs += c.totalSlabs[node];
      freeSlabs += c.freeSlabs[node];
      freeObjects += c.freeObjects[node];
      sharedAvail += c.sharedAvail[node];
    }
    const numObjs = totalSlabs * c.num;
    return {
      activeObjs: numObjs - freeObjects,
      numObjs,
      activeSlabs: totalSlabs - freeSlabs,
      numSlabs: totalSlabs,
      objectsPerSlab: c.num,
      pagesPerSlab: 1 << c.gfporder,
      limit: c.limit,
      batchcount: c.batchcount,
      shared: c.shared,
      sharedAvail,
    };
  }
}

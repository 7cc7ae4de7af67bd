/**
 * SLAB (mm/slab.c, Linux 4.17): caches of objects in slabs, per-cpu array caches in front of
 * per-node slab lists and shared arrays, and the periodic cache_reap().
 *
 * Objects live in page memory (PhysMemory); every per-slab, per-cpu and per-node figure lives
 * in typed arrays, so kmem_cache_alloc()/kmem_cache_free() allocate no JavaScript objects.
 */
import {
  GFP_DMA,
  NO_PAGE,
  PAGE_SIZE,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_slab,
  PG_tail,
  PhysMemory,
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
  __GFP_ZERO,
  initDelayedWork,
  type DelayedWork,
  type Gfp,
  type KmemCache,
  type ObjAddr,
  type PageStore,
  type Scheduler,
  type SlabAllocator,
  type SlabAllocatorServices,
  type SlabInfo,
  type WorkStruct,
  GFP_CONSTRAINT_MASK, GFP_RECLAIM_MASK, GFP_SLAB_BUG_MASK,
} from '@mmkit/core';
import { SlabCache, NR_SLAB_LISTS, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL } from './cache.js';
import { BATCHREFILL_LIMIT, SLAB_MAX_ORDER_HI, SLAB_MAX_ORDER_LO } from './constants.js';
import { ObjectBytes, POISON_FREE, POISON_INUSE, RED_ACTIVE, RED_INACTIVE, poisonTemplate, redzone1, redzone2, userword } from './debug.js';
import { KMALLOC_MAX_SIZE, kmallocIndex, kmallocSizes } from './kmalloc.js';
import { calculateAlignment, kmemCacheLayout } from './layout.js';
import { SlabTable } from './slab-table.js';


/**
 * CACHE_CREATE_MASK of CONFIG_SLAB (mm/slab.h): SLAB_CORE_FLAGS, the SLAB debug flags and
 * SLAB_CACHE_FLAGS; kmem_cache_create() drops the rest. SLAB_FAILSLAB is kept for the failslab
 * cache filter of the simulator.
 */
const CACHE_CREATE_MASK =
  SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | SLAB_DEBUG_OBJECTS |
  SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER |
  SLAB_MEM_SPREAD | SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | SLAB_FAILSLAB;

/** INT_MAX, as __kmem_cache_shrink() passes to drain_freelist(). */
const INT_MAX = 0x7fffffff;

function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}

export class Slab implements SlabAllocator {
  readonly name: string = 'slab';
  readonly supports = { bulk: true, kasan: true } as const;
  readonly kmallocSizes: readonly number[] = kmallocSizes();
  readonly kmallocMaxCacheSize = KMALLOC_MAX_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;

  /** REAPTIMEOUT_AC: 2 * HZ between two cache_reap() runs of a CPU. */
  protected readonly reaptimeoutAc: number;
  /** REAPTIMEOUT_NODE: 4 * HZ between two reaps of a node's shared array and free slabs. */
  protected readonly reaptimeoutNode: number;
  /** slab_max_order (kmem_cache_init()). */
  readonly slabMaxOrder: number;

  protected readonly sched: Scheduler;
  private readonly pages: PageStore;
  private readonly bytes: ObjectBytes;
  private readonly slabs = new SlabTable();
  private readonly cacheList: SlabCache[] = [];
  /** Caches by id (page->slab_cache); undefined once destroyed. */
  private readonly cacheById: (SlabCache | undefined)[] = [undefined];
  /** kmalloc_caches[] by kmalloc_index(). */
  private readonly kmallocCaches: (SlabCache | undefined)[] = [];
  /** kmalloc_dma_caches[] (CONFIG_ZONE_DMA): "dma-kmalloc-<n>", for kmalloc(GFP_DMA). */
  private readonly kmallocDmaCaches: (SlabCache | undefined)[] = [];
  private readonly nrNodes: number;
  private readonly nrZones: number;
  /** per-cpu slab_reap_work. */
  private readonly reapWork: DelayedWork[] = [];
  private readonly reapRuns: Int32Array;
  /** Poison templates per cache id (POISON_FREE, POISON_INUSE). */
  private readonly poisonFree: (Uint8Array | undefined)[] = [undefined];
  private readonly poisonInuse: (Uint8Array | undefined)[] = [undefined];
  /** Set by lookupObject(): the slab and index of the address looked up. */
  private foundSlab = -1;
  private foundIdx = -1;

  constructor(protected readonly services: SlabAllocatorServices) {
    this.sched = services.sched;
    this.pages = services.pages;
    this.bytes = new ObjectBytes(services.contents, services.phys);
    this.reaptimeoutAc = 2 * this.sched.hz;
    this.reaptimeoutNode = 4 * this.sched.hz;
    let maxNid = 0;
    for (const node of services.layout.nodes) maxNid = Math.max(maxNid, node.nid);
    this.nrNodes = maxNid + 1;
    this.nrZones = services.layout.zones.nrZones;
    this.reapRuns = new Int32Array(this.sched.nrCpus);

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

  // ---------------------------------------------------------------- allocation

  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr {
    const c = this.live(cache, 'kmem_cache_alloc');
    if (!c) return 0;
    return this.slabAlloc(c, gfp);
  }

  /** slab_alloc(): slab_pre_alloc_hook(), __do_cache_alloc(), the debug checks, __GFP_ZERO, slab_post_alloc_hook(). */
  private slabAlloc(c: SlabCache, gfp: Gfp): ObjAddr {
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

  /** numa_mem_id() of a CPU: every CPU sits on node 0 (the services give no cpu_to_node()). */
  private cpuNode(_cpu: number): number {
    return 0;
  }

  /** page_to_nid(). */
  private pageNode(pfn: number): number {
    const z = this.pages.zoneNum[pfn];
    if (z === 255) return 0;
    const nid = Math.floor(z / this.nrZones);
    return nid < this.nrNodes ? nid : 0;
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

  /** slab_get_obj(): the object of freelist[active]. */
  private slabGetObj(c: SlabCache, slab: number): number {
    const t = this.slabs;
    const idx = t.freelist[t.freelistBase(slab) + t.active[slab]];
    t.active[slab]++;
    return t.sMem[slab] + idx * c.size + c.objOffset;
  }

  /** slab_put_obj(). */
  private slabPutObj(c: SlabCache, slab: number, idx: number): void {
    const t = this.slabs;
    t.active[slab]--;
    t.freelist[t.freelistBase(slab) + t.active[slab]] = idx;
  }

  /** fixup_slab_list(): onto slabs_full or slabs_partial. */
  private fixupSlabList(c: SlabCache, slab: number): void {
    const t = this.slabs;
    const pfn = t.headPfn[slab];
    if (t.list[slab] >= 0) c.lists.remove(t.list[slab], pfn);
    const list = t.node[slab] * NR_SLAB_LISTS + (t.active[slab] === c.num ? SLABS_FULL : SLABS_PARTIAL);
    c.lists.addHead(list, pfn);
    t.list[slab] = list;
  }

  /**
   * cache_grow_begin(): kmem_getpages() (with cachep->allocflags, __GFP_COMP among them), the
   * next colour of the node, alloc_slabmgmt() (page->s_mem, page->active), slab_map_pages()
   * (PG_slab, page->slab_cache) and cache_init_objs().
   */
  private cacheGrowBegin(c: SlabCache, gfp: Gfp, node: number): number {
    if (gfp & GFP_SLAB_BUG_MASK) {
      this.services.log('warn', `Unexpected gfp: ${hex((gfp & GFP_SLAB_BUG_MASK) >>> 0)}. Fixing up to gfp: ${hex((gfp & ~GFP_SLAB_BUG_MASK) >>> 0)}. Fix your code!`);
      gfp &= ~GFP_SLAB_BUG_MASK;
    }
    const pageGfp = (gfp & (GFP_CONSTRAINT_MASK | GFP_RECLAIM_MASK)) | c.allocflags;
    const pfn = this.services.pageAllocator.allocPages(pageGfp, c.gfporder, node);
    if (pfn === NO_PAGE) {
      if (!(gfp & __GFP_NOWARN)) {
        // slab_out_of_memory()
        this.services.log('warn', `SLAB: Unable to allocate memory on node ${node}, gfp=${hex(gfp)}\n  cache: ${c.name}, object size: ${c.size}, order: ${c.gfporder}`);
      }
      return -1;
    }
    const pnode = this.pageNode(pfn);
    // Colour of the slab: colour_next advances first, then wraps.
    let colourNext = c.colourNext[pnode] + 1;
    if (colourNext >= c.colour) colourNext = 0;
    c.colourNext[pnode] = colourNext;
    const offset = (colourNext >= c.colour ? 0 : colourNext) * c.colourOff;

    const t = this.slabs;
    const slab = t.alloc();
    t.active[slab] = 0;
    t.sMem[slab] = PhysMemory.addrOf(pfn) + offset;
    t.headPfn[slab] = pfn;
    t.cacheId[slab] = c.id;
    t.node[slab] = pnode;
    t.list[slab] = -1;

    // slab_map_pages(): page->slab_cache and PG_slab on the head; tails point to their head.
    const pages = this.pages;
    pages.setFlag(pfn, PG_slab);
    pages.mapping[pfn] = c.id;
    pages.index[pfn] = slab;
    const nr = 1 << c.gfporder;
    for (let p = pfn + 1; p < pfn + nr; p++) pages.private[p] = pfn;

    this.cacheInitObjs(c, slab);
    return slab;
  }

  /** cache_init_objs() (and cache_init_objs_debug()): constructors, red zones, poison, freelist[i] = i. */
  private cacheInitObjs(c: SlabCache, slab: number): void {
    const t = this.slabs;
    const fl = t.freelistBase(slab);
    const debug = (c.flags & (SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON)) !== 0;
    for (let i = 0; i < c.num; i++) {
      const addr = t.sMem[slab] + i * c.size + c.objOffset;
      if (debug) {
        if (c.flags & SLAB_STORE_USER) this.services.phys.writeU64(userword(addr, c.objOffset, c.size), 0);
        if (c.flags & SLAB_RED_ZONE) {
          this.bytes.write(redzone1(addr), RED_INACTIVE);
          this.bytes.write(redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0), RED_INACTIVE);
        }
      }
      // The constructor would break the poison: with SLAB_POISON it runs at each allocation.
      if (c.ctor && !(c.flags & SLAB_POISON)) c.ctor(addr);
      if (c.flags & SLAB_POISON) this.bytes.write(addr, this.poisonFree[c.id]!);
      t.freelist[fl + i] = i;
    }
  }

  /** cache_grow_end(): the new slab onto a list of its node; n->total_slabs, n->free_objects. */
  private cacheGrowEnd(c: SlabCache, slab: number): void {
    const t = this.slabs;
    const node = t.node[slab];
    c.totalSlabs[node]++;
    if (t.active[slab] === 0) {
      const list = node * NR_SLAB_LISTS + SLABS_FREE;
      c.lists.addTail(list, t.headPfn[slab]);
      t.list[slab] = list;
      c.freeSlabs[node]++;
    } else {
      this.fixupSlabList(c, slab);
    }
    c.freeObjects[node] += c.num - t.active[slab];
  }

  /** cache_alloc_debugcheck_after(): poison check and POISON_INUSE, red zones to RED_ACTIVE, the ctor of poisoned caches. */
  private allocDebugcheckAfter(c: SlabCache, addr: number): void {
    if (c.flags & SLAB_POISON) {
      if (!this.bytes.matches(addr, this.poisonFree[c.id]!)) {
        this.services.slabError('poison', c, addr, `Slab corruption (Not tainted): ${c.name} start=${hex(addr)}, len=${c.objectSize}`);
      }
      this.bytes.write(addr, this.poisonInuse[c.id]!);
    }
    if (c.flags & SLAB_RED_ZONE) {
      const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
      if (!this.bytes.matches(redzone1(addr), RED_INACTIVE) || !this.bytes.matches(rz2, RED_INACTIVE)) {
        this.services.slabError('redzone', c, addr, `slab error in cache_alloc_debugcheck_after(): cache \`${c.name}': double free, or memory outside object was overwritten (${hex(addr)})`);
      }
      this.bytes.write(redzone1(addr), RED_ACTIVE);
      this.bytes.write(rz2, RED_ACTIVE);
    }
    if (c.ctor && c.flags & SLAB_POISON) c.ctor(addr);
  }

  // ---------------------------------------------------------------- freeing

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

  /**
   * The checks before a free (virt_to_cache(), cache_from_obj() and the DEBUG
   * cache_free_debugcheck() of Linux, always on here): the cache owning addr, or undefined after
   * a report. Leaves the slab and index in foundSlab / foundIdx.
   */
  private checkFree(addr: number, expected: SlabCache | undefined): SlabCache | undefined {
    const c = this.lookupObject(addr);
    if (!c) {
      if (expected) this.services.slabError('invalid-free', expected, addr, `virt_to_cache: Object is not a Slab page! (${hex(addr)} freed to ${expected.name})`);
      else this.services.slabError('invalid-free', undefined, addr, `kfree_debugcheck: out of range ptr ${hex(addr)}.`);
      return undefined;
    }
    if (expected && c !== expected) {
      this.services.slabError('wrong-cache', expected, addr, `cache_from_obj: Wrong slab cache. ${expected.name} but object is from ${c.name}`);
      return undefined;
    }
    if (this.foundIdx < 0) {
      this.services.slabError('invalid-free', c, addr, `cache_free_debugcheck: cache \`${c.name}': ${hex(addr)} is not the start of an object`);
      return undefined;
    }
    if (!this.slabs.testInUse(this.foundSlab, this.foundIdx)) {
      this.services.slabError('double-free', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': double free detected (${hex(addr)})`);
      return undefined;
    }
    return c;
  }

  /**
   * The cache and slab of an address: page -> compound head -> PG_slab -> page->slab_cache.
   * Sets foundSlab and foundIdx (-1 when addr is inside the slab but not an object's start).
   */
  private lookupObject(addr: number): SlabCache | undefined {
    this.foundSlab = -1;
    this.foundIdx = -1;
    if (!Number.isInteger(addr) || addr <= 0) return undefined;
    const pages = this.pages;
    const pfn = Math.floor(addr / PAGE_SIZE);
    if (pfn >= pages.maxPfn) return undefined;
    const head = pages.testFlag(pfn, PG_tail) ? pages.private[pfn] : pfn;
    if (!pages.testFlag(head, PG_slab)) return undefined;
    const c = this.cacheById[pages.mapping[head]];
    if (!c) return undefined;
    const slab = pages.index[head];
    const t = this.slabs;
    if (t.headPfn[slab] !== head || t.cacheId[slab] !== c.id) return undefined;
    this.foundSlab = slab;
    const off = addr - c.objOffset - t.sMem[slab];
    if (off >= 0 && off % c.size === 0 && off / c.size < c.num) this.foundIdx = off / c.size;
    return c;
  }

  /** __cache_free(): KASAN may keep the object (quarantine); else ___cache_free(). */
  private cacheFree(c: SlabCache, addr: number): void {
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

  /** cache_free_debugcheck(): verify_redzone_free() and poison_obj(POISON_FREE). */
  private freeDebugcheck(c: SlabCache, addr: number): void {
    if (c.flags & SLAB_RED_ZONE) {
      const rz1 = redzone1(addr);
      const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
      if (!this.bytes.matches(rz1, RED_ACTIVE) || !this.bytes.matches(rz2, RED_ACTIVE)) {
        const what = this.bytes.matches(rz1, RED_INACTIVE) && this.bytes.matches(rz2, RED_INACTIVE) ? 'double free detected' : 'memory outside object was overwritten';
        this.services.slabError('redzone', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': ${what} (${hex(addr)})`);
      }
      this.bytes.write(rz1, RED_INACTIVE);
      this.bytes.write(rz2, RED_INACTIVE);
    }
    if (c.flags & SLAB_POISON) this.bytes.write(addr, this.poisonFree[c.id]!);
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
  private freeBlock(c: SlabCache, entries: Float64Array, start: number, count: number): void {
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

  /** slab_destroy() -> kmem_freepages(): struct page back to what the page allocator expects. */
  private slabDestroy(c: SlabCache, slab: number): void {
    const t = this.slabs;
    const pfn = t.headPfn[slab];
    const pages = this.pages;
    const nr = 1 << c.gfporder;
    for (let p = pfn + 1; p < pfn + nr; p++) pages.private[p] = 0;
    pages.clearFlag(pfn, PG_slab);
    pages.mapping[pfn] = 0;
    pages.index[pfn] = 0;
    pages.mapcount[pfn] = PAGE_UNMAPPED_MAPCOUNT; // page_mapcount_reset()
    pages.lruNext[pfn] = -1;
    pages.lruPrev[pfn] = -1;
    t.release(slab);
    this.services.pageAllocator.freePages(pfn, c.gfporder);
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

  // ---------------------------------------------------------------- shrink, destroy, slabinfo

  /** __kmem_cache_shrink(): drain_cpu_caches(), then every free slab; 1 while full or partial slabs remain. */
  kmemCacheShrink(cache: KmemCache): number {
    const c = this.live(cache, 'kmem_cache_shrink');
    if (!c) return 0;
    return this.shrink(c);
  }

  private shrink(c: SlabCache): number {
    this.drainCpuCaches(c);
    let ret = 0;
    for (let node = 0; node < c.nrNodes; node++) {
      this.drainFreelist(c, node, INT_MAX);
      if (!c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_FULL) || !c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_PARTIAL)) ret++;
    }
    return ret ? 1 : 0;
  }

  /** drain_cpu_caches(): do_drain() on each CPU, then every shared array (free_all). */
  private drainCpuCaches(c: SlabCache): void {
    for (let cpu = 0; cpu < this.sched.nrCpus; cpu++) {
      this.freeBlock(c, c.acEntry, cpu * c.limit, c.acAvail[cpu]);
      c.acAvail[cpu] = 0;
    }
    for (let node = 0; node < c.nrNodes; node++) this.drainSharedLocked(c, node, true);
  }

  /** drain_freelist(): up to tofree slabs from the tail of slabs_free back to the page allocator. */
  private drainFreelist(c: SlabCache, node: number, tofree: number): number {
    const list = node * NR_SLAB_LISTS + SLABS_FREE;
    let nrFreed = 0;
    while (nrFreed < tofree && !c.lists.isEmpty(list)) {
      const pfn = c.lists.last(list);
      c.lists.remove(list, pfn);
      c.freeSlabs[node]--;
      c.totalSlabs[node]--;
      c.freeObjects[node] -= c.num;
      this.slabDestroy(c, this.pages.index[pfn]);
      nrFreed++;
    }
    return nrFreed;
  }

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

  /** A live cache of this allocator, or undefined after a report. */
  private live(cache: KmemCache, what: string): SlabCache | undefined {
    const c = this.cacheById[(cache as Partial<SlabCache>).id ?? 0];
    if (c && c === cache) return c;
    this.services.slabError('wrong-cache', cache, 0, `${what}: cache ${cache.name} is not a live cache (destroyed, or from another allocator)`);
    return undefined;
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

  // ---------------------------------------------------------------- cache_reap

  cacheReapRuns(cpu: number): number {
    return cpu >= 0 && cpu < this.reapRuns.length ? this.reapRuns[cpu] : 0;
  }

  /** start_cpu_timer(): the CPU's slab_reap_work, first run on a whole second skewed per CPU. */
  private startCpuTimer(cpu: number): void {
    const work = initDelayedWork(`slab_reap_work/${cpu}`, (w) => this.cacheReap(w));
    this.reapWork[cpu] = work;
    this.sched.queueDelayedWorkOn(cpu, work, this.sched.roundJiffiesRelative(this.sched.hz, cpu));
  }

  /**
   * cache_reap(): on the CPU it runs on, for every cache, drain a fifth of the CPU's array cache
   * unless it was touched; every REAPTIMEOUT_NODE also the node's shared array and, unless a
   * free slab was used since, some free slabs. Then the next iteration.
   */
  protected cacheReap(work: WorkStruct): void {
    const cpu = this.sched.currentCpu;
    const node = this.cpuNode(cpu);
    const jiffies = this.sched.jiffies;
    this.reapRuns[cpu]++;
    for (const c of this.cacheList) {
      // drain_alien_cache()/reap_alien(): no alien caches in this model.
      this.drainCpuArray(c, cpu);
      if (c.nextReap[node] > jiffies) continue; // time_after(n->next_reap, jiffies)
      c.nextReap[node] = jiffies + this.reaptimeoutNode;
      this.drainShared(c, node);
      if (c.freeTouched[node]) c.freeTouched[node] = 0;
      else this.drainFreelist(c, node, Math.floor((c.freeLimit[node] + 5 * c.num - 1) / (5 * c.num)));
    }
    this.scheduleNextReap(work as DelayedWork);
  }

  /**
   * The next cache_reap() of this CPU (the fix of 4.17, "mm, slab: reschedule cache_reap() on the
   * same CPU"): schedule_delayed_work_on(smp_processor_id(), work, round_jiffies_relative(REAPTIMEOUT_AC)).
   */
  protected scheduleNextReap(work: DelayedWork): void {
    this.sched.queueDelayedWorkOn(this.sched.currentCpu, work, this.sched.roundJiffiesRelative(this.reaptimeoutAc));
  }

  /** drain_array() on a CPU's array cache. */
  private drainCpuArray(c: SlabCache, cpu: number): void {
    if (c.acAvail[cpu] === 0) return;
    if (c.acTouched[cpu]) {
      c.acTouched[cpu] = 0;
      return;
    }
    const avail = c.acAvail[cpu];
    const tofree = this.drainCount(c.limit, avail, false);
    const base = cpu * c.limit;
    this.freeBlock(c, c.acEntry, base, tofree);
    c.acEntry.copyWithin(base, base + tofree, base + avail);
    c.acAvail[cpu] = avail - tofree;
  }

  /** drain_array() on a node's shared array. */
  private drainShared(c: SlabCache, node: number): void {
    if (c.sharedAvail[node] === 0) return;
    if (c.sharedTouched[node]) {
      c.sharedTouched[node] = 0;
      return;
    }
    this.drainSharedLocked(c, node, false);
  }

  /** drain_array_locked() on a shared array. */
  private drainSharedLocked(c: SlabCache, node: number, freeAll: boolean): void {
    const avail = c.sharedAvail[node];
    if (avail === 0) return;
    const tofree = this.drainCount(c.sharedLimit, avail, freeAll);
    const base = node * c.sharedLimit;
    this.freeBlock(c, c.sharedEntry, base, tofree);
    c.sharedEntry.copyWithin(base, base + tofree, base + avail);
    c.sharedAvail[node] = avail - tofree;
  }

  /** drain_array_locked()'s tofree: everything, or (limit + 4) / 5 capped at (avail + 1) / 2. */
  private drainCount(limit: number, avail: number, freeAll: boolean): number {
    let tofree = freeAll ? avail : Math.floor((limit + 4) / 5);
    if (tofree > avail) tofree = Math.floor((avail + 1) / 2);
    return tofree;
  }
}

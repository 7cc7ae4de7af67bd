/**
 * SLUB, the object allocator of Linux 4.17 (mm/slub.c, with mm/slab_common.c): caches of
 * slabs whose free objects are chained through a free pointer kept in the objects' own memory;
 * a per-cpu slab with a lockless freelist (struct kmem_cache_cpu); per-node partial lists
 * (struct kmem_cache_node); kmalloc size classes and kmalloc_large(); bulk alloc/free; and the
 * KASAN free hook of 4.17 (slab_free_freelist_hook() leaves out the objects whose reuse KASAN
 * delays).
 *
 * Per-cpu partial lists (CONFIG_SLUB_CPU_PARTIAL, default y on SMP) are modelled: c->partial,
 * put_cpu_partial(), unfreeze_partials(), s->cpu_partial from set_cpu_partial().
 *
 * Not modelled: CONFIG_SLAB_FREELIST_RANDOM and _HARDENED, cache aliasing
 * (__kmem_cache_alias), memcg caches, the RCU grace period before freeing the pages of a
 * SLAB_TYPESAFE_BY_RCU slab, and the dma-kmalloc-* caches (GFP_DMA kmalloc uses kmalloc-*).
 *
 * The checks Linux does only with slub_debug (free_debug_processing(): invalid pointer, wrong
 * cache, double free) are always on, in O(1) thanks to a state byte per object; red zones and
 * poison are checked when the cache asks for them (SLAB_RED_ZONE, SLAB_POISON). A debug cache
 * takes the slow paths as in Linux (one object per ___slab_alloc(), then deactivate_slab()).
 * A corrupt free pointer is reported ("Freepointer corrupt") and its slab isolated, never
 * followed.
 *
 * Methods a historical variant changes are protected and keep the Linux names:
 *   slabFree(s, page, head, tail, cnt)   slab_free() with slab_free_freelist_hook()
 *   doSlabFree(s, page, head, tail, cnt) do_slab_free()
 * where s is the SlubCache, page the head pfn of the slab, head/tail the first and last object
 * of a detached freelist chained through the free pointers (tail's free pointer is not read),
 * cnt its length. getFreepointer()/setFreepointer() read and write a free pointer.
 */
import {
  GFP_DMA,
  MAX_ORDER,
  NO_PAGE,
  PAGE_SIZE,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_slab,
  PG_tail,
  POISON_END,
  POISON_FREE,
  POISON_INUSE,
  SLAB_CACHE_DMA,
  SLAB_CONSISTENCY_CHECKS,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TRACE,
  SLAB_TYPESAFE_BY_RCU,
  SLUB_RED_ACTIVE,
  SLUB_RED_INACTIVE,
  ZERO_SIZE_PTR,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  formatGfp,
  type Gfp,
  type KmemCache,
  type ObjAddr,
  type PageStore,
  type PhysMemory,
  type SlabAllocator,
  type SlabAllocatorFeatures,
  type SlabAllocatorServices,
  type SlabInfo,
  GFP_CONSTRAINT_MASK, GFP_RECLAIM_MASK, GFP_SLAB_BUG_MASK,
} from '@mmkit/core';
import { OBJ_ALLOCATED, OBJ_DETACHED, OBJ_FREE, SlubCache } from './cache.js';
import { KMALLOC_MAX_CACHE_SIZE, kmallocCreationOrder, kmallocIndex, kmallocInfo } from './kmalloc.js';
import { KMALLOC_MAX_SIZE, POINTER_SIZE, SIZEOF_TRACK, calculateAlignment, calculateSizes, cpuPartialFor, getOrder, minPartialFor } from './sizes.js';

/** SLAB_DEBUG_FLAGS of SLUB (mm/slab.h): caches with these have no per-cpu partial lists. */
const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;
/** SHRINK_PROMOTE_MAX: __kmem_cache_shrink() sorts slabs with up to this many free objects. */
const SHRINK_PROMOTE_MAX = 32;

const hex = (addr: number) => `0x${addr.toString(16)}`;

export class Slub implements SlabAllocator {
  readonly name: string = 'slub';
  readonly supports: SlabAllocatorFeatures = { bulk: true, kasan: true };
  readonly kmallocSizes: readonly number[] = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
  readonly kmallocMaxCacheSize = KMALLOC_MAX_CACHE_SIZE;
  readonly kmallocMaxSize = KMALLOC_MAX_SIZE;

  protected readonly pages: PageStore;
  protected readonly phys: PhysMemory;
  private readonly nrCpus: number;
  private readonly nrNodes: number;
  private readonly nrZones: number;
  /** slab_caches, creation order. */
  private readonly slabCaches: SlubCache[] = [];
  /** page->slab_cache: cache by the id kept in page->mapping (index 0 unused). */
  private readonly byId: (SlubCache | undefined)[] = [undefined];
  /** kmalloc_caches[index]. */
  private readonly kmallocCaches: SlubCache[] = [];
  /** kmalloc_large() blocks: head pfn -> order (compound_order()). */
  private readonly largeOrders = new Map<number, number>();
  /** Scratch of kmem_cache_free_bulk(): entries already handled (Linux NULLs p[i] instead). */
  private bulkDone = new Uint8Array(64);
  /** The freelist acquire_slab() took from a partial slab. */
  private acquiredFreelist = 0;

  constructor(protected readonly services: SlabAllocatorServices) {
    this.pages = services.pages;
    this.phys = services.phys;
    this.nrCpus = services.sched.nrCpus;
    this.nrNodes = Math.max(1, services.layout.nodes.length);
    this.nrZones = services.layout.zones.nrZones;
    // kmem_cache_init() -> create_kmalloc_caches(0)
    for (const index of kmallocCreationOrder()) {
      const { name, size } = kmallocInfo(index);
      const s = this.createCache(name, size, calculateAlignment(0, 8, size), 0, undefined);
      if (!s) throw new Error(`kmem_cache_init: cannot create ${name}`);
      this.kmallocCaches[index] = s;
    }
  }

  // ---------------------------------------------------------------- cache lifecycle

  /** kmem_cache_create() → kmem_cache_sanity_check(), create_cache() → __kmem_cache_create(). */
  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor?: (addr: ObjAddr) => void): SlubCache | null {
    if (typeof name !== 'string' || name.length === 0 || !Number.isInteger(size) || size < POINTER_SIZE || size > KMALLOC_MAX_SIZE) {
      this.services.log('err', `kmem_cache_create(${name}) integrity check failed`);
      return null;
    }
    if (!Number.isInteger(align) || align < 0 || (align & (align - 1)) !== 0) {
      this.services.log('err', `kmem_cache_create(${name}): alignment ${align} is not a power of two`);
      return null;
    }
    flags = (flags & ~SLAB_KASAN) >>> 0; // allocator-private: only kasan_cache_create() sets it
    const s = this.createCache(name, size, calculateAlignment(flags, align, size), flags, ctor);
    if (!s) {
      this.services.log('err', `kmem_cache_create(${name}) failed with error -22`);
      return null;
    }
    return s;
  }

  /** kmem_cache_open() → calculate_sizes(), set_min_partial(); the cache joins slab_caches. */
  private createCache(name: string, size: number, align: number, flags: number, ctor: ((addr: ObjAddr) => void) | undefined): SlubCache | null {
    const geometry = calculateSizes(size, align, flags, ctor !== undefined, this.services.kasan !== undefined, this.nrCpus);
    if (!geometry) return null;
    if (geometry.kasan) flags |= SLAB_KASAN;
    let allocflags = 0;
    if (geometry.order) allocflags |= __GFP_COMP;
    if (flags & SLAB_CACHE_DMA) allocflags |= GFP_DMA;
    if (flags & SLAB_RECLAIM_ACCOUNT) allocflags |= __GFP_RECLAIMABLE;
    const debug = (flags & SLAB_DEBUG_FLAGS) !== 0; // kmem_cache_debug()
    const cpuPartial = cpuPartialFor(geometry.size, !debug);
    const s = new SlubCache(this.byId.length, name, size, align, flags >>> 0, ctor, geometry, minPartialFor(geometry.size), cpuPartial, debug, allocflags, this.nrCpus, this.nrNodes, this.pages);
    this.byId.push(s);
    this.slabCaches.push(s);
    return s;
  }

  caches(): readonly KmemCache[] {
    return this.slabCaches;
  }

  /** The cache object, if it is a live cache of this allocator; else a report. */
  private own(cache: KmemCache, fn: string): SlubCache | undefined {
    if (cache instanceof SlubCache && this.byId[cache.id] === cache) return cache;
    this.services.slabError('wrong-cache', cache, 0, `${fn}: ${cache?.name ?? '(null)'} is not a live slab cache`);
    return undefined;
  }

  /**
   * kmem_cache_destroy() → shutdown_cache(): kasan_cache_shutdown(), then
   * __kmem_cache_shutdown() (flush_all(), free_partial()); objects left are reported and the
   * cache stays.
   */
  kmemCacheDestroy(cache: KmemCache): void {
    const s = this.own(cache, 'kmem_cache_destroy');
    if (!s) return;
    if (this.kmallocCaches.includes(s)) {
      this.services.slabError('wrong-cache', s, 0, `kmem_cache_destroy: ${s.name} is a kmalloc cache`);
      return;
    }
    this.services.kasan?.cacheShutdown(s);
    this.flushAll(s);
    let remaining = 0;
    for (let node = 0; node < this.nrNodes; node++) {
      // free_partial()
      let pfn = s.partial.first(node);
      while (pfn !== -1) {
        const next = s.partial.next(pfn);
        const slot = this.pages.private[pfn];
        if (s.slabInuse[slot] === 0) {
          s.partial.remove(node, pfn);
          this.discardSlab(s, slot);
        }
        pfn = next;
      }
    }
    this.discardIsolated(s);
    for (let node = 0; node < this.nrNodes; node++) remaining += s.nrSlabs[node];
    if (remaining > 0) {
      // list_slab_objects(): slab_err(s, page, "Objects remaining in %s on __kmem_cache_shutdown()")
      let info = '';
      let shown = 0;
      for (let slot = 0; slot < s.slotLimit && shown < 16; slot++) {
        if (s.slabPfn[slot] === -1) continue;
        for (let i = 0; i < s.slabObjects[slot] && shown < 16; i++) {
          if (s.objState[slot * s.stride + i] === OBJ_FREE) continue;
          info += `\nINFO: Object ${hex(this.objectAddr(s, slot, i))} @offset=${s.redLeftPad + i * s.size}`;
          shown++;
        }
      }
      this.services.log('err', `BUG ${s.name} (Not tainted): Objects remaining in ${s.name} on __kmem_cache_shutdown()${info}`);
      this.services.slabError('leak', s, 0, `kmem_cache_destroy ${s.name}: Slab cache still has objects`);
      return;
    }
    s.destroyed = true;
    this.byId[s.id] = undefined;
    this.slabCaches.splice(this.slabCaches.indexOf(s), 1);
  }

  /**
   * __kmem_cache_shrink(): flush_all(), then per node discard the empty partial slabs and sort
   * the rest so that the fullest come first. Returns 1 when slabs remain (slabs_node()).
   */
  kmemCacheShrink(cache: KmemCache): number {
    const s = this.own(cache, 'kmem_cache_shrink');
    if (!s) return 0;
    this.flushAll(s);
    let ret = 0;
    const promote: number[][] = Array.from({ length: SHRINK_PROMOTE_MAX }, () => []);
    for (let node = 0; node < this.nrNodes; node++) {
      const discard: number[] = [];
      const rest: number[] = [];
      for (const list of promote) list.length = 0;
      let pfn = s.partial.popHead(node);
      while (pfn !== -1) {
        const slot = this.pages.private[pfn];
        const free = s.slabObjects[slot] - s.slabInuse[slot];
        if (free === s.slabObjects[slot]) discard.push(slot);
        else if (free <= SHRINK_PROMOTE_MAX) promote[free - 1].unshift(pfn); // list_move(): at the head
        else rest.push(pfn);
        pfn = s.partial.popHead(node);
      }
      // for (i = SHRINK_PROMOTE_MAX - 1; i >= 0; i--) list_splice(promote + i, &n->partial)
      for (const list of promote) for (const p of list) s.partial.addTail(node, p);
      for (const p of rest) s.partial.addTail(node, p);
      for (const slot of discard) this.discardSlab(s, slot);
    }
    this.discardIsolated(s);
    for (let node = 0; node < this.nrNodes; node++) if (s.nrSlabs[node]) ret = 1;
    return ret;
  }

  /** get_slabinfo(): partial slabs' free objects are free; cpu slabs count as in use. */
  slabinfo(cache: KmemCache): SlabInfo {
    const s = cache instanceof SlubCache ? cache : undefined;
    if (!s) return { activeObjs: 0, numObjs: 0, activeSlabs: 0, numSlabs: 0, objectsPerSlab: 0, pagesPerSlab: 0, limit: 0, batchcount: 0, shared: 0, sharedAvail: 0 };
    let nrSlabs = 0;
    let nrObjs = 0;
    let nrFree = 0;
    for (let node = 0; node < this.nrNodes; node++) {
      nrSlabs += s.nrSlabs[node];
      nrObjs += s.totalObjects[node];
      // count_partial(n, count_free)
      for (let pfn = s.partial.first(node); pfn !== -1; pfn = s.partial.next(pfn)) {
        const slot = this.pages.private[pfn];
        nrFree += s.slabObjects[slot] - s.slabInuse[slot];
      }
    }
    return {
      activeObjs: nrObjs - nrFree,
      numObjs: nrObjs,
      activeSlabs: nrSlabs,
      numSlabs: nrSlabs,
      objectsPerSlab: s.objects,
      pagesPerSlab: 1 << s.order,
      limit: 0,
      batchcount: 0,
      shared: 0,
      sharedAvail: 0,
    };
  }

  // ---------------------------------------------------------------- allocation

  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): ObjAddr {
    const s = this.own(cache, 'kmem_cache_alloc');
    if (!s) return 0;
    return this.slabAlloc(s, gfp);
  }

  /** slab_alloc() → slab_alloc_node(): slab_pre_alloc_hook(), the c->freelist fast path, slab_post_alloc_hook(). */
  protected slabAlloc(s: SlubCache, gfp: Gfp): ObjAddr {
    if (this.services.shouldFailSlab(s, gfp)) return 0;
    const cpu = this.services.sched.currentCpu;
    const object = s.cpuFreelist[cpu];
    let ret: number;
    if (object === 0) ret = this.___slabAlloc(s, gfp, cpu);
    else ret = this.loadFreelist(s, cpu, s.cpuSlab[cpu], object);
    if (ret === 0) return 0;
    this.postAlloc(s, ret, gfp);
    return ret;
  }

  /**
   * load_freelist: hand out `object` (the head of the cpu slab's freelist) and make its free
   * pointer the new c->freelist. A free pointer that is no free object of the slab is not
   * followed: the slab is isolated.
   */
  private loadFreelist(s: SlubCache, cpu: number, slot: number, object: number): number {
    s.objState[slot * s.stride + this.objIndex(s, slot, object)] = OBJ_ALLOCATED;
    const next = this.getFreepointer(s, object);
    if (this.validFree(s, slot, next)) s.cpuFreelist[cpu] = next;
    else {
      this.freepointerCorrupt(s, slot, object, next);
      s.cpuSlab[cpu] = -1;
      s.cpuFreelist[cpu] = 0;
    }
    return object;
  }

  /**
   * ___slab_alloc(): refill c->freelist from the cpu slab's page->freelist (get_freelist()),
   * else take a partial slab (get_partial()), else a new slab (new_slab()).
   */
  private ___slabAlloc(s: SlubCache, gfp: Gfp, cpu: number): number {
    let slot: number;
    for (;;) {
      // redo:
      slot = s.cpuSlab[cpu];
      if (slot >= 0) {
        let freelist = s.cpuFreelist[cpu];
        if (freelist === 0) freelist = this.getFreelist(s, slot);
        if (freelist !== 0) return this.loadFreelist(s, cpu, slot, freelist);
        // DEACTIVATE_BYPASS: the slab is full and unfrozen by get_freelist()
        s.cpuSlab[cpu] = -1;
      }
      // new_slab: CPU_PARTIAL_ALLOC, the next slab of c->partial becomes c->page
      const partial = s.cpuPartialList[cpu];
      if (partial < 0) break;
      s.cpuPartialList[cpu] = s.slabNext[partial];
      s.slabNext[partial] = -1;
      s.cpuSlab[cpu] = partial;
      s.cpuFreelist[cpu] = 0;
    }
    // new_slab_objects()
    let freelist: number;
    slot = this.getPartial(s, cpu);
    if (slot >= 0) freelist = this.acquiredFreelist;
    else {
      slot = this.newSlab(s, gfp);
      if (slot < 0) {
        this.slabOutOfMemory(s, gfp);
        return 0;
      }
      freelist = s.slabFreelist[slot];
      s.slabFreelist[slot] = 0;
    }
    s.cpuSlab[cpu] = slot;
    s.cpuFreelist[cpu] = 0;
    if (!s.debug) return this.loadFreelist(s, cpu, slot, freelist);
    // A debug cache (kmem_cache_debug()) takes one object (alloc_debug_processing()) and gives
    // the slab back at once (deactivate_slab()): it never has a cpu slab, so every allocation
    // and every free takes the slow paths, where the checks are.
    const object = this.loadFreelist(s, cpu, slot, freelist);
    if (s.cpuSlab[cpu] === slot) {
      const rest = s.cpuFreelist[cpu];
      s.cpuSlab[cpu] = -1;
      s.cpuFreelist[cpu] = 0;
      this.deactivateSlab(s, slot, rest);
    }
    return object;
  }

  /** get_freelist(): take page->freelist for the cpu; the slab stays frozen only if it had one. */
  private getFreelist(s: SlubCache, slot: number): number {
    const freelist = s.slabFreelist[slot];
    s.slabFreelist[slot] = 0;
    s.slabInuse[slot] = s.slabObjects[slot];
    s.slabFrozen[slot] = freelist !== 0 ? 1 : 0;
    return freelist;
  }

  /** get_partial(): the local node's partial list, then get_any_partial() over the others. */
  private getPartial(s: SlubCache, cpu: number): number {
    const local = this.cpuToNode(cpu);
    let slot = this.getPartialNode(s, local);
    if (slot >= 0) return slot;
    // get_any_partial(): remote nodes with more than min_partial partial slabs
    // (remote_node_defrag_ratio's random skip is left out: always searched).
    for (let node = 0; node < this.nrNodes; node++) {
      if (node === local || s.partial.length[node] <= s.minPartial) continue;
      slot = this.getPartialNode(s, node);
      if (slot >= 0) return slot;
    }
    return -1;
  }

  /**
   * get_partial_node() → acquire_slab(): freeze the first partial slab and take its freelist
   * (mode 1) for c->page; then, with per-cpu partials, freeze more (mode 0, freelist kept) onto
   * c->partial until more than s->cpu_partial / 2 free objects were taken.
   */
  private getPartialNode(s: SlubCache, node: number): number {
    let first = -1;
    let available = 0;
    let pfn = s.partial.first(node);
    while (pfn !== -1) {
      const next = s.partial.next(pfn);
      const slot = this.pages.private[pfn];
      available += s.slabObjects[slot] - s.slabInuse[slot];
      s.partial.remove(node, pfn);
      s.slabFrozen[slot] = 1;
      if (first < 0) {
        first = slot;
        this.acquiredFreelist = s.slabFreelist[slot];
        s.slabFreelist[slot] = 0;
        s.slabInuse[slot] = s.slabObjects[slot];
      } else this.putCpuPartial(s, slot, false); // CPU_PARTIAL_NODE
      if (!s.cpuPartial || available > Math.floor(s.cpuPartial / 2)) break;
      pfn = next;
    }
    return first;
  }

  /**
   * put_cpu_partial(): push a frozen slab onto this CPU's c->partial; with `drain`, a list
   * already holding more than s->cpu_partial free objects goes to the node first
   * (CPU_PARTIAL_DRAIN). The list head carries the counts (page->pages, page->pobjects).
   */
  private putCpuPartial(s: SlubCache, slot: number, drain: boolean): void {
    const cpu = this.services.sched.currentCpu;
    let old = s.cpuPartialList[cpu];
    let pages = 0;
    let pobjects = 0;
    if (old >= 0) {
      pobjects = s.slabPobjects[old];
      pages = s.slabPages[old];
      if (drain && pobjects > s.cpuPartial) {
        this.unfreezePartials(s, cpu);
        old = -1;
        pobjects = 0;
        pages = 0;
      }
    }
    pages++;
    pobjects += s.slabObjects[slot] - s.slabInuse[slot];
    s.slabPages[slot] = pages;
    s.slabPobjects[slot] = pobjects;
    s.slabNext[slot] = old;
    s.cpuPartialList[cpu] = slot;
    if (!s.cpuPartial) this.unfreezePartials(s, cpu);
  }

  /**
   * unfreeze_partials(): every slab of c->partial is unfrozen onto its node's partial list
   * (at the tail), or discarded when empty and the node has min_partial partial slabs.
   */
  private unfreezePartials(s: SlubCache, cpu: number): void {
    let slot = s.cpuPartialList[cpu];
    s.cpuPartialList[cpu] = -1;
    let discard = -1;
    while (slot >= 0) {
      const next = s.slabNext[slot];
      s.slabNext[slot] = -1;
      s.slabFrozen[slot] = 0;
      const node = s.slabNode[slot];
      if (s.slabInuse[slot] === 0 && s.partial.length[node] >= s.minPartial) {
        s.slabNext[slot] = discard;
        discard = slot;
      } else s.partial.addTail(node, s.slabPfn[slot]); // FREE_ADD_PARTIAL
      slot = next;
    }
    while (discard >= 0) {
      const next = s.slabNext[discard];
      s.slabNext[discard] = -1;
      this.discardSlab(s, discard);
      discard = next;
    }
  }

  /**
   * new_slab() → allocate_slab(): pages of order oo (a first try that may fail fast), else of
   * order s->min; PG_slab and page->slab_cache; objects set up (poison, red zones, ctor) and
   * chained in address order; the slab comes frozen with inuse = objects.
   */
  private newSlab(s: SlubCache, gfp: Gfp): number {
    if (gfp & GFP_SLAB_BUG_MASK) {
      this.services.log('warn', `Unexpected gfp: ${hex((gfp & GFP_SLAB_BUG_MASK) >>> 0)}. Fixing up to gfp: ${hex((gfp & ~GFP_SLAB_BUG_MASK) >>> 0)}. Fix your code!`);
      gfp &= ~GFP_SLAB_BUG_MASK;
    }
    const flags = (gfp & (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK)) | s.allocflags;
    let allocGfp = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
    if (allocGfp & __GFP_DIRECT_RECLAIM && s.order > s.minOrder) allocGfp = (allocGfp | __GFP_NOMEMALLOC) & ~(__GFP_RECLAIM | __GFP_NOFAIL);
    let order = s.order;
    let objects = s.objects;
    let pfn = this.services.pageAllocator.allocPages(allocGfp, order);
    if (pfn === NO_PAGE) {
      // ORDER_FALLBACK
      order = s.minOrder;
      objects = s.minObjects;
      pfn = this.services.pageAllocator.allocPages(flags, order);
      if (pfn === NO_PAGE) return -1;
    }
    const pages = this.pages;
    const slot = s.allocSlot();
    const node = this.pfnToNid(pfn);
    pages.setFlag(pfn, PG_slab);
    pages.mapping[pfn] = s.id;
    pages.private[pfn] = slot;
    // compound_head() of the tail pages: kept in their page->private.
    for (let p = pfn + 1; p < pfn + (1 << order); p++) pages.private[p] = pfn;
    s.slabPfn[slot] = pfn;
    s.slabOrder[slot] = order;
    s.slabObjects[slot] = objects;
    s.slabNode[slot] = node;
    s.slabInuse[slot] = objects;
    s.slabFrozen[slot] = 1;
    s.slabIsolated[slot] = 0;
    s.objState.fill(OBJ_FREE, slot * s.stride, slot * s.stride + s.stride);
    // inc_slabs_node()
    s.nrSlabs[node]++;
    s.totalObjects[node] += objects;

    const base = pfn * PAGE_SIZE;
    if (s.flags & SLAB_POISON) this.phys.fill(base, PAGE_SIZE << order, POISON_INUSE);
    const debug = (s.flags & (SLAB_STORE_USER | SLAB_RED_ZONE)) !== 0 || s.objectPoison;
    let p = base + s.redLeftPad;
    for (let i = 0; i < objects; i++, p += s.size) {
      // setup_object() → setup_object_debug() (init_object(SLUB_RED_INACTIVE), init_tracking()), ctor
      if (debug) {
        this.initObject(s, p, SLUB_RED_INACTIVE);
        if (s.flags & SLAB_STORE_USER) this.phys.fill(p + (s.offset ? s.offset + POINTER_SIZE : s.inuse), 2 * SIZEOF_TRACK, 0);
      }
      if (s.ctor) s.ctor(p);
      this.setFreepointer(s, p, i + 1 < objects ? p + s.size : 0);
    }
    s.slabFreelist[slot] = base + s.redLeftPad;
    return slot;
  }

  /** slab_out_of_memory(). */
  private slabOutOfMemory(s: SlubCache, gfp: Gfp): void {
    if (gfp & __GFP_NOWARN) return;
    this.services.log('warn', `SLUB: Unable to allocate memory on node -1, gfp=${hex(gfp)}(${formatGfp(gfp)})\n  cache: ${s.name}, object size: ${s.objectSize}, buffer size: ${s.size}, default order: ${s.order}, min order: ${s.minOrder}`);
  }

  /** slab_post_alloc_hook() and the debug checks of alloc_debug_processing(); __GFP_ZERO. */
  private postAlloc(s: SlubCache, object: number, gfp: Gfp): void {
    if (s.redLeftPad || s.objectPoison) this.allocDebug(s, object);
    if (gfp & __GFP_ZERO) this.phys.fill(object, s.objectSize, 0);
    this.services.kasan?.slabAlloc(s, object);
  }

  /** kmem_cache_alloc_bulk(). */
  kmemCacheAllocBulk(cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
    const s = this.own(cache, 'kmem_cache_alloc_bulk');
    if (!s || !(n > 0) || !Number.isInteger(n) || n > out.length) return 0;
    if (this.services.shouldFailSlab(s, gfp)) return 0;
    const cpu = this.services.sched.currentCpu;
    let i = 0;
    for (; i < n; i++) {
      const object = s.cpuFreelist[cpu];
      const got = object === 0 ? this.___slabAlloc(s, gfp, cpu) : this.loadFreelist(s, cpu, s.cpuSlab[cpu], object);
      if (got === 0) break;
      out[i] = got;
    }
    for (let j = 0; j < i; j++) this.postAlloc(s, out[j], gfp);
    if (i < n) {
      // error: __kmem_cache_free_bulk(s, i, p)
      this.kmemCacheFreeBulk(s, i, out);
      return 0;
    }
    return n;
  }

  // ---------------------------------------------------------------- free

  kmemCacheFree(cache: KmemCache, addr: ObjAddr): void {
    const s = this.own(cache, 'kmem_cache_free');
    if (!s) return;
    const head = this.slabHead(addr);
    if (head < 0) {
      this.services.slabError('invalid-free', s, addr, `BUG ${s.name} (Not tainted): Attempt to free object(${hex(addr)}) outside of slab`);
      return;
    }
    const owner = this.byId[this.pages.mapping[head]]!;
    if (owner !== s) {
      // cache_from_obj()
      this.services.slabError('wrong-cache', s, addr, `kmem_cache_free: Wrong slab cache. ${s.name} but object is from ${owner.name}`);
      return;
    }
    if (!this.freeCheck(s, head, addr)) return;
    this.setFreepointer(s, addr, 0);
    this.slabFree(s, head, addr, addr, 1);
  }

  /**
   * free_debug_processing()/free_consistency_checks(), always on: a valid object start
   * (check_valid_pointer()), not already free (on_freelist()), the red zone (check_object()
   * with SLUB_RED_ACTIVE; reported, then freed anyway); then init_object(SLUB_RED_INACTIVE).
   * The object becomes OBJ_DETACHED. False (after a report) when the free must not happen.
   */
  private freeCheck(s: SlubCache, head: number, addr: number): boolean {
    const slot = this.pages.private[head];
    const off = addr - head * PAGE_SIZE - s.redLeftPad;
    const idx = off / s.size;
    if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot]) {
      this.services.slabError('invalid-free', s, addr, `BUG ${s.name} (Not tainted): Invalid object pointer ${hex(addr)}\nINFO: Slab ${hex(head * PAGE_SIZE)} objects=${s.slabObjects[slot]} used=${s.slabInuse[slot]}`);
      return false;
    }
    const state = s.objState[slot * s.stride + idx];
    if (state !== OBJ_ALLOCATED) {
      this.services.slabError('double-free', s, addr, `BUG ${s.name} (Not tainted): Object already free\nINFO: Object ${hex(addr)} @offset=${s.redLeftPad + idx * s.size}`);
      return false;
    }
    if (s.redLeftPad) this.checkRedzones(s, addr, SLUB_RED_ACTIVE);
    s.objState[slot * s.stride + idx] = OBJ_DETACHED;
    if (s.redLeftPad || s.objectPoison) this.initObject(s, addr, SLUB_RED_INACTIVE);
    return true;
  }

  /**
   * slab_free() of 4.17 with slab_free_freelist_hook(): walk the detached freelist head..tail,
   * run the free hook (kasan_slab_free()) on each object and rebuild the list from the objects
   * whose reuse is not delayed; then do_slab_free() of what is left. (4.17 forgot to lower cnt
   * for the objects left out, fixed in 5.1 by c3895391df38; the count here is the rebuilt one.)
   */
  protected slabFree(s: SlubCache, page: number, head: number, tail: number, cnt: number): void {
    const kasan = this.services.kasan;
    if (!kasan) {
      this.doSlabFree(s, page, head, tail, cnt);
      return;
    }
    let newHead = 0;
    let newTail = 0;
    let newCnt = 0;
    let next = head;
    for (let i = 0; i < cnt; i++) {
      const object = next;
      if (object !== tail) next = this.getFreepointer(s, object);
      if (!kasan.slabFree(s, object)) {
        this.setFreepointer(s, object, newHead);
        newHead = object;
        if (newTail === 0) newTail = object;
        newCnt++;
      }
      if (object === tail) break;
    }
    if (newHead !== 0) this.doSlabFree(s, page, newHead, newTail, newCnt);
  }

  /**
   * do_slab_free(): onto c->freelist when the slab is this CPU's slab, else __slab_free().
   * The objects head..tail (cnt of them, chained through their free pointers) become free.
   */
  protected doSlabFree(s: SlubCache, page: number, head: number, tail: number, cnt: number): void {
    const slot = this.pages.private[page];
    let object = head;
    for (let i = 0; i < cnt; i++) {
      s.objState[slot * s.stride + this.objIndex(s, slot, object)] = OBJ_FREE;
      if (object === tail) break;
      object = this.getFreepointer(s, object);
    }
    if (s.slabIsolated[slot]) return; // never reused
    const cpu = this.services.sched.currentCpu;
    if (s.cpuSlab[cpu] === slot) {
      this.setFreepointer(s, tail, s.cpuFreelist[cpu]);
      s.cpuFreelist[cpu] = head;
      return;
    }
    this.__slabFree(s, slot, head, tail, cnt);
  }

  /**
   * __slab_free(): push onto page->freelist; a frozen slab is left to its CPU. A full slab is
   * frozen onto this CPU's partial list (put_cpu_partial(), CPU_PARTIAL_FREE), or, in a cache
   * without per-cpu partials, joins the node's partial list; an empty slab is discarded when
   * the node already has min_partial partial slabs.
   */
  private __slabFree(s: SlubCache, slot: number, head: number, tail: number, cnt: number): void {
    const prior = s.slabFreelist[slot];
    this.setFreepointer(s, tail, prior);
    s.slabFreelist[slot] = head;
    s.slabInuse[slot] -= cnt;
    if (s.slabFrozen[slot]) return; // FREE_FROZEN
    if (s.slabInuse[slot] !== 0 && prior !== 0) return; // still partial: no list changes
    if (s.cpuPartial && prior === 0) {
      s.slabFrozen[slot] = 1;
      this.putCpuPartial(s, slot, true);
      return;
    }
    const node = s.slabNode[slot];
    const pfn = s.slabPfn[slot];
    if (s.slabInuse[slot] === 0 && s.partial.length[node] >= s.minPartial) {
      // slab_empty
      if (prior !== 0) s.partial.remove(node, pfn);
      this.discardSlab(s, slot);
      return;
    }
    if (!s.cpuPartial && prior === 0) s.partial.addTail(node, pfn); // remove_full(); add_partial(DEACTIVATE_TO_TAIL)
  }

  /** kmem_cache_free_bulk(): build_detached_freelist() groups per slab, slab_free() per group. */
  kmemCacheFreeBulk(cache: KmemCache, n: number, addrs: Float64Array): void {
    const s = this.own(cache, 'kmem_cache_free_bulk');
    if (!s) return;
    n = Math.min(n, addrs.length);
    if (!(n > 0)) return;
    if (this.bulkDone.length < n) this.bulkDone = new Uint8Array(Math.max(n, this.bulkDone.length * 2));
    const done = this.bulkDone;
    done.fill(0, 0, n);
    let size = n;
    while (size > 0) {
      // build_detached_freelist()
      let object = 0;
      do {
        size--;
        object = done[size] ? 0 : addrs[size];
      } while (object === 0 && size > 0);
      if (object === 0) break;
      done[size] = 1;
      const page = this.slabHead(object);
      if (page < 0) {
        const pfn = Math.floor(object / PAGE_SIZE);
        if (object === pfn * PAGE_SIZE && this.largeOrders.has(pfn)) this.freeLarge(pfn); // !PageSlab: a kmalloc_large block
        else this.services.slabError('invalid-free', s, object, `BUG ${s.name} (Not tainted): Attempt to free object(${hex(object)}) outside of slab`);
        continue;
      }
      const owner = this.byId[this.pages.mapping[page]]!;
      if (owner !== s) {
        this.services.slabError('wrong-cache', s, object, `kmem_cache_free_bulk: Wrong slab cache. ${s.name} but object is from ${owner.name}`);
        continue;
      }
      if (!this.freeCheck(s, page, object)) continue;
      let dfHead = object;
      const dfTail = object;
      let cnt = 1;
      this.setFreepointer(s, object, 0);
      let lookahead = 3;
      let firstSkipped = 0;
      while (size > 0) {
        size--;
        const o = done[size] ? 0 : addrs[size];
        if (o === 0) continue;
        if (this.slabHead(o) === page) {
          done[size] = 1;
          if (!this.freeCheck(s, page, o)) continue;
          this.setFreepointer(s, o, dfHead);
          dfHead = o;
          cnt++;
          continue;
        }
        if (--lookahead === 0) break;
        if (!firstSkipped) firstSkipped = size + 1;
      }
      size = firstSkipped;
      this.slabFree(s, page, dfHead, dfTail, cnt);
    }
  }

  /** KASAN's quarantine gives back an object: qlink_free() → ___cache_free() → do_slab_free(), no hook. */
  quarantineRelease(cache: KmemCache, addr: ObjAddr): void {
    const s = cache instanceof SlubCache && this.byId[cache.id] === cache ? cache : undefined;
    const head = s ? this.slabHead(addr) : -1;
    if (!s || head < 0 || this.byId[this.pages.mapping[head]] !== s) {
      this.services.slabError('invalid-free', cache, addr, `quarantine: ${hex(addr)} is not an object of ${cache?.name ?? '(null)'}`);
      return;
    }
    const slot = this.pages.private[head];
    const off = addr - head * PAGE_SIZE - s.redLeftPad;
    const idx = off / s.size;
    if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot] || s.objState[slot * s.stride + idx] !== OBJ_DETACHED) {
      this.services.slabError('invalid-free', s, addr, `quarantine: object ${hex(addr)} of ${s.name} is not waiting in the quarantine`);
      return;
    }
    this.setFreepointer(s, addr, 0);
    this.doSlabFree(s, head, addr, addr, 1);
  }

  // ---------------------------------------------------------------- kmalloc

  /** __kmalloc(): kmalloc_slab() (size_index[] up to 192), or kmalloc_large() above KMALLOC_MAX_CACHE_SIZE. */
  kmalloc(size: number, gfp: Gfp): ObjAddr {
    if (!Number.isInteger(size) || size < 0) return 0; // no size_t holds it
    if (size > KMALLOC_MAX_CACHE_SIZE) return this.kmallocLarge(size, gfp);
    if (size === 0) return ZERO_SIZE_PTR;
    return this.slabAlloc(this.kmallocCaches[kmallocIndex(size)], gfp);
  }

  /** kmalloc_large() → kmalloc_order(): compound pages straight from the page allocator. */
  private kmallocLarge(size: number, gfp: Gfp): ObjAddr {
    const order = getOrder(size);
    if (order >= MAX_ORDER) {
      // __alloc_pages_slowpath(): WARN_ON_ONCE(!(gfp_mask & __GFP_NOWARN))
      if (!(gfp & __GFP_NOWARN)) this.services.log('warn', `WARNING: kmalloc(${size}): order ${order} >= MAX_ORDER (above KMALLOC_MAX_SIZE ${KMALLOC_MAX_SIZE})`);
      return 0;
    }
    const pfn = this.services.pageAllocator.allocPages(gfp | __GFP_COMP, order);
    if (pfn === NO_PAGE) return 0;
    this.largeOrders.set(pfn, order);
    return pfn * PAGE_SIZE;
  }

  private freeLarge(pfn: number): void {
    const order = this.largeOrders.get(pfn)!;
    this.largeOrders.delete(pfn);
    this.services.pageAllocator.freePages(pfn, order);
  }

  /** kfree(): NULL and ZERO_SIZE_PTR are no-ops; kmalloc_large blocks go back to the page allocator. */
  kfree(addr: ObjAddr): void {
    if (addr >= 0 && addr <= ZERO_SIZE_PTR) return; // ZERO_OR_NULL_PTR()
    const head = this.slabHead(addr);
    if (head < 0) {
      const pfn = Math.floor(addr / PAGE_SIZE);
      if (addr === pfn * PAGE_SIZE && this.largeOrders.has(pfn)) {
        this.freeLarge(pfn);
        return;
      }
      this.services.slabError('invalid-free', undefined, addr, `kfree: ${hex(addr)} is not a slab object nor a kmalloc_large() block`);
      return;
    }
    const s = this.byId[this.pages.mapping[head]]!;
    if (!this.freeCheck(s, head, addr)) return;
    this.setFreepointer(s, addr, 0);
    this.slabFree(s, head, addr, addr, 1);
  }

  /** ksize() → __ksize(): slab_ksize() of the object's cache, PAGE_SIZE << order of a kmalloc_large block. */
  ksize(addr: ObjAddr): number {
    if (!(addr > ZERO_SIZE_PTR)) return 0; // ZERO_OR_NULL_PTR(), and what is no address at all
    const head = this.slabHead(addr);
    if (head < 0) {
      const order = this.largeOrders.get(Math.floor(addr / PAGE_SIZE));
      return order === undefined ? 0 : PAGE_SIZE << order;
    }
    const s = this.byId[this.pages.mapping[head]]!;
    // slab_ksize()
    if (s.flags & (SLAB_RED_ZONE | SLAB_POISON)) return s.objectSize;
    if (s.flags & SLAB_KASAN) return s.objectSize;
    if (s.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER)) return s.inuse;
    return s.size;
  }

  // ---------------------------------------------------------------- slabs

  /** get_freepointer(): the free pointer kept in the object's memory at s->offset. */
  protected getFreepointer(s: SlubCache, object: number): number {
    return this.phys.readU64(object + s.offset);
  }

  /** set_freepointer(). */
  protected setFreepointer(s: SlubCache, object: number, fp: number): void {
    this.phys.writeU64(object + s.offset, fp);
  }

  /**
   * virt_to_head_page() + PageSlab(): the head pfn of the slab holding addr, or -1. Tail pages
   * of a slab keep their head pfn in page->private (Linux: page->compound_head).
   */
  protected slabHead(addr: number): number {
    const pages = this.pages;
    const pfn = Math.floor(addr / PAGE_SIZE);
    if (!(pfn >= 0 && pfn < pages.maxPfn)) return -1;
    const head = pages.testFlag(pfn, PG_tail) ? pages.private[pfn] : pfn;
    if (!pages.testFlag(head, PG_slab)) return -1;
    const s = this.byId[pages.mapping[head]];
    if (!s) return -1;
    const slot = pages.private[head];
    if (slot >= s.slotLimit || s.slabPfn[slot] !== head || pfn - head >= 1 << s.slabOrder[slot]) return -1;
    return head;
  }

  /** The index of an object in its slab (the caller knows it is an object start). */
  private objIndex(s: SlubCache, slot: number, object: number): number {
    return (object - s.slabPfn[slot] * PAGE_SIZE - s.redLeftPad) / s.size;
  }

  private objectAddr(s: SlubCache, slot: number, index: number): number {
    return s.slabPfn[slot] * PAGE_SIZE + s.redLeftPad + index * s.size;
  }

  /** check_valid_pointer() for a free pointer: 0, or a free object of the same slab. */
  private validFree(s: SlubCache, slot: number, fp: number): boolean {
    if (fp === 0) return true;
    const off = fp - s.slabPfn[slot] * PAGE_SIZE - s.redLeftPad;
    const idx = off / s.size;
    if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot]) return false;
    return s.objState[slot * s.stride + idx] === OBJ_FREE;
  }

  /**
   * object_err(s, page, object, "Freepointer corrupt"): the slab's remaining freelist is
   * dropped and the slab isolated (counted as full, never allocated from again).
   */
  private freepointerCorrupt(s: SlubCache, slot: number, object: number, fp: number): void {
    this.services.slabError('poison', s, object, `BUG ${s.name} (Not tainted): Freepointer corrupt\nINFO: Object ${hex(object)} @offset=${object - s.slabPfn[slot] * PAGE_SIZE} fp=${hex(fp)}\nINFO: Slab ${hex(s.slabPfn[slot] * PAGE_SIZE)} isolated`);
    s.slabIsolated[slot] = 1;
    s.slabFrozen[slot] = 0;
    s.slabFreelist[slot] = 0;
    s.slabInuse[slot] = s.slabObjects[slot];
  }

  /**
   * deactivate_slab(): give the cpu freelist back to the slab (object by object onto
   * page->freelist), unfreeze it, and put it on the partial list (at the tail if others freed
   * into it meanwhile), discard it if empty and the node has min_partial partial slabs, or
   * leave it off the lists if full.
   */
  private deactivateSlab(s: SlubCache, slot: number, freelist: number): void {
    const tail = s.slabFreelist[slot] !== 0;
    let object = freelist;
    let steps = 0;
    while (object !== 0) {
      const next = this.getFreepointer(s, object);
      if (!this.validFree(s, slot, next) || ++steps > s.slabObjects[slot]) {
        this.freepointerCorrupt(s, slot, object, next);
        return;
      }
      this.setFreepointer(s, object, s.slabFreelist[slot]);
      s.slabFreelist[slot] = object;
      s.slabInuse[slot]--;
      object = next;
    }
    s.slabFrozen[slot] = 0;
    const node = s.slabNode[slot];
    const pfn = s.slabPfn[slot];
    if (s.slabInuse[slot] === 0 && s.partial.length[node] >= s.minPartial) this.discardSlab(s, slot); // M_FREE
    else if (s.slabFreelist[slot] !== 0) {
      // M_PARTIAL
      if (tail) s.partial.addTail(node, pfn);
      else s.partial.addHead(node, pfn);
    }
    // M_FULL: on no list
  }

  /** flush_all() → __flush_cpu_slab() on every CPU: flush_slab() and unfreeze_partials(). */
  private flushAll(s: SlubCache): void {
    for (let cpu = 0; cpu < this.nrCpus; cpu++) {
      const slot = s.cpuSlab[cpu];
      if (slot >= 0) {
        const freelist = s.cpuFreelist[cpu];
        s.cpuSlab[cpu] = -1;
        s.cpuFreelist[cpu] = 0;
        this.deactivateSlab(s, slot, freelist);
      }
      this.unfreezePartials(s, cpu);
    }
  }

  /** Isolated slabs that hold no object any more go back to the page allocator. */
  private discardIsolated(s: SlubCache): void {
    for (let slot = 0; slot < s.slotLimit; slot++) {
      if (s.slabPfn[slot] === -1 || !s.slabIsolated[slot]) continue;
      let held = false;
      for (let i = 0; i < s.slabObjects[slot] && !held; i++) held = s.objState[slot * s.stride + i] !== OBJ_FREE;
      if (!held) this.discardSlab(s, slot);
    }
  }

  /**
   * discard_slab() → dec_slabs_node(), free_slab() → __free_slab(): clear PG_slab,
   * page->mapping, the mapcount and what we kept in page->private, then __free_pages().
   */
  private discardSlab(s: SlubCache, slot: number): void {
    const pfn = s.slabPfn[slot];
    const order = s.slabOrder[slot];
    const node = s.slabNode[slot];
    s.nrSlabs[node]--;
    s.totalObjects[node] -= s.slabObjects[slot];
    const pages = this.pages;
    pages.clearFlag(pfn, PG_slab);
    pages.mapping[pfn] = 0;
    pages.mapcount[pfn] = PAGE_UNMAPPED_MAPCOUNT;
    pages.lruNext[pfn] = -1;
    pages.lruPrev[pfn] = -1;
    for (let p = pfn; p < pfn + (1 << order); p++) pages.private[p] = 0;
    s.freeSlot(slot);
    this.services.pageAllocator.freePages(pfn, order);
  }

  private cpuToNode(cpu: number): number {
    return Math.floor((cpu * this.nrNodes) / this.nrCpus);
  }

  /** page_to_nid(). */
  private pfnToNid(pfn: number): number {
    const zoneNum = this.pages.zoneNum[pfn];
    if (zoneNum === 255) return 0;
    return Math.min(this.nrNodes - 1, Math.floor(zoneNum / this.nrZones));
  }

  // ---------------------------------------------------------------- debug (slub_debug)

  /** init_object(): red zones to `val`, and the poison pattern when __OBJECT_POISON. */
  private initObject(s: SlubCache, object: number, val: number): void {
    if (s.redLeftPad) this.phys.fill(object - s.redLeftPad, s.redLeftPad, val);
    if (s.objectPoison) {
      this.phys.fill(object, s.objectSize - 1, POISON_FREE);
      this.phys.fill(object + s.objectSize - 1, 1, POISON_END);
    }
    if (s.redLeftPad) this.phys.fill(object + s.objectSize, s.inuse - s.objectSize, val);
  }

  /** check_object(s, page, object, val)'s red zone part; a damaged red zone is reported and restored. */
  private checkRedzones(s: SlubCache, object: number, val: number): void {
    this.checkBytes(s, object, 'Redzone', object - s.redLeftPad, s.dbgLeft, val);
    this.checkBytes(s, object, 'Redzone', object + s.objectSize, s.dbgRight, val);
  }

  /** alloc_debug_processing(): check_object(SLUB_RED_INACTIVE) (red zones, poison), then init_object(SLUB_RED_ACTIVE). */
  private allocDebug(s: SlubCache, object: number): void {
    if (s.redLeftPad) this.checkRedzones(s, object, SLUB_RED_INACTIVE);
    if (s.objectPoison) {
      const buf = s.dbgObject;
      this.phys.read(object, buf);
      const last = buf.length - 1;
      let bad = buf[last] !== POISON_END;
      for (let i = 0; i < last && !bad; i++) bad = buf[i] !== POISON_FREE;
      if (bad) {
        let first = 0;
        while (first < last && buf[first] === POISON_FREE) first++;
        const expected = first === last ? POISON_END : POISON_FREE;
        this.services.slabError('poison', s, object, `BUG ${s.name} (Not tainted): Poison overwritten\nINFO: ${hex(object + first)}-${hex(object + last)}. First byte ${hex(buf[first])} instead of ${hex(expected)}\nINFO: Object ${hex(object)}`);
        // restore_bytes()
        this.phys.fill(object, s.objectSize - 1, POISON_FREE);
        this.phys.fill(object + last, 1, POISON_END);
      }
    }
    if (s.redLeftPad) {
      this.phys.fill(object - s.redLeftPad, s.redLeftPad, SLUB_RED_ACTIVE);
      this.phys.fill(object + s.objectSize, s.inuse - s.objectSize, SLUB_RED_ACTIVE);
    }
  }

  /** check_bytes_and_report(): "%s overwritten", then restore_bytes(). */
  private checkBytes(s: SlubCache, object: number, what: string, start: number, buf: Uint8Array, val: number): void {
    if (buf.length === 0) return;
    this.phys.read(start, buf);
    let first = -1;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== val) {
        first = i;
        break;
      }
    }
    if (first < 0) return;
    let end = buf.length;
    while (end > first && buf[end - 1] === val) end--;
    this.services.slabError('redzone', s, object, `BUG ${s.name} (Not tainted): ${what} overwritten\nINFO: ${hex(start + first)}-${hex(start + end - 1)}. First byte ${hex(buf[first])} instead of ${hex(val)}\nINFO: Object ${hex(object)}`);
    this.phys.fill(start, buf.length, val);
  }
}

/** The SlabAllocatorFactory of SLUB. */
export function createSlubAllocator(services: SlabAllocatorServices): Slub {
  return new Slub(services);
}

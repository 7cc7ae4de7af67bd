/**
 * The slabs of SLUB as pages (mm/slub.c, 4.17): the state every layer of the allocator shares,
 * the free pointer kept in an object (get_freepointer()/set_freepointer()), the way from an
 * address to its slab (virt_to_head_page() + PageSlab(), page->slab_cache), and giving a slab
 * back to the page allocator (discard_slab() → free_slab()). page_to_nid() and the CPU → node
 * map live here too.
 *
 * The allocator is a chain of classes, each adding one concern of mm/slub.c:
 * SlabPages (here) → SlubDebug (debug.ts) → CpuSlab (cpu-slab.ts) → SlubFree (free.ts) →
 * SlubAlloc (alloc.ts) → SlubShrink (shrink.ts) → Slub (slub.ts).
 */
import {
  PAGE_SIZE,
  PAGE_UNMAPPED_MAPCOUNT,
  PG_slab,
  PG_tail,
  type KmemCache,
  type PageStore,
  type PhysMemory,
  type SlabAllocatorServices,
} from '@mmkit/core';
import { OBJ_FREE, SlubCache } from './cache.js';

/** %px-like address formatting of the reports. */
export const hex = (addr: number) => `0x${addr.toString(16)}`;

/** The shared state of SLUB and its page-level primitives; the first class of the chain. */
export abstract class SlabPages {
  protected readonly pages: PageStore;
  protected readonly phys: PhysMemory;
  protected readonly nrCpus: number;
  protected readonly nrNodes: number;
  private readonly nrZones: number;
  /** slab_caches, creation order. */
  protected readonly slabCaches: SlubCache[] = [];
  /** page->slab_cache: cache by the id kept in page->mapping (index 0 unused). */
  protected readonly byId: (SlubCache | undefined)[] = [undefined];
  /** kmalloc_caches[index]. */
  protected readonly kmallocCaches: SlubCache[] = [];
  /** kmalloc_large() blocks: head pfn -> order (compound_order()). */
  protected readonly largeOrders = new Map<number, number>();

  constructor(protected readonly services: SlabAllocatorServices) {
    this.pages = services.pages;
    this.phys = services.phys;
    this.nrCpus = services.sched.nrCpus;
    this.nrNodes = Math.max(1, services.layout.nodes.length);
    this.nrZones = services.layout.zones.nrZones;
  }

  /** The cache object, if it is a live cache of this allocator; else a report. */
  protected own(cache: KmemCache, fn: string): SlubCache | undefined {
    if (cache instanceof SlubCache && this.byId[cache.id] === cache) return cache;
    this.services.slabError('wrong-cache', cache, 0, `${fn}: ${cache?.name ?? '(null)'} is not a live slab cache`);
    return undefined;
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
  protected objIndex(s: SlubCache, slot: number, object: number): number {
    return (object - s.slabPfn[slot] * PAGE_SIZE - s.redLeftPad) / s.size;
  }

  /** The address of the object at `index` in its slab. */
  protected objectAddr(s: SlubCache, slot: number, index: number): number {
    return s.slabPfn[slot] * PAGE_SIZE + s.redLeftPad + index * s.size;
  }

  /** Isolated slabs that hold no object any more go back to the page allocator. */
  protected discardIsolated(s: SlubCache): void {
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
  protected discardSlab(s: SlubCache, slot: number): void {
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

  /** cpu_to_node(), as the kernel maps CPUs to nodes. */
  protected cpuToNode(cpu: number): number {
    return this.services.cpuToNode(cpu);
  }

  /** page_to_nid(). */
  protected pfnToNid(pfn: number): number {
    const zoneNum = this.pages.zoneNum[pfn];
    if (zoneNum === 255) return 0;
    return Math.min(this.nrNodes - 1, Math.floor(zoneNum / this.nrZones));
  }
}

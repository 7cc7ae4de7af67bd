/**
 * Per-slab state: what SLAB keeps in the slab's struct page (page->active, page->s_mem,
 * page->freelist) plus the allocation bitmap our misuse checks use, in typed arrays indexed by
 * a slab id. The id of a slab is stored in page->index of its head page.
 *
 * The freelist (the freelist_idx_t array of free object indexes, a stack: entries
 * [active, num) are free, the next allocation takes freelist[active]) is kept here for every
 * management type. Linux keeps it at the end of the slab (on-slab), in a free object
 * (OBJFREELIST_SLAB) or in a kmalloc'ed buffer (off-slab); the page memory space it takes is
 * still reserved as in Linux, so objects-per-slab and colouring are Linux's.
 */
import { SLAB_OBJ_MAX_NUM } from './constants.js';

/** Bytes of freelist per slab: room for SLAB_OBJ_MAX_NUM indexes. */
const FREELIST_STRIDE = SLAB_OBJ_MAX_NUM + 1;
/** 32-bit words of the allocation bitmap per slab. */
const BITMAP_WORDS = FREELIST_STRIDE >>> 5;

export class SlabTable {
  /** page->active: objects taken out of the slab (to array caches or callers). */
  active = new Uint16Array(0);
  /** page->s_mem: the address of the first object (slab start + colour offset). */
  sMem = new Float64Array(0);
  /** The head pfn of the slab (page_address of the slab). */
  headPfn = new Int32Array(0);
  /** The cache id (page->slab_cache). */
  cacheId = new Uint32Array(0);
  /** page_to_nid() of the slab. */
  node = new Uint16Array(0);
  /** The kmem_cache_node list the slab is on (node * 3 + SLABS_*), -1 when on none. */
  list = new Int32Array(0);
  /** The freelist_idx_t arrays, FREELIST_STRIDE bytes per slab. */
  freelist = new Uint8Array(0);
  /** Objects handed out to callers (not free, not in an array cache, not in the quarantine). */
  inUse = new Uint32Array(0);
  private capacity = 0;
  private readonly freeIds: number[] = [];
  private nextId = 0;

  /** A fresh slab id (ids are recycled). */
  alloc(): number {
    const id = this.freeIds.pop();
    if (id !== undefined) return id;
    if (this.nextId === this.capacity) this.grow();
    return this.nextId++;
  }

  release(id: number): void {
    this.cacheId[id] = 0;
    this.list[id] = -1;
    this.inUse.fill(0, id * BITMAP_WORDS, (id + 1) * BITMAP_WORDS);
    this.freeIds.push(id);
  }

  /** Slab ids in use lie below this (released ones have cacheId 0). */
  get idLimit(): number {
    return this.nextId;
  }

  freelistBase(id: number): number {
    return id * FREELIST_STRIDE;
  }

  testInUse(id: number, idx: number): boolean {
    return (this.inUse[id * BITMAP_WORDS + (idx >>> 5)] & (1 << (idx & 31))) !== 0;
  }

  setInUse(id: number, idx: number): void {
    this.inUse[id * BITMAP_WORDS + (idx >>> 5)] |= 1 << (idx & 31);
  }

  clearInUse(id: number, idx: number): void {
    this.inUse[id * BITMAP_WORDS + (idx >>> 5)] &= ~(1 << (idx & 31));
  }

  private grow(): void {
    const cap = Math.max(64, this.capacity * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T, per = 1): T => {
      const a = make(cap * per);
      a.set(old);
      return a;
    };
    this.active = grow(this.active, (n) => new Uint16Array(n));
    this.sMem = grow(this.sMem, (n) => new Float64Array(n));
    this.headPfn = grow(this.headPfn, (n) => new Int32Array(n));
    this.cacheId = grow(this.cacheId, (n) => new Uint32Array(n));
    this.node = grow(this.node, (n) => new Uint16Array(n));
    this.list = grow(this.list, (n) => new Int32Array(n).fill(-1));
    this.freelist = grow(this.freelist, (n) => new Uint8Array(n), FREELIST_STRIDE);
    this.inUse = grow(this.inUse, (n) => new Uint32Array(n), BITMAP_WORDS);
    this.capacity = cap;
  }
}

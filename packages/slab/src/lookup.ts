/**
 * From an address or a cache handle to SLAB's state (mm/slab.c, 4.17): virt_to_head_page() ->
 * PageSlab() -> the slab (its id in the head page's page->private, which 4.17 shares with
 * page->slab_cache) -> its cache, obj_to_index(), the check that a
 * kmem_cache handle is a live cache of this allocator, numa_mem_id() and ksize().
 *
 * Each function returns what it found (a slab id, an object index, a cache); nothing is left in
 * the state for a caller to pick up.
 */
import { PAGE_SIZE, PG_slab, PG_tail, ZERO_SIZE_PTR, type KmemCache, type ObjAddr } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import type { SlabState } from './state.js';

/** 1 / PAGE_SIZE (exact): pfn = Math.floor(addr * INV_PAGE_SIZE), no division. */
const INV_PAGE_SIZE = 1 / PAGE_SIZE;
if (INV_PAGE_SIZE !== 2.44140625e-4) throw new Error('lookup.ts: virtToSlab() assumes 4 KiB pages');
/** 1 << PG_tail and 1 << PG_slab: virtToSlab() and ownSlab() use them as the literals 0x1000000 and 0x100. */
const PG_TAIL_BIT = 1 << PG_tail;
const PG_SLAB_BIT = 1 << PG_slab;
if (PG_TAIL_BIT !== 0x1000000 || PG_SLAB_BIT !== 0x100) throw new Error('lookup.ts: the page flag literals of virtToSlab() and ownSlab() are out of date');

/** An address or gfp mask as the messages print it: 0x and lowercase hex. */
export function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}

/** A live cache of this allocator, or undefined after a report. */
export function liveCache(st: SlabState, cache: KmemCache, what: string): SlabCache | undefined {
  const c = st.cacheById[(cache as Partial<SlabCache>).id ?? 0];
  if (c === cache && c !== undefined) return c;
  reportNotLive(st, cache, what);
  return undefined;
}

function reportNotLive(st: SlabState, cache: KmemCache, what: string): void {
  st.services.slabError('wrong-cache', cache, 0, `${what}: cache ${cache.name} is not a live cache (destroyed, or from another allocator)`);
}

/**
 * The slab holding an address: page -> compound head -> PG_slab -> page->slab_cache (a live
 * cache) -> the slab id in page->index; -1 when addr is in no slab of a live cache.
 */
export function virtToSlab(st: SlabState, addr: number): number {
  if (!Number.isInteger(addr) || addr <= 0) return -1;
  const pages = st.pages;
  const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE, as a literal on the hot path
  if (pfn >= pages.maxPfn) return -1;
  const head = pages.flags[pfn] & 0x1000000 ? pages.private[pfn] : pfn;
  if (!(pages.flags[head] & 0x100)) return -1;
  const slab = pages.private[head];
  const t = st.slabs;
  if (!(slab < t.idLimit) || t.headPfn[slab] !== head || st.cacheById[t.cacheId[slab]] === undefined) return -1;
  return slab;
}

/**
 * virtToSlab() of an address freed to a live cache c: the slab when addr lies in a slab of c,
 * else -1 (then virtToSlab() says where it is); no cache lookup.
 */
export function ownSlab(st: SlabState, c: SlabCache, addr: number): number {
  if (!Number.isInteger(addr) || addr <= 0) return -1;
  const pages = st.pages;
  const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE
  if (pfn >= pages.maxPfn) return -1;
  const head = pages.flags[pfn] & 0x1000000 ? pages.private[pfn] : pfn;
  if (!(pages.flags[head] & 0x100)) return -1;
  const slab = pages.private[head];
  const t = st.slabs;
  if (!(slab < t.idLimit) || t.headPfn[slab] !== head || t.cacheId[slab] !== c.id) return -1;
  return slab;
}

/** The slab id a slab's head page keeps in page->private (slabMapPages()). */
export function slabOfHead(st: SlabState, pfn: number): number {
  return st.pages.private[pfn];
}

/**
 * floor(off / c.size) for 0 <= off < 2^52 without a division (reciprocal_divide()): the product
 * with 1 / size, corrected by one where rounding put it across an integer.
 */
export function indexInSlab(c: SlabCache, off: number): number {
  let idx = Math.floor(off * c.reciprocalSize);
  if (idx * c.size > off) idx--;
  else if ((idx + 1) * c.size <= off) idx++;
  return idx;
}

/** page->slab_cache of a slab virtToSlab() found. */
export function slabCache(st: SlabState, slab: number): SlabCache {
  return st.cacheById[st.slabs.cacheId[slab]]!;
}

/**
 * obj_to_index(): the index of the object at obj in its slab, for an obj known to be an
 * object's start (from an array cache, a fresh allocation, or after objectIndex()). One
 * division, as Linux's reciprocal_divide().
 */
export function objToIndex(st: SlabState, c: SlabCache, slab: number, obj: number): number {
  return indexInSlab(c, obj - c.objOffset - st.slabs.sMem[slab]); // reciprocal_divide(): rounds down
}

/**
 * obj_to_index() with the check of cache_free_debugcheck() (objp == index_to_obj(objnr)) for
 * an address from a caller: the index of the object starting at addr, or -1 when addr is not an
 * object's start.
 */
export function objectIndex(st: SlabState, c: SlabCache, slab: number, addr: number): number {
  const off = addr - c.objOffset - st.slabs.sMem[slab];
  // off is a multiple of size exactly when idx * size === off (a floating-point % is a call).
  const idx = indexInSlab(c, off);
  return off >= 0 && idx < c.num && idx * c.size === off ? idx : -1;
}

/** numa_mem_id() of a CPU: cpu_to_node(), as the kernel maps CPUs to nodes. */
export function cpuNode(st: SlabState, cpu: number): number {
  return st.nodeOfCpu[cpu];
}

/** ksize(): the object_size of the object's cache. */
export function ksize(st: SlabState, addr: ObjAddr): number {
  if (addr === ZERO_SIZE_PTR || addr === 0) return 0;
  const slab = virtToSlab(st, addr);
  return slab < 0 ? 0 : slabCache(st, slab).objectSize;
}

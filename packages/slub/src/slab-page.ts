/**
 * The slabs of SLUB as pages (mm/slub.c, 4.17): the free pointer kept in an object
 * (get_freepointer()/set_freepointer()), the way from an address to its slab
 * (virt_to_head_page() + PageSlab(), page->slab_cache), giving a slab back to the page
 * allocator (discard_slab() → free_slab()), page_to_nid() and cpu_to_node().
 */
import { PAGE_CHUNK_PAGES, PAGE_SIZE, PG_slab, PG_tail, type KmemCache } from '@mmkit/core';
import { NO_WORDS, OBJ_FREE, SLAB_STATE, SLAB_WORD, SlubCache } from './cache.js';
import type { SlubState } from './state.js';

/** 1 / PAGE_SIZE, exact (a power of two): pfn = Math.floor(addr * INV_PAGE_SIZE), no division. */
export const INV_PAGE_SIZE = 1 / PAGE_SIZE;
if (INV_PAGE_SIZE !== 2.44140625e-4) throw new Error('slab-page.ts: ownSlabHead() assumes 4 KiB pages');
/** 1 << PG_tail and 1 << PG_slab: ownSlabHead() use them as the literals 0x1000000 and 0x100. */
const PG_TAIL_BIT = 1 << PG_tail;
const PG_SLAB_BIT = 1 << PG_slab;
if (PG_TAIL_BIT !== 0x1000000 || PG_SLAB_BIT !== 0x100) throw new Error('slab-page.ts: the page flag literals of ownSlabHead() are out of date');

/** %px-like address formatting of the reports. */
export const hex = (addr: number) => `0x${addr.toString(16)}`;

/** The cache object, if it is a live cache of this allocator; else a report. */
export function ownCache(st: SlubState, cache: KmemCache, fn: string): SlubCache | undefined {
  // byId holds live caches only, so identity with its entry is the whole check (no instanceof).
  if (cache != null && st.byId[(cache as SlubCache).id] === cache) return cache as SlubCache;
  return notOwnCache(st, cache, fn);
}

function notOwnCache(st: SlubState, cache: KmemCache, fn: string): undefined {
  st.services.slabError('wrong-cache', cache, 0, `${fn}: ${cache?.name ?? '(null)'} is not a live slab cache`);
  return undefined;
}

/** get_freepointer(): the free pointer kept in the object's memory at s->offset. */
export function getFreepointer(st: SlubState, s: SlubCache, object: number): number {
  return st.phys.readU64(object + s.offset);
}

/** set_freepointer(). */
export function setFreepointer(st: SlubState, s: SlubCache, object: number, fp: number): void {
  st.phys.writeU64(object + s.offset, fp);
}

/**
 * virt_to_head_page() + PageSlab(): the head pfn of the slab holding addr, or -1. Tail pages
 * of a slab keep their head pfn in page->private (Linux: page->compound_head).
 */
export function slabHead(st: SlubState, addr: number): number {
  const pages = st.pages;
  const pfn = Math.floor(addr * INV_PAGE_SIZE);
  if (!(pfn >= 0 && pfn < pages.maxPfn)) return -1;
  const head = pages.testFlag(pfn, PG_tail) ? pages.private[pfn] : pfn;
  if (!pages.testFlag(head, PG_slab)) return -1;
  const s = st.byId[pages.getMapping(head)];
  if (!s) return -1;
  const slot = pages.private[head];
  if (slot >= s.slotLimit || s.slabPfn[slot] !== head || pfn - head >= 1 << s.slabOrder[slot]) return -1;
  return head;
}

/**
 * slabHead() for an address freed to a known cache `s`, without page->mapping: the head pfn
 * when addr lies in a slab of s (PG_slab, the slot in page->private is one of s's and its slab
 * starts at that head), else -1, and the caller takes the general way (slabHead(), the owner
 * from page->slab_cache). A page is one cache's slab at a time, so the slot proves the owner.
 */
export function ownSlabHead(st: SlubState, s: SlubCache, addr: number): number {
  const pages = st.pages;
  const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE, as a literal on the hot path
  if (!(pfn >= 0 && pfn < pages.maxPfn)) return -1;
  const flags = pages.flags[pfn];
  const head = flags & 0x1000000 ? pages.private[pfn] : pfn;
  if (!(pages.flags[head] & 0x100)) return -1;
  const slot = pages.private[head];
  if (!(slot < s.slotLimit) || s.slabPfn[slot] !== head || pfn - head >= 1 << s.slabOrder[slot]) return -1;
  return head;
}

/** The index of an object in its slab (the caller knows it is an object start). */
export function objIndex(s: SlubCache, slot: number, object: number): number {
  return (object - s.slabPfn[slot] * PAGE_SIZE - s.redLeftPad) / s.size;
}

/** The address of the object at `index` in its slab. */
export function objectAddr(s: SlubCache, slot: number, index: number): number {
  return s.slabPfn[slot] * PAGE_SIZE + s.redLeftPad + index * s.size;
}

/** Isolated slabs that hold no object any more go back to the page allocator (a tracked cache only). */
export function discardIsolated(st: SlubState, s: SlubCache): void {
  if (!s.tracked) return; // which of its objects are held is not known: the slab stays, a leak
  for (let slot = 0; slot < s.slotLimit; slot++) {
    if (s.slabPfn[slot] === -1 || !s.slabIsolated[slot]) continue;
    let held = false;
    for (let i = 0; i < s.slabObjects[slot] && !held; i++) held = s.objState[slot * s.stride + i] !== OBJ_FREE;
    if (!held) discardSlab(st, s, slot);
  }
}

/**
 * discard_slab() → dec_slabs_node(), free_slab() → __free_slab(): clear PG_slab,
 * page->mapping, the mapcount and what we kept in page->private, then __free_pages().
 */
export function discardSlab(st: SlubState, s: SlubCache, slot: number): void {
  const pfn = s.slabPfn[slot];
  const order = s.slabOrder[slot];
  unpinSlab(st, s, slot);
  const node = s.slabNode[slot];
  s.nrSlabs[node]--;
  s.totalObjects[node] -= s.slabObjects[slot];
  s.totalPages[node] -= 1 << order;
  const pages = st.pages;
  pages.clearFlag(pfn, PG_slab);
  pages.setMapping(pfn, 0);
  pages.resetMapcount(pfn);
  pages.clearLru(pfn);
  for (let p = pfn; p < pfn + (1 << order); p++) pages.private[p] = 0;
  s.freeSlot(slot);
  st.services.pageAllocator.freePages(pfn, order);
}

/**
 * The slab's direct view (SlubCache.slabWords and SLAB_WORD; mmkit's, no Linux counterpart): for a
 * fastPaths cache whose free pointer is 8-aligned, pin the pages of a new slab, once set up, in
 * the page-contents pool, so the fast paths write free pointers as two words. Nothing when its
 * pages are not in consecutive slots of one chunk (or not all written): PhysMemory serves it.
 */
export function pinSlab(st: SlubState, s: SlubCache, slot: number): void {
  if (!s.fastPaths || (s.offset & 7) !== 0) return;
  const first = st.contents.pinContiguous(s.slabPfn[slot], 1 << s.slabOrder[slot]);
  if (first === 0) return;
  s.slabPin[slot] = first;
  s.slabState[slot * SLAB_STATE + SLAB_WORD] = (first & (PAGE_CHUNK_PAGES - 1)) * PAGE_SIZE + s.offset;
  s.slabWords[slot] = st.contents.chunkWordsOf(first);
}

/** Undo pinSlab(), before the slab's pages go back (discard_slab()). */
function unpinSlab(st: SlubState, s: SlubCache, slot: number): void {
  if (s.slabPin[slot] !== 0) st.contents.unpin(s.slabPin[slot], 1 << s.slabOrder[slot]);
  s.slabPin[slot] = 0;
  s.slabState[slot * SLAB_STATE + SLAB_WORD] = -1;
  s.slabWords[slot] = NO_WORDS;
}

/** cpu_to_node(), as the kernel maps CPUs to nodes. */
export function cpuToNode(st: SlubState, cpu: number): number {
  return st.nodeOfCpu[cpu];
}

/** page_to_nid(). */
export function pageToNid(st: SlubState, pfn: number): number {
  const zoneNum = st.pages.zoneNumOf(pfn);
  if (zoneNum < 0) return 0; // NO_ZONE
  return Math.min(st.nrNodes - 1, Math.floor(zoneNum / st.nrZones));
}

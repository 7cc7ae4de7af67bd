/**
 * Growing and shrinking a SLAB cache by whole slabs (mm/slab.c, 4.17): cache_grow_begin()
 * (kmem_getpages(), the slab colour, alloc_slabmgmt(), slab_map_pages(), cache_init_objs()),
 * cache_grow_end(), and slab_destroy() -> kmem_freepages(); with the per-slab object stack
 * (slab_get_obj(), slab_put_obj()) and fixup_slab_list().
 */
import {
  NO_PAGE,
  PG_slab,
  PhysMemory,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  __GFP_NOWARN,
  type Gfp,
  GFP_CONSTRAINT_MASK, GFP_RECLAIM_MASK, GFP_SLAB_BUG_MASK,
} from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL, type SlabCache } from './cache.js';
import * as debugMod from './debug.js';
import { RED_INACTIVE } from './debug.js';
import * as lookupMod from './lookup.js';
import type { SlabState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { redzone1, redzone2, userword } = debugMod;
const { hex } = lookupMod;

/**
 * cache_grow_begin(): kmem_getpages() (with cachep->allocflags, __GFP_COMP among them), the
 * next colour of the node, alloc_slabmgmt() (page->s_mem, page->active), slab_map_pages()
 * (PG_slab, page->slab_cache) and cache_init_objs().
 */
export function cacheGrowBegin(st: SlabState, c: SlabCache, gfp: Gfp, node: number): number {
  if (c.ctorRunning) return refuseCtorRecursion(st, c);
  if (gfp & GFP_SLAB_BUG_MASK) {
    st.services.log('warn', `Unexpected gfp: ${hex((gfp & GFP_SLAB_BUG_MASK) >>> 0)}. Fixing up to gfp: ${hex((gfp & ~GFP_SLAB_BUG_MASK) >>> 0)}. Fix your code!`);
    gfp &= ~GFP_SLAB_BUG_MASK;
  }
  const pageGfp = (gfp & (GFP_CONSTRAINT_MASK | GFP_RECLAIM_MASK)) | c.allocflags;
  const pfn = st.services.pageAllocator.allocPages(pageGfp, c.gfporder, node);
  if (pfn === NO_PAGE) {
    if (!(gfp & __GFP_NOWARN)) {
      // slab_out_of_memory()
      st.services.log('warn', `SLAB: Unable to allocate memory on node ${node}, gfp=${hex(gfp)}\n  cache: ${c.name}, object size: ${c.size}, order: ${c.gfporder}`);
    }
    return -1;
  }
  const pnode = pageToNid(st, pfn);
  // Colour of the slab: colour_next advances first, then wraps.
  let colourNext = c.colourNext[pnode] + 1;
  if (colourNext >= c.colour) colourNext = 0;
  c.colourNext[pnode] = colourNext;
  const offset = (colourNext >= c.colour ? 0 : colourNext) * c.colourOff;

  const t = st.slabs;
  const slab = t.alloc();
  t.active[slab] = 0;
  t.sMem[slab] = PhysMemory.addrOf(pfn) + offset;
  t.headPfn[slab] = pfn;
  t.cacheId[slab] = c.id;
  t.node[slab] = pnode;
  t.list[slab] = -1;

  // slab_map_pages(): page->slab_cache and PG_slab on the head; tails point to their head.
  // The head's page->private (4.17: in a union with page->slab_cache) holds the slab id, the
  // way from a page to its slab on the free path (virtToSlab()).
  const pages = st.pages;
  pages.setFlag(pfn, PG_slab);
  pages.setMapping(pfn, c.id);
  pages.private[pfn] = slab;
  const nr = 1 << c.gfporder;
  for (let p = pfn + 1; p < pfn + nr; p++) pages.private[p] = pfn;

  if (c.ctor && !(c.flags & SLAB_POISON)) {
    if (!cacheInitObjsWithCtor(st, c, slab)) return -1;
  } else cacheInitObjs(st, c, slab);
  return slab;
}

/**
 * cacheInitObjs() for a cache whose constructor runs now (off the hot path): while it runs, an
 * allocation from this cache that needs a new slab is refused (cacheGrowBegin()); a constructor
 * that throws gets the slab given back whole (slab_destroy() → kmem_freepages()) and false.
 */
function cacheInitObjsWithCtor(st: SlabState, c: SlabCache, slab: number): boolean {
  c.ctorRunning++;
  try {
    cacheInitObjs(st, c, slab);
    return true;
  } catch (err) {
    st.services.log('err', `SLAB: the constructor of ${c.name} threw while a new slab was set up (${err instanceof Error ? err.message : String(err)}): the slab is given back and the allocation fails`);
    slabDestroy(st, c, slab);
    return false;
  } finally {
    c.ctorRunning--;
  }
}

/** An allocation from a cache by its own constructor, while it sets up a new slab (cold). */
function refuseCtorRecursion(st: SlabState, c: SlabCache): number {
  st.services.log('err', `SLAB: kmem_cache_alloc(${c.name}) from the constructor of ${c.name} needs a new slab: refused (cache_grow_begin() would call the constructor again, without end)`);
  return -1;
}

/** page_to_nid(). */
export function pageToNid(st: SlabState, pfn: number): number {
  const z = st.pages.zoneNumOf(pfn);
  if (z < 0) return 0; // NO_ZONE
  const nid = Math.floor(z / st.nrZones);
  return nid < st.nrNodes ? nid : 0;
}

/** cache_init_objs() (and cache_init_objs_debug()): constructors, red zones, poison, freelist[i] = i. */
export function cacheInitObjs(st: SlabState, c: SlabCache, slab: number): void {
  const t = st.slabs;
  const fl = t.freelistBase(slab);
  const debug = (c.flags & (SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON)) !== 0;
  for (let i = 0; i < c.num; i++) {
    const addr = t.sMem[slab] + i * c.size + c.objOffset;
    if (debug) {
      if (c.flags & SLAB_STORE_USER) st.services.phys.writeU64(userword(addr, c.objOffset, c.size), 0);
      if (c.flags & SLAB_RED_ZONE) {
        st.bytes.write(redzone1(addr), RED_INACTIVE);
        st.bytes.write(redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0), RED_INACTIVE);
      }
    }
    // The constructor would break the poison: with SLAB_POISON it runs at each allocation.
    if (c.ctor && !(c.flags & SLAB_POISON)) c.ctor(addr);
    if (c.flags & SLAB_POISON) st.bytes.write(addr, st.poisonFree[c.id]!);
    t.freelist[fl + i] = i;
  }
}

/** cache_grow_end(): the new slab onto a list of its node; n->total_slabs, n->free_objects. */
export function cacheGrowEnd(st: SlabState, c: SlabCache, slab: number): void {
  const t = st.slabs;
  const node = t.node[slab];
  c.totalSlabs[node]++;
  if (t.active[slab] === 0) {
    const list = node * NR_SLAB_LISTS + SLABS_FREE;
    c.lists.addTail(list, t.headPfn[slab]);
    t.list[slab] = list;
    c.freeSlabs[node]++;
  } else {
    fixupSlabList(st, c, slab);
  }
  c.freeObjects[node] += c.num - t.active[slab];
}

/** fixup_slab_list(): onto slabs_full or slabs_partial. */
export function fixupSlabList(st: SlabState, c: SlabCache, slab: number): void {
  const t = st.slabs;
  const pfn = t.headPfn[slab];
  if (t.list[slab] >= 0) c.lists.remove(t.list[slab], pfn);
  const list = t.node[slab] * NR_SLAB_LISTS + (t.active[slab] === c.num ? SLABS_FULL : SLABS_PARTIAL);
  c.lists.addHead(list, pfn);
  t.list[slab] = list;
}

/** slab_get_obj(): the object of freelist[active]. */
export function slabGetObj(st: SlabState, c: SlabCache, slab: number): number {
  const t = st.slabs;
  const idx = t.freelist[t.freelistBase(slab) + t.active[slab]];
  t.active[slab]++;
  return t.sMem[slab] + idx * c.size + c.objOffset;
}

/** slab_put_obj(). */
export function slabPutObj(st: SlabState, c: SlabCache, slab: number, idx: number): void {
  const t = st.slabs;
  t.active[slab]--;
  t.freelist[t.freelistBase(slab) + t.active[slab]] = idx;
}

/** slab_destroy() -> kmem_freepages(): struct page back to what the page allocator expects. */
export function slabDestroy(st: SlabState, c: SlabCache, slab: number): void {
  const t = st.slabs;
  const pfn = t.headPfn[slab];
  const pages = st.pages;
  const nr = 1 << c.gfporder;
  for (let p = pfn; p < pfn + nr; p++) pages.private[p] = 0;
  pages.clearFlag(pfn, PG_slab);
  pages.setMapping(pfn, 0);
  pages.resetMapcount(pfn); // page_mapcount_reset()
  pages.clearLru(pfn);
  t.release(slab);
  if (c.hitSlab === slab) c.hitStart = Number.POSITIVE_INFINITY; // kmemCacheFree()'s remembered slab is gone
  st.services.pageAllocator.freePages(pfn, c.gfporder);
}

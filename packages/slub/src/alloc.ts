/**
 * The allocation paths of SLUB (mm/slub.c, 4.17): slab_alloc() with its c->freelist fast path
 * (load_freelist), ___slab_alloc() (get_freelist(), the per-cpu partial list, get_partial() /
 * get_any_partial(), new_slab() with the s->min order fallback, slab_out_of_memory()),
 * slab_post_alloc_hook() (kasan_slab_alloc(), __GFP_ZERO), and kmem_cache_alloc_bulk().
 */
import {
  NO_PAGE,
  PAGE_SIZE,
  PG_slab,
  POISON_INUSE,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLUB_RED_INACTIVE,
  __GFP_DIRECT_RECLAIM,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_ZERO,
  formatGfp,
  type Gfp,
  type KmemCache,
  type ObjAddr,
  GFP_CONSTRAINT_MASK, GFP_RECLAIM_MASK, GFP_SLAB_BUG_MASK,
} from '@mmkit/core';
import {
  CPU_END,
  CPU_FREELIST,
  CPU_START,
  CPU_STATE,
  CPU_WORD,
  OBJ_ALLOCATED,
  OBJ_FREE,
  SLAB_BASE,
  SLAB_END,
  SLAB_FREELIST,
  SLAB_FROZEN,
  SLAB_INUSE,
  SLAB_STATE,
  SLAB_WORD,
  cpuFreelist,
  setCpuFreelist,
  setSlabFreelist,
  slabFreelist,
  type SlubCache,
} from './cache.js';
import * as cpuSlab from './cpu-slab.js';
import * as debug from './debug.js';
import * as free from './free.js';
import { POINTER_SIZE, SIZEOF_TRACK } from './sizes.js';
import * as slabPage from './slab-page.js';
import type { SlubState } from './state.js';

if (__GFP_ZERO !== 0x8000) throw new Error('slub alloc.ts: slabPostAllocHook() assumes __GFP_ZERO is 0x8000');
if (CPU_STATE !== 4 || CPU_FREELIST !== 0 || CPU_START !== 1 || CPU_END !== 2 || CPU_WORD !== 3) throw new Error('slub: the fast paths (alloc.ts, free.ts) read SlubCache.cpuState with literal places');
if (SLAB_STATE !== 8 || SLAB_BASE !== 0 || SLAB_END !== 1 || SLAB_WORD !== 2 || SLAB_FREELIST !== 3 || SLAB_INUSE !== 4 || SLAB_FROZEN !== 5) throw new Error('slub: the fast free (free.ts) reads SlubCache.slabState with literal places');

// Bound to module constants, not called through import bindings: see "Hot paths" in the README.
const { deactivateSlab, putCpuPartial, setCpuSlab } = cpuSlab;
const { allocDebugProcessing, checkValidPointer, freepointerCorrupt, initObject } = debug;
const { kmemCacheFreeBulk } = free;
const { cpuToNode, discardSlab, getFreepointer, hex, objIndex, ownCache, pageToNid, pinSlab, setFreepointer } = slabPage;

/** kmem_cache_alloc(). */
export function kmemCacheAlloc(st: SlubState, cache: KmemCache, gfp: Gfp): ObjAddr {
  const s = ownCache(st, cache, 'kmem_cache_alloc');
  if (s === undefined) return 0;
  return slabAlloc(st, s, gfp);
}

/**
 * slab_alloc() → slab_alloc_node(): slab_pre_alloc_hook(), the c->freelist fast path,
 * slab_post_alloc_hook(). A cache without debug work (SlubCache.fastPaths) takes the fast path
 * written out in one piece: Linux's this_cpu_cmpxchg_double() of c->freelist from object to
 * get_freepointer_safe(s, object), with check_valid_pointer()'s bounds of an untracked cache
 * (checkValidPointer()) inline; everything else is loadFreelist() and ___slab_alloc().
 */
export function slabAlloc(st: SlubState, s: SlubCache, gfp: Gfp): ObjAddr {
  // slab_pre_alloc_hook() -> should_failslab(): asked only when armed, or to refuse a gfp that is no gfp_t.
  if ((st.failSlabArmed[0] !== 0 || gfp >>> 0 !== gfp) && st.shouldFailSlab(s, gfp)) return 0;
  // The cpu slab's direct view (on for fastPaths caches only), written small enough for V8 to
  // inline into the callers: get_freepointer() as two words, a valid next pointer, no __GFP_ZERO.
  // CPU_WORD is 8-aligned (pinSlab()), so (x & 7) tells whether the object is.
  const cpu = st.sched.currentCpu;
  const c = s.cpuState;
  const at = cpu << 2; // CPU_STATE
  const object = c[at]; // CPU_FREELIST
  const start = c[at + 1]; // CPU_START
  const end = c[at + 2]; // CPU_END
  if (object !== 0 && object >= start && object <= end && (gfp & 0x8000) === 0) {
    const x = object - start + c[at + 3]; // CPU_WORD
    if ((x & 7) === 0) {
      const w = s.cpuWords[cpu];
      const i = x >>> 2;
      const next = w[i + 1] * 4294967296 + w[i];
      // checkValidPointer() of an untracked cache: 0, or a whole object inside the slab.
      if (next === 0 || (next >= start && next <= end)) {
        c[at] = next;
        return object;
      }
    }
  }
  return slabAllocSlow(st, s, gfp, cpu);
}

/** slabAlloc() past slab_pre_alloc_hook(), for everything its inline part does not take: nothing has changed yet. */
function slabAllocSlow(st: SlubState, s: SlubCache, gfp: Gfp, cpu: number): ObjAddr {
  const c = s.cpuState;
  const at = cpu << 2; // CPU_STATE
  const object = c[at];
  const start = c[at + 1];
  const end = c[at + 2];
  const x = object - start + c[at + 3];
  if (object !== 0 && object >= start && object <= end && (x & 7) === 0) {
    const w = s.cpuWords[cpu];
    const i = x >>> 2;
    const next = w[i + 1] * 4294967296 + w[i];
    if (next === 0 || (next >= start && next <= end)) c[at] = next;
    else isolateCpuSlab(st, s, cpu, s.cpuSlab[cpu], object, next);
    if (gfp & 0x8000) st.phys.fill(object, s.objectSize, 0); // slab_post_alloc_hook(): __GFP_ZERO (no KASAN: fastPaths)
    return object;
  }
  if (object !== 0 && s.fastPaths) {
    // No view (a cpu slab whose pages are not in consecutive pool slots, or an unaligned c->freelist): through PhysMemory.
    const slot = s.cpuSlab[cpu];
    const next = st.phys.readU64(object + s.offset); // get_freepointer()
    // checkValidPointer() of an untracked cache: 0, or a whole object inside the slab.
    const r = slot << 3; // SLAB_STATE
    if (next === 0 || (next >= s.slabState[r] && next <= s.slabState[r + 1])) c[at] = next; // SLAB_BASE, SLAB_END
    else isolateCpuSlab(st, s, cpu, slot, object, next);
    if (gfp & 0x8000) st.phys.fill(object, s.objectSize, 0);
    return object;
  }
  if (object === 0) {
    const ret = ___slabAlloc(st, s, gfp, cpu);
    if (ret !== 0) slabPostAllocHook(st, s, ret, gfp);
    return ret;
  }
  loadFreelist(st, s, cpu, s.cpuSlab[cpu], object);
  slabPostAllocHook(st, s, object, gfp);
  return object;
}

/**
 * load_freelist: hand out `object` (the head of the cpu slab's freelist) and make its free
 * pointer the new c->freelist. A free pointer checkValidPointer() refuses is not followed:
 * the slab is isolated. (Untracked, as in 4.17 without slub_debug, an object handed out is
 * whatever the freelist says: after a double free the same object twice, after the free of an
 * interior pointer that pointer.)
 */
export function loadFreelist(st: SlubState, s: SlubCache, cpu: number, slot: number, object: number): number {
  if (s.tracked) s.objState[slot * s.stride + objIndex(s, slot, object)] = OBJ_ALLOCATED;
  const next = getFreepointer(st, s, object);
  if (checkValidPointer(s, slot, next)) setCpuFreelist(s, cpu, next);
  else isolateCpuSlab(st, s, cpu, slot, object, next);
  return object;
}

/** loadFreelist() of a free pointer checkValidPointer() refused: the slab is isolated and leaves the CPU (cold). */
function isolateCpuSlab(st: SlubState, s: SlubCache, cpu: number, slot: number, object: number, next: number): void {
  freepointerCorrupt(st, s, slot, object, next);
  setCpuSlab(st, s, cpu, -1);
  setCpuFreelist(s, cpu, 0);
}

/**
 * ___slab_alloc(): refill c->freelist from the cpu slab's page->freelist (get_freelist()),
 * else take a partial slab (get_partial()), else a new slab (new_slab()).
 */
export function ___slabAlloc(st: SlubState, s: SlubCache, gfp: Gfp, cpu: number): number {
  let slot: number;
  for (;;) {
    // redo:
    slot = s.cpuSlab[cpu];
    if (slot >= 0) {
      let freelist = cpuFreelist(s, cpu);
      if (freelist === 0) freelist = getFreelist(s, slot);
      if (freelist !== 0) return loadFreelist(st, s, cpu, slot, freelist);
      // DEACTIVATE_BYPASS: the slab is full and unfrozen by get_freelist()
      setCpuSlab(st, s, cpu, -1);
    }
    // new_slab: CPU_PARTIAL_ALLOC, the next slab of c->partial becomes c->page
    const partial = s.cpuPartialList[cpu];
    if (partial < 0) break;
    s.cpuPartialList[cpu] = s.slabNext[partial];
    s.slabNext[partial] = -1;
    setCpuSlab(st, s, cpu, partial);
    setCpuFreelist(s, cpu, 0);
  }
  // new_slab_objects(): c->page is none here; get_partial() makes the slab it takes c->page.
  let freelist = getPartial(st, s, cpu);
  slot = s.cpuSlab[cpu];
  if (slot < 0) {
    slot = newSlab(st, s, gfp);
    if (slot < 0) {
      if (slot === NEW_SLAB_NO_PAGES) slabOutOfMemory(st, s, gfp);
      return 0;
    }
    // A constructor may have freed into the cache meanwhile and given this CPU a slab:
    // new_slab_objects() flushes it (flush_slab()) before the new slab becomes c->page.
    if (s.cpuSlab[cpu] >= 0) flushCpuSlab(st, s, cpu);
    freelist = slabFreelist(s, slot);
    setSlabFreelist(s, slot, 0);
    setCpuSlab(st, s, cpu, slot);
  }
  setCpuFreelist(s, cpu, 0);
  if (!s.debug) return loadFreelist(st, s, cpu, slot, freelist);
  // A debug cache (kmem_cache_debug()) takes one object (alloc_debug_processing()) and gives
  // the slab back at once (deactivate_slab()): it never has a cpu slab, so every allocation
  // and every free takes the slow paths, where the checks are.
  const object = loadFreelist(st, s, cpu, slot, freelist);
  if (s.cpuSlab[cpu] === slot) {
    const rest = cpuFreelist(s, cpu);
    setCpuSlab(st, s, cpu, -1);
    setCpuFreelist(s, cpu, 0);
    deactivateSlab(st, s, slot, rest);
  }
  return object;
}

/** get_freelist(): take page->freelist for the cpu; the slab stays frozen only if it had one. */
export function getFreelist(s: SlubCache, slot: number): number {
  const freelist = slabFreelist(s, slot);
  setSlabFreelist(s, slot, 0);
  s.slabState[slot * SLAB_STATE + SLAB_INUSE] = s.slabObjects[slot];
  s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = freelist !== 0 ? 1 : 0;
  return freelist;
}

/**
 * get_partial(): the local node's partial list, then get_any_partial() over the others. As in
 * Linux, the slab taken becomes c->page (s.cpuSlab[cpu]) and its freelist is returned; c->page
 * stays none (-1) when no node had a partial slab.
 */
export function getPartial(st: SlubState, s: SlubCache, cpu: number): number {
  const local = cpuToNode(st, cpu);
  const freelist = getPartialNode(st, s, local, cpu);
  if (s.cpuSlab[cpu] >= 0) return freelist;
  // get_any_partial(): remote nodes with more than min_partial partial slabs
  // (remote_node_defrag_ratio's random skip is left out: always searched).
  for (let node = 0; node < st.nrNodes; node++) {
    if (node === local || s.partial.length[node] <= s.minPartial) continue;
    const object = getPartialNode(st, s, node, cpu);
    if (s.cpuSlab[cpu] >= 0) return object;
  }
  return 0;
}

/**
 * get_partial_node() → acquire_slab(): freeze the first partial slab and take its freelist
 * (mode 1) for c->page; then, with per-cpu partials, freeze more (mode 0, freelist kept) onto
 * c->partial until more than s->cpu_partial / 2 free objects were taken. Returns the freelist
 * of the slab that became c->page (s.cpuSlab[cpu], left untouched when the list was empty).
 */
export function getPartialNode(st: SlubState, s: SlubCache, node: number, cpu: number): number {
  let object = 0;
  let first = true;
  let available = 0;
  let pfn = s.partial.first(node);
  while (pfn !== -1) {
    const next = s.partial.next(pfn);
    const slot = st.pages.private[pfn];
    available += s.slabObjects[slot] - s.slabState[slot * SLAB_STATE + SLAB_INUSE];
    s.partial.remove(node, pfn);
    s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 1;
    if (first) {
      first = false;
      setCpuSlab(st, s, cpu, slot); // c->page = page
      object = slabFreelist(s, slot);
      setSlabFreelist(s, slot, 0);
      s.slabState[slot * SLAB_STATE + SLAB_INUSE] = s.slabObjects[slot];
    } else putCpuPartial(st, s, slot, false); // CPU_PARTIAL_NODE
    if (!s.cpuPartial || available > Math.floor(s.cpuPartial / 2)) break;
    pfn = next;
  }
  return object;
}

/** newSlab(): the page allocator had nothing (slab_out_of_memory() follows). */
export const NEW_SLAB_NO_PAGES = -1;
/** newSlab(): a constructor threw, or tried to allocate from its own cache: no slab, no OOM report. */
export const NEW_SLAB_CTOR_FAILED = -2;

/** flush_slab(): the cpu slab back to its node (deactivate_slab() with the cpu freelist). */
function flushCpuSlab(st: SlubState, s: SlubCache, cpu: number): void {
  const slot = s.cpuSlab[cpu];
  const freelist = cpuFreelist(s, cpu);
  setCpuSlab(st, s, cpu, -1);
  setCpuFreelist(s, cpu, 0);
  deactivateSlab(st, s, slot, freelist);
}

/**
 * new_slab() → allocate_slab(): pages of order oo (a first try that may fail fast), else of
 * order s->min; PG_slab and page->slab_cache; objects set up (poison, red zones, ctor) and
 * chained in address order; the slab comes frozen with inuse = objects. Returns its slot,
 * NEW_SLAB_NO_PAGES when the page allocator had nothing, NEW_SLAB_CTOR_FAILED when the
 * constructor threw (the slab is given back whole) or when the constructor of this cache is
 * what asks for the slab (Linux would recurse without end: new_slab() → ctor → new_slab()).
 */
export function newSlab(st: SlubState, s: SlubCache, gfp: Gfp): number {
  if (s.ctorRunning) return refuseCtorRecursion(st, s);
  if (gfp & GFP_SLAB_BUG_MASK) {
    st.services.log('warn', `Unexpected gfp: ${hex((gfp & GFP_SLAB_BUG_MASK) >>> 0)}. Fixing up to gfp: ${hex((gfp & ~GFP_SLAB_BUG_MASK) >>> 0)}. Fix your code!`);
    gfp &= ~GFP_SLAB_BUG_MASK;
  }
  const flags = (gfp & (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK)) | s.allocflags;
  let allocGfp = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
  if (allocGfp & __GFP_DIRECT_RECLAIM && s.order > s.minOrder) allocGfp = (allocGfp | __GFP_NOMEMALLOC) & ~(__GFP_RECLAIM | __GFP_NOFAIL);
  let order = s.order;
  let objects = s.objects;
  let pfn = st.services.pageAllocator.allocPages(allocGfp, order);
  if (pfn === NO_PAGE) {
    // ORDER_FALLBACK
    order = s.minOrder;
    objects = s.minObjects;
    pfn = st.services.pageAllocator.allocPages(flags, order);
    if (pfn === NO_PAGE) return -1;
  }
  const pages = st.pages;
  const slot = s.allocSlot();
  const node = pageToNid(st, pfn);
  pages.setFlag(pfn, PG_slab);
  pages.setMapping(pfn, s.id);
  pages.private[pfn] = slot;
  // compound_head() of the tail pages: kept in their page->private.
  for (let p = pfn + 1; p < pfn + (1 << order); p++) pages.private[p] = pfn;
  s.slabPfn[slot] = pfn;
  s.slabOrder[slot] = order;
  s.slabObjects[slot] = objects;
  s.slabNode[slot] = node;
  s.slabState[slot * SLAB_STATE + SLAB_INUSE] = objects;
  s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 1;
  s.slabIsolated[slot] = 0;
  s.slabPin[slot] = 0; // no view until set up (pinSlab())
  const r = slot * SLAB_STATE;
  s.slabState[r + SLAB_BASE] = pfn * PAGE_SIZE;
  s.slabState[r + SLAB_END] = pfn * PAGE_SIZE + (PAGE_SIZE << order) - s.size;
  s.slabState[r + SLAB_WORD] = -1;
  if (s.tracked) s.objState.fill(OBJ_FREE, slot * s.stride, slot * s.stride + s.stride);
  // inc_slabs_node()
  s.nrSlabs[node]++;
  s.totalObjects[node] += objects;
  s.totalPages[node] += 1 << order;

  const base = pfn * PAGE_SIZE;
  if (s.flags & SLAB_POISON) st.phys.fill(base, PAGE_SIZE << order, POISON_INUSE);
  if (s.ctor) {
    if (!setupObjectsWithCtor(st, s, slot, base, objects)) return NEW_SLAB_CTOR_FAILED;
  } else setupObjects(st, s, base, objects);
  setSlabFreelist(s, slot, base + s.redLeftPad);
  pinSlab(st, s, slot);
  return slot;
}

/**
 * setup_object() of every object of a new slab → setup_object_debug() (init_object(SLUB_RED_INACTIVE),
 * init_tracking()) and, when the cache has one, the constructor; the objects chained in address order.
 */
function setupObjects(st: SlubState, s: SlubCache, base: number, objects: number): void {
  const debug = (s.flags & (SLAB_STORE_USER | SLAB_RED_ZONE)) !== 0 || s.objectPoison;
  let p = base + s.redLeftPad;
  for (let i = 0; i < objects; i++, p += s.size) {
    if (debug) {
      initObject(st, s, p, SLUB_RED_INACTIVE);
      if (s.flags & SLAB_STORE_USER) st.phys.fill(p + (s.offset ? s.offset + POINTER_SIZE : s.inuse), 2 * SIZEOF_TRACK, 0);
    }
    if (s.ctor) s.ctor(p);
    setFreepointer(st, s, p, i + 1 < objects ? p + s.size : 0);
  }
}

/**
 * setupObjects() for a cache with a constructor (off the hot path): while it runs, an
 * allocation from this cache that needs a new slab is refused (newSlab()); a constructor that
 * throws gets the slab given back whole (discard_slab(): counters, PG_slab, pages) and false.
 */
function setupObjectsWithCtor(st: SlubState, s: SlubCache, slot: number, base: number, objects: number): boolean {
  s.ctorRunning++;
  try {
    setupObjects(st, s, base, objects);
    return true;
  } catch (err) {
    st.services.log('err', `SLUB: the constructor of ${s.name} threw while a new slab was set up (${err instanceof Error ? err.message : String(err)}): the slab is given back and the allocation fails`);
    discardSlab(st, s, slot);
    return false;
  } finally {
    s.ctorRunning--;
  }
}

/** An allocation from a cache by its own constructor, while it sets up a new slab (cold). */
function refuseCtorRecursion(st: SlubState, s: SlubCache): number {
  st.services.log('err', `SLUB: kmem_cache_alloc(${s.name}) from the constructor of ${s.name} needs a new slab: refused (new_slab() would call the constructor again, without end)`);
  return NEW_SLAB_CTOR_FAILED;
}

/** slab_out_of_memory(). */
export function slabOutOfMemory(st: SlubState, s: SlubCache, gfp: Gfp): void {
  if (gfp & __GFP_NOWARN) return;
  st.services.log('warn', `SLUB: Unable to allocate memory on node -1, gfp=${hex(gfp)}(${formatGfp(gfp)})\n  cache: ${s.name}, object size: ${s.objectSize}, buffer size: ${s.size}, default order: ${s.order}, min order: ${s.minOrder}`);
}

/** slab_post_alloc_hook() and the debug checks of alloc_debug_processing(); __GFP_ZERO. */
export function slabPostAllocHook(st: SlubState, s: SlubCache, object: number, gfp: Gfp): void {
  if (s.allocDebug) allocDebugProcessing(st, s, object);
  if (gfp & 0x8000) st.phys.fill(object, s.objectSize, 0); // 0x8000: __GFP_ZERO, a literal on the hot path
  if (st.kasan !== undefined) st.kasan.slabAlloc(s, object);
}

/** kmem_cache_alloc_bulk(). */
export function kmemCacheAllocBulk(st: SlubState, cache: KmemCache, gfp: Gfp, n: number, out: Float64Array): number {
  const s = ownCache(st, cache, 'kmem_cache_alloc_bulk');
  if (!s || !(n > 0) || !Number.isInteger(n) || n > out.length) return 0;
  if (st.shouldFailSlab(s, gfp)) return 0;
  const cpu = st.sched.currentCpu;
  let i = 0;
  for (; i < n; i++) {
    const object = cpuFreelist(s, cpu);
    const got = object === 0 ? ___slabAlloc(st, s, gfp, cpu) : loadFreelist(st, s, cpu, s.cpuSlab[cpu], object);
    if (got === 0) break;
    out[i] = got;
  }
  for (let j = 0; j < i; j++) slabPostAllocHook(st, s, out[j], gfp);
  if (i < n) {
    // error: __kmem_cache_free_bulk(s, i, p)
    kmemCacheFreeBulk(st, s, i, out);
    return 0;
  }
  return n;
}

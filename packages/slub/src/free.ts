/**
 * The free paths of SLUB (mm/slub.c, 4.17): kmem_cache_free() with cache_from_obj(), slab_free()
 * with the KASAN hook of 4.17 (slab_free_freelist_hook() leaves out the objects whose reuse
 * KASAN delays), do_slab_free() and __slab_free(), kmem_cache_free_bulk() with
 * build_detached_freelist(), and the objects KASAN's quarantine gives back (qlink_free()).
 *
 * The free paths call slab_free() through the hook table (st.hooks.slabFree); slabFree() here
 * is its 4.17 default (DEFAULT_SLUB_HOOKS.slabFree).
 */
import { PAGE_SIZE, PG_tail, cacheFromObjChecks, wrongSlabCacheWarning, type KasanHooks, type KmemCache, type ObjAddr } from '@mmkit/core';
import * as cache from './cache.js';
import { OBJ_DETACHED, OBJ_FREE, SLAB_BASE, SLAB_END, SLAB_FROZEN, SLAB_INUSE, SLAB_STATE, SLAB_WORD, SlubCache } from './cache.js';
import * as cpuSlab from './cpu-slab.js';
import * as debug from './debug.js';
import * as kmallocLarge from './kmalloc-large.js';
import * as slabPage from './slab-page.js';
import type { SlubState } from './state.js';

// Bound to module constants, not called through import bindings: see "Hot paths" in the README.
const { cpuFreelist, setCpuFreelist, setSlabFreelist, slabFreelist } = cache;
const { putCpuPartial } = cpuSlab;
const PG_TAIL_BIT = 1 << PG_tail;
const { bugOnObjectIsFp, freeDebugInit, freeDebugProcessing, untrackedFreeFits } = debug;
const { freeLarge } = kmallocLarge;
const { discardSlab, getFreepointer, hex, objIndex, ownCache, ownSlabHead, setFreepointer, slabHead } = slabPage;

/**
 * kmem_cache_free(): cache_from_obj(), free_debug_processing() (a tracked cache only: 4.17
 * checks a free only when kmem_cache_debug(s)), then slab_free() of one object. Untracked, a
 * double free or an interior pointer goes onto a freelist as in Linux.
 * An object of another cache goes back to its own cache, with a warning only when
 * cache_from_obj() checks (cacheFromObj()). The common case, an address in a slab of `cache`,
 * is proven from page->private (ownSlabHead()); anything else takes kmemCacheFreeElsewhere().
 */
export function kmemCacheFree(st: SlubState, cache: KmemCache, addr: ObjAddr): void {
  const s = ownCache(st, cache, 'kmem_cache_free');
  if (s === undefined) return;
  // Two fast ways, written as one so that V8 inlines the whole into its callers (its inlining
  // budget): the free pointer of addr is written through a direct view, words w at byte x, and
  // addr becomes the head h[k] of a freelist.
  // - The slab the last fast free found (SlubCache.hitSlot; set for fastPaths caches only): never
  //   a CPU's c->page and always with a view, so tested first, it costs the frees into the cpu
  //   slab little and spares the others the test of the cpu slab's view; __slab_free() of one
  //   object onto page->freelist (as slabFreeFast()): h is slabState, k its SLAB_FREELIST.
  // - do_slab_free()'s `page == c->page` through the cpu slab's direct view (CPU_START 1 and
  //   CPU_END 0 when off; on for fastPaths caches only): onto c->freelist, h is cpuState, k its
  //   CPU_FREELIST. An address inside the cpu slab, up to its last whole object, is in a slab of
  //   `s` whatever its struct page says, so every check would pass.
  // Both take a whole, 8-aligned x only: `(x & -8) === x` (x is below 2^31) is false for a
  // fraction as for an unaligned x, and NaN or an infinity is in no range; kmemCacheFreeRest()
  // refuses what is no address.
  let h: Float64Array;
  let k: number;
  let x: number;
  let w: Uint32Array;
  const base = s.hitBase;
  if (addr >= base && addr <= s.hitEnd) {
    h = s.slabState;
    k = (s.hitSlot << 3) + 3; // SLAB_STATE, SLAB_FREELIST
    x = addr - base + h[k - 1]; // SLAB_WORD
    w = s.hitWords;
  } else {
    const cpu = st.sched.currentCpu;
    h = s.cpuState;
    k = cpu << 2; // CPU_STATE, CPU_FREELIST
    const start = h[k + 1]; // CPU_START
    if (!(addr >= start && addr <= h[k + 2])) return kmemCacheFreeRest(st, s, addr); // CPU_END
    x = addr - start + h[k + 3]; // CPU_WORD
    w = s.cpuWords[cpu];
  }
  const prior = h[k];
  if ((x & -8) !== x || (s.hardened && addr === prior)) return kmemCacheFreeRest(st, s, addr);
  // set_freepointer(s, addr, prior) as two words.
  const i = x >>> 2;
  const lo = prior >>> 0;
  w[i] = lo;
  w[i + 1] = (prior - lo) * 2.3283064365386963e-10; // 2^-32
  h[k] = addr;
  if ((k & 3) === 0) return; // c->freelist: done
  // __slab_free(): page->inuse, and the list moves of a slab that was full or is now empty.
  const inuse = h[k + 1] - 1; // SLAB_INUSE
  h[k + 1] = inuse;
  if (h[k + 2] === 0 && (inuse === 0 || prior === 0)) slabFreeListChange(st, s, k >> 3, prior); // SLAB_FROZEN
}

/** kmem_cache_free() past its inline fast ways, nothing changed yet: no address, or slabFreeFast() / slabFreeGeneral(). */
function kmemCacheFreeRest(st: SlubState, s: SlubCache, addr: number): void {
  if (addr - Math.floor(addr) !== 0) reportNotAnAddress(st, s, addr, 'kmem_cache_free'); // a fraction, NaN or an infinity
  else if (s.fastPaths) slabFreeFast(st, s, addr);
  else slabFreeGeneral(st, s, addr);
}

/** kmem_cache_free() of an address not on its fast paths: the slab from page->private (ownSlabHead()), or kmemCacheFreeElsewhere(). */
function slabFreeGeneral(st: SlubState, s: SlubCache, addr: number): void {
  const head = ownSlabHead(st, s, addr);
  if (head < 0) kmemCacheFreeElsewhere(st, s, addr);
  else slabFreeObject(st, s, head, addr);
}

/**
 * kmem_cache_free() → slab_free() → do_slab_free() in one piece, for a cache with
 * SlubCache.fastPaths (no debug work, 4.17's slab_free()), where the general way
 * (ownSlabHead(), untrackedFreeFits(), the slabFree hook, doSlabFree()) would do the same: the
 * slab from page->private as ownSlabHead() proves it, the bounds of untrackedFreeFits(), then
 * do_slab_free(): `if (likely(page == c->page))` onto c->freelist, else __slab_free(), whose
 * set_freepointer() writes two words through the slab's view (pinSlab()) when it has one.
 * What the general way must handle goes there (slabFreeGeneral()) before any change: an address
 * in no slab of `s`, past a slab's last whole object, or CONFIG_SLAB_FREELIST_HARDENED's
 * BUG_ON(object == fp) on c->freelist.
 *
 * The slab: the last one found (SlubCache.hitSlot) when the address lies in its range, else
 * slabOfFree(): page->private of the address's page is a slot of `s` whose SLAB_BASE is that
 * page (a head page), else, for a tail page (PG_tail), page->private of its head
 * (compound_head()). A slot's SLAB_BASE and SLAB_END are its slab's while the slab lives
 * (PG_slab set), so PG_slab needs no test.
 */
function slabFreeFast(st: SlubState, s: SlubCache, addr: number): void {
  const f = s.slabState;
  let slot = s.hitSlot;
  let base = s.hitBase;
  let w = s.hitWords;
  if (!(addr >= base && addr <= s.hitEnd)) {
    slot = slabOfFree(st, s, addr);
    if (slot < 0) {
      if (slot === FREE_GENERAL) slabFreeGeneral(st, s, addr);
      return;
    }
    base = f[slot << 3]; // SLAB_BASE
    w = s.slabWords[slot];
  }
  const r = slot << 3; // SLAB_STATE
  const word = f[r + 2]; // SLAB_WORD
  const prior = f[r + 3]; // SLAB_FREELIST
  const x = addr - base + word;
  // An isolated slab has no view (freepointerCorrupt()): the general way.
  if (word < 0 || (x & 7) !== 0 || (s.hardened === true && addr === prior)) {
    if (s.slabIsolated[slot] === 0) __slabFree(st, s, slot, addr, addr, 1); // do_slab_free(): an isolated slab is never reused
    return;
  }
  // __slab_free() of one object: set_freepointer(s, tail, prior) as two words, then the counts.
  const i = x >>> 2;
  const lo = prior >>> 0;
  w[i] = lo;
  w[i + 1] = (prior - lo) * 2.3283064365386963e-10; // 2^-32
  f[r + 3] = addr; // SLAB_FREELIST
  const inuse = f[r + 4] - 1; // SLAB_INUSE
  f[r + 4] = inuse;
  if (f[r + 5] === 0 && (inuse === 0 || prior === 0)) slabFreeListChange(st, s, slot, prior); // SLAB_FROZEN
}

/** slabOfFree(): the general way decides (nothing has changed). */
const FREE_GENERAL = -1;
/** slabOfFree(): the object went onto this CPU's c->freelist. */
const FREE_DONE = -2;

/**
 * slabFreeFast()'s slab of addr outside its hit range, from page->private: the slot of a slab
 * of `s` that is not this CPU's c->page (remembered as SlubCache.hitSlot unless it is another
 * CPU's); FREE_DONE after do_slab_free()'s c->freelist push when it is this CPU's (the cpu slab
 * without a view, or an unaligned address in it); FREE_GENERAL for an address in no slab of
 * `s`, past the last whole object of its slab (untrackedFreeFits()), or the object that heads
 * c->freelist already with CONFIG_SLAB_FREELIST_HARDENED.
 */
function slabOfFree(st: SlubState, s: SlubCache, addr: number): number {
  const pages = st.pages;
  const priv = pages.private;
  const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE, as a literal on the hot path
  if (!(pfn >= 0 && pfn < priv.length)) return FREE_GENERAL;
  const f = s.slabState;
  let slot = priv[pfn];
  if (!(slot < s.slotLimit && f[slot * SLAB_STATE + SLAB_BASE] === pfn * PAGE_SIZE)) {
    // Not a head page of s; a tail page's head is in its page->private (PG_tail).
    const head = priv[pfn];
    if (!(pages.flags[pfn] & PG_TAIL_BIT && head < pfn)) return FREE_GENERAL;
    slot = priv[head];
    if (!(slot < s.slotLimit && f[slot * SLAB_STATE + SLAB_BASE] === head * PAGE_SIZE)) return FREE_GENERAL;
  }
  const end = f[slot * SLAB_STATE + SLAB_END];
  if (!(addr <= end)) return FREE_GENERAL;
  const cpu = st.sched.currentCpu;
  if (slot === s.cpuSlab[cpu]) {
    const freelist = cpuFreelist(s, cpu);
    if (s.hardened && addr === freelist) return FREE_GENERAL;
    st.phys.writeU64(addr + s.offset, freelist); // set_freepointer()
    setCpuFreelist(s, cpu, addr);
    return FREE_DONE;
  }
  for (let c = 0; c < st.nrCpus; c++) if (s.cpuSlab[c] === slot) return slot; // another CPU's c->page: not remembered
  if (!(f[slot * SLAB_STATE + SLAB_WORD] >= 0)) return slot; // no view (or isolated): not remembered (kmemCacheFree() writes through the view)
  s.hitSlot = slot;
  s.hitBase = f[slot * SLAB_STATE + SLAB_BASE];
  s.hitEnd = end;
  s.hitWords = s.slabWords[slot];
  return slot;
}

/** kmem_cache_free() of an address in no slab of `s`: a slab of another cache (cache_from_obj()), or none. */
function kmemCacheFreeElsewhere(st: SlubState, s: SlubCache, addr: ObjAddr): void {
  const head = slabHead(st, addr);
  if (head < 0) return reportFreeOutsideSlab(st, s, addr);
  const owner = st.byId[st.pages.getMapping(head)]!;
  slabFreeObject(st, owner !== s ? cacheFromObj(st, s, owner, addr, 0) : s, head, addr);
}

/**
 * The free of one object `addr` of `s` in the slab at `head`, shared by kmem_cache_free() and
 * kfree(): free_debug_processing() in a tracked cache, else the bounds check of an untracked
 * one (and init_object() in a debug cache), then slab_free() (the hook).
 */
export function slabFreeObject(st: SlubState, s: SlubCache, head: number, addr: number): void {
  if (s.freeDebug ? !debugFreeFits(st, s, head, addr) : !untrackedFreeFits(st, s, head, addr)) return;
  st.hooks.slabFree(st, s, head, addr, addr, 1);
}

/** slabFreeObject() in a tracked or debug cache: free_debug_processing(), or the bounds check and init_object(). */
function debugFreeFits(st: SlubState, s: SlubCache, head: number, addr: number): boolean {
  if (s.tracked) {
    if (!freeDebugProcessing(st, s, head, addr)) return false;
    setFreepointer(st, s, addr, 0);
    return true;
  }
  if (!untrackedFreeFits(st, s, head, addr)) return false;
  freeDebugInit(st, s, addr);
  return true;
}

/**
 * slab_free() of 4.17 with slab_free_freelist_hook() (the default of the slabFree hook): walk
 * the detached freelist head..tail, run the free hook (kasan_slab_free()) on each object and
 * rebuild the list from the objects whose reuse is not delayed; then do_slab_free() of what is
 * left. (4.17 passed on the original cnt, so page->inuse dropped by objects still in the
 * quarantine; later kernels pass the rebuilt count, slab_free_freelist_hook(s, &head, &tail,
 * &cnt), and so does this model.)
 */
export function slabFree(st: SlubState, s: SlubCache, page: number, head: number, tail: number, cnt: number): void {
  if (st.kasan === undefined) doSlabFree(st, s, page, head, tail, cnt);
  else slabFreeKasan(st, st.kasan, s, page, head, tail, cnt);
}

/** slab_free_freelist_hook() with KASAN: the objects whose reuse it does not delay go on. */
function slabFreeKasan(st: SlubState, kasan: KasanHooks, s: SlubCache, page: number, head: number, tail: number, cnt: number): void {
  let newHead = 0;
  let newTail = 0;
  let newCnt = 0;
  let next = head;
  for (let i = 0; i < cnt; i++) {
    const object = next;
    if (object !== tail) next = getFreepointer(st, s, object);
    if (!kasan.slabFree(s, object)) {
      setFreepointer(st, s, object, newHead);
      newHead = object;
      if (newTail === 0) newTail = object;
      newCnt++;
    }
    if (object === tail) break;
  }
  if (newHead !== 0) doSlabFree(st, s, page, newHead, newTail, newCnt);
}

/**
 * do_slab_free(): onto c->freelist when the slab is this CPU's slab, else __slab_free().
 * The objects head..tail (cnt of them, chained through their free pointers) become free.
 */
export function doSlabFree(st: SlubState, s: SlubCache, page: number, head: number, tail: number, cnt: number): void {
  const slot = st.pages.private[page];
  const cpu = st.sched.currentCpu;
  if (s.doSlabFreeChecks && !doSlabFreeChecks(st, s, slot, cpu, head, tail, cnt)) return;
  if (s.slabIsolated[slot]) return; // never reused
  if (s.cpuSlab[cpu] === slot) {
    setFreepointer(st, s, tail, cpuFreelist(s, cpu));
    setCpuFreelist(s, cpu, head);
    return;
  }
  __slabFree(st, s, slot, head, tail, cnt);
}

/**
 * do_slab_free()'s set_freepointer() BUG_ON(object == fp) with CONFIG_SLAB_FREELIST_HARDENED
 * (false: the free stops), and in a tracked cache the objects become OBJ_FREE.
 */
function doSlabFreeChecks(st: SlubState, s: SlubCache, slot: number, cpu: number, head: number, tail: number, cnt: number): boolean {
  if (s.hardened && s.cpuSlab[cpu] === slot && tail === cpuFreelist(s, cpu)) return bugOnObjectIsFp(st, s, tail);
  if (s.tracked) markFree(st, s, slot, head, tail, cnt);
  return true;
}

/** The objects head..tail become OBJ_FREE (a tracked cache only). */
function markFree(st: SlubState, s: SlubCache, slot: number, head: number, tail: number, cnt: number): void {
  let object = head;
  for (let i = 0; i < cnt; i++) {
    s.objState[slot * s.stride + objIndex(s, slot, object)] = OBJ_FREE;
    if (object === tail) break;
    object = getFreepointer(st, s, object);
  }
}

/**
 * __slab_free(): push onto page->freelist; a frozen slab is left to its CPU. A full slab is
 * frozen onto this CPU's partial list (put_cpu_partial(), CPU_PARTIAL_FREE), or, in a cache
 * without per-cpu partials, joins the node's partial list; an empty slab is discarded when
 * the node already has min_partial partial slabs.
 */
export function __slabFree(st: SlubState, s: SlubCache, slot: number, head: number, tail: number, cnt: number): void {
  const prior = slabFreelist(s, slot);
  if (s.hardened && tail === prior) {
    bugOnObjectIsFp(st, s, tail);
    return;
  }
  setFreepointer(st, s, tail, prior);
  setSlabFreelist(s, slot, head);
  s.slabState[slot * SLAB_STATE + SLAB_INUSE] -= cnt;
  if (s.slabState[slot * SLAB_STATE + SLAB_FROZEN]) return; // FREE_FROZEN
  if (s.slabState[slot * SLAB_STATE + SLAB_INUSE] !== 0 && prior !== 0) return; // still partial: no list changes
  slabFreeListChange(st, s, slot, prior);
}

/** __slab_free() of a slab that was full (prior === 0) or is now empty: the list moves. */
function slabFreeListChange(st: SlubState, s: SlubCache, slot: number, prior: number): void {
  if (s.cpuPartial && prior === 0) {
    s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 1;
    putCpuPartial(st, s, slot, true);
    return;
  }
  const node = s.slabNode[slot];
  const pfn = s.slabPfn[slot];
  if (s.slabState[slot * SLAB_STATE + SLAB_INUSE] === 0 && s.partial.length[node] >= s.minPartial) {
    // slab_empty
    if (prior !== 0) s.partial.remove(node, pfn);
    discardSlab(st, s, slot);
    return;
  }
  if (!s.cpuPartial && prior === 0) s.partial.addTail(node, pfn); // remove_full(); add_partial(DEACTIVATE_TO_TAIL)
}

/** kmem_cache_free_bulk(): build_detached_freelist() groups per slab, slab_free() per group. */
/** slab_err() for an address outside any slab (built off the hot path: its message makes a function too large to inline). */
/**
 * mmkit's guard, no Linux counterpart: a number that is no address (a fraction, NaN, an
 * infinity) freed. Linux takes a pointer; the unchecked paths take any whole number as one
 * (an interior or unaligned pointer corrupts the freelist as in Linux), but a fraction would
 * be handed out again as an object address. Reported, and nothing changes.
 */
export function reportNotAnAddress(st: SlubState, s: SlubCache | undefined, addr: number, fn: string): void {
  st.services.slabError('invalid-free', s, addr, `${fn}(${s?.name ?? 'kmalloc'}): ${addr} is not an address; mmkit refuses it`);
}

function reportFreeOutsideSlab(st: SlubState, s: SlubCache, addr: number): void {
  st.services.slabError('invalid-free', s, addr, `BUG ${s.name} (Not tainted): Attempt to free object(${hex(addr)}) outside of slab`);
}

/**
 * cache_from_obj() (mm/slab.h, 4.17) for an object whose slab belongs to `owner`, not to the
 * cache `s` it was freed to: the cache the free then works on. With the check on (core's
 * cacheFromObjChecks(): CONFIG_SLAB_FREELIST_HARDENED, or SLAB_CONSISTENCY_CHECKS on `s`, as
 * slub_debug=F gives it), WARN_ONCE() (once per call site: `site` 0 is kmem_cache_free(), 1
 * build_detached_freelist()) and the object's own cache. Without it Linux goes on with `s`,
 * whose slab_free() works on the object's own slab page (its freelist and inuse count), but
 * keeps the node lists and slab counters of `s`: mmkit frees into `owner`, so that every
 * cache's counts stay right, and reports nothing.
 */
function cacheFromObj(st: SlubState, s: SlubCache, owner: SlubCache, addr: number, site: number): SlubCache {
  if (cacheFromObjChecks(st.services.debug, s.flags) && !(st.cacheFromObjWarned & (1 << site))) {
    st.cacheFromObjWarned |= 1 << site;
    st.services.slabError('wrong-cache', s, addr, wrongSlabCacheWarning(s.name, owner.name));
  }
  return owner;
}

export function kmemCacheFreeBulk(st: SlubState, cache: KmemCache, n: number, addrs: Float64Array): void {
  const given = ownCache(st, cache, 'kmem_cache_free_bulk');
  if (!given) return;
  n = Math.min(n, addrs.length);
  if (!(n > 0)) return;
  if (st.bulkDone.length < n) st.bulkDone = new Uint8Array(Math.max(n, st.bulkDone.length * 2));
  const done = st.bulkDone;
  done.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    const o = addrs[i];
    if (o - Math.floor(o) !== 0) {
      reportNotAnAddress(st, given, o, 'kmem_cache_free_bulk');
      done[i] = 1;
    }
  }
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
    const page = slabHead(st, object);
    if (page < 0) {
      const pfn = Math.floor(object / PAGE_SIZE);
      if (object === pfn * PAGE_SIZE && st.largeOrders.has(pfn)) freeLarge(st, pfn); // !PageSlab: a kmalloc_large block
      else reportFreeOutsideSlab(st, given, object);
      continue;
    }
    const owner = st.byId[st.pages.getMapping(page)]!;
    const s = owner === given ? given : cacheFromObj(st, given, owner, object, 1); // df->s = cache_from_obj(s, object)
    if (s.tracked ? !freeDebugProcessing(st, s, page, object) : !untrackedFreeFits(st, s, page, object)) continue;
    if (!s.tracked && s.debug) freeDebugInit(st, s, object);
    let dfHead = object;
    const dfTail = object;
    let cnt = 1;
    setFreepointer(st, s, object, 0);
    let lookahead = 3;
    let firstSkipped = 0;
    while (size > 0) {
      size--;
      const o = done[size] ? 0 : addrs[size];
      if (o === 0) continue;
      if (slabHead(st, o) === page) {
        done[size] = 1;
        if (s.tracked ? !freeDebugProcessing(st, s, page, o) : !untrackedFreeFits(st, s, page, o)) continue;
        if (!s.tracked && s.debug) freeDebugInit(st, s, o);
        if (s.hardened && o === dfHead) {
          bugOnObjectIsFp(st, s, o);
          continue;
        }
        setFreepointer(st, s, o, dfHead);
        dfHead = o;
        cnt++;
        continue;
      }
      if (--lookahead === 0) break;
      if (!firstSkipped) firstSkipped = size + 1;
    }
    size = firstSkipped;
    st.hooks.slabFree(st, s, page, dfHead, dfTail, cnt);
  }
}

/** KASAN's quarantine gives back an object: qlink_free() → ___cache_free() → do_slab_free(), no hook. */
export function qlinkFree(st: SlubState, cache: KmemCache, addr: ObjAddr): void {
  const s = cache instanceof SlubCache && st.byId[cache.id] === cache ? cache : undefined;
  const head = s ? slabHead(st, addr) : -1;
  if (!s || head < 0 || st.byId[st.pages.getMapping(head)] !== s) {
    st.services.slabError('invalid-free', cache, addr, `quarantine: ${hex(addr)} is not an object of ${cache?.name ?? '(null)'}`);
    return;
  }
  const slot = st.pages.private[head];
  const off = addr - head * PAGE_SIZE - s.redLeftPad;
  const idx = off / s.size;
  if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot] || s.objState[slot * s.stride + idx] !== OBJ_DETACHED) {
    st.services.slabError('invalid-free', s, addr, `quarantine: object ${hex(addr)} of ${s.name} is not waiting in the quarantine`);
    return;
  }
  setFreepointer(st, s, addr, 0);
  doSlabFree(st, s, head, addr, addr, 1);
}

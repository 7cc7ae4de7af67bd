/**
 * The checks of SLUB (mm/slub.c, 4.17), which Linux does only with slub_debug: free pointer
 * validation (check_valid_pointer(), "Freepointer corrupt"), free_debug_processing() (invalid
 * pointer, double free; O(1) by a state byte per object, in the caches that keep them:
 * kmem_cache_debug(s), or KASAN), CONFIG_SLAB_FREELIST_HARDENED's BUG_ON(object == fp) in
 * set_freepointer() (its pointer obfuscation, freelist_ptr() with s->random, changes no
 * semantics and is not modelled), and for the caches
 * that ask for them red zones (SLAB_RED_ZONE) and poison (SLAB_POISON): init_object(),
 * alloc_debug_processing(), check_object(), check_bytes_and_report().
 */
import { PAGE_SIZE, POISON_END, POISON_FREE, SLAB_CONSISTENCY_CHECKS, SLUB_RED_ACTIVE, SLUB_RED_INACTIVE } from '@mmkit/core';
import { OBJ_ALLOCATED, OBJ_DETACHED, OBJ_FREE, SLAB_FROZEN, SLAB_INUSE, SLAB_STATE, SLAB_WORD, setSlabFreelist, type SlubCache } from './cache.js';
import { hex } from './slab-page.js';

if (PAGE_SIZE !== 4096) throw new Error('slub debug.ts: checkValidPointer() and untrackedFreeFits() assume 4 KiB pages');
import type { SlubState } from './state.js';

/**
 * check_valid_pointer() for a free pointer, stricter than Linux's in a tracked cache
 * (SlubCache.tracked): 0, or a free object of the same slab (Linux checks the slab's bounds
 * and the object boundary only, and only with slub_debug). In an untracked cache (4.17's
 * default, where Linux follows whatever the pointer says) mmkit follows any pointer that
 * leaves a whole object inside the slab, object boundary or not, as Linux would; one that
 * points outside the slab is not followed (freepointerCorrupt()), since what lies there is
 * not this cache's to hand out.
 */
export function checkValidPointer(s: SlubCache, slot: number, fp: number): boolean {
  if (fp === 0) return true;
  if (s.tracked) return checkValidPointerTracked(s, slot, fp);
  const off = fp - s.slabPfn[slot] * 4096 - s.redLeftPad; // 4096: PAGE_SIZE, a literal on the hot path
  return off >= 0 && off <= (4096 << s.slabOrder[slot]) - s.size;
}

/** checkValidPointer() of a nonzero free pointer in a tracked cache: a free object of the slab. */
function checkValidPointerTracked(s: SlubCache, slot: number, fp: number): boolean {
  const off = fp - s.slabPfn[slot] * PAGE_SIZE - s.redLeftPad;
  const idx = off / s.size;
  if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot]) return false;
  return s.objState[slot * s.stride + idx] === OBJ_FREE;
}

/**
 * The free of `addr` (in the slab at `head`) in an untracked cache, where 4.17 checks nothing:
 * any address in the slab goes onto a freelist, object boundary or not, as in Linux. mmkit
 * refuses only an address whose object would run past the end of its slab (Linux would write
 * the free pointer, and later hand out memory, beyond it): "Invalid object pointer", and
 * nothing changes.
 */
export function untrackedFreeFits(st: SlubState, s: SlubCache, head: number, addr: number): boolean {
  const slot = st.pages.private[head];
  if (addr - head * 4096 <= (4096 << s.slabOrder[slot]) - s.size) return true; // 4096: PAGE_SIZE
  return reportInvalidPointer(st, s, head, slot, addr);
}

/**
 * set_freepointer() with CONFIG_SLAB_FREELIST_HARDENED (mm/slub.c since 4.14, commit
 * ce6fa91b9363 "mm/slub.c: add a naive detection of double free or corruption"):
 * BUG_ON(object == fp), an object freed while it is the head of the freelist it goes onto.
 * The kernel oopses; mmkit reports and the free changes nothing (as the page allocator's
 * VM_BUG_ON_PAGE() under CONFIG_DEBUG_VM). False, for the caller to return.
 */
export function bugOnObjectIsFp(st: SlubState, s: SlubCache, object: number): false {
  st.services.slabError('double-free', s, object, `kernel BUG at mm/slub.c (set_freepointer): BUG_ON(object == fp), naive detection of double free or corruption\nINFO: ${s.name}: object ${hex(object)} is the head of the freelist it is freed onto`);
  return false;
}

/**
 * object_err(s, page, object, "Freepointer corrupt"): the slab's remaining freelist is
 * dropped and the slab isolated (counted as full, never allocated from again).
 */
export function freepointerCorrupt(st: SlubState, s: SlubCache, slot: number, object: number, fp: number): void {
  st.services.slabError('poison', s, object, `BUG ${s.name} (Not tainted): Freepointer corrupt\nINFO: Object ${hex(object)} @offset=${object - s.slabPfn[slot] * PAGE_SIZE} fp=${hex(fp)}\nINFO: Slab ${hex(s.slabPfn[slot] * PAGE_SIZE)} isolated`);
  s.slabIsolated[slot] = 1;
  s.slabState[slot * SLAB_STATE + SLAB_WORD] = -1; // the fast free takes the general way, which sees slabIsolated (the pin stays until discard)
  if (slot === s.hitSlot) s.forgetHit(); // kmemCacheFree()'s remembered slab always has a view
  s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 0;
  setSlabFreelist(s, slot, 0);
  s.slabState[slot * SLAB_STATE + SLAB_INUSE] = s.slabObjects[slot];
}

/**
 * free_debug_processing() of an untracked debug cache (SLAB_RED_ZONE, SLAB_POISON or
 * SLAB_STORE_USER without SLAB_CONSISTENCY_CHECKS): no check, init_object(SLUB_RED_INACTIVE).
 */
export function freeDebugInit(st: SlubState, s: SlubCache, addr: number): void {
  if (s.redLeftPad || s.objectPoison) initObject(st, s, addr, SLUB_RED_INACTIVE);
}

/**
 * free_debug_processing()/free_consistency_checks(), in a tracked cache: a valid object start
 * (check_valid_pointer()), not already free (on_freelist()), the red zone (check_object()
 * with SLUB_RED_ACTIVE; reported, then freed anyway); then init_object(SLUB_RED_INACTIVE).
 * The object becomes OBJ_DETACHED. False (after a report) when the free must not happen.
 */
export function freeDebugProcessing(st: SlubState, s: SlubCache, head: number, addr: number): boolean {
  const slot = st.pages.private[head];
  const off = addr - head * PAGE_SIZE - s.redLeftPad;
  const idx = off / s.size;
  if (off < 0 || !Number.isInteger(idx) || idx >= s.slabObjects[slot]) return reportInvalidPointer(st, s, head, slot, addr);
  const state = s.objState[slot * s.stride + idx];
  if (state !== OBJ_ALLOCATED) return reportAlreadyFree(st, s, idx, addr);
  if (s.redLeftPad && s.flags & SLAB_CONSISTENCY_CHECKS) checkRedzones(st, s, addr, SLUB_RED_ACTIVE);
  s.objState[slot * s.stride + idx] = OBJ_DETACHED;
  if (s.redLeftPad || s.objectPoison) initObject(st, s, addr, SLUB_RED_INACTIVE);
  return true;
}

/** "Invalid object pointer" (built off the hot path: the message makes a function too large to inline). */
function reportInvalidPointer(st: SlubState, s: SlubCache, head: number, slot: number, addr: number): false {
  st.services.slabError('invalid-free', s, addr, `BUG ${s.name} (Not tainted): Invalid object pointer ${hex(addr)}\nINFO: Slab ${hex(head * PAGE_SIZE)} objects=${s.slabObjects[slot]} used=${s.slabState[slot * SLAB_STATE + SLAB_INUSE]}`);
  return false;
}

/** "Object already free": a double free. */
function reportAlreadyFree(st: SlubState, s: SlubCache, idx: number, addr: number): false {
  st.services.slabError('double-free', s, addr, `BUG ${s.name} (Not tainted): Object already free\nINFO: Object ${hex(addr)} @offset=${s.redLeftPad + idx * s.size}`);
  return false;
}

// ---------------------------------------------------------------- red zones and poison

/** init_object(): red zones to `val`, and the poison pattern when __OBJECT_POISON. */
export function initObject(st: SlubState, s: SlubCache, object: number, val: number): void {
  if (s.redLeftPad) st.phys.fill(object - s.redLeftPad, s.redLeftPad, val);
  if (s.objectPoison) {
    st.phys.fill(object, s.objectSize - 1, POISON_FREE);
    st.phys.fill(object + s.objectSize - 1, 1, POISON_END);
  }
  if (s.redLeftPad) st.phys.fill(object + s.objectSize, s.inuse - s.objectSize, val);
}

/** check_object(s, page, object, val)'s red zone part; a damaged red zone is reported and restored. */
function checkRedzones(st: SlubState, s: SlubCache, object: number, val: number): void {
  checkBytesAndReport(st, s, object, 'Redzone', object - s.redLeftPad, s.dbgLeft, val);
  checkBytesAndReport(st, s, object, 'Redzone', object + s.objectSize, s.dbgRight, val);
}

/**
 * alloc_debug_processing(): with SLAB_CONSISTENCY_CHECKS (slub_debug=F) check_object(SLUB_RED_INACTIVE)
 * (red zones, poison); then init_object(SLUB_RED_ACTIVE). Without F, 4.17 writes the red zones
 * and poison but checks neither.
 */
export function allocDebugProcessing(st: SlubState, s: SlubCache, object: number): void {
  if (s.flags & SLAB_CONSISTENCY_CHECKS) allocConsistencyChecks(st, s, object);
  if (s.redLeftPad) {
    st.phys.fill(object - s.redLeftPad, s.redLeftPad, SLUB_RED_ACTIVE);
    st.phys.fill(object + s.objectSize, s.inuse - s.objectSize, SLUB_RED_ACTIVE);
  }
}

/** alloc_consistency_checks()' check_object(SLUB_RED_INACTIVE): red zones and poison, reported and restored. */
function allocConsistencyChecks(st: SlubState, s: SlubCache, object: number): void {
  if (s.redLeftPad) checkRedzones(st, s, object, SLUB_RED_INACTIVE);
  if (s.objectPoison) {
    const buf = s.dbgObject;
    st.phys.read(object, buf);
    const last = buf.length - 1;
    let bad = buf[last] !== POISON_END;
    for (let i = 0; i < last && !bad; i++) bad = buf[i] !== POISON_FREE;
    if (bad) {
      let first = 0;
      while (first < last && buf[first] === POISON_FREE) first++;
      const expected = first === last ? POISON_END : POISON_FREE;
      st.services.slabError('poison', s, object, `BUG ${s.name} (Not tainted): Poison overwritten\nINFO: ${hex(object + first)}-${hex(object + last)}. First byte ${hex(buf[first])} instead of ${hex(expected)}\nINFO: Object ${hex(object)}`);
      // restore_bytes()
      st.phys.fill(object, s.objectSize - 1, POISON_FREE);
      st.phys.fill(object + last, 1, POISON_END);
    }
  }
}

/** check_bytes_and_report(): "%s overwritten", then restore_bytes(). */
function checkBytesAndReport(st: SlubState, s: SlubCache, object: number, what: string, start: number, buf: Uint8Array, val: number): void {
  if (buf.length === 0) return;
  st.phys.read(start, buf);
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
  st.services.slabError('redzone', s, object, `BUG ${s.name} (Not tainted): ${what} overwritten\nINFO: ${hex(start + first)}-${hex(start + end - 1)}. First byte ${hex(buf[first])} instead of ${hex(val)}\nINFO: Object ${hex(object)}`);
  st.phys.fill(start, buf.length, val);
}

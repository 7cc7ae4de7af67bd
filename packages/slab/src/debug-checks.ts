/**
 * SLAB's DEBUG checks (mm/slab.c, 4.17): the checks before a free (virt_to_cache(),
 * cache_from_obj(), kfree_debugcheck() and cache_free_debugcheck(), with CONFIG_DEBUG_SLAB or KASAN: SlabState.tracked),
 * cache_alloc_debugcheck_after() (check_poison_obj(), red zones to RED_ACTIVE) and
 * verify_redzone_free() / poison_obj(POISON_FREE) at free. The byte layout of red zones, the
 * user word and poison is in debug.ts.
 */
import { SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import * as debugMod from './debug.js';
import { RED_ACTIVE, RED_INACTIVE } from './debug.js';
import * as lookupMod from './lookup.js';
import type { SlabState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { redzone1, redzone2 } = debugMod;
const { hex, objectIndex, slabCache } = lookupMod;

/**
 * The checks before a free (virt_to_cache(), cache_from_obj() and the DEBUG
 * cache_free_debugcheck() of Linux, run when SlabState.tracked) of addr, which lies in `slab` (virtToSlab(),
 * -1 for none): the object's index in the slab (its cache is `expected` when one is given, else
 * slabCache()), or -1 after a report. The reports are in reportBadFree(), out of the hot path.
 */
export function checkFree(st: SlabState, addr: number, slab: number, expected: SlabCache | undefined): number {
  if (slab >= 0) {
    const c = slabCache(st, slab);
    if (!expected || c === expected) {
      const idx = objectIndex(st, c, slab, addr);
      if (idx >= 0 && st.slabs.testInUse(slab, idx)) return idx;
    }
  }
  reportBadFree(st, addr, slab, expected);
  return -1;
}

/** What checkFree() found wrong, reported as Linux words it, the first failed check only. */
function reportBadFree(st: SlabState, addr: number, slab: number, expected: SlabCache | undefined): void {
  if (slab < 0) {
    if (expected) st.services.slabError('invalid-free', expected, addr, `virt_to_cache: Object is not a Slab page! (${hex(addr)} freed to ${expected.name})`);
    else st.services.slabError('invalid-free', undefined, addr, `kfree_debugcheck: out of range ptr ${hex(addr)}.`);
    return;
  }
  const c = slabCache(st, slab);
  if (expected && c !== expected) {
    st.services.slabError('wrong-cache', expected, addr, `cache_from_obj: Wrong slab cache. ${expected.name} but object is from ${c.name}`);
    return;
  }
  if (objectIndex(st, c, slab, addr) < 0) {
    st.services.slabError('invalid-free', c, addr, `cache_free_debugcheck: cache \`${c.name}': ${hex(addr)} is not the start of an object`);
    return;
  }
  st.services.slabError('double-free', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': double free detected (${hex(addr)})`);
}

/** cache_alloc_debugcheck_after(): poison check and POISON_INUSE, red zones to RED_ACTIVE, the ctor of poisoned caches. */
export function cacheAllocDebugcheckAfter(st: SlabState, c: SlabCache, addr: number): void {
  const bytes = st.bytes;
  if (c.flags & SLAB_POISON) {
    if (!bytes.matches(addr, st.poisonFree[c.id]!)) {
      st.services.slabError('poison', c, addr, `Slab corruption (Not tainted): ${c.name} start=${hex(addr)}, len=${c.objectSize}`);
    }
    bytes.write(addr, st.poisonInuse[c.id]!);
  }
  if (c.flags & SLAB_RED_ZONE) {
    const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
    if (!bytes.matches(redzone1(addr), RED_INACTIVE) || !bytes.matches(rz2, RED_INACTIVE)) {
      st.services.slabError('redzone', c, addr, `slab error in cache_alloc_debugcheck_after(): cache \`${c.name}': double free, or memory outside object was overwritten (${hex(addr)})`);
    }
    bytes.write(redzone1(addr), RED_ACTIVE);
    bytes.write(rz2, RED_ACTIVE);
  }
  if (c.ctor && c.flags & SLAB_POISON) c.ctor(addr);
}

/** cache_free_debugcheck(): verify_redzone_free() and poison_obj(POISON_FREE). */
export function cacheFreeDebugcheck(st: SlabState, c: SlabCache, addr: number): void {
  const bytes = st.bytes;
  if (c.flags & SLAB_RED_ZONE) {
    const rz1 = redzone1(addr);
    const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
    if (!bytes.matches(rz1, RED_ACTIVE) || !bytes.matches(rz2, RED_ACTIVE)) {
      const what = bytes.matches(rz1, RED_INACTIVE) && bytes.matches(rz2, RED_INACTIVE) ? 'double free detected' : 'memory outside object was overwritten';
      st.services.slabError('redzone', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': ${what} (${hex(addr)})`);
    }
    bytes.write(rz1, RED_INACTIVE);
    bytes.write(rz2, RED_INACTIVE);
  }
  if (c.flags & SLAB_POISON) bytes.write(addr, st.poisonFree[c.id]!);
}

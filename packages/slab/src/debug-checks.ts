/**
 * SLAB's DEBUG checks (mm/slab.c, 4.17): the checks before a free (virt_to_cache(),
 * cache_from_obj(), kfree_debugcheck() and cache_free_debugcheck(), always on here),
 * cache_alloc_debugcheck_after() (check_poison_obj(), red zones to RED_ACTIVE) and
 * verify_redzone_free() / poison_obj(POISON_FREE) at free. The byte layout of red zones, the
 * user word and poison is in debug.ts.
 */
import { SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import { RED_ACTIVE, RED_INACTIVE, redzone1, redzone2 } from './debug.js';
import { SlabState, hex } from './slab-state.js';

export class SlabDebugChecks extends SlabState {
  /**
   * The checks before a free (virt_to_cache(), cache_from_obj() and the DEBUG
   * cache_free_debugcheck() of Linux, always on here): the cache owning addr, or undefined after
   * a report. Leaves the slab and index in foundSlab / foundIdx.
   */
  protected checkFree(addr: number, expected: SlabCache | undefined): SlabCache | undefined {
    const c = this.lookupObject(addr);
    if (!c) {
      if (expected) this.services.slabError('invalid-free', expected, addr, `virt_to_cache: Object is not a Slab page! (${hex(addr)} freed to ${expected.name})`);
      else this.services.slabError('invalid-free', undefined, addr, `kfree_debugcheck: out of range ptr ${hex(addr)}.`);
      return undefined;
    }
    if (expected && c !== expected) {
      this.services.slabError('wrong-cache', expected, addr, `cache_from_obj: Wrong slab cache. ${expected.name} but object is from ${c.name}`);
      return undefined;
    }
    if (this.foundIdx < 0) {
      this.services.slabError('invalid-free', c, addr, `cache_free_debugcheck: cache \`${c.name}': ${hex(addr)} is not the start of an object`);
      return undefined;
    }
    if (!this.slabs.testInUse(this.foundSlab, this.foundIdx)) {
      this.services.slabError('double-free', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': double free detected (${hex(addr)})`);
      return undefined;
    }
    return c;
  }

  /** cache_alloc_debugcheck_after(): poison check and POISON_INUSE, red zones to RED_ACTIVE, the ctor of poisoned caches. */
  protected allocDebugcheckAfter(c: SlabCache, addr: number): void {
    if (c.flags & SLAB_POISON) {
      if (!this.bytes.matches(addr, this.poisonFree[c.id]!)) {
        this.services.slabError('poison', c, addr, `Slab corruption (Not tainted): ${c.name} start=${hex(addr)}, len=${c.objectSize}`);
      }
      this.bytes.write(addr, this.poisonInuse[c.id]!);
    }
    if (c.flags & SLAB_RED_ZONE) {
      const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
      if (!this.bytes.matches(redzone1(addr), RED_INACTIVE) || !this.bytes.matches(rz2, RED_INACTIVE)) {
        this.services.slabError('redzone', c, addr, `slab error in cache_alloc_debugcheck_after(): cache \`${c.name}': double free, or memory outside object was overwritten (${hex(addr)})`);
      }
      this.bytes.write(redzone1(addr), RED_ACTIVE);
      this.bytes.write(rz2, RED_ACTIVE);
    }
    if (c.ctor && c.flags & SLAB_POISON) c.ctor(addr);
  }

  /** cache_free_debugcheck(): verify_redzone_free() and poison_obj(POISON_FREE). */
  protected freeDebugcheck(c: SlabCache, addr: number): void {
    if (c.flags & SLAB_RED_ZONE) {
      const rz1 = redzone1(addr);
      const rz2 = redzone2(addr, c.objOffset, c.size, (c.flags & SLAB_STORE_USER) !== 0);
      if (!this.bytes.matches(rz1, RED_ACTIVE) || !this.bytes.matches(rz2, RED_ACTIVE)) {
        const what = this.bytes.matches(rz1, RED_INACTIVE) && this.bytes.matches(rz2, RED_INACTIVE) ? 'double free detected' : 'memory outside object was overwritten';
        this.services.slabError('redzone', c, addr, `slab error in verify_redzone_free(): cache \`${c.name}': ${what} (${hex(addr)})`);
      }
      this.bytes.write(rz1, RED_INACTIVE);
      this.bytes.write(rz2, RED_INACTIVE);
    }
    if (c.flags & SLAB_POISON) this.bytes.write(addr, this.poisonFree[c.id]!);
  }
}

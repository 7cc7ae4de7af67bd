/**
 * SLUB's free without slub_debug (4.17's default): slab_free() → do_slab_free() checks
 * nothing, so misuse corrupts the freelists as in Linux and shows later (validateFreelists(),
 * which the kernel's invariant checker runs); CONFIG_SLAB_FREELIST_HARDENED's
 * set_freepointer() catches the one case of an object freed onto a freelist it heads.
 */
import { GFP_KERNEL, PAGE_SIZE } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { createFixture } from './test-fixture.js';

describe('SLUB frees unchecked by default (no slub_debug)', () => {
  it('a double free of the head of the per-cpu freelist makes it point to itself: the object is handed out twice', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('df', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, a);
    expect(f.reports).toEqual([]);
    expect(f.machine.phys.readU64(a)).toBe(a); // set_freepointer(a, a): the freelist cycles
    expect(f.slub.validateFreelists(10)).toMatchObject([{ cache: c, kind: 'duplicate', addr: a }]);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports).toEqual([]);
  });

  it('a double free into a slab that is not the cpu slab (__slab_free()) underflows page->inuse', () => {
    const f = createFixture({ nrCpus: 2 });
    const c = f.slub.kmemCacheCreate('df2', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    // freed from the other CPU: the slab is CPU 0's, so both frees go to page->freelist
    f.machine.sched.onCpu(1, () => {
      f.slub.kmemCacheFree(c, a);
      f.slub.kmemCacheFree(c, b);
      f.slub.kmemCacheFree(c, b);
    });
    expect(f.reports).toEqual([]);
    expect(f.slub.validateFreelists(10)).toMatchObject([{ kind: 'duplicate', addr: b }]);
  });

  it('the free of an interior pointer goes onto the freelist and is handed out; one running past the slab is refused', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('ip', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a + 8);
    expect(f.reports).toEqual([]);
    expect(f.slub.validateFreelists(10)).toMatchObject([{ kind: 'not-an-object', addr: a + 8 }]);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a + 8); // as Linux hands it out
    const slabEnd = (Math.floor(a / PAGE_SIZE) + 1) * PAGE_SIZE; // a 64-byte cache has order-0 slabs
    f.slub.kmemCacheFree(c, slabEnd - 8);
    expect(f.reports.map((r) => r.kind)).toEqual(['invalid-free']);
    expect(f.reports[0].message).toContain('Invalid object pointer');
  });

  it('an unaligned interior pointer is freed and handed out as x86-64 stores and loads an unaligned pointer', () => {
    // set_freepointer() writes *(void **)(x + s->offset) wherever x is: no fault on x86-64.
    for (const cpuSlab of [true, false]) {
      const f = createFixture({ nrCpus: 2 });
      const c = f.slub.kmemCacheCreate('ua', 64, 0, 0)!;
      const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const free = (x: number) => (cpuSlab ? f.slub.kmemCacheFree(c, x) : f.machine.sched.onCpu(1, () => f.slub.kmemCacheFree(c, x)));
      free(a + 3);
      expect(f.reports).toEqual([]);
      if (!cpuSlab) continue; // into page->freelist: handed out when the slab next serves an allocation
      expect(f.machine.phys.readU64(a + 3)).toBe(b + 64); // the old c->freelist, now at an odd address
      expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a + 3);
      expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(b + 64);
    }
  });

  it('a slab is reached through a pinned view of its page, given up when the slab is discarded', () => {
    const f = createFixture();
    const contents = f.machine.phys.contents;
    const c = f.slub.kmemCacheCreate('pin', 64, 0, 0)!;
    const before = contents.pinned;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(contents.pinned).toBe(before + 1); // an order-0 slab: one page
    contents.clear(Math.floor(a / PAGE_SIZE)); // a stray clear_page() of the slab: zeroed in place, the view still its page
    f.slub.kmemCacheFree(c, a);
    expect(f.machine.phys.readU64(a)).toBe(a + 64); // set_freepointer() into the same page
    expect(f.machine.phys.readU64(a + 64)).toBe(0); // the rest of the freelist was zeroed with it
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a + 64);
    // The slab leaves the CPU with 62 objects lost to the clear: it stays, and so does its pin.
    f.slub.kmemCacheShrink(c);
    expect(contents.pinned).toBe(before + 1);
    // A slab that is not the cpu slab takes frees through its own view (__slab_free()), and
    // gives the pin up when discard_slab() gives its page back.
    const d = f.slub.kmemCacheCreate('pin-discard', 64, 0, 0)!;
    const base = contents.pinned;
    const objs = Array.from({ length: 65 }, () => f.slub.kmemCacheAlloc(d, GFP_KERNEL)); // a full slab and one of the next
    expect(contents.pinned).toBe(base + 2);
    for (const o of objs.slice(0, 64)) f.slub.kmemCacheFree(d, o); // into the first slab's page->freelist
    expect(f.machine.phys.readU64(objs[63])).toBe(objs[62]); // __slab_free(): set_freepointer(s, object, prior)
    expect(f.machine.phys.readU64(objs[0])).toBe(0); // the first free found page->freelist empty
    f.slub.kmemCacheFree(d, objs[64]);
    f.slub.kmemCacheShrink(d); // flush_all(), then the empty slabs are discarded
    expect(contents.pinned).toBe(base);
  });

  it('the per-object state is not written on the fast paths (it is with slub_debug=F)', () => {
    for (const debug of [undefined, { slubDebug: 'F' }]) {
      const f = createFixture({ debug });
      const c = f.slub.kmemCacheCreate('st', 64, 0, 0)!;
      const objs = Array.from({ length: 10 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL));
      f.slub.kmemCacheFree(c, objs[0]);
      expect(c.tracked).toBe(debug !== undefined);
      expect(c.objState.some((x) => x !== 0), JSON.stringify(debug)).toBe(debug !== undefined);
    }
  });
});

describe('CONFIG_SLAB_FREELIST_HARDENED: set_freepointer() BUG_ON(object == fp)', () => {
  it('catches a double free of the freelist head: reported, and the free changes nothing', () => {
    const f = createFixture({ debug: { freelistHardened: true } });
    const c = f.slub.kmemCacheCreate('hd', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, a);
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    expect(f.reports[0].message).toContain('BUG_ON(object == fp)');
    expect(f.slub.validateFreelists(10)).toEqual([]);
    const x = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(x);
  });

  it('catches it on page->freelist too (__slab_free()), and in kmem_cache_free_bulk()', () => {
    const f = createFixture({ nrCpus: 2, debug: { freelistHardened: true } });
    const c = f.slub.kmemCacheCreate('hd2', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const d = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.machine.sched.onCpu(1, () => {
      f.slub.kmemCacheFree(c, a);
      f.slub.kmemCacheFree(c, a);
    });
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    f.slub.kmemCacheFreeBulk(c, 2, new Float64Array([b, b]));
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free', 'double-free']);
    f.slub.kmemCacheFree(c, d);
    expect(f.slub.validateFreelists(10)).toEqual([]);
  });

  it('does not catch a double free with another free in between (naive detection): the freelist cycles', () => {
    const f = createFixture({ debug: { freelistHardened: true } });
    const c = f.slub.kmemCacheCreate('hd3', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, b);
    f.slub.kmemCacheFree(c, a);
    expect(f.reports).toEqual([]);
    expect(f.slub.validateFreelists(10)).toMatchObject([{ kind: 'duplicate', addr: a }]);
  });
});

describe('a free of a number that is no address', () => {
  it('a fraction, NaN or an infinity is refused with a report on every free path, and nothing changes', () => {
    // mmkit's guard: Linux takes a pointer, an integer; the unchecked paths above take any integer.
    for (const where of ['cpu slab', 'other slab', 'remembered slab'] as const) {
      const f = createFixture({ nrCpus: 2 });
      const c = f.slub.kmemCacheCreate('na', 64, 0, 0)!;
      const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const k = f.slub.kmalloc(64, GFP_KERNEL);
      const bad = [a + 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      const free = (): void => {
        for (const x of bad) f.slub.kmemCacheFree(c, x);
        for (const x of [k + 0.5, Number.NaN, Number.POSITIVE_INFINITY]) f.slub.kfree(x);
        f.slub.kmemCacheFreeBulk(c, 2, Float64Array.of(a + 0.25, a));
      };
      if (where === 'cpu slab') free();
      else if (where === 'other slab') f.machine.sched.onCpu(1, free); // __slab_free(): not this CPU's slab
      else {
        // kmem_cache_free()'s inline __slab_free() into the slab the last free found
        // (SlubCache.hitSlot): a's slab, full and no CPU's slab any more, once b went back to it.
        for (let i = 0; i < 64; i++) f.slub.kmemCacheAlloc(c, GFP_KERNEL);
        f.slub.kmemCacheFree(c, b);
        expect(a >= c.hitBase && a <= c.hitEnd).toBe(true);
        free();
      }
      expect(f.reports.map((r) => r.kind)).toEqual(Array(8).fill('invalid-free'));
      expect(f.reports[0].message).toContain('is not an address');
      expect(f.slub.validateFreelists(10)).toEqual([]);
      // The one whole address of the bulk free was freed; the next allocation hands out whole addresses only.
      for (let i = 0; i < 70; i++) expect(Number.isInteger(f.slub.kmemCacheAlloc(c, GFP_KERNEL))).toBe(true);
    }
  });
});


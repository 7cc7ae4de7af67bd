/**
 * SLAB's free without CONFIG_DEBUG_SLAB (4.17's default): ___cache_free() puts the object on
 * the CPU's array cache unchecked, so a double free hands the object out twice and an interior
 * pointer is handed out as an object; the corruption shows later (validateFreelists(), which
 * the kernel's invariant checker runs, and free_block()'s page->active underflow).
 */
import { GFP_KERNEL } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import type { SlabCache } from '../src/cache.js';
import { createFixture } from './fixture.js';

describe('SLAB frees unchecked by default (no CONFIG_DEBUG_SLAB)', () => {
  it('a double free puts the object in the array cache twice: it is handed out twice', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('df', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheFree(c, a);
    expect(f.reports).toEqual([]);
    expect(f.slab.validateFreelists(10)).toMatchObject([{ cache: c, kind: 'duplicate', addr: a }]);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports).toEqual([]);
  });

  it('an interior pointer is handed out as an object; memory in no slab is still refused', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('ip', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a + 8);
    expect(f.reports).toEqual([]);
    expect(f.slab.validateFreelists(10)).toMatchObject([{ kind: 'not-an-object', addr: a + 8 }]);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a + 8);
    f.slab.kfree(0x100000 * 64 + 8); // no slab there
    expect(f.reports.map((r) => r.kind)).toEqual(['invalid-free']);
  });

  it('the slab the last free found takes the next frees without a page lookup; a fraction, an address past its objects and a slab given back are still refused', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('hit', 64, 0, 0)! as SlabCache;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    expect(a - c.hitStart).toBeGreaterThanOrEqual(0); // a's slab is remembered
    expect(a - c.hitStart).toBeLessThan(c.objectsBytes);
    f.slab.kmemCacheFree(c, b + 0.5);
    f.slab.kmemCacheFree(c, c.hitStart + c.objectsBytes); // past the last object (the slab's management or left-over bytes)
    expect(f.reports.map((r) => r.kind)).toEqual(['invalid-free', 'invalid-free']);
    f.slab.kmemCacheFree(c, b);
    expect(f.slab.kmemCacheShrink(c)).toBe(0); // the slab goes back to the page allocator
    expect(c.hitStart).toBe(Number.POSITIVE_INFINITY);
    f.slab.kmemCacheFree(c, a); // its page is no slab any more: refused, not put on the array cache
    expect(f.reports.map((r) => r.kind)).toEqual(['invalid-free', 'invalid-free', 'invalid-free']);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(a + 0.5);
    expect(f.slab.validateFreelists(10)).toEqual([]);
  });

  it('a double free that reaches the slabs (free_block()) is reported there, later, and page->active does not wrap', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('df2', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheFree(c, a);
    expect(f.reports).toEqual([]);
    f.slab.kmemCacheShrink(c); // drains the array caches: free_block() of both copies
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    expect(f.reports[0].message).toContain('free_block');
    expect(f.slab.slabinfo(c).activeObjs).toBe(0);
  });

  it('the allocation bitmap is not written by default (it is with CONFIG_DEBUG_SLAB)', () => {
    for (const debug of [undefined, { debugSlab: true }]) {
      const f = createFixture({ debug });
      const c = f.slab.kmemCacheCreate('bm', 64, 0, 0)!;
      const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
      const inUse = (f.slab as unknown as { st: { slabs: { inUse: Uint32Array } } }).st.slabs.inUse;
      expect(inUse.some((w) => w !== 0), JSON.stringify(debug)).toBe(debug !== undefined);
      f.slab.kmemCacheFree(c, a);
    }
  });

  it('with CONFIG_DEBUG_SLAB the same double free is reported at free time and the object is handed out once', () => {
    const f = createFixture({ debug: { debugSlab: true } });
    const c = f.slab.kmemCacheCreate('dfd', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheFree(c, a);
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    expect(f.slab.validateFreelists(10)).toEqual([]);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(f.slab.kmemCacheAlloc(c, GFP_KERNEL));
  });
});

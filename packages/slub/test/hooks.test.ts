/**
 * The hook table of SLUB: createSlubAllocator(services, { name, hooks }) resolves the 4.17
 * defaults with the overrides given, and a variant written as a class with its own fields can
 * pass hooks that read those fields (its fields exist before any hook runs).
 */
import { GFP_KERNEL, type SlabAllocatorFactory } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLUB_HOOKS, Slub, createSlubAllocator, type SlubHooks } from '../src/index.js';
import { doSlabFree, getFreepointer } from '../src/internals.js';
import { createFixture } from './test-fixture.js';

/** A variant with its own state: counts the objects of every slab_free() and can hold frees back. */
class Counting {
  private readonly seen: number[] = [];
  private readonly held: number[] = [];
  holdBack = false;
  readonly hooks: Partial<SlubHooks> = {
    slabFree: (st, s, page, head, tail, cnt) => {
      this.seen.push(cnt);
      if (this.holdBack) {
        this.held.push(head);
        return;
      }
      DEFAULT_SLUB_HOOKS.slabFree(st, s, page, head, tail, cnt);
    },
  };
  counts(): readonly number[] {
    return this.seen;
  }
  heldBack(): readonly number[] {
    return this.held;
  }
}

describe('hooks', () => {
  it('createSlubAllocator is a SlabAllocatorFactory, with the 4.17 hooks and the name slub by default', () => {
    const factory: SlabAllocatorFactory = createSlubAllocator;
    const viaLambda: SlabAllocatorFactory = (s) => createSlubAllocator(s);
    const f = createFixture({ make: (s) => factory(s) as Slub });
    expect(f.slub).toBeInstanceOf(Slub);
    expect(f.slub.name).toBe('slub');
    expect(viaLambda(f.services).name).toBe('slub');
    expect(createSlubAllocator(f.services, { name: 'slub (variant)' }).name).toBe('slub (variant)');
  });

  it('a variant class with its own fields boots, and its slabFree hook sees every free', () => {
    const v = new Counting();
    const f = createFixture({ make: (services) => createSlubAllocator(services, { name: 'slub (counting)', hooks: v.hooks }) });
    expect(f.slub.name).toBe('slub (counting)');
    expect(f.slub.caches().length).toBe(28); // kmem_cache_init() ran with the variant's table
    const c = f.slub.kmemCacheCreate('v', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, b);
    f.slub.kmemCacheFree(c, a);
    expect(v.counts()).toEqual([1, 1]);
    // the default ran: the objects come back, LIFO from the cpu freelist
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(b);

    const k = f.slub.kmalloc(100, GFP_KERNEL);
    f.slub.kfree(k);
    expect(v.counts()).toEqual([1, 1, 1]);
    expect(f.slub.kmalloc(100, GFP_KERNEL)).toBe(k);

    const out = new Float64Array(8);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 8, out)).toBe(8);
    f.slub.kmemCacheFreeBulk(c, 8, out);
    expect(v.counts().slice(3).reduce((x, y) => x + y, 0)).toBe(8); // one call per detached freelist
    const again = new Float64Array(8);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 8, again)).toBe(8);
    expect(new Set(again)).toEqual(new Set(out));
    expect(f.reports).toEqual([]);
  });

  it("the variant's state decides: objects it holds back are not reused", () => {
    const v = new Counting();
    const f = createFixture({ hooks: v.hooks, debug: { slubDebug: 'F' } }); // the double free below is checked
    const c = f.slub.kmemCacheCreate('hold', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    v.holdBack = true;
    f.slub.kmemCacheFree(c, a);
    expect(v.heldBack()).toEqual([a]);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(a);
    f.slub.kmemCacheFree(c, a); // freed once already: still a double free, the hook is not reached
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    expect(v.counts()).toEqual([1]);
  });

  it('an override built from internals (get_freepointer(), do_slab_free()) behaves as the default', () => {
    const walked: number[] = [];
    const f = createFixture({
      hooks: {
        slabFree(st, s, page, head, tail, cnt) {
          for (let o = head, i = 0; i < cnt; i++, o = o === tail ? 0 : getFreepointer(st, s, o)) walked.push(o);
          doSlabFree(st, s, page, head, tail, cnt);
        },
      },
    });
    const c = f.slub.kmemCacheCreate('walk', 128, 0, 0)!;
    const out = new Float64Array(6);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 6, out)).toBe(6);
    f.slub.kmemCacheFreeBulk(c, 6, out);
    expect(new Set(walked)).toEqual(new Set(out));
    expect(f.slub.kmemCacheShrink(c)).toBe(0); // every object back: the slab was empty and discarded
    f.slub.kmemCacheDestroy(c);
    expect(f.reports).toEqual([]);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('a hook given as undefined keeps the default', () => {
    const f = createFixture({ hooks: { slabFree: undefined } });
    const c = f.slub.kmemCacheCreate('u', 32, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
  });

  it('refuses a name that is not a hook, and a hook that is not a function', () => {
    expect(() => createFixture({ hooks: { slabfree: () => undefined } as Partial<SlubHooks> })).toThrow(/no hook named 'slabfree' \(hooks: slabFree\)/);
    expect(() => createFixture({ hooks: { constructor: () => undefined } as Partial<SlubHooks> })).toThrow(/no hook named 'constructor'/);
    expect(() => createFixture({ hooks: { slabFree: 42 } as unknown as Partial<SlubHooks> })).toThrow(/hook 'slabFree' is not a function/);
  });
});

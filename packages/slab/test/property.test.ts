import { GFP_KERNEL, Prng, SLAB_POISON, SLAB_RED_ZONE, __GFP_ZERO, type KmemCache } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { checkPattern, createFixture, fillPattern } from './fixture.js';

interface Live {
  readonly cache: KmemCache | undefined; // undefined: kmalloc
  readonly size: number;
  readonly seed: number;
}

describe('randomized operations against a shadow model', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: alloc/free/kmalloc/bulk/shrink/reap keep objects distinct and intact, and every page comes back`, () => {
      const rng = new Prng(seed);
      const f = createFixture({ nrCpus: 4, nrPages: 8192 });
      const { m, slab } = f;
      const start = m.allocatedPages();
      const caches = [
        slab.kmemCacheCreate('p-24', 24, 0, 0)!,
        slab.kmemCacheCreate('p-200-ctor', 200, 0, 0, (a) => m.phys.writeU64(a, 7))!,
        slab.kmemCacheCreate('p-1100', 1100, 0, 0)!,
        slab.kmemCacheCreate('p-dbg', 72, 0, SLAB_RED_ZONE | SLAB_POISON)!,
      ];
      const live = new Map<number, Live>();
      const order: number[] = [];
      const bulk = new Float64Array(16);
      let nextSeed = 1;
      const add = (addr: number, cache: KmemCache | undefined, size: number) => {
        expect(addr).toBeGreaterThan(0);
        expect(live.has(addr)).toBe(false);
        const s = nextSeed++;
        fillPattern(m, addr, size, s);
        live.set(addr, { cache, size, seed: s });
        order.push(addr);
      };
      const removeAt = (i: number) => {
        const addr = order[i];
        order[i] = order[order.length - 1];
        order.pop();
        const o = live.get(addr)!;
        expect(checkPattern(m, addr, o.size, o.seed)).toBe(true);
        live.delete(addr);
        if (o.cache) slab.kmemCacheFree(o.cache, addr);
        else slab.kfree(addr);
      };
      for (let op = 0; op < 4000; op++) {
        m.sched.currentCpu = rng.nextInt(4);
        const r = rng.nextInt(100);
        if (r < 40 || order.length === 0) {
          const c = caches[rng.nextInt(caches.length)];
          const a = slab.kmemCacheAlloc(c, rng.nextInt(4) === 0 ? GFP_KERNEL | __GFP_ZERO : GFP_KERNEL);
          add(a, c, c.objectSize);
        } else if (r < 55) {
          const size = 1 + rng.nextInt(rng.nextInt(4) === 0 ? 9000 : 300);
          const a = slab.kmalloc(size, GFP_KERNEL);
          expect(slab.ksize(a)).toBeGreaterThanOrEqual(size);
          add(a, undefined, size);
        } else if (r < 90) {
          removeAt(rng.nextInt(order.length));
        } else if (r < 93) {
          const c = caches[0];
          const n = 1 + rng.nextInt(16);
          expect(slab.kmemCacheAllocBulk(c, GFP_KERNEL, n, bulk)).toBe(n);
          for (let i = 0; i < n; i++) add(bulk[i], c, c.objectSize);
        } else if (r < 95) {
          slab.kmemCacheShrink(caches[rng.nextInt(caches.length)]);
        } else {
          m.sched.advance(1 + rng.nextInt(3 * m.sched.hz));
        }
        if (op % 500 === 0) {
          for (const c of caches) {
            const info = slab.slabinfo(c);
            let mine = 0;
            for (const o of live.values()) if (o.cache === c) mine++;
            expect(info.activeObjs).toBeGreaterThanOrEqual(mine);
            expect(info.numObjs).toBe(info.numSlabs * info.objectsPerSlab);
          }
        }
      }
      while (order.length) removeAt(order.length - 1);
      for (const c of caches) slab.kmemCacheDestroy(c);
      // every cache empties but kmem_cache and kmalloc-128, which hold the caches' structures
      for (const c of slab.caches()) expect(slab.kmemCacheShrink(c)).toBe(c.name === 'kmem_cache' || c.name === 'kmalloc-128' ? 1 : 0);
      expect(f.reports).toEqual([]);
      expect(m.allocatedPages()).toBe(start);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { SLAB_KASAN, type KmemCache, type ObjAddr, type SlabAllocator } from '@mmkit/core';
import { Kasan } from '../src/index.js';

const cacheOf = (name: string, size: number): KmemCache => ({ name, objectSize: size, size, align: 8, flags: SLAB_KASAN });

/** An allocator that only takes objects back from the quarantine, and counts them. */
function releases(): { slab: SlabAllocator; back: Map<string, number> } {
  const back = new Map<string, number>();
  const slab = { quarantineRelease: (cache: KmemCache) => back.set(cache.name, (back.get(cache.name) ?? 0) + 1) } as unknown as SlabAllocator;
  return { slab, back };
}

describe('the KASAN quarantine', () => {
  // 300,000 by default, MMKIT_KASAN_OBJECTS=1000000 for a million: the quarantine spread them into one push() call
  // (60757ea), which threw 'Maximum call stack size exceeded' from about 200,000 on (slab.test.ts keeps 200,000 through a kernel).
  const N = Number(process.env.MMKIT_KASAN_OBJECTS ?? 300_000);
  it(`quarantine_remove_cache() with ${N} objects of other caches: no call takes them as arguments, none is lost`, () => {
    const kasan = new Kasan(2 ** 40, () => undefined);
    const { slab, back } = releases();
    kasan.attach(slab);
    const big = cacheOf('kmalloc-8', 8);
    const own = cacheOf('own', 64);
    let addr: ObjAddr = 4096;
    const OWN = Math.ceil(N / 1000); // one of its own every 1000
    for (let i = 0; i < N; i++) {
      const a = (addr += 16);
      kasan.slabAlloc(big, a);
      kasan.slabFree(big, a);
      if (i % 1000 === 0) {
        const b = (addr += 16);
        kasan.slabAlloc(own, b);
        kasan.slabFree(own, b);
      }
    }
    expect(kasan.quarantined).toBe(N + OWN);
    kasan.cacheShutdown(own);
    expect(back.get('own')).toBe(OWN);
    expect(kasan.quarantined).toBe(N);
    expect(kasan.quarantineBytes).toBe(N * 8);
    expect(kasan.shadowFreed()).toBe(N);
    let prev = 0;
    let inOrder = true;
    kasan.forEachQuarantined((c, a) => {
      if (c !== big || a <= prev) inOrder = false;
      prev = a;
    });
    expect(inOrder).toBe(true); // the others stay, oldest first
    kasan.drain();
    expect(back.get('kmalloc-8')).toBe(N);
    expect([kasan.quarantined, kasan.quarantineBytes, kasan.shadowFreed()]).toEqual([0, 0, 0]);
  });

  it('releases the oldest objects first when over its size, across the ring wrapping around', () => {
    const kasan = new Kasan(64 * 100, () => undefined);
    const { slab, back } = releases();
    kasan.attach(slab);
    const c = cacheOf('c', 64);
    const order: number[] = [];
    (slab as unknown as { quarantineRelease: (cache: KmemCache, a: ObjAddr) => void }).quarantineRelease = (_c, a) => {
      order.push(a);
      back.set('c', (back.get('c') ?? 0) + 1);
    };
    for (let i = 1; i <= 5000; i++) {
      kasan.slabAlloc(c, i * 64);
      kasan.slabFree(c, i * 64);
    }
    expect(kasan.quarantined).toBe(100);
    expect(order.length).toBe(4900);
    expect(order.every((a, i) => a === (i + 1) * 64)).toBe(true);
    kasan.cacheShutdown(cacheOf('other', 64));
    expect(kasan.quarantined).toBe(100);
  });
});

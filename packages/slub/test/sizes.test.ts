import { SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TYPESAFE_BY_RCU, calculateAlignment } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { kmallocIndex, kmallocInfo } from '../src/kmalloc.js';
import { calculateOrder, calculateSizes, minPartialFor, slabOrder } from '../src/sizes.js';

describe('calculate_order() of 4.17', () => {
  // Cross-checked with /proc/slabinfo of a 2-CPU x86-64 box (nr_cpu_ids 2, kernel 6.18 whose
  // calculate_order() is the same for these sizes): kmalloc-8 512/1, -96 42/1, -192 21/1,
  // -256 16/1, -512 16/2, -1k 16/4, -2k 16/8, -4k 8/8, -8k 4/8 (objperslab/pagesperslab).
  const twoCpus: [number, number, number][] = [
    [8, 0, 512],
    [16, 0, 256],
    [32, 0, 128],
    [64, 0, 64],
    [96, 0, 42],
    [128, 0, 32],
    [192, 0, 21],
    [256, 0, 16],
    [512, 1, 16],
    [1024, 2, 16],
    [2048, 3, 16],
    [4096, 3, 8],
    [8192, 3, 4],
  ];
  for (const [size, order, objects] of twoCpus) {
    it(`size ${size}, 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12 gives order ${order}, ${objects} objects`, () => {
      const g = calculateSizes(size, 8, 0, false, false, 2)!;
      expect(g.size).toBe(size);
      expect(g.order).toBe(order);
      expect(g.objects).toBe(objects);
      expect(calculateOrder(size, 2)).toBe(order);
    });
  }

  it('8 CPUs: min_objects = 4 * (fls(8) + 1) = 20, so kmalloc-1024 takes order 3 (32 objects)', () => {
    expect(calculateOrder(1024, 8)).toBe(3);
    expect(calculateOrder(512, 8)).toBe(2);
  });

  it('clamps min_objects to order_objects(slub_max_order): 4096-byte objects fit 8 in order 3', () => {
    expect(calculateOrder(4096, 64)).toBe(3);
  });

  it('objects bigger than an order-3 slab fall back to slab_order(size, 1, MAX_ORDER, 1)', () => {
    expect(calculateOrder(40000, 2)).toBe(4); // 64 KiB holds one 40000-byte object
    expect(calculateOrder(4 << 20, 2)).toBe(10);
  });

  it('slab_order(): the first order wasting at most 1/fract_leftover', () => {
    // 700-byte objects: 4096 % 700 = 596 > 4096/16, 8192 % 700 = 492 <= 8192/16
    expect(slabOrder(700, 1, 3, 16)).toBe(1);
  });
});

describe('calculate_sizes() of 4.17', () => {
  it('aligns the object to a word and keeps the free pointer in the object (offset 0)', () => {
    const g = calculateSizes(20, 8, 0, false, false, 2)!;
    expect(g).toMatchObject({ size: 24, inuse: 24, offset: 0, redLeftPad: 0, objectPoison: false });
  });

  it('SLAB_POISON, SLAB_TYPESAFE_BY_RCU or a ctor put the free pointer after the object', () => {
    expect(calculateSizes(20, 8, SLAB_POISON, false, false, 2)).toMatchObject({ size: 32, inuse: 24, offset: 24, objectPoison: true });
    expect(calculateSizes(20, 8, SLAB_TYPESAFE_BY_RCU, false, false, 2)).toMatchObject({ size: 32, offset: 24 });
    expect(calculateSizes(20, 8, 0, true, false, 2)).toMatchObject({ size: 32, offset: 24, objectPoison: false });
    // __OBJECT_POISON needs no ctor and no RCU
    expect(calculateSizes(20, 8, SLAB_POISON, true, false, 2)!.objectPoison).toBe(false);
  });

  it('SLAB_RED_ZONE: a right red-zone word when the object fills its words, a padding word and red_left_pad', () => {
    // 64: inuse 72 (red zone word), +8 padding, +8 red_left_pad = 88
    expect(calculateSizes(64, 8, SLAB_RED_ZONE, false, false, 2)).toMatchObject({ size: 88, inuse: 72, offset: 0, redLeftPad: 8 });
    // 60: rounded to 64 already leaves 4 bytes of red zone: inuse 64, size 64 + 8 + 8 = 80
    expect(calculateSizes(60, 8, SLAB_RED_ZONE, false, false, 2)).toMatchObject({ size: 80, inuse: 64, redLeftPad: 8 });
    // with poison: 64 + 8 (red zone) -> fp at 72 -> 80, + 8 + 8 = 96
    expect(calculateSizes(64, 8, SLAB_RED_ZONE | SLAB_POISON, false, false, 2)).toMatchObject({ size: 96, inuse: 72, offset: 72, redLeftPad: 8 });
  });

  it('SLAB_STORE_USER adds two struct track of 152 bytes', () => {
    expect(calculateSizes(32, 8, SLAB_STORE_USER, false, false, 2)!.size).toBe(32 + 2 * 152);
  });

  it('red_left_pad is aligned to s->align', () => {
    const align = calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 100);
    expect(align).toBe(64);
    const g = calculateSizes(100, align, SLAB_RED_ZONE, false, false, 2)!;
    expect(g.redLeftPad).toBe(64);
    expect(g.size).toBe(192); // ALIGN(100, 8) = 104, + 8 padding = 112, + 64 = 176, ALIGN(176, 64) = 192
  });

  it('kasan_cache_create(): alloc meta (16), free meta (8) when needed, optimal_redzone()', () => {
    // 32: 32 + 16 = 48 = 32 + optimal_redzone(32) = 48
    expect(calculateSizes(32, 8, 0, false, true, 2)).toMatchObject({ size: 48, kasan: true });
    // 8: 8 + 16 = 24 = 8 + 16
    expect(calculateSizes(8, 8, 0, false, true, 2)!.size).toBe(24);
    // 128: redzone 64 -> 192
    expect(calculateSizes(128, 8, 0, false, true, 2)!.size).toBe(192);
    // ctor: + free meta: 32 + 8 (fp) + 16 + 8 = 64
    expect(calculateSizes(32, 8, 0, true, true, 2)!.size).toBe(64);
  });
});

describe('calculate_alignment()', () => {
  it('SLAB_HWCACHE_ALIGN halves the cache line while the object fits twice', () => {
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 20)).toBe(32);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 16)).toBe(16);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 33)).toBe(64);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 8)).toBe(8);
  });
  it('at least ARCH_SLAB_MINALIGN (8), else the requested alignment', () => {
    expect(calculateAlignment(0, 0, 20)).toBe(8);
    expect(calculateAlignment(0, 4, 20)).toBe(8);
    expect(calculateAlignment(0, 128, 20)).toBe(128);
  });
});

describe('set_min_partial()', () => {
  it('ilog2(size) / 2 within [5, 10]', () => {
    expect(minPartialFor(8)).toBe(5);
    expect(minPartialFor(4096)).toBe(6);
    expect(minPartialFor(1 << 20)).toBe(10);
    expect(minPartialFor(1 << 22)).toBe(10);
  });
});

describe('kmalloc_slab()', () => {
  it('size_index[] up to 192, fls(size - 1) above', () => {
    const name = (n: number) => kmallocInfo(kmallocIndex(n)).name;
    expect(name(1)).toBe('kmalloc-8');
    expect(name(8)).toBe('kmalloc-8');
    expect(name(9)).toBe('kmalloc-16');
    expect(name(17)).toBe('kmalloc-32');
    expect(name(64)).toBe('kmalloc-64');
    expect(name(65)).toBe('kmalloc-96');
    expect(name(96)).toBe('kmalloc-96');
    expect(name(97)).toBe('kmalloc-128');
    expect(name(129)).toBe('kmalloc-192');
    expect(name(192)).toBe('kmalloc-192');
    expect(name(193)).toBe('kmalloc-256');
    expect(name(4097)).toBe('kmalloc-8192');
    expect(name(8192)).toBe('kmalloc-8192');
  });
});

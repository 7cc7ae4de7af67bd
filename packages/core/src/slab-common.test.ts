import { describe, expect, it } from 'vitest';
import { SLAB_HWCACHE_ALIGN } from './slab-flags.js';
import { calculateAlignment, kmallocCreationOrder, kmallocIndex, kmallocIndexSize } from './slab-common.js';

describe('mm/slab_common.c', () => {
  it('calculate_alignment(): the cache line halved while the object fits in half, at least 8', () => {
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 20)).toBe(32);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 100)).toBe(64);
    expect(calculateAlignment(0, 0, 100)).toBe(8);
    expect(calculateAlignment(0, 128, 100)).toBe(128);
  });

  it('create_kmalloc_caches() order: 96 after 64 and 192 after 128, as KMALLOC_MIN_SIZE allows', () => {
    expect(kmallocCreationOrder(3, 13).map(kmallocIndexSize)).toEqual([8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]);
    expect(kmallocCreationOrder(6, 8).map(kmallocIndexSize)).toEqual([64, 128, 192, 256]);
    expect(kmallocCreationOrder(7, 8).map(kmallocIndexSize)).toEqual([128, 256]);
  });

  it('size_index[] as setup_kmalloc_cache_index_table() leaves it for each KMALLOC_MIN_SIZE', () => {
    const cls = (size: number, low: number) => kmallocIndexSize(kmallocIndex(size, low));
    expect([1, 8, 9, 24, 33, 65, 96, 97, 129, 192, 193, 8192].map((n) => cls(n, 3))).toEqual([8, 8, 16, 32, 64, 96, 96, 128, 192, 192, 256, 8192]);
    expect([1, 32, 33, 65, 97, 129].map((n) => cls(n, 5))).toEqual([32, 32, 64, 96, 128, 192]);
    expect([1, 64, 65, 96, 97, 129].map((n) => cls(n, 6))).toEqual([64, 64, 128, 128, 128, 192]);
    expect([1, 128, 129, 192, 193].map((n) => cls(n, 7))).toEqual([128, 128, 256, 256, 256]);
  });
});

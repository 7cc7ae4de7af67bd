import { GFP_DMA, PAGE_SIZE, SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RECLAIM_ACCOUNT, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TYPESAFE_BY_RCU, calculateAlignment } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { cacheEstimate, calculateSlabOrder, kmemCacheLayout } from '../src/layout.js';
import { KMALLOC_MAX_SIZE, kmallocIndex, kmallocSizes } from '../src/kmalloc.js';
import { CFLGS_OBJFREELIST_SLAB } from '../src/constants.js';
import { createFixture } from './fixture.js';
import type { SlabCache } from '../src/cache.js';

const noFreelistCache = () => undefined;

describe('kmalloc classes of CONFIG_SLAB (KMALLOC_SHIFT_LOW 5, KMALLOC_SHIFT_HIGH 22)', () => {
  it('32, 64, 96, 128, 192, 256 ... 4194304', () => {
    const sizes = kmallocSizes();
    expect(sizes.slice(0, 7)).toEqual([32, 64, 96, 128, 192, 256, 512]);
    expect(sizes[sizes.length - 1]).toBe(4194304);
    expect(sizes.length).toBe(20);
    expect(KMALLOC_MAX_SIZE).toBe(4 << 20);
  });

  it('size_index: 1..32 -> 32, 65..96 -> 96, 129..192 -> 192, else fls(size - 1)', () => {
    const f = createFixture();
    const nameOf = (n: number) => {
      const a = f.slab.kmalloc(n, 0);
      const name = f.slab.caches().find((c) => c.name === `kmalloc-${f.slab.ksize(a)}`)?.name;
      f.slab.kfree(a);
      return name;
    };
    expect(nameOf(1)).toBe('kmalloc-32');
    expect(nameOf(32)).toBe('kmalloc-32');
    expect(nameOf(33)).toBe('kmalloc-64');
    expect(nameOf(65)).toBe('kmalloc-96');
    expect(nameOf(97)).toBe('kmalloc-128');
    expect(nameOf(129)).toBe('kmalloc-192');
    expect(nameOf(193)).toBe('kmalloc-256');
    expect(nameOf(4097)).toBe('kmalloc-8192');
    expect(kmallocIndex(KMALLOC_MAX_SIZE)).toBe(22);
    const dma = f.slab.kmalloc(100, GFP_DMA);
    expect(f.slab.ksize(dma)).toBe(128);
    f.slab.kfree(dma);
    // kmem_cache_init(): kmem_cache, kmalloc-128 (INDEX_NODE, for struct kmem_cache_node), then
    // create_kmalloc_caches(): kmalloc-32 ... kmalloc-4194304, then dma-kmalloc-96, dma-kmalloc-192, dma-kmalloc-32 ...
    const names = f.slab.caches().map((c) => c.name);
    expect(names.slice(0, 7)).toEqual(['kmem_cache', 'kmalloc-128', 'kmalloc-32', 'kmalloc-64', 'kmalloc-96', 'kmalloc-192', 'kmalloc-256']);
    expect(names.slice(21, 25)).toEqual(['dma-kmalloc-96', 'dma-kmalloc-192', 'dma-kmalloc-32', 'dma-kmalloc-64']);
    expect(names.length).toBe(41);
    expect(f.slab.kmalloc(KMALLOC_MAX_SIZE + 1, 0)).toBe(0);
  });
});

describe('calculate_alignment()', () => {
  it('SLAB_HWCACHE_ALIGN: the cache line, halved while size <= ralign / 2; at least 8', () => {
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 32)).toBe(32);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 20)).toBe(32);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 16)).toBe(16);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 0, 96)).toBe(64);
    expect(calculateAlignment(SLAB_HWCACHE_ALIGN, 8, 4)).toBe(8);
    expect(calculateAlignment(0, 0, 100)).toBe(8);
    expect(calculateAlignment(0, 128, 100)).toBe(128);
  });
});

describe('cache_estimate() and calculate_slab_order()', () => {
  it('on-slab: num = slab_size / (size + sizeof(freelist_idx_t)); objfreelist/off-slab: slab_size / size', () => {
    const out = { num: 0, leftOver: 0 };
    cacheEstimate(0, 32, 0, out);
    expect(out).toEqual({ num: 124, leftOver: 4 }); // 4096 / 33
    cacheEstimate(0, 96, CFLGS_OBJFREELIST_SLAB, out);
    expect(out).toEqual({ num: 42, leftOver: 64 });
  });

  it('stops at SLAB_OBJ_MAX_NUM (255) objects: 16-byte objects cannot go objfreelist (256 per page)', () => {
    expect(calculateSlabOrder(16, CFLGS_OBJFREELIST_SLAB, 1, noFreelistCache).num).toBe(0);
    expect(calculateSlabOrder(16, 0, 1, noFreelistCache)).toEqual({ num: 240, gfporder: 0, leftOver: 16 });
  });

  it('left_over * 8 <= slab size stops; else up to slab_max_order (1104-byte objects: order 1, 7 objects)', () => {
    expect(calculateSlabOrder(1104, CFLGS_OBJFREELIST_SLAB, 1, noFreelistCache)).toEqual({ num: 7, gfporder: 1, leftOver: 464 });
    expect(calculateSlabOrder(1104, CFLGS_OBJFREELIST_SLAB, 0, noFreelistCache)).toEqual({ num: 3, gfporder: 0, leftOver: 784 });
    // SLAB_RECLAIM_ACCOUNT caches stop at the first order that holds objects.
    expect(calculateSlabOrder(1104, CFLGS_OBJFREELIST_SLAB | SLAB_RECLAIM_ACCOUNT, 1, noFreelistCache).gfporder).toBe(0);
    // Objects above a page: the first order holding one.
    expect(calculateSlabOrder(8192, CFLGS_OBJFREELIST_SLAB, 1, noFreelistCache)).toEqual({ num: 1, gfporder: 1, leftOver: 0 });
    expect(calculateSlabOrder(4 << 20, CFLGS_OBJFREELIST_SLAB, 1, noFreelistCache)).toEqual({ num: 1, gfporder: 10, leftOver: 0 });
  });
});

describe('__kmem_cache_create() geometry', () => {
  const f = createFixture({ nrCpus: 4 });
  const byName = (name: string) => f.slab.caches().find((c) => c.name === name) as SlabCache;

  it('kmalloc caches (SLAB_HWCACHE_ALIGN): size, objects per slab, order, management type', () => {
    const expectCache = (name: string, size: number, num: number, order: number, mgmt: string, colour: number) => {
      const c = byName(name);
      expect({ name, size: c.size, num: c.num, order: c.gfporder, mgmt: c.mgmt, colour: c.colour }).toEqual({ name, size, num, order, mgmt, colour });
    };
    // kmalloc-32: 128 indexes do not fit a 32-byte object, the 128-byte freelist cache does not
    // exist yet at boot: on-slab, 4096 / 33 = 124, 4 bytes left.
    expectCache('kmalloc-32', 32, 124, 0, 'on-slab', 0);
    expectCache('kmalloc-64', 64, 64, 0, 'objfreelist', 0);
    // kmalloc-96 is aligned to 64: 128-byte buffers.
    expectCache('kmalloc-96', 128, 32, 0, 'objfreelist', 0);
    expectCache('kmalloc-128', 128, 32, 0, 'objfreelist', 0);
    // 4096 / 192 = 21, 64 bytes left: one colour.
    expectCache('kmalloc-192', 192, 21, 0, 'objfreelist', 1);
    expectCache('kmalloc-256', 256, 16, 0, 'objfreelist', 0);
    expectCache('kmalloc-1024', 1024, 4, 0, 'objfreelist', 0);
    expectCache('kmalloc-4096', 4096, 1, 0, 'objfreelist', 0);
    expectCache('kmalloc-8192', 8192, 1, 1, 'objfreelist', 0);
    expectCache('kmalloc-4194304', 4194304, 1, 10, 'objfreelist', 0);
  });

  it('enable_cpucache(): limit 120/54/24/8/1 by size, batchcount (limit + 1) / 2, shared 8 up to PAGE_SIZE on SMP', () => {
    const info = (name: string) => f.slab.slabinfo(byName(name));
    expect(info('kmalloc-256')).toMatchObject({ limit: 120, batchcount: 60, shared: 8 });
    expect(info('kmalloc-512')).toMatchObject({ limit: 54, batchcount: 27, shared: 8 });
    expect(info('kmalloc-2048')).toMatchObject({ limit: 24, batchcount: 12, shared: 8 });
    expect(info('kmalloc-4096')).toMatchObject({ limit: 24, batchcount: 12, shared: 8 });
    expect(info('kmalloc-8192')).toMatchObject({ limit: 8, batchcount: 4, shared: 0 });
    expect(info('kmalloc-262144')).toMatchObject({ limit: 1, batchcount: 1, shared: 0 });
    const uni = createFixture({ nrCpus: 1 });
    expect(uni.slab.slabinfo(uni.slab.caches()[0]).shared).toBe(0);
  });

  it('a constructor rules out objfreelist: 512-byte objects go off-slab (8 per page, freelist from kmalloc-32)', () => {
    const c = f.slab.kmemCacheCreate('ctor-512', 512, 0, 0, () => {}) as SlabCache;
    expect({ num: c.num, mgmt: c.mgmt, order: c.gfporder }).toEqual({ num: 8, mgmt: 'off-slab', order: 0 });
    const d = f.slab.kmemCacheCreate('plain-512', 512, 0, 0) as SlabCache;
    expect({ num: d.num, mgmt: d.mgmt }).toEqual({ num: 8, mgmt: 'objfreelist' });
    const e = f.slab.kmemCacheCreate('ctor-32', 32, 0, 0, () => {}) as SlabCache;
    expect({ num: e.num, mgmt: e.mgmt }).toEqual({ num: 124, mgmt: 'on-slab' });
  });

  it('sizes below SLAB_OBJ_MIN_SIZE grow to 16; 16-byte buffers fit 240 per page on-slab', () => {
    const c = f.slab.kmemCacheCreate('tiny', 8, 0, 0) as SlabCache;
    expect({ size: c.size, num: c.num, mgmt: c.mgmt, colour: c.colour }).toEqual({ size: 16, num: 240, mgmt: 'on-slab', colour: 0 });
  });

  it('slab_max_order: 1 above 32 MiB of RAM (order-1 slabs of 7 x 1104 bytes), 0 at or below', () => {
    const c = f.slab.kmemCacheCreate('odd-1100', 1100, 0, 0) as SlabCache;
    expect({ size: c.size, num: c.num, order: c.gfporder, colour: c.colour }).toEqual({ size: 1104, num: 7, order: 1, colour: 7 });
    const small = createFixture({ nrPages: (32 << 20) / PAGE_SIZE });
    expect(small.slab.slabMaxOrder).toBe(0);
    const s = small.slab.kmemCacheCreate('odd-1100', 1100, 0, 0) as SlabCache;
    expect({ num: s.num, order: s.gfporder }).toEqual({ num: 3, order: 0 });
  });

  it('CONFIG_DEBUG_SLAB: SLAB_RED_ZONE adds a word on each side, SLAB_STORE_USER one more; dropped when the alignment exceeds 8', () => {
    const f = createFixture({ nrCpus: 4, debug: { debugSlab: true } });
    const rz = f.slab.kmemCacheCreate('rz', 100, 0, SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON) as SlabCache;
    // 104 + 2 * 8 + 8 = 128
    expect({ size: rz.size, objOffset: rz.objOffset, num: rz.num }).toEqual({ size: 128, objOffset: 8, num: 32 });
    const hw = f.slab.kmemCacheCreate('rz-hw', 100, 0, SLAB_RED_ZONE | SLAB_HWCACHE_ALIGN) as SlabCache;
    expect(hw.flags & SLAB_RED_ZONE).toBe(0);
    expect({ size: hw.size, objOffset: hw.objOffset }).toEqual({ size: 128, objOffset: 0 });
  });

  it('without CONFIG_DEBUG_SLAB (4.17 default) CACHE_CREATE_MASK drops SLAB_RED_ZONE, SLAB_POISON and SLAB_STORE_USER', () => {
    const plain = f.slab.kmemCacheCreate('rz-off', 100, 0, SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON) as SlabCache;
    expect(plain.flags & (SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON)).toBe(0);
    expect({ size: plain.size, objOffset: plain.objOffset }).toEqual({ size: 104, objOffset: 0 });
  });

  it('CONFIG_DEBUG_SLAB (FORCED_DEBUG): every cache gets red zones, the last user and poison, not poison under SLAB_TYPESAFE_BY_RCU', () => {
    const d = createFixture({ debug: { debugSlab: true } });
    const c = d.slab.kmemCacheCreate('forced', 100, 0, 0) as SlabCache;
    expect(c.flags & (SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON)).toBe(SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON);
    expect({ size: c.size, objOffset: c.objOffset }).toEqual({ size: 128, objOffset: 8 });
    const rcu = d.slab.kmemCacheCreate('forced-rcu', 100, 0, SLAB_TYPESAFE_BY_RCU) as SlabCache;
    expect(rcu.flags & SLAB_POISON).toBe(0);
    // 4096 and above: red zones only if the size stays below the next power of two (8000 + 24 does; 8192 + 24 does not)
    expect((d.slab.kmemCacheCreate('forced-8000', 8000, 0, 0) as SlabCache).flags & SLAB_RED_ZONE).toBe(SLAB_RED_ZONE);
    expect((d.slab.kmemCacheCreate('forced-8192', 8192, 0, 0) as SlabCache).flags & SLAB_RED_ZONE).toBe(0);
  });

  it('kmemCacheLayout() agrees with cache creation', () => {
    const l = kmemCacheLayout(192, 64, SLAB_HWCACHE_ALIGN, false, 1, noFreelistCache)!;
    expect({ num: l.num, colour: l.colour, colourOff: l.colourOff }).toEqual({ num: 21, colour: 1, colourOff: 64 });
  });
});

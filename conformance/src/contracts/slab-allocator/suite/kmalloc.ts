/** Slab-allocator cases: kmalloc(): size classes, ZERO_SIZE_PTR, limits, large kmallocs. */
import {
  GFP_DMA, GFP_KERNEL, PAGE_SIZE, PG_head, PG_slab, PhysMemory, SLAB_CACHE_DMA, ZERO_SIZE_PTR, __GFP_HIGHMEM, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { MiB, KMALLOC_MAX_SIZE, boot, create, alloc, kmalloc, totalFree, classFor, headOf, type SlabAllocatorUnderTest } from './helpers.js';

export const kmallocCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'the kmalloc classes and which one kmalloc(n) uses',
    rules: ['slab-allocator.kmalloc.size-classes'],
    run(ctx) {
      const k = boot(ctx);
      const s = k.slab;
      const sizes = [...s.kmallocSizes];
      const min = sizes[0];
      assert.ok(min >= 8 && min <= 64 && (min & (min - 1)) === 0, `KMALLOC_MIN_SIZE ${min} is a power of two in [8, 64]`);
      const expected: number[] = [];
      for (let n = min; n <= s.kmallocMaxCacheSize; n *= 2) expected.push(n);
      if (min <= 32) expected.push(96);
      if (min <= 64) expected.push(192);
      expected.sort((a, b) => a - b);
      assert.deepEqual(sizes, expected, 'kmallocSizes: the powers of two from KMALLOC_MIN_SIZE to KMALLOC_MAX_CACHE_SIZE, with 96 and 192');
      const probes = new Set<number>();
      for (let n = 1; n <= 300; n++) probes.add(n);
      for (const c of sizes) for (const d of [-1, 0, 1]) if (c + d >= 1 && c + d <= s.kmallocMaxCacheSize) probes.add(c + d);
      for (const n of probes) {
        const a = kmalloc(k, n);
        assert.equal(s.ksize(a), classFor(sizes, n), `ksize(kmalloc(${n}))`);
        s.kfree(a);
      }
    },
  },
  {
    name: 'kmalloc(0), kfree(NULL) and ZERO_SIZE_PTR',
    rules: ['slab-allocator.kmalloc.zero-size'],
    run(ctx) {
      const k = boot(ctx);
      const before = k.slabPages();
      assert.equal(k.slab.kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR, 'kmalloc(0)');
      assert.equal(k.slabPages(), before, 'kmalloc(0) takes no slab page');
      k.slab.kfree(0);
      k.slab.kfree(ZERO_SIZE_PTR);
      assert.equal(k.slab.ksize(ZERO_SIZE_PTR), 0, 'ksize(ZERO_SIZE_PTR)');
      assert.equal(k.slabReports.length, 0, 'kfree of NULL and ZERO_SIZE_PTR reports nothing');
    },
  },
  {
    name: 'kmalloc above KMALLOC_MAX_SIZE fails and takes nothing',
    rules: ['slab-allocator.kmalloc.too-large'],
    run(ctx) {
      const k = boot(ctx);
      assert.equal(k.slab.kmallocMaxSize, KMALLOC_MAX_SIZE, 'KMALLOC_MAX_SIZE = 1 << (MAX_ORDER + PAGE_SHIFT - 1)');
      const free = totalFree(k);
      for (const n of [KMALLOC_MAX_SIZE + 1, 2 * KMALLOC_MAX_SIZE, 2 ** 40]) assert.equal(k.slab.kmalloc(n, GFP_KERNEL), 0, `kmalloc(${n})`);
      assert.equal(totalFree(k), free, 'free pages after the refused kmallocs');
      const big = kmalloc(k, KMALLOC_MAX_SIZE);
      assert.ok(k.slab.ksize(big) >= KMALLOC_MAX_SIZE, 'kmalloc(KMALLOC_MAX_SIZE) succeeds with room for it');
      k.slab.kfree(big);
    },
  },
  {
    name: 'kmalloc refuses impossible sizes and fixes up highmem gfp',
    rules: ['slab-allocator.kmalloc.bad-input'],
    run(ctx) {
      const k = boot(ctx, { machine: { mem: 1024 * MiB, arch: 'i386' } });
      const pages = k.slabPages();
      for (const n of [-1, -4096, 1.5, 100.25, NaN, Infinity]) assert.equal(k.slab.kmalloc(n, GFP_KERNEL), 0, `kmalloc(${n})`);
      assert.equal(k.slabPages(), pages, 'no slab page taken by refused sizes');
      const c = create(k, 'highmem_objs', 512);
      const log = k.dmesg().length;
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 64; i++) objs.push(alloc(k, c, GFP_KERNEL | __GFP_HIGHMEM));
      assert.ok(k.dmesg().slice(log).some((l) => l.includes('Unexpected gfp')), 'an "Unexpected gfp" warning is logged');
      const highmem = k.zoneConfig.HIGHMEM;
      for (const a of objs) {
        const z = k.pageZone(PhysMemory.pfnOf(a));
        assert.ok(z !== undefined && z.idx !== highmem, `object 0x${a.toString(16)} of a __GFP_HIGHMEM allocation is in ${z?.name ?? 'no zone'}, not HighMem`);
      }
      for (const a of objs) k.slab.kmemCacheFree(c, a);
    },
  },
  {
    name: 'kmalloc(GFP_DMA) takes its objects from the dma-kmalloc caches, in ZONE_DMA',
    rules: ['slab-allocator.kmalloc.dma'],
    run(ctx) {
      const k = boot(ctx);
      const dmaIdx = k.zoneConfig.DMA;
      const objs: [ObjAddr, number][] = [];
      for (const n of [8, 40, 100, 200, 1000, 3000]) {
        if (n > k.slab.kmallocMaxCacheSize) continue;
        for (let i = 0; i < 20; i++) {
          const a = k.slab.kmalloc(n, GFP_KERNEL | GFP_DMA);
          assert.ok(a !== 0, `kmalloc(${n}, GFP_KERNEL | GFP_DMA)`);
          const z = k.pageZone(PhysMemory.pfnOf(a));
          assert.ok(z !== undefined && z.idx === dmaIdx, `kmalloc(${n}, GFP_DMA) object 0x${a.toString(16)} is in ${z?.name ?? 'no zone'}, not DMA`);
          assert.ok(k.slab.ksize(a) >= n, `ksize() of kmalloc(${n}, GFP_DMA)`);
          objs.push([a, n]);
        }
        const cls = classFor(k.slab.kmallocSizes, n);
        const dma = k.slab.caches().find((c) => c.name === `dma-kmalloc-${cls}`);
        assert.ok(dma !== undefined, `a dma-kmalloc-${cls} cache exists for kmalloc(${n}, GFP_DMA)`);
        assert.ok((dma.flags & SLAB_CACHE_DMA) !== 0, `dma-kmalloc-${cls} has SLAB_CACHE_DMA`);
        assert.atLeast(k.slab.slabinfo(dma).activeObjs, 20, `dma-kmalloc-${cls} holds the GFP_DMA objects`);
      }
      const plain = k.slab.kmalloc(100, GFP_KERNEL);
      assert.ok(k.pageZone(PhysMemory.pfnOf(plain))?.idx !== dmaIdx, 'kmalloc(100, GFP_KERNEL) is not taken from ZONE_DMA');
      k.slab.kfree(plain);
      for (const [a] of objs) k.slab.kfree(a);
      assert.equal(k.slabReports.length, 0, `no misuse reported: ${k.slabReports[0]?.message ?? ''}`);
    },
  },
  {
    name: 'large kmallocs come from the page allocator',
    rules: ['slab-allocator.kmalloc.large-from-page-allocator'],
    run(ctx) {
      const k = boot(ctx);
      const s = k.slab;
      const inCache = kmalloc(k, s.kmallocMaxCacheSize);
      assert.ok(k.pages.testFlag(PhysMemory.pfnOf(inCache), PG_slab) || k.pages.testFlag(headOf(k, PhysMemory.pfnOf(inCache)), PG_slab), `kmalloc(KMALLOC_MAX_CACHE_SIZE = ${s.kmallocMaxCacheSize}) lives in a PG_slab page`);
      s.kfree(inCache);
      if (s.kmallocMaxCacheSize >= s.kmallocMaxSize) {
        ctx.note('KMALLOC_MAX_CACHE_SIZE = KMALLOC_MAX_SIZE (every kmalloc has a cache, as in SLAB)');
        return;
      }
      for (const size of [s.kmallocMaxCacheSize + 1, 3 * PAGE_SIZE * 4, s.kmallocMaxSize]) {
        const order = Math.max(0, Math.ceil(Math.log2(size / PAGE_SIZE)));
        const free = totalFree(k);
        const a = kmalloc(k, size);
        assert.equal(a % PAGE_SIZE, 0, `kmalloc(${size}) is page aligned`);
        const pfn = PhysMemory.pfnOf(a);
        assert.ok(!k.pages.testFlag(pfn, PG_slab), `kmalloc(${size}) is not a slab page`);
        if (order > 0) assert.ok(k.pages.testFlag(pfn, PG_head), `kmalloc(${size}) is a compound page`);
        assert.equal(free - totalFree(k), 2 ** order, `kmalloc(${size}) takes 2^get_order(size) pages`);
        assert.equal(s.ksize(a), PAGE_SIZE * 2 ** order, `ksize of a kmalloc_large(${size})`);
        s.kfree(a);
        assert.equal(totalFree(k), free, `kfree gives kmalloc(${size})'s pages back`);
      }
    },
  },
];

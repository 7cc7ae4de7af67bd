/** Slab-allocator cases: kmem_cache_shrink() and kmem_cache_destroy(). */
import {
  PAGE_SIZE, SLAB_HWCACHE_ALIGN, SLAB_TYPESAFE_BY_RCU, type KmemCache, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, kmalloc, totalFree, pattern, readBytes, sameBytes, reportsOf, checkKernel, info, type SlabAllocatorUnderTest } from './helpers.js';

export const reclaimCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'kmem_cache_shrink gives empty slabs back',
    rules: ['slab-allocator.reclaim.shrink'],
    run(ctx) {
      const k = boot(ctx);
      const before = k.slabPages();
      const c = create(k, 'shrink_objs', 256);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 1000; i++) objs.push(alloc(k, c));
      assert.atLeast(k.slabPages() - before, Math.ceil((1000 * 256) / PAGE_SIZE), 'slab pages for 1000 objects of 256 bytes');
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheShrink(c);
      assert.equal(info(k, c).numSlabs, 0, 'slabs left after freeing every object and shrinking');
      assert.equal(k.slabPages(), before, 'slab pages after kmem_cache_shrink');
    },
  },
  {
    name: 'destroying every cache gives every page back',
    rules: ['slab-allocator.reclaim.destroy-returns-pages'],
    run(ctx) {
      const k = boot(ctx, { nrCpus: 4 });
      const free = totalFree(k);
      const pages = k.slabPages();
      const caches = [create(k, 'x1', 24), create(k, 'x2', 700, 0, SLAB_HWCACHE_ALIGN), create(k, 'x3', 5000), create(k, 'x4', 64, 0, SLAB_TYPESAFE_BY_RCU)];
      const objs: [KmemCache | undefined, ObjAddr][] = [];
      for (let i = 0; i < 3000; i++) {
        k.sched.onCpu(i % 4, () => {
          const c = caches[i % caches.length];
          objs.push([c, alloc(k, c)]);
          objs.push([undefined, kmalloc(k, 1 + ((i * 37) % 20000))]);
        });
      }
      assert.ok(totalFree(k) < free, 'the objects took pages');
      for (let i = objs.length - 1; i >= 0; i--) {
        const [c, a] = objs[i];
        k.sched.onCpu(i % 4, () => (c ? k.slab.kmemCacheFree(c, a) : k.slab.kfree(a)));
      }
      for (const c of caches) k.slab.kmemCacheDestroy(c);
      for (const c of k.slab.caches()) k.slab.kmemCacheShrink(c);
      assert.equal(k.slabReports.length, 0, `no misuse or leak reported: ${k.slabReports[0]?.message ?? ''}`);
      assert.equal(k.slabPages(), pages, 'pages the object allocator holds');
      assert.equal(totalFree(k), free, 'free pages after destroying every cache');
      checkKernel(k, 'after destroying every cache');
      for (const c of caches) assert.ok(!k.slab.caches().includes(c), `${c.name} is gone from slab_caches`);
    },
  },
  {
    name: 'destroying a cache with objects reports a leak and keeps it',
    rules: ['slab-allocator.reclaim.destroy-leak'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'leaky', 128);
      const a = alloc(k, c);
      k.phys.write(a, pattern(1, 128));
      k.slab.kmemCacheDestroy(c);
      assert.equal(reportsOf(k, 'leak'), 1, 'one leak report');
      assert.ok(k.slab.caches().includes(c), 'the cache is still in slab_caches');
      assert.equal(sameBytes(readBytes(k, a, 128), pattern(1, 128)), -1, 'the live object is intact');
      const b = alloc(k, c);
      assert.ok(b !== a, 'the cache still works');
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, b);
      k.slab.kmemCacheDestroy(c);
      assert.equal(reportsOf(k, 'leak'), 1, 'no new leak report once the objects are freed');
      assert.ok(!k.slab.caches().includes(c), 'the cache is gone');
    },
  },
];

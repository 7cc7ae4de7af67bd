/** Slab-allocator cases: /proc/slabinfo. */
import {
  GFP_KERNEL, PAGE_SIZE, PG_head, PG_slab, PG_tail, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, checkKernel, info, type SlabAllocatorUnderTest } from './helpers.js';

export const slabinfoCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: '/proc/slabinfo counts',
    rules: ['slab-allocator.slabinfo.per-slab-counts'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'info_objs', 300);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 500; i++) objs.push(alloc(k, c));
      const line = k.readFile('/proc/slabinfo').split('\n').find((l) => l.startsWith('info_objs '));
      if (!line) return assert.fail('/proc/slabinfo has no line for info_objs');
      const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) : tunables\s+(\d+)\s+(\d+)\s+(\d+) : slabdata\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
      if (!m) return assert.fail(`slabinfo line not in the 2.1 format: ${line}`);
      const [active, num, objsize, perSlab, pages, , , , activeSlabs, numSlabs] = m.slice(2).map(Number);
      const si = info(k, c);
      assert.deepEqual([active, num, perSlab, pages, activeSlabs, numSlabs], [si.activeObjs, si.numObjs, si.objectsPerSlab, si.pagesPerSlab, si.activeSlabs, si.numSlabs], 'the /proc/slabinfo line against slabinfo()');
      assert.equal(objsize, c.size, 'objsize is the space an object takes (s->size)');
      assert.atLeast(active, 500, 'active_objs counts every allocated object');
      assert.equal(num, numSlabs * perSlab, 'num_objs = num_slabs × objperslab while every slab has the preferred order');
      assert.atMost(active, num, 'active_objs ≤ num_objs');
      assert.atLeast(perSlab * c.size, 1, 'objects per slab');
      assert.atMost(perSlab * c.size, pages * PAGE_SIZE, 'objects fit in their slab');
      checkKernel(k, 'with 500 objects allocated (the slabs reported against the pages marked PG_slab)');
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheShrink(c);
      const after = info(k, c);
      assert.deepEqual([after.activeObjs, after.activeSlabs], [0, 0], 'active objects and slabs after freeing everything and shrinking');
    },
  },
  {
    name: '/proc/slabinfo lists the caches newest first, ending with kmem_cache, whose objects describe the caches',
    rules: ['slab-allocator.slabinfo.kmem-cache'],
    run(ctx) {
      const k = boot(ctx);
      const names = () => k.readFile('/proc/slabinfo').split('\n').slice(2).filter((l) => l !== '').map((l) => l.split(/\s+/)[0]);
      const kmemCache = k.slab.caches().find((c) => c.name === 'kmem_cache');
      assert.ok(kmemCache !== undefined, 'a kmem_cache cache exists');
      const inUse = () => {
        k.slab.kmemCacheShrink(kmemCache); // objects a CPU holds count as in use: give them back first
        return info(k, kmemCache).activeObjs;
      };
      const before = names();
      assert.equal(before.at(-1), 'kmem_cache', 'the last line is kmem_cache, the first cache kmem_cache_init() creates');
      assert.ok(before.includes('kmalloc-64') && before.some((n) => n.startsWith('dma-kmalloc-')), 'the kmalloc and dma-kmalloc caches are listed');
      assert.ok(before.indexOf('dma-kmalloc-64') < before.indexOf('kmalloc-64'), 'the dma-kmalloc caches, created after the kmalloc caches, come first');
      assert.ok(before.indexOf('kmalloc-128') < before.indexOf('kmalloc-64') || before.indexOf('kmalloc-128') === before.length - 2, 'the kmalloc caches newest first (the larger before the smaller)');
      const used = inUse();
      assert.atLeast(used, before.length - 1, 'kmem_cache holds a struct kmem_cache for (at least) every other cache');
      const a = create(k, 'listed_first', 100);
      const b = create(k, 'listed_second', 100);
      assert.deepEqual(names().slice(0, 2), ['listed_second', 'listed_first'], 'a new cache is listed first (list_add() at the head of slab_caches)');
      assert.equal(inUse(), used + 2, 'each new cache takes one more kmem_cache object');
      k.slab.kmemCacheDestroy(b);
      k.slab.kmemCacheDestroy(a);
      k.kasan?.drain();
      assert.deepEqual(names(), before, 'destroyed caches leave the list');
      assert.equal(inUse(), used, 'kmem_cache_destroy() gives the cache\'s kmem_cache object back');
      checkKernel(k, 'after creating and destroying caches');
    },
  },
  {
    name: '/proc/slabinfo and meminfo count each slab by its own order when higher orders fail',
    rules: ['slab-allocator.slabinfo.per-slab-counts'],
    run(ctx) {
      // fail_page_alloc fails every allocation of order >= 1 (its min-order), then half of them:
      // SLUB falls back to s->min for those slabs (SLAB has no fallback order).
      const k = boot(ctx, { failPageAlloc: { probability: 100, times: -1, ignoreGfpWait: false, verbose: 0 } });
      const c = create(k, 'fallback_objs', 1000);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 200; i++) objs.push(alloc(k, c));
      k.failPageAlloc.probability = 50;
      for (let i = 0; i < 200; i++) {
        const a = k.slab.kmemCacheAlloc(c, GFP_KERNEL);
        if (a) objs.push(a);
      }
      const si = info(k, c);
      assert.atMost(si.numObjs, si.numSlabs * si.objectsPerSlab, 'num_objs ≤ num_slabs × objperslab');
      assert.atLeast(si.activeObjs, objs.length, 'active_objs counts every allocated object');
      assert.atMost(si.activeObjs, si.numObjs, 'active_objs ≤ num_objs');
      let marked = 0;
      for (let p = 0; p < k.pages.maxPfn; p++) {
        if (!k.pages.testFlag(p, PG_slab) || k.pages.testFlag(p, PG_tail)) continue;
        marked++;
        for (let q = p + 1; k.pages.testFlag(p, PG_head) && q < k.pages.maxPfn && k.pages.testFlag(q, PG_tail) && !k.pages.testFlag(q, PG_head); q++) marked++;
      }
      const slabKb = /^Slab:\s+(\d+) kB$/m.exec(k.readFile('/proc/meminfo'));
      assert.equal(Number(slabKb?.[1]), marked * (PAGE_SIZE / 1024), "meminfo's Slab is the pages marked PG_slab");
      checkKernel(k, 'with slabs of both orders (the slabs reported against the pages marked PG_slab)');
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheShrink(c);
      assert.deepEqual([info(k, c).activeObjs, info(k, c).activeSlabs], [0, 0], 'active objects and slabs after freeing everything and shrinking');
      checkKernel(k, 'after freeing everything');
    },
  },
];

/** Slab-allocator cases: objects: contents under random use, bulk paths, failslab. */
import {
  GFP_ATOMIC, GFP_KERNEL, PG_slab, PhysMemory, Prng, SLAB_HWCACHE_ALIGN, __GFP_ATOMIC, __GFP_HIGH, type KmemCache, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, kmalloc, pattern, readBytes, sameBytes, checkKernel, info, type SlabAllocatorUnderTest } from './helpers.js';

export const objectCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'object contents survive random interleaved allocs and frees on several caches and CPUs',
    rules: ['slab-allocator.object.integrity', 'slab-allocator.cache.slab-pages'],
    run(ctx) {
      const k = boot(ctx, { nrCpus: 4 });
      const prng = new Prng(ctx.seed);
      const caches = [create(k, 'int8', 8), create(k, 'int72', 72), create(k, 'int200', 200, 0, SLAB_HWCACHE_ALIGN), create(k, 'int1000', 1000), create(k, 'int4096', 4096)];
      type Live = { addr: ObjAddr; cache: KmemCache | undefined; size: number; id: number };
      const live: Live[] = [];
      const steps = Math.max(2000, ctx.propertyRuns * 25);
      let id = 0;
      let checks = 0;
      const check = (o: Live, when: string) => {
        const at = sameBytes(readBytes(k, o.addr, o.size), pattern(o.id, o.size));
        if (at >= 0) assert.fail(`${when}: object 0x${o.addr.toString(16)} (${o.cache?.name ?? `kmalloc(${o.size})`}) lost its byte ${at}`);
        checks++;
      };
      for (let step = 0; step < steps; step++) {
        const cpu = prng.nextInt(4);
        k.sched.onCpu(cpu, () => {
          if (live.length === 0 || prng.nextInt(100) < 55) {
            const pick = prng.nextInt(caches.length + 1);
            const cache = pick < caches.length ? caches[pick] : undefined;
            const size = cache ? cache.objectSize : 1 + prng.nextInt(3000);
            const addr = cache ? alloc(k, cache) : kmalloc(k, size);
            const o = { addr, cache, size, id: ++id };
            k.phys.write(addr, pattern(o.id, size));
            live.push(o);
          } else {
            const i = prng.nextInt(live.length);
            const o = live[i];
            live[i] = live[live.length - 1];
            live.pop();
            check(o, `step ${step}, before freeing on CPU ${cpu}`);
            if (o.cache) k.slab.kmemCacheFree(o.cache, o.addr);
            else k.slab.kfree(o.addr);
          }
        });
        if (step % 500 === 499) {
          k.sched.advance(k.sched.hz); // let periodic work (cache_reap) run
          checkKernel(k, `after step ${step}`);
        }
      }
      for (const o of live) check(o, 'at the end');
      assert.equal(k.slabReports.length, 0, `the allocator reported misuse on a correct workload: ${k.slabReports[0]?.message ?? ''}`);
      ctx.note(`${steps} steps, ${checks} object checks, ${live.length} live at the end`);
    },
  },
  {
    name: 'bulk allocation and free',
    rules: ['slab-allocator.object.bulk'],
    requires: 'bulk',
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'bulk_objs', 128);
      const out = new Float64Array(300);
      assert.equal(k.slab.kmemCacheAllocBulk(c, GFP_KERNEL, 300, out), 300, 'kmem_cache_alloc_bulk(300)');
      const set = new Set(out);
      assert.equal(set.size, 300, 'bulk objects are distinct');
      assert.ok(!set.has(0), 'no NULL among bulk objects');
      for (const a of out) assert.ok(k.pages.testFlag(PhysMemory.pfnOf(a), PG_slab), `bulk object 0x${a.toString(16)} is in a slab page`);
      assert.atLeast(info(k, c).activeObjs, 300, 'active objects after the bulk allocation');
      k.slab.kmemCacheFreeBulk(c, 300, out);
      k.slab.kmemCacheShrink(c);
      assert.equal(info(k, c).activeObjs, 0, 'active objects after the bulk free and a shrink');
      // A failing bulk allocation keeps nothing.
      k.failslab.probability = 100;
      k.failslab.ignoreGfpWait = false;
      k.failslab.times = 1;
      const out2 = new Float64Array(50);
      assert.equal(k.slab.kmemCacheAllocBulk(c, GFP_KERNEL, 50, out2), 0, 'kmem_cache_alloc_bulk under failslab');
      k.slab.kmemCacheShrink(c);
      assert.equal(info(k, c).activeObjs, 0, 'a failed bulk allocation keeps no object');
      assert.equal(k.slabReports.length, 0, 'no misuse reported');
    },
  },
  {
    name: 'failslab makes allocations fail without taking an object',
    rules: ['slab-allocator.object.failslab'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'fail_objs', 64); // before failslab is on: kmem_cache_create() itself allocates (struct kmem_cache_node)
      Object.assign(k.failslab, { probability: 100, interval: 1, times: 5, ignoreGfpWait: false });
      for (let i = 0; i < 5; i++) assert.equal(k.slab.kmemCacheAlloc(c, GFP_KERNEL), 0, `allocation ${i + 1} under failslab (times 5)`);
      assert.equal(info(k, c).activeObjs, 0, 'no object taken by failed allocations');
      assert.ok(k.slab.kmemCacheAlloc(c, GFP_KERNEL) !== 0, 'the 6th allocation succeeds');
      k.failslab.times = 1;
      k.failslab.ignoreGfpWait = true;
      assert.ok(k.slab.kmalloc(64, GFP_KERNEL) !== 0, 'ignore-gfp-wait: GFP_KERNEL (may reclaim) is not failed');
      assert.ok(k.slab.kmalloc(64, GFP_ATOMIC) !== 0, 'ignore-gfp-wait (4.17: any __GFP_RECLAIM bit): GFP_ATOMIC, which wakes kswapd, is not failed');
      assert.equal(k.slab.kmalloc(64, __GFP_HIGH | __GFP_ATOMIC), 0, 'ignore-gfp-wait: an allocation without any reclaim bit is failed');
    },
  },
];

/** Slab-allocator cases: objects: contents under random use, bulk paths, failslab. */
import {
  GFP_ATOMIC, GFP_DMA, GFP_KERNEL, PG_slab, PhysMemory, Prng, SLAB_HWCACHE_ALIGN, __GFP_ATOMIC, __GFP_HIGH, type KmemCache, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, kmalloc, pattern, readBytes, sameBytes, checkKernel, info, totalFree, type SlabAllocatorUnderTest } from './helpers.js';

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
    name: 'under 1% fault injection (fail_page_alloc and failslab) allocations fail cleanly: no byte lost, invariants hold, nothing leaked',
    rules: ['slab-allocator.object.fault-injection', 'slab-allocator.object.integrity', 'slab-allocator.slabinfo.per-slab-counts'],
    run(ctx) {
      const k = boot(ctx, { nrCpus: 4 });
      const prng = new Prng(ctx.seed);
      const shrinkAll = () => {
        for (const c of k.slab.caches()) k.slab.kmemCacheShrink(c);
      };
      shrinkAll();
      const start = { free: totalFree(k), slab: k.slabPages() };
      const ctorMagic = Uint8Array.from([0x5a, 0xa5, 0x5a, 0xa5, 0x5a, 0xa5, 0x5a, 0xa5]);
      const caches = [create(k, 'fi8', 8), create(k, 'fi96', 96, 0, SLAB_HWCACHE_ALIGN), create(k, 'fi700', 700), create(k, 'fi3000', 3000), create(k, 'fi_ctor', 200, 0, 0, (addr) => k.phys.write(addr, ctorMagic))];
      const ctorCache = caches[4];
      const temps: KmemCache[] = [];
      // 1% of page allocations of any order and 1% of slab allocations fail, from now on.
      Object.assign(k.failPageAlloc, { probability: 1, interval: 1, times: -1, space: 0, verbose: 0, ignoreGfpWait: false, minOrder: 0 });
      Object.assign(k.failslab, { probability: 1, interval: 1, times: -1, space: 0, verbose: 0, ignoreGfpWait: false });
      type Live = { addr: ObjAddr; cache: KmemCache | undefined; size: number; id: number };
      const live: Live[] = [];
      const steps = Math.max(1500, ctx.propertyRuns * 10);
      let id = 0;
      let checks = 0;
      let invariantChecks = 0;
      let failed = 0;
      let allocated = 0;
      let createFailed = 0;
      const bulk = new Float64Array(16);
      const check = (o: Live, when: string) => {
        const at = sameBytes(readBytes(k, o.addr, o.size), pattern(o.id, o.size));
        if (at >= 0) assert.fail(`${when}: object 0x${o.addr.toString(16)} (${o.cache?.name ?? `kmalloc(${o.size})`}) lost its byte ${at}`);
        checks++;
      };
      const keep = (addr: ObjAddr, cache: KmemCache | undefined, size: number) => {
        if (cache === ctorCache) {
          // a new object of a constructed cache is constructed (or was freed in that state)
          if (sameBytes(readBytes(k, addr, 8), ctorMagic) >= 0) assert.fail(`object 0x${addr.toString(16)} of ${cache.name} is not in its constructed state`);
        }
        const o = { addr, cache, size, id: ++id };
        k.phys.write(addr, pattern(o.id, size));
        live.push(o);
        allocated++;
      };
      const free = (i: number, when: string) => {
        const o = live[i];
        live[i] = live[live.length - 1];
        live.pop();
        check(o, when);
        if (o.cache === ctorCache) k.phys.write(o.addr, ctorMagic); // freed in its constructed state
        if (o.cache) k.slab.kmemCacheFree(o.cache, o.addr);
        else k.slab.kfree(o.addr);
      };
      for (let step = 0; step < steps; step++) {
        const cpu = prng.nextInt(4);
        k.sched.onCpu(cpu, () => {
          const r = prng.nextInt(100);
          // about 3000 objects live in the steady state, however long the run
          if (live.length === 0 || r < (live.length < 3000 ? 50 : 40)) {
            const gfp = prng.nextInt(8) === 0 ? GFP_ATOMIC : GFP_KERNEL;
            const pick = prng.nextInt(caches.length + temps.length + 3);
            let cache: KmemCache | undefined;
            let size: number;
            let addr: ObjAddr;
            if (pick < caches.length + temps.length) {
              cache = pick < caches.length ? caches[pick] : temps[pick - caches.length];
              size = cache.objectSize;
              addr = k.slab.kmemCacheAlloc(cache, gfp);
            } else if (pick === caches.length + temps.length) {
              size = 1 + prng.nextInt(prng.nextInt(50) === 0 ? 20000 : 3000);
              addr = k.slab.kmalloc(size, gfp);
            } else if (pick === caches.length + temps.length + 1) {
              size = 1 + prng.nextInt(500);
              addr = k.slab.kmalloc(size, gfp | GFP_DMA);
            } else {
              cache = caches[prng.nextInt(caches.length)];
              size = cache.objectSize;
              const n = 1 + prng.nextInt(bulk.length);
              if (ctx.supports.bulk) {
                const got = k.slab.kmemCacheAllocBulk(cache, gfp, n, bulk);
                if (got === 0) failed++;
                else assert.equal(got, n, 'kmem_cache_alloc_bulk() takes all or nothing');
                for (let j = 0; j < got; j++) keep(bulk[j], cache, size);
                return;
              }
              addr = k.slab.kmemCacheAlloc(cache, gfp);
            }
            if (addr === 0) failed++;
            else keep(addr, cache, size);
          } else if (r < 92) {
            free(prng.nextInt(live.length), `step ${step}, before freeing on CPU ${cpu}`);
          } else if (r < 95) {
            const t = k.slab.kmemCacheCreate(`fi_temp${step}`, 16 + prng.nextInt(2000), 0, 0);
            if (t) temps.push(t);
            else createFailed++;
          } else if (r < 98 && temps.length) {
            const t = temps.splice(prng.nextInt(temps.length), 1)[0];
            for (let i = live.length - 1; i >= 0; i--) if (live[i].cache === t) free(i, `step ${step}, before destroying ${t.name}`);
            k.slab.kmemCacheDestroy(t);
          } else {
            k.slab.kmemCacheShrink(caches[prng.nextInt(caches.length)]);
          }
        });
        if (step % 250 === 249) {
          k.sched.advance(k.sched.hz); // periodic work (cache_reap) runs too
          checkKernel(k, `after step ${step}`);
          invariantChecks++;
        }
      }
      for (const o of live) check(o, 'at the end');
      while (live.length) free(live.length - 1, 'at the end');
      for (const t of temps.splice(0)) k.slab.kmemCacheDestroy(t);
      for (const c of caches) k.slab.kmemCacheDestroy(c);
      k.kasan?.drain();
      shrinkAll();
      checkKernel(k, 'after everything was freed');
      invariantChecks++;
      assert.equal(k.slabReports.length, 0, `the allocator reported misuse on a correct workload: ${k.slabReports[0]?.message ?? ''}`);
      assert.atLeast(failed, 1, 'fault injection made some allocations fail');
      const leakedPages = start.free - totalFree(k);
      assert.equal(k.slabPages(), start.slab, 'the object allocator holds the pages it held before the workload');
      assert.equal(leakedPages, 0, 'every page is back');
      ctx.note(`${steps} steps, ${allocated} objects allocated, ${failed} allocations failed, ${createFailed} kmem_cache_create() failed, ${checks} byte checks, ${invariantChecks} invariant checks, reports=0, bytes lost=0, pages leaked=${leakedPages}`);
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

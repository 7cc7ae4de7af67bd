/** Slab-allocator cases: KASAN's free hook (kasan_slab_free) honoured object by object. */
import {
  SLAB_TYPESAFE_BY_RCU, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { create, alloc, reportsOf, allocUntil, info, bootWithScriptedKasan, type SlabAllocatorUnderTest } from './helpers.js';

export const kasanCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: "kasan_slab_free's answer is honoured for each object",
    rules: ['slab-allocator.kasan.honour-answer'],
    requires: 'kasan',
    run(ctx) {
      const { k, kasan } = bootWithScriptedKasan(ctx);
      for (const [flags, label] of [[0, 'a cache KASAN quarantines'], [SLAB_TYPESAFE_BY_RCU, 'a SLAB_TYPESAFE_BY_RCU cache']] as const) {
        const c = create(k, `kasan_${flags}`, 64, 0, flags);
        const limit = 2 * info(k, c).objectsPerSlab + 64;
        const keep = [alloc(k, c), alloc(k, c)];
        // Not delayed: freed at once, so the next allocations reuse it.
        const a = alloc(k, c);
        k.slab.kmemCacheFree(c, a);
        assert.ok(kasan.freeCalls.includes(a), `${label}: kasan_slab_free is called on free`);
        const r1 = allocUntil(k, c, a, limit);
        assert.ok(r1.found, `${label}: an object KASAN lets go is freed at once and allocated again`);
        for (const x of r1.taken) k.slab.kmemCacheFree(c, x);
        // Delayed: never on a freelist until the quarantine releases it.
        const b = alloc(k, c);
        kasan.delay.add(b);
        k.slab.kmemCacheFree(c, b);
        const r2 = allocUntil(k, c, b, limit);
        assert.ok(!r2.found, `${label}: an object whose reuse KASAN delays is not allocated again (${r2.taken.length} allocations)`);
        for (const x of r2.taken) k.slab.kmemCacheFree(c, x);
        kasan.delay.delete(b);
        kasan.release(b);
        const r3 = allocUntil(k, c, b, limit);
        assert.ok(r3.found, `${label}: released by the quarantine, the object is allocated again`);
        for (const x of [...r3.taken, ...keep]) k.slab.kmemCacheFree(c, x);
      }
      assert.equal(k.slabReports.length, 0, `nothing reported: ${k.slabReports[0]?.message ?? ''}`);
    },
  },
  {
    name: 'a bulk free rebuilds its freelist without the objects KASAN keeps',
    rules: ['slab-allocator.kasan.bulk-rebuild'],
    requires: 'kasan',
    run(ctx) {
      const { k, kasan } = bootWithScriptedKasan(ctx);
      const c = create(k, 'kasan_bulk', 128);
      const n = 40;
      const objs = new Float64Array(n);
      for (let i = 0; i < n; i++) objs[i] = alloc(k, c);
      const odd = new Set<number>();
      for (let i = 1; i < n; i += 2) {
        odd.add(objs[i]);
        kasan.delay.add(objs[i]);
      }
      const calls = kasan.freeCalls.length;
      k.slab.kmemCacheFreeBulk(c, n, objs);
      assert.equal(kasan.freeCalls.length - calls, n, 'kasan_slab_free is asked about every object of the bulk free');
      const limit = 3 * info(k, c).objectsPerSlab + n;
      const seen = new Set<number>();
      for (let i = 0; i < limit && seen.size < limit; i++) seen.add(alloc(k, c));
      for (let i = 0; i < n; i += 2) assert.ok(seen.has(objs[i]), `object ${i} (let go by KASAN) was freed and allocated again`);
      for (const o of odd) assert.ok(!seen.has(o), `object 0x${o.toString(16)} (kept by KASAN) was not allocated again`);
      assert.equal(k.slabReports.length, 0, `nothing reported: ${k.slabReports[0]?.message ?? ''}`);
    },
  },
  {
    name: 'kmem_cache_destroy empties the quarantine of the cache first',
    rules: ['slab-allocator.kasan.cache-shutdown'],
    requires: 'kasan',
    run(ctx) {
      const { k, kasan } = bootWithScriptedKasan(ctx);
      const pages = k.slabPages();
      const c = create(k, 'kasan_shutdown', 256);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 100; i++) objs.push(alloc(k, c));
      for (const a of objs) kasan.delay.add(a);
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      assert.equal(kasan.held.length, 100, 'the scripted quarantine holds every object');
      k.slab.kmemCacheDestroy(c);
      assert.deepEqual(kasan.shutdownCalls, ['kasan_shutdown'], 'kasan_cache_shutdown() is called once, for the cache');
      assert.equal(kasan.held.length, 0, 'the quarantine gave the objects back');
      assert.equal(reportsOf(k, 'leak'), 0, 'quarantined objects are not reported as a leak');
      assert.ok(!k.slab.caches().includes(c), 'the cache is destroyed');
      assert.equal(k.slabPages(), pages, 'its pages are back');
    },
  },
];

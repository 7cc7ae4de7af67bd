/** Slab-allocator cases: kmem_cache_create(): sanity checks, alignment, slab pages, constructors, __GFP_ZERO. */
import {
  GFP_KERNEL, L1_CACHE_BYTES, PG_slab, PhysMemory, SLAB_HWCACHE_ALIGN, SLAB_POISON, __GFP_ZERO, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { KMALLOC_MAX_SIZE, boot, create, alloc, kmalloc, pattern, readBytes, sameBytes, info, headOf, totalFree, checkKernel, type SlabAllocatorUnderTest } from './helpers.js';

export const cacheCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'with CONFIG_DEBUG_VM kmem_cache_create refuses what kmem_cache_sanity_check refuses',
    rules: ['slab-allocator.cache.sanity-check-debug-vm'],
    run(ctx) {
      const k = boot(ctx);
      assert.ok(k.debug.vm, 'the case boots with CONFIG_DEBUG_VM');
      const n = k.slab.caches().length;
      const bad: [string, number][] = [['', 64], ['too_small', 7], ['one', 1], ['zero', 0], ['too_big', KMALLOC_MAX_SIZE + 1], ['negative', -64]];
      for (const [name, size] of bad) {
        assert.equal(k.slab.kmemCacheCreate(name, size, 0, 0), null, `kmem_cache_create('${name}', ${size})`);
      }
      assert.equal(k.slab.caches().length, n, 'refused caches are not in slab_caches');
      assert.ok(k.dmesg().some((l) => l.includes('kmem_cache_create(too_small) integrity check failed')), 'the refusal is logged as kmem_cache_sanity_check() words it');
      const a = create(k, 'dup', 8);
      const b = create(k, 'dup', 8, 64);
      assert.ok(a !== b, 'two caches of the same name are allowed and distinct');
      assert.equal(k.slab.caches().length, n + 2, 'slab_caches after two creates');
    },
  },
  {
    name: "under 4.17's defaults kmem_cache_create runs no sanity check",
    rules: ['slab-allocator.cache.no-sanity-check'],
    run(ctx) {
      const k = boot(ctx);
      assert.ok(!k.debug.vm, 'the case boots without CONFIG_DEBUG_VM');
      const n = k.slab.caches().length;
      for (const size of [1, 4, 7]) {
        const c = k.slab.kmemCacheCreate(`small_${size}`, size, 0, 0);
        assert.ok(c, `kmem_cache_create('small_${size}', ${size}) is accepted without CONFIG_DEBUG_VM`);
        assert.atLeast(c.size, 8, `an object of ${size} bytes takes at least a word`);
        const objs = new Set<number>();
        for (let i = 0; i < 3; i++) objs.add(alloc(k, c));
        assert.equal(objs.size, 3, `objects of ${size} bytes are distinct`);
        for (const o of objs) k.slab.kmemCacheFree(c, o);
      }
      for (const [name, size] of [['', 64], ['too_big', KMALLOC_MAX_SIZE + 1]] as const) {
        assert.equal(k.slab.kmemCacheCreate(name, size, 0, 0), null, `kmem_cache_create('${name}', ${size}) is still refused`);
      }
      assert.equal(k.slab.caches().length, n + 3, 'slab_caches holds the three small caches');
      assert.ok(!k.dmesg().some((l) => l.includes('integrity check failed')), 'no kmem_cache_sanity_check() runs');
    },
  },
  {
    name: 'object alignment',
    rules: ['slab-allocator.cache.alignment'],
    run(ctx) {
      const k = boot(ctx);
      const specs: [number, number, number, number][] = [
        // size, align, flags, expected alignment
        [100, 0, 0, 8],
        [100, 0, SLAB_HWCACHE_ALIGN, L1_CACHE_BYTES],
        [20, 0, SLAB_HWCACHE_ALIGN, 32],
        [12, 0, SLAB_HWCACHE_ALIGN, 16],
        [100, 128, 0, 128],
        [24, 16, 0, 16],
      ];
      for (const [size, align, flags, want] of specs) {
        const c = create(k, `align_${size}_${align}_${flags}`, size, align, flags);
        for (let i = 0; i < 64; i++) {
          const a = alloc(k, c);
          assert.equal(a % want, 0, `object 0x${a.toString(16)} of a ${size}-byte cache, align ${align}, flags 0x${flags.toString(16)}: aligned to ${want}`);
        }
      }
    },
  },
  {
    name: 'objects live in PG_slab pages and never overlap',
    rules: ['slab-allocator.cache.slab-pages'],
    run(ctx) {
      const k = boot(ctx);
      const caches = [create(k, 'a', 8), create(k, 'b', 200), create(k, 'c', 3000), create(k, 'd', 64, 0, SLAB_HWCACHE_ALIGN)];
      const live: [number, number, string][] = [];
      for (let i = 0; i < 400; i++) {
        for (const c of caches) live.push([alloc(k, c), c.objectSize, c.name]);
        const n = 1 + (i % 200);
        live.push([kmalloc(k, n), n, `kmalloc(${n})`]);
      }
      for (const [a, size, name] of live) {
        for (const end of [a, a + size - 1]) {
          const pfn = PhysMemory.pfnOf(end);
          assert.ok(k.pages.testFlag(headOf(k, pfn), PG_slab), `${name} object 0x${a.toString(16)}: pfn ${pfn} belongs to a PG_slab page`);
        }
      }
      live.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < live.length; i++) {
        const [pa, ps, pn] = live[i - 1];
        assert.ok(pa + ps <= live[i][0], `${pn} object 0x${pa.toString(16)} (+${ps}) overlaps ${live[i][2]} object 0x${live[i][0].toString(16)}`);
      }
    },
  },
  {
    name: 'constructors run once per object, at slab creation',
    rules: ['slab-allocator.cache.ctor-once'],
    run(ctx) {
      const k = boot(ctx);
      let calls = 0;
      const magic = Uint8Array.from([0xc0, 0xde, 0xc0, 0xde, 0x12, 0x34, 0x56, 0x78]);
      const c = create(k, 'ctor_objs', 96, 0, 0, (addr) => {
        calls++;
        k.phys.write(addr, magic);
      });
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 100; i++) objs.push(alloc(k, c));
      for (const a of objs) assert.equal(sameBytes(readBytes(k, a, 8), magic), -1, `object 0x${a.toString(16)} holds what the constructor wrote`);
      const si = info(k, c);
      assert.equal(calls, si.numObjs, `constructor calls against the objects of the slabs created (${si.numSlabs} slabs × ${si.objectsPerSlab})`);
      // An object freed in its constructed state (with a field set by its user) comes back as it was.
      const state = pattern(7, 88);
      for (const a of objs) k.phys.write(a + 8, state);
      const callsBefore = calls;
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      const again: ObjAddr[] = [];
      for (let i = 0; i < 100; i++) again.push(alloc(k, c));
      const reused = again.filter((a) => objs.includes(a));
      assert.ok(reused.length > 0, 'freed objects are allocated again');
      for (const a of reused) {
        assert.equal(sameBytes(readBytes(k, a, 8), magic), -1, `reused object 0x${a.toString(16)} is still constructed`);
        assert.equal(sameBytes(readBytes(k, a + 8, 88), state), -1, `reused object 0x${a.toString(16)} keeps the state it was freed with`);
      }
      assert.equal(calls - callsBefore, info(k, c).numObjs - si.numObjs, 'the constructor ran only for objects of new slabs');
    },
  },
  {
    name: 'a constructor that is not a function is refused at kmem_cache_create()',
    rules: ['slab-allocator.cache.ctor-not-function'],
    run(ctx) {
      const k = boot(ctx);
      const before = k.slab.caches().length;
      for (const bad of [42, 'ctor', {}, [], true]) {
        const logBefore = k.dmesg().length;
        const c = k.slab.kmemCacheCreate('bad_ctor', 64, 0, 0, bad as unknown as (addr: ObjAddr) => void);
        assert.equal(c, null, `kmem_cache_create() with a ${Array.isArray(bad) ? 'array' : typeof bad} constructor`);
        assert.ok(k.dmesg().length > logBefore, 'the refusal is logged');
      }
      assert.equal(k.slab.caches().length, before, 'no cache was created');
      const none = create(k, 'null_ctor', 64, 0, 0, null as unknown as undefined); // NULL: no constructor
      alloc(k, none);
    },
  },
  {
    name: 'a constructor that throws: the allocation fails and the new slab is given back',
    rules: ['slab-allocator.cache.ctor-throws'],
    run(ctx) {
      const k = boot(ctx);
      let throwing = true;
      let calls = 0;
      const c = create(k, 'throwing_ctor', 200, 0, 0, () => {
        calls++;
        if (throwing && calls === 3) throw new Error('ctor failed');
      });
      const free = totalFree(k);
      const logBefore = k.dmesg().length;
      assert.equal(k.slab.kmemCacheAlloc(c, GFP_KERNEL), 0, 'kmem_cache_alloc() whose new slab has a throwing constructor');
      assert.ok(k.dmesg().length > logBefore, 'the failure is logged');
      const si = info(k, c);
      assert.deepEqual([si.numSlabs, si.numObjs, si.activeObjs], [0, 0, 0], 'no slab is left in the cache');
      assert.equal(totalFree(k), free, 'every page of the slab went back to the page allocator');
      checkKernel(k, 'after the failed allocation');
      throwing = false;
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      const out = new Float64Array(3);
      throwing = true;
      calls = 0;
      k.slab.kmemCacheShrink(c);
      if (ctx.supports.bulk) {
        // A bulk allocation whose new slab fails keeps nothing either.
        const got = k.slab.kmemCacheAllocBulk(c, GFP_KERNEL, 3, out);
        assert.ok(got === 0 || got === 3, `kmem_cache_alloc_bulk() returned ${got}`);
        if (got === 3) k.slab.kmemCacheFreeBulk(c, 3, out);
      }
      throwing = false;
      k.slab.kmemCacheShrink(c);
      k.slab.kmemCacheDestroy(c);
      assert.equal(totalFree(k), free, 'everything given back after the cache is destroyed');
      // With SLAB_POISON (SLAB runs the constructor at each allocation then): the same.
      let poisonCalls = 0;
      const p = create(k, 'throwing_poison_ctor', 200, 0, SLAB_POISON, () => {
        if (++poisonCalls === 3) throw new Error('ctor failed');
      });
      const got: ObjAddr[] = [];
      for (let i = 0; i < 10; i++) got.push(k.slab.kmemCacheAlloc(p, GFP_KERNEL));
      assert.ok(got.includes(0), 'an allocation whose constructor threw returned NULL');
      for (const a of got) if (a) k.slab.kmemCacheFree(p, a);
      k.slab.kmemCacheShrink(p);
      assert.equal(info(k, p).activeObjs, 0, 'no object of the poisoned cache is left taken');
      k.slab.kmemCacheDestroy(p);
      assert.equal(totalFree(k), free, 'everything given back after the poisoned cache is destroyed');
      checkKernel(k, 'at the end');
      assert.equal(k.slabReports.length, 0, `no misuse reported: ${k.slabReports[0]?.message ?? ''}`);
    },
  },
  {
    name: 'a constructor that allocates from its own cache is refused, not recursed into; one that frees into it is handled',
    rules: ['slab-allocator.cache.ctor-own-cache'],
    run(ctx) {
      const k = boot(ctx);
      let nested: ObjAddr[] = [];
      let mode: 'alloc' | 'free' | 'none' = 'alloc';
      const spare: ObjAddr[] = [];
      // eslint-disable-next-line prefer-const
      let c: ReturnType<typeof create>;
      const ctor = () => {
        if (mode === 'alloc') nested.push(k.slab.kmemCacheAlloc(c, GFP_KERNEL));
        else if (mode === 'free' && spare.length) k.slab.kmemCacheFree(c, spare.pop()!);
      };
      c = create(k, 'selfish_ctor', 128, 0, 0, ctor);
      const free = totalFree(k);
      const logBefore = k.dmesg().length;
      const a = k.slab.kmemCacheAlloc(c, GFP_KERNEL);
      assert.ok(a !== 0, 'the outer allocation succeeds');
      assert.ok(nested.length > 0 && nested.every((x) => x === 0), 'every allocation from inside the constructor of a new slab of the same cache is refused (NULL)');
      assert.ok(k.dmesg().length > logBefore, 'the refusal is logged');
      checkKernel(k, 'after the refused nested allocations');
      // A constructor freeing objects of its own cache while a new slab is set up.
      mode = 'none';
      const objs: ObjAddr[] = [a];
      for (let i = 0; i < 200; i++) objs.push(alloc(k, c));
      for (const o of objs.splice(100, 50)) spare.push(o);
      mode = 'free';
      for (let i = 0; i < 400; i++) objs.push(alloc(k, c));
      mode = 'none';
      for (const o of spare.splice(0)) objs.push(o);
      assert.equal(new Set(objs).size, objs.length, 'the live objects are distinct');
      checkKernel(k, 'after constructors freed into their own cache');
      nested = [];
      for (const o of objs) k.slab.kmemCacheFree(c, o);
      k.slab.kmemCacheShrink(c);
      assert.deepEqual([info(k, c).activeObjs, info(k, c).numSlabs], [0, 0], 'every object freed, every slab given back');
      k.slab.kmemCacheDestroy(c);
      assert.equal(totalFree(k), free, 'every page back after the cache is destroyed');
      assert.equal(k.slabReports.length, 0, `no misuse reported: ${k.slabReports[0]?.message ?? ''}`);
    },
  },
  {
    name: '__GFP_ZERO returns zeroed objects',
    rules: ['slab-allocator.cache.zero'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'zero_objs', 200);
      const dirty: ObjAddr[] = [];
      for (let i = 0; i < 50; i++) {
        const a = alloc(k, c);
        k.phys.fill(a, 200, 0xff);
        dirty.push(a);
      }
      for (const a of dirty) k.slab.kmemCacheFree(c, a);
      for (let i = 0; i < 50; i++) {
        const a = alloc(k, c, GFP_KERNEL | __GFP_ZERO);
        const bytes = readBytes(k, a, 200);
        assert.equal(bytes.findIndex((b) => b !== 0), -1, `kmem_cache_zalloc object 0x${a.toString(16)}${dirty.includes(a) ? ' (reused)' : ''} is all zero`);
      }
      for (const size of [64, 100, 1000]) {
        const a = kmalloc(k, size);
        k.phys.fill(a, size, 0xaa);
        k.slab.kfree(a);
        const b = kmalloc(k, size, GFP_KERNEL | __GFP_ZERO);
        assert.equal(readBytes(k, b, size).findIndex((x) => x !== 0), -1, `kzalloc(${size}) is all zero`);
      }
    },
  },
];

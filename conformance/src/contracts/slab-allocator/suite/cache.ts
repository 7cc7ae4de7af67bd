/** Slab-allocator cases: kmem_cache_create(): sanity checks, alignment, slab pages, constructors, __GFP_ZERO. */
import {
  GFP_KERNEL, L1_CACHE_BYTES, PG_slab, PhysMemory, SLAB_HWCACHE_ALIGN, __GFP_ZERO, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { KMALLOC_MAX_SIZE, boot, create, alloc, kmalloc, pattern, readBytes, sameBytes, info, headOf, type SlabAllocatorUnderTest } from './helpers.js';

export const cacheCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'kmem_cache_create refuses what kmem_cache_sanity_check refuses',
    rules: ['slab-allocator.cache.create-sanity'],
    run(ctx) {
      const k = boot(ctx);
      const n = k.slab.caches().length;
      const bad: [string, number, number][] = [['', 64, 0], ['too_small', 7, 0], ['zero', 0, 0], ['too_big', KMALLOC_MAX_SIZE + 1, 0], ['align3', 64, 3], ['align24', 64, 24], ['negative', -64, 0]];
      for (const [name, size, align] of bad) {
        assert.equal(k.slab.kmemCacheCreate(name, size, align, 0), null, `kmem_cache_create('${name}', ${size}, ${align})`);
      }
      assert.equal(k.slab.caches().length, n, 'refused caches are not in slab_caches');
      const a = create(k, 'dup', 8);
      const b = create(k, 'dup', 8, 64);
      assert.ok(a !== b, 'two caches of the same name are allowed and distinct');
      assert.equal(k.slab.caches().length, n + 2, 'slab_caches after two creates');
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

import {
  GFP_KERNEL,
  PAGE_SIZE,
  PG_slab,
  POISON_END,
  POISON_FREE,
  SLAB_CONSISTENCY_CHECKS,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_TYPESAFE_BY_RCU,
  SLUB_RED_ACTIVE,
  ZERO_SIZE_PTR,
  __GFP_NOWARN,
  __GFP_ZERO,
  type KasanHooks,
  type KmemCache,
  type ObjAddr,
} from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { SlubCache } from '../src/cache.js';
import type { Slub } from '../src/slub.js';
import { doSlabFree, getFreepointer, type SlubHooks } from '../src/internals.js';
import { createFixture } from './test-fixture.js';

function fillPattern(f: ReturnType<typeof createFixture>, addr: number, len: number, seed: number): void {
  const buf = new Uint8Array(len);
  for (let i = 0; i < len; i++) buf[i] = (seed * 31 + i * 7) & 0xff;
  f.machine.phys.write(addr, buf);
}

function checkPattern(f: ReturnType<typeof createFixture>, addr: number, len: number, seed: number): boolean {
  const buf = new Uint8Array(len);
  f.machine.phys.read(addr, buf);
  for (let i = 0; i < len; i++) if (buf[i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

describe('kmem_cache_init()', () => {
  it('creates the boot caches, then the kmalloc and dma-kmalloc caches of 4.17, in slab_caches order', () => {
    const f = createFixture();
    // kmem_cache_init(): bootstrap() adds kmem_cache, then kmem_cache_node; create_kmalloc_caches()
    // the kmalloc caches (96 after 64, 192 after 128), then CONFIG_ZONE_DMA's in index order.
    const kmalloc = ['8', '16', '32', '64', '96', '128', '192', '256', '512', '1024', '2048', '4096', '8192'];
    const dma = ['96', '192', '8', '16', '32', '64', '128', '256', '512', '1024', '2048', '4096', '8192'];
    expect(f.slub.caches().map((c) => c.name)).toEqual([
      'kmem_cache', 'kmem_cache_node', ...kmalloc.map((n) => `kmalloc-${n}`), ...dma.map((n) => `dma-kmalloc-${n}`),
    ]);
    // every cache is described by a struct kmem_cache and one struct kmem_cache_node per node
    const caches = f.slub.caches();
    for (const c of caches.slice(0, 2)) {
      f.slub.kmemCacheShrink(c); // flush_all(): a cpu slab counts as in use in slabinfo
      expect(f.slub.slabinfo(c).activeObjs).toBe(caches.length);
    }
    expect([caches[0].objectSize, caches[0].size, caches[1].objectSize, caches[1].size]).toEqual([336, 384, 64, 64]);
    expect(f.slub.name).toBe('slub');
    expect(f.slub.supports).toEqual({ bulk: true, kasan: true, hardenedFreelist: true });
    expect(f.slub.kmallocMaxCacheSize).toBe(8192);
    expect(f.slub.kmallocMaxSize).toBe(4 << 20);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('slabinfo of the kmalloc caches on 2 CPUs: objperslab and pagesperslab as /proc/slabinfo shows them', () => {
    const f = createFixture({ nrCpus: 2 });
    const got = Object.fromEntries(f.slub.caches().map((c) => [c.name, [f.slub.slabinfo(c).objectsPerSlab, f.slub.slabinfo(c).pagesPerSlab]]));
    const kmalloc = {
      'kmalloc-8': [512, 1], 'kmalloc-16': [256, 1], 'kmalloc-32': [128, 1], 'kmalloc-64': [64, 1], 'kmalloc-96': [42, 1],
      'kmalloc-128': [32, 1], 'kmalloc-192': [21, 1], 'kmalloc-256': [16, 1], 'kmalloc-512': [16, 2], 'kmalloc-1024': [16, 4],
      'kmalloc-2048': [16, 8], 'kmalloc-4096': [8, 8], 'kmalloc-8192': [4, 8],
    };
    expect(got).toEqual({
      kmem_cache: [21, 2], kmem_cache_node: [64, 1], ...kmalloc,
      ...Object.fromEntries(Object.entries(kmalloc).map(([n, v]) => [`dma-${n}`, v])),
    });
  });
});

describe('kmem_cache_create()', () => {
  it('with CONFIG_DEBUG_VM refuses what kmem_cache_sanity_check() refuses, with a log line', () => {
    const f = createFixture({ debug: { vm: true } });
    expect(f.slub.kmemCacheCreate('', 32, 0, 0)).toBeNull();
    expect(f.slub.kmemCacheCreate('tiny', 4, 0, 0)).toBeNull();
    expect(f.slub.kmemCacheCreate('huge', (4 << 20) + 1, 0, 0)).toBeNull();
    expect(f.slub.kmemCacheCreate('odd', 32, 24, 0)).toBeNull();
    expect(f.machine.logs.filter((l) => l.includes('kmem_cache_create')).length).toBe(4);
    expect(f.slub.kmemCacheCreate('ok', 8, 0, 0)).not.toBeNull();
    expect(f.slub.kmemCacheCreate('ok', 8, 0, 0)).not.toBeNull(); // duplicate names are allowed
  });

  it('ORs SLAB_KASAN in when KASAN is present (kasan_cache_create())', () => {
    const kasan: KasanHooks = { slabFree: () => false, slabAlloc: () => {}, cacheShutdown: () => {} };
    const f = createFixture({ kasan });
    const c = f.slub.kmemCacheCreate('k', 32, 0, 0)!;
    expect(c.flags & SLAB_KASAN).toBe(SLAB_KASAN);
    expect(c.size).toBe(48);
    expect(createFixture().slub.kmemCacheCreate('k', 32, 0, 0)!.flags & SLAB_KASAN).toBe(0);
  });
});

describe('allocation and free', () => {
  it('keeps the data of objects of several caches and CPUs intact', () => {
    const f = createFixture({ nrCpus: 4 });
    const caches = [f.slub.kmemCacheCreate('a', 24, 0, 0)!, f.slub.kmemCacheCreate('b', 200, 0, 0)!, f.slub.kmemCacheCreate('c', 3000, 0, 0)!];
    const live: { c: KmemCache; addr: number; seed: number }[] = [];
    let seed = 1;
    for (let round = 0; round < 200; round++) {
      const cpu = round % 4;
      f.machine.sched.onCpu(cpu, () => {
        for (const c of caches) {
          const addr = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
          expect(addr).toBeGreaterThan(0);
          fillPattern(f, addr, c.objectSize, seed);
          live.push({ c, addr, seed: seed++ });
        }
        if (round % 3 === 0) {
          const victim = live.splice((round * 7) % live.length, 1)[0];
          expect(checkPattern(f, victim.addr, victim.c.objectSize, victim.seed)).toBe(true);
          f.slub.kmemCacheFree(victim.c, victim.addr);
        }
      });
    }
    const addrs = new Set(live.map((l) => l.addr));
    expect(addrs.size).toBe(live.length);
    for (const l of live) expect(checkPattern(f, l.addr, l.c.objectSize, l.seed)).toBe(true);
    for (const [i, l] of live.entries()) f.machine.sched.onCpu(i % 4, () => f.slub.kmemCacheFree(l.c, l.addr));
    expect(f.reports).toEqual([]);
    for (const c of caches) f.slub.kmemCacheDestroy(c);
    expect(f.reports).toEqual([]);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
    expect(f.slub.caches().length).toBe(28);
  });

  it('hands out objects in address order from a new slab and sets PG_slab, page->slab_cache', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('ord', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(b - a).toBe(64);
    expect(a % PAGE_SIZE).toBe(0);
    const pfn = a / PAGE_SIZE;
    expect(f.machine.pages.testFlag(pfn, PG_slab)).toBe(true);
    expect(f.machine.pages.getMapping(pfn)).toBe(c.id);
    // LIFO reuse on the cpu freelist
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
  });

  it('runs the ctor once per object when a slab is created', () => {
    const f = createFixture();
    const seen: number[] = [];
    const c = f.slub.kmemCacheCreate('ctor', 100, 0, 0, (addr) => seen.push(addr))!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const objects = f.slub.slabinfo(c).objectsPerSlab;
    expect(seen.length).toBe(objects);
    expect(new Set(seen).size).toBe(objects);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(seen.length).toBe(objects);
  });

  it('__GFP_ZERO clears object_size bytes', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('z', 40, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.machine.phys.fill(a, 40, 0xee);
    f.slub.kmemCacheFree(c, a);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL | __GFP_ZERO);
    expect(b).toBe(a);
    const buf = new Uint8Array(40);
    f.machine.phys.read(b, buf);
    expect(buf.every((x) => x === 0)).toBe(true);
  });

  it('failslab: should_failslab() makes the allocation fail', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('fail', 64, 0, 0)!;
    f.failing.add('fail');
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(0);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 4, new Float64Array(4))).toBe(0);
    f.failing.add('kmalloc-64');
    expect(f.slub.kmalloc(50, GFP_KERNEL)).toBe(0);
    f.failing.clear();
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(0);
  });

  it('falls back to order s->min when the page allocator has no block of order oo', () => {
    const f = createFixture({ nrPages: 64 + 5 }); // kmem_cache_init() takes 5 pages (kmem_cache: 2 order-1 slabs, kmem_cache_node: 1)
    const c = f.slub.kmemCacheCreate('big', 1024, 0, 0)!; // order 2, 16 objects on 2 CPUs
    const held: number[] = [];
    for (;;) {
      const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL | __GFP_NOWARN);
      if (!a) break;
      held.push(a);
    }
    // 63 usable pages: 15 order-2 slabs (60 pages, 240 objects), then 3 order-0 slabs of 4
    expect(held.length).toBe(240 + 12);
    expect(f.slub.slabinfo(c).numSlabs).toBe(18);
    for (const a of held) f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheDestroy(c);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
    expect(f.reports).toEqual([]);
  });
});

describe('partial lists, shrink and destroy', () => {
  it('per-cpu partials: a full slab freed into is frozen onto c->partial; page->pobjects counts its free objects then', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('cp', 512, 0, 0)!; // 16 objects per order-1 slab, cpu_partial 13
    const held: number[] = [];
    for (let i = 0; i < 16 * 10; i++) held.push(f.slub.kmemCacheAlloc(c, GFP_KERNEL));
    for (const a of held) f.slub.kmemCacheFree(c, a);
    // each slab entered c->partial with 1 free object: pobjects reached 9 <= 13, no drain;
    // slabs on c->partial (and the cpu slab) count as active in slabinfo
    expect(f.slub.slabinfo(c)).toMatchObject({ numSlabs: 10, numObjs: 160, activeObjs: 160 });
    // the next full slab's first free drains when pobjects > cpu_partial
    const more: number[] = [];
    for (let i = 0; i < 16 * 10 + 16 * 5; i++) more.push(f.slub.kmemCacheAlloc(c, GFP_KERNEL));
    expect(f.slub.kmemCacheShrink(c)).toBe(1);
    for (const a of more) f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheShrink(c)).toBe(0);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('without per-cpu partials (a debug cache), keeps min_partial empty slabs and discards the others on free', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('p', 512, 0, SLAB_CONSISTENCY_CHECKS)!; // 16 objects per order-1 slab, min_partial 5
    const held: number[] = [];
    for (let i = 0; i < 16 * 10; i++) held.push(f.slub.kmemCacheAlloc(c, GFP_KERNEL));
    expect(f.slub.slabinfo(c).numSlabs).toBe(10);
    for (const a of held) f.slub.kmemCacheFree(c, a);
    const info = f.slub.slabinfo(c);
    // a debug cache has no cpu slab; __slab_free() discards an empty slab when
    // n->nr_partial >= min_partial, counting the slab itself: 4 empty slabs stay on the partial
    // list, the 5th and later go back
    expect(info).toMatchObject({ numSlabs: 4, numObjs: 64, activeObjs: 0 });
    expect(f.slub.kmemCacheShrink(c)).toBe(0);
    expect(f.slub.slabinfo(c).numSlabs).toBe(0);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('shrink keeps slabs in use and returns 1', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('s', 256, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(f.slub.kmemCacheShrink(c)).toBe(1);
    expect(f.slub.slabinfo(c)).toMatchObject({ numSlabs: 1, activeObjs: 1, numObjs: 16 });
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheShrink(c)).toBe(0);
  });

  it('destroy with live objects reports a leak and keeps the cache usable', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('leaky', 128, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheDestroy(c);
    expect(f.reports.map((r) => r.kind)).toEqual(['leak']);
    expect(f.reports[0].message).toBe('kmem_cache_destroy leaky: Slab cache still has objects');
    expect(f.machine.logs.some((l) => l.includes('Objects remaining in leaky on __kmem_cache_shutdown()'))).toBe(true);
    expect(f.slub.caches()).toContain(c);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, b);
    f.slub.kmemCacheDestroy(c);
    expect(f.slub.caches()).not.toContain(c);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
    f.slub.kmemCacheDestroy(c);
    expect(f.reports.at(-1)!.kind).toBe('wrong-cache');
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(0);
  });

  it('frees from another CPU go to page->freelist and come back through get_freelist()', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('remote', 1024, 0, 0)!;
    const objs = f.machine.sched.onCpu(0, () => Array.from({ length: 16 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL)));
    expect(f.slub.slabinfo(c).numSlabs).toBe(1);
    f.machine.sched.onCpu(1, () => {
      for (const a of objs.slice(0, 4)) f.slub.kmemCacheFree(c, a);
    });
    // CPU 0's c->freelist is empty: get_freelist() takes the 4 remote frees
    const again = f.machine.sched.onCpu(0, () => Array.from({ length: 4 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL)));
    expect(new Set(again)).toEqual(new Set(objs.slice(0, 4)));
    expect(f.slub.slabinfo(c).numSlabs).toBe(1);
  });
});

describe('misuse is reported and changes nothing', () => {
  it('slub_debug=F: double free, invalid pointers, wrong cache, kfree of a non-slab page', () => {
    const f = createFixture({ debug: { slubDebug: 'F' } });
    const c = f.slub.kmemCacheCreate('m', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, a);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'double-free', cache: 'm' });
    expect(f.reports.at(-1)!.message).toContain('Object already free');
    f.slub.kmemCacheFree(c, b + 8);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'invalid-free' });
    f.slub.kmemCacheFree(c, 5000 * PAGE_SIZE);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'invalid-free' });
    f.slub.kfree(6000 * PAGE_SIZE + 64);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'invalid-free', cache: undefined });
    f.slub.kfree(b + 1);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'invalid-free' });
    expect(f.reports.length).toBe(5);
    // nothing changed: b is still allocated, a is reused once
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    const e = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(e).not.toBe(a);
    expect(e).not.toBe(b);
    f.slub.kmemCacheFree(c, b);
    expect(f.reports.length).toBe(5);
  });

  it('cache_from_obj(): an object freed to the wrong cache goes back to its own; warned about (once) only with slub_debug=F or CONFIG_SLAB_FREELIST_HARDENED', () => {
    for (const debug of [{}, { slubDebug: 'F' }, { slubDebug: 'F,n' }, { slubDebug: 'F,m' }, { freelistHardened: true }]) {
      const f = createFixture({ debug });
      const c = f.slub.kmemCacheCreate('m', 64, 0, 0)!;
      const d = f.slub.kmemCacheCreate('n', 64, 0, 0)!;
      const x = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      const y = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
      f.slub.kmemCacheFree(d, b);
      // the check is on the cache the object is freed to (cache_from_obj(s, x) tests s->flags)
      const warns = 'freelistHardened' in debug || debug.slubDebug === 'F' || debug.slubDebug === 'F,n';
      expect(f.reports, JSON.stringify(debug)).toEqual(warns ? [{ kind: 'wrong-cache', cache: 'n', addr: b, message: 'WARNING: cache_from_obj: Wrong slab cache. n but object is from m' }] : []);
      const before = f.reports.length;
      f.slub.kmemCacheFree(c, b); // freed into its own cache: now a double free
      // caught by free_consistency_checks() when m has slub_debug=F, by the hardened
      // set_freepointer()'s BUG_ON(object == fp) (b heads m's per-cpu freelist); else not at all
      const caught = debug.slubDebug === 'F' || debug.slubDebug === 'F,m' || 'freelistHardened' in debug;
      expect(f.reports.length - before, JSON.stringify(debug)).toBe(caught ? 1 : 0);
      if (caught) expect(f.reports.at(-1)).toMatchObject({ kind: 'double-free', cache: 'm' });
      const n = f.reports.length;
      f.slub.kmemCacheFree(d, x); // WARN_ONCE
      expect(f.reports.length).toBe(n);
      expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(x); // x went back to m's per-cpu freelist
      f.slub.kmemCacheFree(c, x);
      f.slub.kmemCacheFree(c, y);
    }
  });

  it('kmem_cache_sanity_check() is CONFIG_DEBUG_VM only: without it a small object is rounded up to a word', () => {
    const f = createFixture({ debug: { vm: false } });
    const tiny = f.slub.kmemCacheCreate('tiny', 4, 0, 0)!;
    expect(tiny).not.toBeNull();
    expect(tiny.objectSize).toBe(4);
    expect(tiny.size).toBe(8);
    expect(f.slub.kmemCacheCreate('', 32, 0, 0)).toBeNull(); // kstrdup_const(NULL)
    expect(f.slub.kmemCacheCreate('huge', (4 << 20) + 1, 0, 0)).toBeNull(); // no slab holds it
    expect(f.machine.logs).toEqual(['kmem_cache_create((null)) failed with error -12', 'kmem_cache_create(huge) failed with error -22']);
  });

  it('slub_debug=F: a corrupt free pointer (use-after-free write) is reported and never followed', () => {
    const f = createFixture({ debug: { slubDebug: 'F' } });
    const c = f.slub.kmemCacheCreate('uaf', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.machine.phys.writeU64(a, 0xdead000); // the free pointer is the first word
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports.map((r) => r.kind)).toEqual(['poison']);
    expect(f.reports[0].message).toContain('Freepointer corrupt');
    const next = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(Math.floor(next / PAGE_SIZE)).not.toBe(Math.floor(a / PAGE_SIZE)); // the slab is isolated
    f.slub.kmemCacheFree(c, a);
    f.slub.kmemCacheFree(c, b);
    f.slub.kmemCacheFree(c, next);
    expect(f.reports.length).toBe(1);
    f.slub.kmemCacheDestroy(c);
    expect(f.reports.length).toBe(1);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('SLAB_RED_ZONE with slub_debug=F: a write past the object is reported on free, and the object is freed', () => {
    const f = createFixture({ debug: { slubDebug: 'F' } });
    const c = f.slub.kmemCacheCreate('rz', 64, 0, SLAB_RED_ZONE)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const rz = new Uint8Array(8);
    f.machine.phys.read(a + 64, rz);
    expect([...rz]).toEqual(new Array(8).fill(SLUB_RED_ACTIVE));
    f.machine.phys.fill(a + 64, 2, 0x41);
    f.slub.kmemCacheFree(c, a);
    expect(f.reports.map((r) => r.kind)).toEqual(['redzone']);
    expect(f.reports[0].message).toContain('Redzone overwritten');
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports.length).toBe(1);
  });

  it('SLAB_POISON with slub_debug=F: free objects hold POISON_FREE/POISON_END; a write after free is reported on alloc', () => {
    const f = createFixture({ debug: { slubDebug: 'F' } });
    const c = f.slub.kmemCacheCreate('poison', 32, 0, SLAB_POISON)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.machine.phys.fill(a, 32, 0);
    f.slub.kmemCacheFree(c, a);
    const buf = new Uint8Array(32);
    f.machine.phys.read(a, buf);
    expect(buf[0]).toBe(POISON_FREE);
    expect(buf[31]).toBe(POISON_END);
    f.machine.phys.fill(a + 4, 1, 0x00);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports.map((r) => r.kind)).toEqual(['poison']);
    expect(f.reports[0].message).toContain('Poison overwritten');
  });

  it('SLAB_RED_ZONE and SLAB_POISON without SLAB_CONSISTENCY_CHECKS: red zones and poison are written, never checked (4.17 checks them only with F)', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('rz-nocheck', 64, 0, SLAB_RED_ZONE | SLAB_POISON)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const rz = new Uint8Array(8);
    f.machine.phys.read(a + 64, rz);
    expect([...rz]).toEqual(new Array(8).fill(SLUB_RED_ACTIVE)); // init_object(SLUB_RED_ACTIVE)
    f.machine.phys.fill(a + 64, 2, 0x41); // past the object
    f.slub.kmemCacheFree(c, a);
    const buf = new Uint8Array(64);
    f.machine.phys.read(a, buf);
    expect(buf[0]).toBe(POISON_FREE); // init_object(SLUB_RED_INACTIVE) poisons
    f.machine.phys.fill(a + 4, 1, 0x00); // after the free
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports).toEqual([]);
  });
});

describe('kmalloc', () => {
  it('size classes, ZERO_SIZE_PTR, kmalloc_large and the limit', () => {
    const f = createFixture();
    const owner = (a: number) => f.slub.caches().find((c) => (c as SlubCache).id === f.machine.pages.getMapping(Math.floor(a / PAGE_SIZE)))!.name;
    expect(owner(f.slub.kmalloc(1, GFP_KERNEL))).toBe('kmalloc-8');
    expect(owner(f.slub.kmalloc(65, GFP_KERNEL))).toBe('kmalloc-96');
    expect(owner(f.slub.kmalloc(97, GFP_KERNEL))).toBe('kmalloc-128');
    expect(owner(f.slub.kmalloc(129, GFP_KERNEL))).toBe('kmalloc-192');
    expect(owner(f.slub.kmalloc(8192, GFP_KERNEL))).toBe('kmalloc-8192');
    expect(f.slub.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    expect(f.slub.ksize(ZERO_SIZE_PTR)).toBe(0);
    f.slub.kfree(ZERO_SIZE_PTR);
    f.slub.kfree(0);
    const x = f.slub.kmalloc(100, GFP_KERNEL);
    expect(f.slub.ksize(x)).toBe(128);
    const before = f.machine.allocatedPages();
    const big = f.slub.kmalloc(8193, GFP_KERNEL);
    expect(big % PAGE_SIZE).toBe(0);
    expect(f.machine.pages.testFlag(big / PAGE_SIZE, PG_slab)).toBe(false);
    expect(f.slub.ksize(big)).toBe(4 * PAGE_SIZE);
    expect(f.machine.allocatedPages()).toBe(before + 4);
    f.slub.kfree(big);
    expect(f.machine.allocatedPages()).toBe(before);
    f.slub.kfree(big);
    expect(f.reports.at(-1)).toMatchObject({ kind: 'invalid-free' });
    expect(f.slub.kmalloc((4 << 20) + 1, GFP_KERNEL)).toBe(0);
    expect(f.machine.logs.some((l) => l.includes('WARNING'))).toBe(true);
    const max = f.slub.kmalloc(4 << 20, GFP_KERNEL);
    expect(max).not.toBe(0);
    f.slub.kfree(max);
  });
});

describe('bulk', () => {
  it('kmem_cache_alloc_bulk and kmem_cache_free_bulk', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('bulk', 96, 0, 0)!;
    const out = new Float64Array(100);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL | __GFP_ZERO, 100, out)).toBe(100);
    expect(new Set(out).size).toBe(100);
    expect(f.slub.slabinfo(c).numSlabs).toBe(3);
    // free in a shuffled order
    const shuffled = new Float64Array([...out].reverse());
    f.slub.kmemCacheFreeBulk(c, shuffled.length, shuffled);
    expect(f.reports).toEqual([]);
    expect(f.slub.validateFreelists(10)).toEqual([]);
    expect(shuffled[0]).toBe(out[99]); // the caller's array is left as it was
    // slab 1 went to c->partial (42 free); slab 2's put_cpu_partial() drained it to the node
    // (pobjects 42 > cpu_partial 30): only its objects count as free
    expect(f.slub.slabinfo(c)).toMatchObject({ numObjs: 126, activeObjs: 84 });
    f.slub.kmemCacheDestroy(c);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('slub_debug=F: kmem_cache_free_bulk() reports a duplicate and an invalid pointer and frees the rest', () => {
    const f = createFixture({ debug: { slubDebug: 'F' } });
    const c = f.slub.kmemCacheCreate('bulk', 96, 0, 0)!;
    const out = new Float64Array(100);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 100, out)).toBe(100);
    const shuffled = new Float64Array([...out].reverse().concat([out[5], out[7] + 1]));
    f.slub.kmemCacheFreeBulk(c, shuffled.length, shuffled);
    expect(f.reports.map((r) => r.kind).sort()).toEqual(['double-free', 'invalid-free']);
    expect(f.slub.slabinfo(c).activeObjs).toBe(0);
    expect(f.slub.validateFreelists(10)).toEqual([]);
    f.slub.kmemCacheDestroy(c);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('alloc_bulk gives back what it took when a slab cannot be had', () => {
    const f = createFixture({ nrPages: 8 + 5 }); // and the 5 pages of kmem_cache_init()
    const c = f.slub.kmemCacheCreate('bulkfail', 2048, 0, 0)!; // order 3: never fits, order-0 fallback: 2 objects
    const out = new Float64Array(100);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL | __GFP_NOWARN, 100, out)).toBe(0);
    // the full cpu slab was dropped (DEACTIVATE_BYPASS) before new_slab() failed; the 7 slabs
    // (2 objects each) are freed from the last: 7, 6, 5, 4 enter c->partial (pobjects 8 > 6),
    // 3 drains them to the node partial list, then 3, 2, 1 stay on c->partial
    expect(f.slub.slabinfo(c)).toMatchObject({ activeObjs: 6, numSlabs: 7, numObjs: 14 });
    expect(f.machine.logs).toEqual([]);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 100, out)).toBe(0);
    expect(f.machine.logs.some((l) => l.startsWith('SLUB: Unable to allocate memory on node -1'))).toBe(true);
    f.slub.kmemCacheShrink(c);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });
});

/** A scripted KASAN: delays the reuse of the objects it is told to, until released. */
class ScriptedKasan implements KasanHooks {
  slab!: Slub;
  held: { cache: KmemCache; addr: ObjAddr }[] = [];
  readonly allocated: number[] = [];
  delay: (addr: ObjAddr) => boolean = () => true;
  shutdowns = 0;
  slabFree(cache: KmemCache, addr: ObjAddr): boolean {
    if (!this.delay(addr)) return false;
    this.held.push({ cache, addr });
    return true;
  }
  slabAlloc(_cache: KmemCache, addr: ObjAddr): void {
    this.allocated.push(addr);
  }
  cacheShutdown(cache: KmemCache): void {
    this.shutdowns++;
    for (const e of this.held.filter((h) => h.cache === cache)) this.slab.quarantineRelease(e.cache, e.addr);
    this.held = this.held.filter((h) => h.cache !== cache);
  }
  release(): void {
    for (const e of this.held.splice(0)) this.slab.quarantineRelease(e.cache, e.addr);
  }
}

describe('KASAN hooks (slab_free_freelist_hook of 4.17)', () => {
  it('objects KASAN delays are not reused until quarantineRelease()', () => {
    const kasan = new ScriptedKasan();
    const f = createFixture({ kasan });
    kasan.slab = f.slub;
    const c = f.slub.kmemCacheCreate('q', 64, 0, 0)!;
    kasan.allocated.length = 0; // the cache's own struct kmem_cache and kmem_cache_node
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    expect(kasan.allocated).toEqual([a]);
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(a);
    f.slub.kmemCacheFree(c, a); // already free (in the quarantine): a double free
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    kasan.release();
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    f.slub.quarantineRelease(c, a); // not in the quarantine
    expect(f.reports.at(-1)!.kind).toBe('invalid-free');
  });

  it('bulk free: only the objects KASAN refuses are left out of the rebuilt freelist', () => {
    const kasan = new ScriptedKasan();
    const f = createFixture({ kasan });
    kasan.slab = f.slub;
    const c = f.slub.kmemCacheCreate('qb', 64, 0, 0)!;
    const out = new Float64Array(8);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 8, out)).toBe(8);
    const refused = new Set([out[1], out[4]]);
    kasan.delay = (addr) => refused.has(addr);
    f.slub.kmemCacheFreeBulk(c, 8, out);
    const again = new Float64Array(6);
    expect(f.slub.kmemCacheAllocBulk(c, GFP_KERNEL, 6, again)).toBe(6);
    expect(new Set(again)).toEqual(new Set([...out].filter((a) => !refused.has(a))));
    kasan.delay = () => false;
    f.slub.kmemCacheFreeBulk(c, 6, again);
    f.slub.kmemCacheDestroy(c); // cacheShutdown gives the two back first
    expect(kasan.shutdowns).toBe(1);
    expect(f.reports).toEqual([]);
    expect(f.machine.allocatedPages()).toBe(f.bootPages);
  });

  it('SLAB_TYPESAFE_BY_RCU caches go through the same hook', () => {
    const kasan = new ScriptedKasan();
    kasan.delay = () => false;
    const f = createFixture({ kasan });
    kasan.slab = f.slub;
    const c = f.slub.kmemCacheCreate('rcu', 64, 0, SLAB_TYPESAFE_BY_RCU)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
  });

  it('a hook can replace slabFree() with the pre-4.17 code, which leaks what KASAN did not keep', () => {
    const pre417: Partial<SlubHooks> = {
      slabFree(st, s, page, head, tail, cnt) {
        let object = head;
        for (let i = 0; i < cnt; i++) {
          const next = object === tail ? 0 : getFreepointer(st, s, object);
          st.services.kasan?.slabFree(s, object);
          object = next;
        }
        if (s.flags & SLAB_KASAN && !(s.flags & SLAB_TYPESAFE_BY_RCU)) return;
        doSlabFree(st, s, page, head, tail, cnt);
      },
    };
    const kasan = new ScriptedKasan();
    kasan.delay = () => false;
    const f = createFixture({ kasan, hooks: pre417 });
    kasan.slab = f.slub;
    const c = f.slub.kmemCacheCreate('old', 64, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(a);
    f.slub.kmemCacheDestroy(c);
    expect(f.reports.map((r) => r.kind)).toEqual(['leak']);
  });
});

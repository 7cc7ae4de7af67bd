import { describe, expect, it } from 'vitest';
import { GFP_DMA, GFP_KERNEL, PG_head, PG_slab, PG_tail, SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU, ZERO_SIZE_PTR, type KmemCache, type SlabAllocatorFactory } from '@mmkit/core';
import { createSlubAllocator } from '@mmkit/slub';
import { createKernel } from '../src/index.js';

const MiB = 2 ** 20;

describe.each(['slub', 'slab'] as const)('the object allocator in the kernel (%s)', (slab) => {
  it('boots with the chosen allocator, and /proc/slabinfo has the 2.1 format, newest cache first', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab });
    expect(k.slab.name).toBe(slab);
    expect(k.summary()).toMatch(new RegExp(`^page allocator: buddy  object allocator: ${slab}  `, 'm'));
    expect(createKernel({ machine: { mem: 256 * MiB }, slab, kasan: true }).summary()).toContain(`object allocator: ${slab} (KASAN)`);
    const cache = k.slab.kmemCacheCreate('test_cache', 200, 0, 0);
    expect(cache).not.toBeNull();
    const text = k.readFile('/proc/slabinfo');
    const lines = text.split('\n');
    expect(lines[0]).toBe('slabinfo - version: 2.1');
    expect(lines[1]).toBe('# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>');
    expect(lines[2]).toMatch(/^test_cache {7} +\d+ +\d+ +\d+ +\d+ +\d+ : tunables +\d+ +\d+ +\d+ : slabdata +\d+ +\d+ +\d+$/);
    expect(text).toMatch(/^kmalloc-64 /m);
  });

  it('lists the caches of kmem_cache_init() as 4.17 creates them, and kmalloc(GFP_DMA) is in ZONE_DMA', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab });
    const lines = k.readFile('/proc/slabinfo').split('\n').slice(2, -1);
    const names = lines.map((l) => l.split(/\s+/)[0]);
    if (slab === 'slub') {
      // bootstrap(): kmem_cache then kmem_cache_node; create_kmalloc_caches(0); the dma caches in index order
      const kmalloc = ['8', '16', '32', '64', '96', '128', '192', '256', '512', '1024', '2048', '4096', '8192'];
      const dma = ['96', '192', '8', '16', '32', '64', '128', '256', '512', '1024', '2048', '4096', '8192'];
      expect(names).toEqual(['kmem_cache', 'kmem_cache_node', ...kmalloc.map((n) => `kmalloc-${n}`), ...dma.map((n) => `dma-kmalloc-${n}`)].reverse());
      const byName = new Map(lines.map((l) => [l.split(/\s+/)[0], l.split(/\s+/).slice(1, 6).map(Number)]));
      expect(byName.get('kmem_cache')!.slice(2)).toEqual([384, 21, 2]); // objsize (s->size), objperslab, pagesperslab
      expect(byName.get('kmem_cache_node')!.slice(2)).toEqual([64, 64, 1]);
    } else {
      // kmem_cache, then kmalloc-128 (INDEX_NODE), then the other kmalloc caches; no kmem_cache_node cache
      expect(names.slice(-3)).toEqual(['kmalloc-32', 'kmalloc-128', 'kmem_cache']);
      expect(names).not.toContain('kmem_cache_node');
      expect(names[0]).toBe('dma-kmalloc-4194304');
      expect(lines.at(-1)!.split(/\s+/)[3]).toBe('256');
    }
    const a = k.slab.kmalloc(100, GFP_DMA);
    expect(k.pageZone(Math.floor(a / 4096))!.name).toBe('DMA');
    expect(k.pageZone(Math.floor(k.slab.kmalloc(100, GFP_KERNEL) / 4096))!.name).not.toBe('DMA');
    k.slab.kfree(a);
  });

  it('counts the pages slabs hold and gets them all back', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab });
    const boot = k.slabPages();
    const free = k.zones.map((z) => z.freePages);
    const cache = k.slab.kmemCacheCreate('objs', 512, 0, 0)!;
    const objs: number[] = [];
    for (let i = 0; i < 2000; i++) objs.push(k.slab.kmemCacheAlloc(cache, GFP_KERNEL));
    expect(k.slabPages()).toBeGreaterThanOrEqual(boot + 250);
    k.assertInvariants();
    for (const o of objs) k.slab.kmemCacheFree(cache, o);
    k.slab.kmemCacheDestroy(cache);
    expect(k.slabPages()).toBe(boot);
    k.pageAllocator.drainAllPages();
    expect(k.zones.map((z) => z.freePages)).toEqual(free);
    k.assertInvariants();
  });

  it('failslab fails as many allocations as times allows', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab, failslab: { probability: 100, times: 3, ignoreGfpWait: false } });
    const results = Array.from({ length: 5 }, () => k.slab.kmalloc(100, GFP_KERNEL));
    expect(results.filter((a) => a === 0).length).toBe(3);
    expect(k.readFile('/sys/kernel/debug/failslab/times')).toBe('0\n');
    expect(k.writeFile('/sys/kernel/debug/failslab/cache-filter', 'Y')).toBe(0);
  });

  it('failslab armed after boot through debugfs fails kmem_cache_alloc on its fast path, and disarmed passes again', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab });
    const c = k.slab.kmemCacheCreate('armed', 64, 0, 0)!;
    k.slab.kmemCacheFree(c, k.slab.kmemCacheAlloc(c, GFP_KERNEL)); // a cpu slab with free objects
    expect(k.writeFile('/sys/kernel/debug/failslab/ignore-gfp-wait', 'N')).toBe(0);
    expect(k.writeFile('/sys/kernel/debug/failslab/times', '2')).toBe(0);
    expect(k.writeFile('/sys/kernel/debug/failslab/probability', '100')).toBe(0);
    expect([0, 1, 2].map(() => k.slab.kmemCacheAlloc(c, GFP_KERNEL) === 0)).toEqual([true, true, false]);
    expect(k.writeFile('/sys/kernel/debug/failslab/probability', '0')).toBe(0);
    expect(k.slab.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(0);
  });

  it('kmalloc(0) is ZERO_SIZE_PTR and object bytes are real memory', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab });
    expect(k.slab.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    const a = k.slab.kmalloc(100, GFP_KERNEL);
    k.phys.write(a, Uint8Array.from({ length: 100 }, (_, i) => i));
    const back = new Uint8Array(100);
    k.phys.read(a, back);
    expect(back[99]).toBe(99);
    k.slab.kfree(a);
  });

  it('KASAN delays reuse through the quarantine and reports a double free without freeing', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab, kasan: true });
    const cache = k.slab.kmemCacheCreate('kasan_objs', 64, 0, 0)!;
    const a = k.slab.kmemCacheAlloc(cache, GFP_KERNEL);
    k.slab.kmemCacheFree(cache, a);
    expect(k.kasan!.quarantined).toBe(1);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(k.slab.kmemCacheAlloc(cache, GFP_KERNEL));
    expect(seen.has(a)).toBe(false); // not reused while quarantined
    k.slab.kmemCacheFree(cache, a); // double free
    expect(k.slabReports.map((r) => r.kind)).toContain('double-free');
    expect(k.kasan!.quarantined).toBe(1);
    k.kasan!.drain();
    expect(k.kasan!.quarantined).toBe(0);
    // RCU caches may be used after free: KASAN does not quarantine them.
    const rcu = k.slab.kmemCacheCreate('rcu_objs', 64, 0, SLAB_TYPESAFE_BY_RCU)!;
    const b = k.slab.kmemCacheAlloc(rcu, GFP_KERNEL);
    k.slab.kmemCacheFree(rcu, b);
    expect(k.kasan!.quarantined).toBe(0);
  });
});

describe('the slab in /proc/meminfo', () => {
  it('counts slab pages as Slab, SReclaimable (SLAB_RECLAIM_ACCOUNT caches) and SUnreclaim', () => {
    const k = createKernel({ machine: { mem: 256 * MiB } });
    const kb = (label: string) => Number(new RegExp(`^${label}:\\s+(\\d+) kB$`, 'm').exec(k.readFile('/proc/meminfo'))![1]);
    const before = { slab: kb('Slab'), rec: kb('SReclaimable'), unrec: kb('SUnreclaim') };
    const rec = k.slab.kmemCacheCreate('dentry_like', 192, 0, SLAB_RECLAIM_ACCOUNT)!;
    const plain = k.slab.kmemCacheCreate('plain', 4000, 0, 0)!;
    for (let i = 0; i < 1000; i++) {
      k.slab.kmemCacheAlloc(rec, GFP_KERNEL);
      k.slab.kmemCacheAlloc(plain, GFP_KERNEL);
    }
    const pagesOf = (c: typeof rec) => k.slab.slabinfo(c).numSlabs * k.slab.slabinfo(c).pagesPerSlab;
    expect(kb('SReclaimable') - before.rec).toBe(pagesOf(rec) * 4);
    expect(kb('SUnreclaim') - before.unrec).toBe(pagesOf(plain) * 4);
    expect(kb('Slab')).toBe(kb('SReclaimable') + kb('SUnreclaim'));
    expect(pagesOf(plain)).toBeGreaterThanOrEqual(1000); // at most one 4000-byte object per page
  });
});

describe('the slab invariants', () => {
  it('hold while caches fill and empty, and catch an allocator whose slabinfo hides slabs', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab: 'slab' });
    const c = k.slab.kmemCacheCreate('inv', 3000, 0, 0)!;
    const objs = Array.from({ length: 300 }, () => k.slab.kmemCacheAlloc(c, GFP_KERNEL));
    const big = k.slab.kmalloc(100_000, GFP_KERNEL);
    expect(k.checkInvariants()).toEqual([]);
    for (const o of objs) k.slab.kmemCacheFree(c, o);
    k.slab.kfree(big);
    expect(k.checkInvariants()).toEqual([]);

    const lying: SlabAllocatorFactory = (services) => {
      const inner = createSlubAllocator(services);
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === 'slabinfo') return (cache: KmemCache) => ({ ...target.slabinfo(cache), numSlabs: 0, numObjs: 0, activeSlabs: 0, activeObjs: 0 });
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    };
    const l = createKernel({ machine: { mem: 256 * MiB }, slab: lying });
    const lc = l.slab.kmemCacheCreate('hidden', 512, 0, 0)!;
    l.slab.kmemCacheAlloc(lc, GFP_KERNEL);
    expect(l.checkInvariants().map((v) => v.invariant)).toContain('slab-pages');
  });
});

describe.each(['slub', 'slab'] as const)('slab accounting when slabs come at the fallback order (%s)', (slab) => {
  it('counts each slab by its own order and objects (page->objects): slabinfo, PG_slab and meminfo agree', () => {
    // fail_page_alloc fails every allocation of order >= 1 (min-order 1): SLUB's allocate_slab()
    // falls back to s->min (oo_order(s->min), fewer objects per slab); SLAB has no fallback order.
    const k = createKernel({ machine: { mem: 256 * MiB }, slab, failPageAlloc: { probability: 100, times: -1, ignoreGfpWait: false, verbose: 0 } });
    const c = k.slab.kmemCacheCreate('fallback_objs', 1000, 0, 0)!;
    const objs = Array.from({ length: 200 }, () => k.slab.kmemCacheAlloc(c, GFP_KERNEL));
    expect(objs).not.toContain(0);
    k.failPageAlloc.probability = 50; // a mix of both orders
    for (let i = 0; i < 200; i++) objs.push(k.slab.kmemCacheAlloc(c, GFP_KERNEL));
    expect(k.checkInvariants()).toEqual([]);
    const si = k.slab.slabinfo(c);
    expect(si.numObjs).toBeLessThanOrEqual(si.numSlabs * si.objectsPerSlab);
    expect(si.activeObjs).toBeGreaterThanOrEqual(400 - objs.filter((o) => o === 0).length);
    let marked = 0;
    for (let p = 0; p < k.pages.maxPfn; p++) {
      // a PG_slab head and the PG_tail pages of its compound page
      if (!k.pages.testFlag(p, PG_slab) || k.pages.testFlag(p, PG_tail)) continue;
      marked++;
      for (let q = p + 1; k.pages.testFlag(p, PG_head) && q < k.pages.maxPfn && k.pages.testFlag(q, PG_tail) && !k.pages.testFlag(q, PG_head); q++) marked++;
    }
    const slabKb = Number(/^Slab:\s+(\d+) kB$/m.exec(k.readFile('/proc/meminfo'))![1]);
    expect(slabKb).toBe(marked * 4);
    for (const o of objs) if (o) k.slab.kmemCacheFree(c, o);
    k.slab.kmemCacheDestroy(c);
    expect(k.checkInvariants()).toEqual([]);
  });
});

describe.each(['slub', 'slab'] as const)('KASAN quarantine and kmem_cache_destroy (%s)', (slab) => {
  it('destroying a cache gives back its quarantined objects and keeps the 200,000 of other caches (quarantine_remove_cache())', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab, kasan: { quarantineBytes: 64 * MiB } });
    const kmalloc8 = k.slab.caches().find((c) => c.name === (slab === 'slub' ? 'kmalloc-8' : 'kmalloc-32'))!;
    const baseline = k.slab.slabinfo(kmalloc8).activeObjs;
    const objs = new Float64Array(200_000);
    for (let i = 0; i < objs.length; i++) objs[i] = k.slab.kmalloc(8, GFP_KERNEL);
    for (const a of objs) k.slab.kfree(a);
    const own = k.slab.kmemCacheCreate('own_objs', 64, 0, 0)!;
    const mine = new Float64Array(1000);
    for (let i = 0; i < mine.length; i++) mine[i] = k.slab.kmemCacheAlloc(own, GFP_KERNEL);
    for (const a of mine) k.slab.kmemCacheFree(own, a);
    expect(k.kasan!.quarantined).toBe(201_000);
    expect(k.checkInvariants()).toEqual([]);
    let thrown: unknown;
    try {
      k.slab.kmemCacheDestroy(own);
    } catch (e) {
      thrown = e;
    }
    expect(k.checkInvariants()).toEqual([]); // the checker counts quarantined objects: none may be lost
    expect(thrown).toBeUndefined();
    expect(k.slabReports).toEqual([]);
    expect(k.slab.caches()).not.toContain(own);
    expect(k.kasan!.quarantined).toBe(200_000 + 2); // and the cache's own struct kmem_cache and kmem_cache_node, freed by kmem_cache_destroy()
    k.kasan!.drain();
    expect(k.kasan!.quarantined).toBe(0);
    k.slab.kmemCacheShrink(kmalloc8);
    expect(k.slab.slabinfo(kmalloc8).activeObjs).toBe(baseline); // nothing leaked
    k.assertInvariants();
  });

  it('the invariant checker reports quarantined objects the quarantine lost or miscounted', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, slab, kasan: true });
    const c = k.slab.kmemCacheCreate('lost_objs', 64, 0, 0)!;
    for (let i = 0; i < 10; i++) k.slab.kmemCacheFree(c, k.slab.kmemCacheAlloc(c, GFP_KERNEL));
    expect(k.kasan!.quarantined).toBe(10);
    expect(k.checkInvariants()).toEqual([]);
    // A quarantine that forgets its objects: they stay freed-but-not-free in their slabs.
    (k.kasan as unknown as { qLen: number }).qLen = 0;
    expect(k.checkInvariants().map((v) => v.invariant)).toContain('kasan-quarantine');
  });
});

describe('slab configuration', () => {
  it('refuses an unknown implementation', () => {
    expect(() => createKernel({ slab: 'slob' as 'slab' })).toThrow(/slab must be/);
  });
});

describe('the workqueue knobs of the cache_reap seed entry', () => {
  it('reads and writes debug_force_rr_cpu through kstrtobool', () => {
    const k = createKernel({ machine: { mem: 128 * MiB }, nrCpus: 4 });
    const f = '/sys/module/workqueue/parameters/debug_force_rr_cpu';
    expect(k.readFile(f)).toBe('N\n');
    expect(k.writeFile(f, 'Y')).toBe(0);
    expect(k.sched.debugForceRrCpu).toBe(true);
    expect(k.writeFile(f, 'off\n')).toBe(0);
    expect(k.readFile(f)).toBe('N\n');
    expect(k.writeFile(f, 'yes please')).toBe(0); // kstrtobool looks at the first character
    expect(k.readFile(f)).toBe('Y\n');
    expect(k.writeFile(f, 'maybe')).toBe(-22);
    expect(k.readFile(f)).toBe('Y\n');
  });

  it('reads and writes the unbound cpumask as Linux prints and parses it', () => {
    const k = createKernel({ machine: { mem: 128 * MiB }, nrCpus: 4, unboundCpumask: [2, 3] });
    const f = '/sys/devices/virtual/workqueue/cpumask';
    expect(k.readFile(f)).toBe('c\n');
    expect(k.writeFile(f, '3\n')).toBe(0);
    expect(k.sched.unboundCpumask).toEqual([true, true, false, false]);
    expect(k.writeFile(f, '0')).toBe(-22); // empty: workqueue_set_unbound_cpumask() refuses
    expect(k.writeFile(f, '10')).toBe(-75); // CPU 4 does not exist: -EOVERFLOW
    expect(k.writeFile(f, 'xyz')).toBe(-22);
    expect(k.readFile(f)).toBe('3\n');
    const big = createKernel({ machine: { mem: 128 * MiB }, nrCpus: 40 });
    expect(big.readFile(f)).toBe('ff,ffffffff\n');
    expect(() => createKernel({ nrCpus: 4, unboundCpumask: [4] })).toThrow(/unboundCpumask/);
    expect(() => createKernel({ nrCpus: 4, unboundCpumask: [] })).toThrow(/unboundCpumask/);
  });
});

import {
  GFP_KERNEL,
  PAGE_SIZE,
  PG_head,
  PG_slab,
  PhysMemory,
  POISON_END,
  POISON_FREE,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  ZERO_SIZE_PTR,
  __GFP_ZERO,
  type KasanHooks,
  type KmemCache,
} from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import type { SlabCache } from '../src/cache.js';
import { checkPattern, createFixture, fillPattern } from './fixture.js';

describe('allocation and freeing', () => {
  it('objects keep their bytes across caches and CPUs; every slab page returns after destroy', () => {
    const f = createFixture({ nrCpus: 4 });
    const { m, slab } = f;
    const start = m.allocatedPages();
    const caches = [slab.kmemCacheCreate('a-40', 40, 0, 0)!, slab.kmemCacheCreate('b-700', 700, 0, 0)!, slab.kmemCacheCreate('c-5000', 5000, 0, 0)!];
    const live: { c: KmemCache; addr: number; seed: number }[] = [];
    let seed = 1;
    for (let round = 0; round < 3; round++) {
      for (let cpu = 0; cpu < 4; cpu++) {
        m.sched.onCpu(cpu, () => {
          for (const c of caches) {
            for (let i = 0; i < 50; i++) {
              const addr = slab.kmemCacheAlloc(c, GFP_KERNEL);
              expect(addr).toBeGreaterThan(0);
              expect(addr % 8).toBe(0);
              fillPattern(m, addr, c.objectSize, seed);
              live.push({ c, addr, seed: seed++ });
            }
          }
        });
      }
      // free half of them on other CPUs than the one that allocated
      m.sched.onCpu((round + 1) % 4, () => {
        for (let i = live.length - 1; i >= 0; i -= 2) {
          const o = live[i];
          expect(checkPattern(m, o.addr, o.c.objectSize, o.seed)).toBe(true);
          slab.kmemCacheFree(o.c, o.addr);
          live.splice(i, 1);
        }
      });
    }
    const addrs = new Set(live.map((o) => o.addr));
    expect(addrs.size).toBe(live.length);
    for (const o of live) expect(checkPattern(m, o.addr, o.c.objectSize, o.seed)).toBe(true);
    for (const o of live) slab.kmemCacheFree(o.c, o.addr);
    for (const c of caches) slab.kmemCacheDestroy(c);
    expect(f.reports).toEqual([]);
    expect(m.allocatedPages()).toBe(start);
    expect(slab.caches().some((c) => caches.includes(c))).toBe(false);
  });

  it('slab pages: PG_slab and page->slab_cache on the head, compound for order > 0, cleared when freed', () => {
    const f = createFixture();
    const { m, slab } = f;
    const c = slab.kmemCacheCreate('big', 6000, 0, 0) as SlabCache;
    expect(c.gfporder).toBe(1);
    const a = slab.kmemCacheAlloc(c, GFP_KERNEL);
    const head = PhysMemory.pfnOf(a);
    expect(m.pages.testFlag(head, PG_slab)).toBe(true);
    expect(m.pages.testFlag(head, PG_head)).toBe(true);
    expect(m.pages.getMapping(head)).toBe(c.id);
    slab.kmemCacheFree(c, a);
    slab.kmemCacheDestroy(c);
    expect(m.pages.testFlag(head, PG_slab)).toBe(false);
    expect(m.pages.getMapping(head)).toBe(0);
    expect(m.pages.getMapcount(head)).toBe(-1);
  });

  it('the array cache is LIFO: the last object freed on a CPU is the next allocated there', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('lifo', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheFree(c, b);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(b);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
  });

  it('colouring: each new slab starts colour_off (64) further, wrapping after colour steps', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('colour', 1100, 0, 0) as SlabCache; // order 1, 7 objects, colour 7
    const firstOffsets: number[] = [];
    const held: number[] = [];
    for (let s = 0; s < 9; s++) {
      for (let i = 0; i < 7; i++) held.push(f.slab.kmemCacheAlloc(c, GFP_KERNEL));
    }
    const bySlab = new Map<number, number>();
    for (const a of held) {
      const pfn = PhysMemory.pfnOf(a) & ~1;
      const off = a - PhysMemory.addrOf(pfn);
      bySlab.set(pfn, Math.min(bySlab.get(pfn) ?? Infinity, off));
    }
    for (const off of bySlab.values()) firstOffsets.push(off);
    // colour_next is advanced before use: 64, 128, ..., 384, then 0, 64 ...
    expect(firstOffsets).toEqual([64, 128, 192, 256, 320, 384, 0, 64, 128]);
  });

  it('__GFP_ZERO clears the object (kmem_cache_zalloc)', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('zero', 200, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.m.phys.fill(a, 200, 0xee);
    f.slab.kmemCacheFree(c, a);
    const b = f.slab.kmemCacheAlloc(c, GFP_KERNEL | __GFP_ZERO);
    expect(b).toBe(a);
    const bytes = new Uint8Array(200);
    f.m.phys.read(b, bytes);
    expect(bytes.every((x) => x === 0)).toBe(true);
  });

  it('constructors run once per object when a slab is created, not on reuse', () => {
    const f = createFixture();
    let calls = 0;
    const c = f.slab.kmemCacheCreate('ctor', 128, 0, 0, (addr) => {
      calls++;
      f.m.phys.writeU64(addr, 0x1234);
    }) as SlabCache;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    expect(calls).toBe(c.num);
    expect(f.m.phys.readU64(a)).toBe(0x1234);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    expect(calls).toBe(c.num);
  });

  it('kmalloc(0) is ZERO_SIZE_PTR; ksize() is the class size; above 4 MiB fails', () => {
    const f = createFixture();
    expect(f.slab.kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    expect(f.slab.ksize(ZERO_SIZE_PTR)).toBe(0);
    f.slab.kfree(ZERO_SIZE_PTR);
    f.slab.kfree(0);
    const a = f.slab.kmalloc(70, GFP_KERNEL);
    expect(f.slab.ksize(a)).toBe(96);
    const big = f.slab.kmalloc(4 << 20, GFP_KERNEL);
    expect(big).toBeGreaterThan(0);
    expect(f.slab.ksize(big)).toBe(4 << 20);
    expect(f.slab.kmalloc((4 << 20) + 1, GFP_KERNEL)).toBe(0);
    f.slab.kfree(a);
    f.slab.kfree(big);
    expect(f.reports).toEqual([]);
  });

  it('bulk alloc fills the array and bulk free gives everything back', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('bulk', 48, 0, 0)!;
    const out = new Float64Array(300);
    expect(f.slab.kmemCacheAllocBulk(c, GFP_KERNEL | __GFP_ZERO, 300, out)).toBe(300);
    expect(new Set(out).size).toBe(300);
    expect(f.m.phys.readU64(out[17])).toBe(0);
    expect(f.slab.slabinfo(c).activeObjs).toBeGreaterThanOrEqual(300);
    f.slab.kmemCacheFreeBulk(c, 300, out);
    expect(f.slab.kmemCacheShrink(c)).toBe(0);
    expect(f.slab.slabinfo(c).numSlabs).toBe(0);
    expect(f.reports).toEqual([]);
  });

  it('bulk alloc is all or nothing when memory runs out', () => {
    const f = createFixture({ nrPages: 64 });
    const c = f.slab.kmemCacheCreate('bulk-oom', 4096, 0, 0)!;
    const before = f.m.allocatedPages();
    const out = new Float64Array(200);
    expect(f.slab.kmemCacheAllocBulk(c, GFP_KERNEL, 200, out)).toBe(0);
    expect(f.slab.kmemCacheShrink(c)).toBe(0);
    expect(f.m.allocatedPages()).toBe(before);
  });

  it('failslab: should_failslab() true makes the allocation fail', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('fail', 64, 0, 0)!;
    f.failSlab.add('fail');
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(0);
    expect(f.slab.kmemCacheAllocBulk(c, GFP_KERNEL, 4, new Float64Array(4))).toBe(0);
    f.failSlab.clear();
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBeGreaterThan(0);
  });

  it('shrink returns 1 while objects remain, and frees empty slabs', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('shrink', 256, 0, 0)!;
    const a: number[] = [];
    for (let i = 0; i < 100; i++) a.push(f.slab.kmemCacheAlloc(c, GFP_KERNEL));
    for (let i = 1; i < 100; i++) f.slab.kmemCacheFree(c, a[i]);
    expect(f.slab.kmemCacheShrink(c)).toBe(1);
    const info = f.slab.slabinfo(c);
    expect({ numSlabs: info.numSlabs, activeObjs: info.activeObjs, sharedAvail: info.sharedAvail }).toEqual({ numSlabs: 1, activeObjs: 1, sharedAvail: 0 });
    f.slab.kmemCacheFree(c, a[0]);
    expect(f.slab.kmemCacheShrink(c)).toBe(0);
    expect(f.slab.slabinfo(c).numSlabs).toBe(0);
  });

  it('slabinfo: objects in array caches count as active; flushes go to the shared array first', () => {
    const f = createFixture({ nrCpus: 2 });
    const c = f.slab.kmemCacheCreate('info', 64, 0, 0)!; // limit 120, batch 60, shared 480
    const a: number[] = [];
    for (let i = 0; i < 200; i++) a.push(f.slab.kmemCacheAlloc(c, GFP_KERNEL));
    for (const x of a) f.slab.kmemCacheFree(c, x);
    const info = f.slab.slabinfo(c);
    // Refills: 16 (untouched array cache: BATCHREFILL_LIMIT) from a new slab, then batches of 60
    // that stop short when the node's slabs run out (48, 60, 4, 60, 4, 60): 252 objects of 4
    // slabs left the slabs, 52 stayed in the array cache. 252 objects through a 120-entry array
    // cache: 3 batches of 60 flushed to the shared array.
    expect(info.sharedAvail).toBe(180);
    expect(info.numObjs).toBe(256);
    expect(info.activeObjs).toBe(252);
    expect(info.objectsPerSlab).toBe(64);
  });

  it('cache_alloc_refill() takes from the shared array before the slabs', () => {
    const f = createFixture({ nrCpus: 2 });
    const c = f.slab.kmemCacheCreate('share', 64, 0, 0)!;
    const a: number[] = [];
    f.m.sched.onCpu(0, () => {
      for (let i = 0; i < 200; i++) a.push(f.slab.kmemCacheAlloc(c, GFP_KERNEL));
      for (const x of a) f.slab.kmemCacheFree(c, x);
    });
    expect(f.slab.slabinfo(c).sharedAvail).toBe(180);
    const pagesBefore = f.m.allocatedPages();
    f.m.sched.onCpu(1, () => {
      const x = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
      expect(a.includes(x)).toBe(true);
    });
    // transfer_objects(): BATCHREFILL_LIMIT (16) objects, CPU 1's array cache was never touched
    expect(f.slab.slabinfo(c).sharedAvail).toBe(164);
    expect(f.m.allocatedPages()).toBe(pagesBefore);
  });
});

describe('misuse is reported and changes nothing', () => {
  it('CONFIG_DEBUG_SLAB: double free, pointer inside an object, non-slab pointer', () => {
    const f = createFixture({ debug: { debugSlab: true } });
    const { slab, reports } = f;
    const c = slab.kmemCacheCreate('victim', 64, 0, 0)!;
    const a = slab.kmemCacheAlloc(c, GFP_KERNEL);
    const b = slab.kmemCacheAlloc(c, GFP_KERNEL);
    slab.kmemCacheFree(c, a);
    slab.kmemCacheFree(c, a);
    expect(reports.map((r) => r.kind)).toEqual(['double-free']);
    slab.kmemCacheFree(c, b + 8);
    expect(reports[1]).toMatchObject({ kind: 'invalid-free', cache: 'victim' });
    const page = f.m.pageAllocator.allocPages(GFP_KERNEL, 0);
    slab.kfree(PhysMemory.addrOf(page));
    expect(reports[2]).toMatchObject({ kind: 'invalid-free' });
    slab.kmemCacheFree(c, PhysMemory.addrOf(page) + 64);
    expect(reports[3]).toMatchObject({ kind: 'invalid-free' });
    expect(reports.length).toBe(4);
    // nothing changed: the next two allocations are a (freed once) then fresh objects, never b twice
    const x = slab.kmemCacheAlloc(c, GFP_KERNEL);
    const y = slab.kmemCacheAlloc(c, GFP_KERNEL);
    expect(x).toBe(a);
    expect(y).not.toBe(b);
    slab.kmemCacheFree(c, b);
    expect(reports.length).toBe(4);
  });

  it('cache_from_obj(): an object freed to the wrong cache goes back to its own; warned about (once) only with CONFIG_SLAB_FREELIST_HARDENED', () => {
    for (const freelistHardened of [false, true]) {
      const f = createFixture({ debug: { freelistHardened } });
      const { slab, reports } = f;
      const c = slab.kmemCacheCreate('victim', 64, 0, 0)!;
      const d = slab.kmemCacheCreate('other', 64, 0, 0)!;
      const x = slab.kmemCacheAlloc(c, GFP_KERNEL);
      const b = slab.kmemCacheAlloc(c, GFP_KERNEL);
      slab.kmemCacheFree(d, b);
      expect(reports).toEqual(freelistHardened ? [{ kind: 'wrong-cache', cache: 'other', addr: b, message: 'WARNING: cache_from_obj: Wrong slab cache. other but object is from victim' }] : []);
      slab.kmemCacheFree(d, x); // WARN_ONCE
      expect(reports.length).toBe(freelistHardened ? 1 : 0);
      expect(slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(x); // back on victim's per-cpu array (LIFO)
      expect(slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(b);
      expect(slab.kmemCacheAlloc(d, GFP_KERNEL)).not.toBe(b);
    }
  });

  it('CONFIG_DEBUG_SLAB: red zones: an overwritten red zone is reported on free (RED_ACTIVE/RED_INACTIVE as byte halves)', () => {
    const f = createFixture({ debug: { debugSlab: true } });
    const c = f.slab.kmemCacheCreate('rz', 100, 0, SLAB_RED_ZONE) as SlabCache;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    const word = new Uint8Array(8);
    f.m.phys.read(a - 8, word);
    expect(Array.from(word)).toEqual([0xc0, 0x88, 0x56, 0x63, 0xc5, 0x56, 0x41, 0xd8]); // RED_ACTIVE
    f.m.phys.fill(a + 100, 8, 0); // runs past the object into the padding and red zone 2 (at 104)
    f.m.phys.fill(a + 104, 8, 0x41);
    f.slab.kmemCacheFree(c, a);
    expect(f.reports).toHaveLength(1);
    expect(f.reports[0]).toMatchObject({ kind: 'redzone', cache: 'rz' });
    expect(f.reports[0].message).toContain('memory outside object was overwritten');
    f.m.phys.read(a - 8, word);
    expect(Array.from(word)).toEqual([0x5b, 0xe3, 0x74, 0x9d, 0x02, 0x11, 0xf9, 0x09]); // RED_INACTIVE
  });

  it('CONFIG_DEBUG_SLAB: poison: a write after free is reported when the object is allocated again', () => {
    const f = createFixture({ debug: { debugSlab: true } });
    const c = f.slab.kmemCacheCreate('poison', 64, 0, SLAB_POISON | SLAB_STORE_USER)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheFree(c, a);
    const bytes = new Uint8Array(64);
    f.m.phys.read(a, bytes);
    expect(bytes[0]).toBe(POISON_FREE);
    expect(bytes[63]).toBe(POISON_END);
    expect(f.reports).toEqual([]);
    f.m.phys.fill(a + 10, 1, 0);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a);
    expect(f.reports).toHaveLength(1);
    expect(f.reports[0]).toMatchObject({ kind: 'poison', cache: 'poison' });
  });

  it('kmem_cache_create refusals (kmem_cache_sanity_check() with CONFIG_DEBUG_VM only) and destroy with live objects', () => {
    const v = createFixture({ debug: { vm: true } });
    expect(v.slab.kmemCacheCreate('', 64, 0, 0)).toBeNull();
    expect(v.slab.kmemCacheCreate('small', 4, 0, 0)).toBeNull();
    expect(v.slab.kmemCacheCreate('huge', (4 << 20) + 1, 0, 0)).toBeNull();
    expect(v.m.logs.filter((l) => l.includes('integrity check failed'))).toHaveLength(3);
    const f = createFixture();
    expect(f.slab.kmemCacheCreate('', 64, 0, 0)).toBeNull();
    const small = f.slab.kmemCacheCreate('small', 4, 0, 0)!;
    expect(small.size).toBeGreaterThanOrEqual(8); // ALIGN(size, BYTES_PER_WORD), then the layout
    expect(f.slab.kmemCacheAlloc(small, GFP_KERNEL)).toBeGreaterThan(0);
    expect(f.slab.kmemCacheCreate('huge', (4 << 20) + 1, 0, 0)).toBeNull();
    expect(f.slab.kmemCacheCreate('align', 64, 24, 0)).toBeNull();
    expect(f.m.logs.filter((l) => /failed with error -(12|22)/.test(l))).toHaveLength(3);
    expect(f.m.logs.some((l) => l.includes('integrity check failed'))).toBe(false);
    const c = f.slab.kmemCacheCreate('leaky', 64, 0, 0)!;
    const a = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    f.slab.kmemCacheDestroy(c);
    expect(f.reports).toEqual([{ kind: 'leak', cache: 'leaky', addr: 0, message: 'kmem_cache_destroy leaky: Slab cache still has objects' }]);
    expect(f.slab.caches()).toContain(c);
    f.slab.kmemCacheFree(c, a);
    f.slab.kmemCacheDestroy(c);
    expect(f.slab.caches()).not.toContain(c);
    f.slab.kmemCacheDestroy(c);
    expect(f.reports[1]).toMatchObject({ kind: 'wrong-cache' });
  });
});

describe('KASAN hooks', () => {
  it('a quarantined object is not reused until released; cacheShutdown releases the rest', () => {
    const quarantine: { cache: KmemCache; addr: number }[] = [];
    const allocated: number[] = [];
    const ref: { slab?: { quarantineRelease(cache: KmemCache, addr: number): void } } = {};
    const hooks: KasanHooks = {
      slabFree: (cache, addr) => {
        if (quarantine.length < 3) {
          quarantine.push({ cache, addr });
          return true;
        }
        return false;
      },
      slabAlloc: (_cache, addr) => void allocated.push(addr),
      cacheShutdown: (cache) => {
        for (let i = quarantine.length - 1; i >= 0; i--) {
          if (quarantine[i].cache === cache) {
            ref.slab!.quarantineRelease(cache, quarantine[i].addr);
            quarantine.splice(i, 1);
          }
        }
      },
    };
    const f = createFixture({ kasan: hooks });
    ref.slab = f.slab;
    const start = f.m.allocatedPages();
    const c = f.slab.kmemCacheCreate('kasan', 64, 0, 0)!;
    allocated.length = 0; // the cache's struct kmem_cache and kmem_cache_node
    expect(c.flags & SLAB_KASAN).toBe(SLAB_KASAN);
    const a = [0, 1, 2, 3].map(() => f.slab.kmemCacheAlloc(c, GFP_KERNEL));
    expect(allocated).toEqual(a);
    for (const x of a) f.slab.kmemCacheFree(c, x);
    expect(quarantine.map((q) => q.addr)).toEqual(a.slice(0, 3));
    // Only a[3] went back to the array cache.
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a[3]);
    const next = f.slab.kmemCacheAlloc(c, GFP_KERNEL);
    expect(a.slice(0, 3)).not.toContain(next);
    // a quarantined object freed again is a double free
    f.slab.kmemCacheFree(c, a[0]);
    expect(f.reports.map((r) => r.kind)).toEqual(['double-free']);
    // released from the quarantine: next allocation on this CPU gets it
    f.slab.quarantineRelease(c, a[1]);
    quarantine.splice(1, 1);
    expect(f.slab.kmemCacheAlloc(c, GFP_KERNEL)).toBe(a[1]);
    f.slab.kmemCacheFree(c, a[1]);
    f.slab.kmemCacheFree(c, a[3]);
    f.slab.kmemCacheFree(c, next);
    f.slab.kmemCacheDestroy(c);
    // what is quarantined now are the cache's own structures kmem_cache_destroy() freed
    expect(quarantine.map((q) => q.cache.name).sort()).toEqual(['kmalloc-128', 'kmem_cache']);
    for (const q of quarantine.splice(0)) f.slab.quarantineRelease(q.cache, q.addr);
    expect(f.slab.caches()).not.toContain(c);
    expect(f.m.allocatedPages()).toBe(start);
  });
});

describe('page memory of slabs', () => {
  it('objects of a 2-page slab span the page boundary and stay intact', () => {
    const f = createFixture();
    const c = f.slab.kmemCacheCreate('span', 3000, 0, 0)!;
    const objs = [0, 1, 2, 3].map(() => f.slab.kmemCacheAlloc(c, GFP_KERNEL));
    const crossing = objs.find((a) => Math.floor(a / PAGE_SIZE) !== Math.floor((a + 2999) / PAGE_SIZE));
    expect(crossing).toBeDefined();
    objs.forEach((a, i) => fillPattern(f.m, a, 3000, i + 1));
    objs.forEach((a, i) => expect(checkPattern(f.m, a, 3000, i + 1)).toBe(true));
    f.slab.kmemCacheFree(c, crossing!);
    expect(f.reports).toEqual([]);
  });
});

import { GFP_KERNEL, PAGE_SIZE, SLAB_CONSISTENCY_CHECKS, SLAB_STORE_USER } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import type { SlubCache } from '../src/cache.js';
import { createFixture } from './test-fixture.js';

const slabOf = (a: number, order: number) => Math.floor(a / PAGE_SIZE) >> order;

describe('per-cpu partial lists (CONFIG_SLUB_CPU_PARTIAL)', () => {
  it('set_cpu_partial(): 30, 13, 6, 2 by size; 0 for debug caches', () => {
    const f = createFixture();
    const cp = (size: number, flags = 0) => (f.slub.kmemCacheCreate(`c${size}`, size, 0, flags) as SlubCache).cpuPartial;
    expect([cp(64), cp(256), cp(1024), cp(4096), cp(64, SLAB_STORE_USER)]).toEqual([30, 13, 6, 2, 0]);
  });

  it('get_partial_node() freezes slabs onto c->partial until more than cpu_partial / 2 objects were taken', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('gp', 1024, 0, 0)!; // order 2, 16 objects, cpu_partial 6
    const objs = f.machine.sched.onCpu(0, () => Array.from({ length: 64 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL)));
    const slabs = [...new Set(objs.map((a) => slabOf(a, 2)))];
    expect(slabs.length).toBe(4);
    // CPU 1 frees 2 objects of each of the first three slabs: they enter CPU 1's c->partial
    f.machine.sched.onCpu(1, () => {
      for (let s = 0; s < 3; s++) for (let i = 0; i < 2; i++) f.slub.kmemCacheFree(c, objs[s * 16 + i]);
    });
    expect(f.slub.slabinfo(c).activeObjs).toBe(64);
    // shrink: flush_all() unfreezes them onto the node list (sorted by free objects)
    expect(f.slub.kmemCacheShrink(c)).toBe(1);
    expect(f.slub.slabinfo(c).activeObjs).toBe(64 - 6);
    const got = f.machine.sched.onCpu(0, () => Array.from({ length: 6 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL)));
    // slab 0 became c->page, slab 1 went to c->partial (4 > 6 / 2), slab 2 stayed on the node
    expect(got.map((a) => slabs.indexOf(slabOf(a, 2)))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(new Set(got)).toEqual(new Set([0, 1, 2].flatMap((s) => [objs[s * 16], objs[s * 16 + 1]])));
  });

  it('a debug cache has no cpu slab: each allocation deactivates the slab, which reverses the rest of its freelist', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('dbg', 64, 0, SLAB_CONSISTENCY_CHECKS)!; // 64 objects per slab
    const objs = Array.from({ length: 4 }, () => f.slub.kmemCacheAlloc(c, GFP_KERNEL));
    const base = Math.floor(objs[0] / PAGE_SIZE) * PAGE_SIZE;
    expect(objs.map((a) => (a - base) / 64)).toEqual([0, 63, 1, 62]);
    // the slab is on the node partial list: its free objects count as free
    expect(f.slub.slabinfo(c)).toMatchObject({ numObjs: 64, activeObjs: 4 });
    f.slub.kmemCacheFree(c, objs[1]);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).toBe(objs[1]);
  });

  it('a free pointer out of its slab met while flushing a cpu slab isolates it (mmkit does not follow it; Linux would)', () => {
    const f = createFixture();
    const c = f.slub.kmemCacheCreate('flushbad', 128, 0, 0)!;
    const a = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    const b = f.slub.kmemCacheAlloc(c, GFP_KERNEL);
    f.slub.kmemCacheFree(c, a);
    f.machine.phys.writeU64(a, 0xdead000); // a use-after-free write over the free pointer
    expect(f.slub.kmemCacheShrink(c)).toBe(1);
    expect(f.reports.map((r) => r.kind)).toEqual(['poison']);
    expect(f.slub.kmemCacheAlloc(c, GFP_KERNEL)).not.toBe(a);
    f.slub.kmemCacheFree(c, b);
    expect(f.reports.length).toBe(1);
  });

  it('kmem_cache_destroy() of a kmalloc cache or a foreign object is refused', () => {
    const f = createFixture();
    f.slub.kmemCacheDestroy(f.slub.caches()[0]);
    expect(f.reports.at(-1)!.kind).toBe('wrong-cache');
    f.slub.kmemCacheDestroy({ name: 'fake', objectSize: 8, size: 8, align: 8, flags: 0 });
    expect(f.reports.at(-1)!.kind).toBe('wrong-cache');
    expect(f.slub.caches().length).toBe(28);
  });
});

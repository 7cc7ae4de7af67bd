/**
 * The object-allocator ("slab-allocator") suite: cases written against the SlabAllocator
 * contract and the kernel API only, so that SLUB, SLAB and a contributor's allocator are graded
 * alike. Each case boots a small kernel around the implementation under test; KASAN's answers
 * are scripted through the kernel's `kasanHooks` so that the seed's rule on honouring
 * kasan_slab_free() can be checked object by object.
 */
import {
  GFP_ATOMIC, GFP_KERNEL, L1_CACHE_BYTES, NO_PAGE, PAGE_SIZE, PG_head, PG_slab, PG_tail, PhysMemory, Prng,
  SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RED_ZONE, SLAB_TYPESAFE_BY_RCU, ZERO_SIZE_PTR, __GFP_ATOMIC, __GFP_HIGH, __GFP_HIGHMEM, __GFP_ZERO, type KasanHooks, type KmemCache,
  type ObjAddr, type SlabAllocator, type SlabAllocatorFactory, type SlabInfo,
} from '@mmkit/core';
import { createKernel, type Kernel, type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { CaseContext, FeatureSet, Suite, SuiteCase } from '../../../suite.js';

/** The implementation under test; undefined runs the kernel's default (SLUB). */
export type SlabAllocatorUnderTest = SlabAllocatorFactory | undefined;
type Ctx = CaseContext<SlabAllocatorUnderTest>;

const MiB = 2 ** 20;
const KMALLOC_MAX_SIZE = 4 * MiB;

/** Boot a kernel around the implementation under test (256 MiB, 2 CPUs, THP off unless told). */
function boot(ctx: Ctx, config: Omit<KernelConfig, 'slab'> = {}): Kernel {
  return createKernel({ machine: { mem: 256 * MiB }, nrCpus: 2, thp: 'never', ...config, slab: ctx.factory ?? 'slub' });
}

function create(k: Kernel, name: string, size: number, align = 0, flags = 0, ctor?: (addr: ObjAddr) => void): KmemCache {
  const c = k.slab.kmemCacheCreate(name, size, align, flags, ctor);
  if (!c) assert.fail(`kmem_cache_create('${name}', ${size}, ${align}, 0x${flags.toString(16)}) failed`);
  return c;
}

function alloc(k: Kernel, cache: KmemCache, gfp = GFP_KERNEL): ObjAddr {
  const a = k.slab.kmemCacheAlloc(cache, gfp);
  if (a === 0) assert.fail(`kmem_cache_alloc(${cache.name}) returned NULL on a machine with free memory`);
  return a;
}

function kmalloc(k: Kernel, size: number, gfp = GFP_KERNEL): ObjAddr {
  const a = k.slab.kmalloc(size, gfp);
  if (a === 0) assert.fail(`kmalloc(${size}) returned NULL on a machine with free memory`);
  return a;
}

function totalFree(k: Kernel): number {
  k.pageAllocator.drainAllPages();
  return k.zones.reduce((n, z) => n + z.freePages, 0);
}

/** A byte pattern that depends on the object's identity, so that a mixed-up object shows. */
function pattern(id: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (id * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function readBytes(k: Kernel, addr: ObjAddr, len: number): Uint8Array {
  const out = new Uint8Array(len);
  k.phys.read(addr, out);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function reportsOf(k: Kernel, kind: string, since = 0): number {
  return k.slabReports.slice(since).filter((r) => r.kind === kind).length;
}

/** Allocate until `target` comes back (or `limit` allocations); the objects taken are returned for freeing. */
function allocUntil(k: Kernel, cache: KmemCache, target: ObjAddr, limit: number): { found: boolean; taken: ObjAddr[] } {
  const taken: ObjAddr[] = [];
  for (let i = 0; i < limit; i++) {
    const a = alloc(k, cache);
    taken.push(a);
    if (a === target) return { found: true, taken };
  }
  return { found: false, taken };
}

/** The kernel's invariant checker, slab pages against PG_slab included. */
function checkKernel(k: Kernel, when: string): void {
  const v = k.checkInvariants();
  if (v.length) assert.fail(`${when}: ${v.map((x) => `[${x.invariant}] ${x.message}`).join('; ')}`);
}

function info(k: Kernel, cache: KmemCache): SlabInfo {
  return k.slab.slabinfo(cache);
}

/** KASAN with scripted answers: kasan_slab_free() says "delay" for the objects in `delay`. */
class ScriptedKasan implements KasanHooks {
  readonly delay = new Set<ObjAddr>();
  /** Objects whose free was delayed and not yet released, as a quarantine would hold them. */
  readonly held: { cache: KmemCache; addr: ObjAddr }[] = [];
  readonly freeCalls: ObjAddr[] = [];
  readonly shutdownCalls: string[] = [];
  kernel: Kernel | undefined;

  slabFree(cache: KmemCache, addr: ObjAddr): boolean {
    this.freeCalls.push(addr);
    if (!this.delay.has(addr)) return false;
    this.held.push({ cache, addr });
    return true;
  }

  slabAlloc(): void {}

  cacheShutdown(cache: KmemCache): void {
    this.shutdownCalls.push(cache.name);
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i].cache !== cache) continue;
      const { addr } = this.held.splice(i, 1)[0];
      this.kernel?.slab.quarantineRelease(cache, addr);
    }
  }

  release(addr: ObjAddr): void {
    const i = this.held.findIndex((h) => h.addr === addr);
    if (i < 0) assert.fail(`scripted KASAN holds no object 0x${addr.toString(16)}`);
    const { cache } = this.held.splice(i, 1)[0];
    this.kernel?.slab.quarantineRelease(cache, addr);
  }
}

function bootWithScriptedKasan(ctx: Ctx): { k: Kernel; kasan: ScriptedKasan } {
  const kasan = new ScriptedKasan();
  const k = boot(ctx, { kasanHooks: kasan });
  kasan.kernel = k;
  return { k, kasan };
}

/** The smallest kmalloc class of at least n bytes. */
function classFor(sizes: readonly number[], n: number): number {
  for (const s of sizes) if (s >= n) return s;
  return -1;
}

const cases: SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'the kmalloc classes and which one kmalloc(n) uses',
    rules: ['slab-allocator.kmalloc.size-classes'],
    run(ctx) {
      const k = boot(ctx);
      const s = k.slab;
      const sizes = [...s.kmallocSizes];
      const min = sizes[0];
      assert.ok(min >= 8 && min <= 64 && (min & (min - 1)) === 0, `KMALLOC_MIN_SIZE ${min} is a power of two in [8, 64]`);
      const expected: number[] = [];
      for (let n = min; n <= s.kmallocMaxCacheSize; n *= 2) expected.push(n);
      if (min <= 32) expected.push(96);
      if (min <= 64) expected.push(192);
      expected.sort((a, b) => a - b);
      assert.deepEqual(sizes, expected, 'kmallocSizes: the powers of two from KMALLOC_MIN_SIZE to KMALLOC_MAX_CACHE_SIZE, with 96 and 192');
      const probes = new Set<number>();
      for (let n = 1; n <= 300; n++) probes.add(n);
      for (const c of sizes) for (const d of [-1, 0, 1]) if (c + d >= 1 && c + d <= s.kmallocMaxCacheSize) probes.add(c + d);
      for (const n of probes) {
        const a = kmalloc(k, n);
        assert.equal(s.ksize(a), classFor(sizes, n), `ksize(kmalloc(${n}))`);
        s.kfree(a);
      }
    },
  },
  {
    name: 'kmalloc(0), kfree(NULL) and ZERO_SIZE_PTR',
    rules: ['slab-allocator.kmalloc.zero-size'],
    run(ctx) {
      const k = boot(ctx);
      const before = k.slabPages();
      assert.equal(k.slab.kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR, 'kmalloc(0)');
      assert.equal(k.slabPages(), before, 'kmalloc(0) takes no slab page');
      k.slab.kfree(0);
      k.slab.kfree(ZERO_SIZE_PTR);
      assert.equal(k.slab.ksize(ZERO_SIZE_PTR), 0, 'ksize(ZERO_SIZE_PTR)');
      assert.equal(k.slabReports.length, 0, 'kfree of NULL and ZERO_SIZE_PTR reports nothing');
    },
  },
  {
    name: 'kmalloc above KMALLOC_MAX_SIZE fails and takes nothing',
    rules: ['slab-allocator.kmalloc.too-large'],
    run(ctx) {
      const k = boot(ctx);
      assert.equal(k.slab.kmallocMaxSize, KMALLOC_MAX_SIZE, 'KMALLOC_MAX_SIZE = 1 << (MAX_ORDER + PAGE_SHIFT - 1)');
      const free = totalFree(k);
      for (const n of [KMALLOC_MAX_SIZE + 1, 2 * KMALLOC_MAX_SIZE, 2 ** 40]) assert.equal(k.slab.kmalloc(n, GFP_KERNEL), 0, `kmalloc(${n})`);
      assert.equal(totalFree(k), free, 'free pages after the refused kmallocs');
      const big = kmalloc(k, KMALLOC_MAX_SIZE);
      assert.ok(k.slab.ksize(big) >= KMALLOC_MAX_SIZE, 'kmalloc(KMALLOC_MAX_SIZE) succeeds with room for it');
      k.slab.kfree(big);
    },
  },
  {
    name: 'kmalloc refuses impossible sizes and fixes up highmem gfp',
    rules: ['slab-allocator.kmalloc.bad-input'],
    run(ctx) {
      const k = boot(ctx, { machine: { mem: 1024 * MiB, arch: 'i386' } });
      const pages = k.slabPages();
      for (const n of [-1, -4096, 1.5, 100.25, NaN, Infinity]) assert.equal(k.slab.kmalloc(n, GFP_KERNEL), 0, `kmalloc(${n})`);
      assert.equal(k.slabPages(), pages, 'no slab page taken by refused sizes');
      const c = create(k, 'highmem_objs', 512);
      const log = k.dmesg().length;
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 64; i++) objs.push(alloc(k, c, GFP_KERNEL | __GFP_HIGHMEM));
      assert.ok(k.dmesg().slice(log).some((l) => l.includes('Unexpected gfp')), 'an "Unexpected gfp" warning is logged');
      const highmem = k.zoneConfig.HIGHMEM;
      for (const a of objs) {
        const z = k.pageZone(PhysMemory.pfnOf(a));
        assert.ok(z !== undefined && z.idx !== highmem, `object 0x${a.toString(16)} of a __GFP_HIGHMEM allocation is in ${z?.name ?? 'no zone'}, not HighMem`);
      }
      for (const a of objs) k.slab.kmemCacheFree(c, a);
    },
  },
  {
    name: 'large kmallocs come from the page allocator',
    rules: ['slab-allocator.kmalloc.large-from-page-allocator'],
    run(ctx) {
      const k = boot(ctx);
      const s = k.slab;
      const inCache = kmalloc(k, s.kmallocMaxCacheSize);
      assert.ok(k.pages.testFlag(PhysMemory.pfnOf(inCache), PG_slab) || k.pages.testFlag(headOf(k, PhysMemory.pfnOf(inCache)), PG_slab), `kmalloc(KMALLOC_MAX_CACHE_SIZE = ${s.kmallocMaxCacheSize}) lives in a PG_slab page`);
      s.kfree(inCache);
      if (s.kmallocMaxCacheSize >= s.kmallocMaxSize) {
        ctx.note('KMALLOC_MAX_CACHE_SIZE = KMALLOC_MAX_SIZE (every kmalloc has a cache, as in SLAB)');
        return;
      }
      for (const size of [s.kmallocMaxCacheSize + 1, 3 * PAGE_SIZE * 4, s.kmallocMaxSize]) {
        const order = Math.max(0, Math.ceil(Math.log2(size / PAGE_SIZE)));
        const free = totalFree(k);
        const a = kmalloc(k, size);
        assert.equal(a % PAGE_SIZE, 0, `kmalloc(${size}) is page aligned`);
        const pfn = PhysMemory.pfnOf(a);
        assert.ok(!k.pages.testFlag(pfn, PG_slab), `kmalloc(${size}) is not a slab page`);
        if (order > 0) assert.ok(k.pages.testFlag(pfn, PG_head), `kmalloc(${size}) is a compound page`);
        assert.equal(free - totalFree(k), 2 ** order, `kmalloc(${size}) takes 2^get_order(size) pages`);
        assert.equal(s.ksize(a), PAGE_SIZE * 2 ** order, `ksize of a kmalloc_large(${size})`);
        s.kfree(a);
        assert.equal(totalFree(k), free, `kfree gives kmalloc(${size})'s pages back`);
      }
    },
  },
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
      const k = boot(ctx, { failslab: { probability: 100, interval: 1, times: 5, ignoreGfpWait: false } });
      const c = create(k, 'fail_objs', 64);
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
  {
    name: 'kmem_cache_shrink gives empty slabs back',
    rules: ['slab-allocator.reclaim.shrink'],
    run(ctx) {
      const k = boot(ctx);
      const before = k.slabPages();
      const c = create(k, 'shrink_objs', 256);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 1000; i++) objs.push(alloc(k, c));
      assert.atLeast(k.slabPages() - before, Math.ceil((1000 * 256) / PAGE_SIZE), 'slab pages for 1000 objects of 256 bytes');
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheShrink(c);
      assert.equal(info(k, c).numSlabs, 0, 'slabs left after freeing every object and shrinking');
      assert.equal(k.slabPages(), before, 'slab pages after kmem_cache_shrink');
    },
  },
  {
    name: 'destroying every cache gives every page back',
    rules: ['slab-allocator.reclaim.destroy-returns-pages'],
    run(ctx) {
      const k = boot(ctx, { nrCpus: 4 });
      const free = totalFree(k);
      const pages = k.slabPages();
      const caches = [create(k, 'x1', 24), create(k, 'x2', 700, 0, SLAB_HWCACHE_ALIGN), create(k, 'x3', 5000), create(k, 'x4', 64, 0, SLAB_TYPESAFE_BY_RCU)];
      const objs: [KmemCache | undefined, ObjAddr][] = [];
      for (let i = 0; i < 3000; i++) {
        k.sched.onCpu(i % 4, () => {
          const c = caches[i % caches.length];
          objs.push([c, alloc(k, c)]);
          objs.push([undefined, kmalloc(k, 1 + ((i * 37) % 20000))]);
        });
      }
      assert.ok(totalFree(k) < free, 'the objects took pages');
      for (let i = objs.length - 1; i >= 0; i--) {
        const [c, a] = objs[i];
        k.sched.onCpu(i % 4, () => (c ? k.slab.kmemCacheFree(c, a) : k.slab.kfree(a)));
      }
      for (const c of caches) k.slab.kmemCacheDestroy(c);
      for (const c of k.slab.caches()) k.slab.kmemCacheShrink(c);
      assert.equal(k.slabReports.length, 0, `no misuse or leak reported: ${k.slabReports[0]?.message ?? ''}`);
      assert.equal(k.slabPages(), pages, 'pages the object allocator holds');
      assert.equal(totalFree(k), free, 'free pages after destroying every cache');
      checkKernel(k, 'after destroying every cache');
      for (const c of caches) assert.ok(!k.slab.caches().includes(c), `${c.name} is gone from slab_caches`);
    },
  },
  {
    name: 'destroying a cache with objects reports a leak and keeps it',
    rules: ['slab-allocator.reclaim.destroy-leak'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'leaky', 128);
      const a = alloc(k, c);
      k.phys.write(a, pattern(1, 128));
      k.slab.kmemCacheDestroy(c);
      assert.equal(reportsOf(k, 'leak'), 1, 'one leak report');
      assert.ok(k.slab.caches().includes(c), 'the cache is still in slab_caches');
      assert.equal(sameBytes(readBytes(k, a, 128), pattern(1, 128)), -1, 'the live object is intact');
      const b = alloc(k, c);
      assert.ok(b !== a, 'the cache still works');
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, b);
      k.slab.kmemCacheDestroy(c);
      assert.equal(reportsOf(k, 'leak'), 1, 'no new leak report once the objects are freed');
      assert.ok(!k.slab.caches().includes(c), 'the cache is gone');
    },
  },
  {
    name: 'a write past an object of a SLAB_RED_ZONE cache is reported at free',
    rules: ['slab-allocator.debug.red-zone'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'redzoned', 64, 0, SLAB_RED_ZONE);
      const good = alloc(k, c);
      k.phys.fill(good, 64, 0x11); // the whole object, nothing past it
      k.slab.kmemCacheFree(c, good);
      assert.equal(reportsOf(k, 'redzone'), 0, 'writing the whole object is no overwrite');
      const a = alloc(k, c);
      k.phys.write(a + 64, Uint8Array.of(0x42)); // one byte past the object
      k.slab.kmemCacheFree(c, a);
      assert.equal(reportsOf(k, 'redzone'), 1, 'a write one byte past the object is reported when it is freed');
    },
  },
  {
    name: 'a write into a freed object of a SLAB_POISON cache is reported',
    rules: ['slab-allocator.debug.poison'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'poisoned', 64, 0, SLAB_POISON);
      const keep = alloc(k, c);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      const clean = allocUntil(k, c, a, 4 * info(k, c).objectsPerSlab);
      assert.equal(reportsOf(k, 'poison'), 0, 'allocating objects nobody wrote after free reports nothing');
      for (const x of clean.taken) k.slab.kmemCacheFree(c, x);
      k.phys.write(a + 20, Uint8Array.of(0x00, 0x01, 0x02)); // use after free
      const again = allocUntil(k, c, a, 4 * info(k, c).objectsPerSlab);
      assert.ok(again.found, 'the freed object is allocated again');
      assert.atLeast(reportsOf(k, 'poison'), 1, 'the write after free is reported');
      for (const x of [...again.taken, keep]) k.slab.kmemCacheFree(c, x);
    },
  },
  {
    name: 'a double free is reported and changes nothing',
    rules: ['slab-allocator.misuse.double-free'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'df_objs', 64);
      const keep = alloc(k, c);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, a);
      assert.equal(reportsOf(k, 'double-free'), 1, 'a double-free report');
      const got = [alloc(k, c), alloc(k, c), alloc(k, c)];
      assert.equal(new Set([...got, keep]).size, 4, `allocations after the double free are distinct: ${got.map((x) => x.toString(16)).join(', ')}`);
      const x = kmalloc(k, 100);
      k.slab.kfree(x);
      const since = k.slabReports.length;
      k.slab.kfree(x);
      assert.equal(reportsOf(k, 'double-free', since), 1, 'a double kfree is reported');
      const y = kmalloc(k, 100);
      const z = kmalloc(k, 100);
      assert.ok(y !== z, 'kmallocs after the double kfree are distinct');
    },
  },
  {
    name: 'freeing what is not an object is reported and changes nothing',
    rules: ['slab-allocator.misuse.invalid-free'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'inv_objs', 64);
      const a = alloc(k, c);
      k.phys.write(a, pattern(3, 64));
      const active = info(k, c).activeObjs;
      k.slab.kmemCacheFree(c, a + 8);
      assert.equal(reportsOf(k, 'invalid-free'), 1, 'freeing a pointer inside an object is reported as an invalid free');
      const pfn = k.pageAllocator.allocPages(GFP_KERNEL, 0);
      assert.ok(pfn !== NO_PAGE, 'a page for the test');
      const since = k.slabReports.length;
      k.slab.kfree(PhysMemory.addrOf(pfn) + 64);
      assert.equal(reportsOf(k, 'invalid-free', since), 1, 'kfree of an address in a page that is no slab is reported');
      k.pageAllocator.freePages(pfn, 0);
      assert.equal(info(k, c).activeObjs, active, 'active objects unchanged');
      assert.equal(sameBytes(readBytes(k, a, 64), pattern(3, 64)), -1, 'the object is intact');
      const others = new Set<number>();
      for (let i = 0; i < 200; i++) others.add(alloc(k, c));
      assert.ok(!others.has(a) && others.size === 200, 'the object was not put back on a freelist');
    },
  },
  {
    name: 'freeing an object to the wrong cache is reported',
    rules: ['slab-allocator.misuse.wrong-cache'],
    run(ctx) {
      const k = boot(ctx);
      const c1 = create(k, 'wc_one', 64);
      const c2 = create(k, 'wc_two', 64);
      const a = alloc(k, c1);
      const b = alloc(k, c2);
      const i1 = info(k, c1).activeObjs;
      const i2 = info(k, c2).activeObjs;
      k.slab.kmemCacheFree(c2, a);
      assert.equal(reportsOf(k, 'wrong-cache'), 1, 'a wrong-cache report');
      assert.equal(info(k, c2).activeObjs, i2, `${c2.name} active objects unchanged`);
      assert.equal(info(k, c1).activeObjs, i1, `${c1.name} active objects unchanged`);
      const taken = new Set<number>();
      for (let i = 0; i < 200; i++) taken.add(alloc(k, c2));
      assert.ok(!taken.has(a), `the object of ${c1.name} is not handed out by ${c2.name}`);
      k.slab.kmemCacheFree(c1, a);
      k.slab.kmemCacheFree(c2, b);
      assert.equal(k.slabReports.length, 1, 'freeing to the right caches reports nothing');
    },
  },
  {
    name: '/proc/slabinfo counts',
    rules: ['slab-allocator.slabinfo.counts'],
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
      assert.equal(num, numSlabs * perSlab, 'num_objs = num_slabs × objperslab');
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
  {
    name: 'cache_reap runs every 2 s on every CPU, even with debug_force_rr_cpu or a narrow unbound cpumask',
    rules: ['slab-allocator.cache-reap.every-cpu'],
    requires: 'cacheReap',
    run(ctx) {
      const setups: [string, Omit<KernelConfig, 'slab'>][] = [
        ['debug_force_rr_cpu=1', { debugForceRrCpu: true }],
        ['unbound cpumask 2-3', { unboundCpumask: [2, 3] }],
        ['defaults', {}],
      ];
      const wrong: string[] = [];
      for (const [label, config] of setups) {
        const k = boot(ctx, { nrCpus: 4, ...config });
        const runs = (cpu: number) => k.slab.cacheReapRuns?.(cpu) ?? assert.fail('cacheReapRuns() is missing');
        const start = [0, 1, 2, 3].map(runs);
        const t0 = k.sched.jiffies;
        k.sched.runUntil(t0 + 60 * k.sched.hz);
        const per = [0, 1, 2, 3].map((cpu) => runs(cpu) - start[cpu]);
        ctx.note(`${label}: cache_reap runs per CPU in 60 s: ${per.join(' ')}`);
        if (per.some((n) => n < 29 || n > 31)) wrong.push(`${label}: ${per.join(' ')}`);
      }
      if (wrong.length) assert.fail(`cache_reap runs per CPU in 60 s, expected 30 (±1) on each of 4 CPUs: ${wrong.join('; ')}`);
    },
  },
  {
    name: "cache_reap drains an idle CPU's cached objects",
    rules: ['slab-allocator.cache-reap.drains'],
    requires: 'cacheReap',
    run(ctx) {
      const k = boot(ctx, { nrCpus: 2 });
      const c = create(k, 'reap_objs', 256);
      const objs: ObjAddr[] = [];
      k.sched.onCpu(1, () => {
        for (let i = 0; i < 100; i++) objs.push(alloc(k, c));
        for (const a of objs) k.slab.kmemCacheFree(c, a);
      });
      const cached = info(k, c).activeObjs;
      ctx.note(`active objects right after freeing all 100 on CPU 1: ${cached}`);
      k.sched.runUntil(k.sched.jiffies + 60 * k.sched.hz);
      assert.equal(info(k, c).activeObjs, 0, 'active objects after 60 idle seconds of cache_reap');
    },
  },
];

/** The head page of a compound page (compound_head()): walk back over PG_tail pages. */
function headOf(k: Kernel, pfn: number): number {
  let p = pfn;
  while (p > 0 && k.pages.testFlag(p, PG_tail)) p--;
  return p;
}

/** What an object allocator provides of the optional parts of the contract. */
export function slabAllocatorFeatures(slab: SlabAllocator): Record<string, boolean> {
  return { bulk: Boolean(slab.supports.bulk), kasan: Boolean(slab.supports.kasan), cacheReap: typeof slab.cacheReapRuns === 'function' };
}

export const slabAllocatorSuite: Suite<SlabAllocatorUnderTest> = {
  contract: 'slab-allocator',
  cases,
  probe(factory: SlabAllocatorUnderTest): FeatureSet {
    return slabAllocatorFeatures(createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', slab: factory ?? 'slub' }).slab);
  },
};

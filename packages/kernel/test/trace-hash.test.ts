/**
 * Seeded traces of the default page allocator (buddy) and of both object allocators (SLUB,
 * SLAB), hashed. Each trace is a long random but seeded mix of allocations and frees (good and
 * bad), sysctl writes, drains and cache operations on several machines; the hash covers every
 * value returned, the free counts after each step, the free lists and per-cpu lists at the end,
 * the /proc views, the kernel log and the misuse reports.
 *
 * A refactor of an allocator that changes no behaviour keeps these hashes. A change of
 * behaviour changes them: update the expected value in the same commit and say why.
 * MMKIT_TRACE_HASH_PRINT=1 prints the hashes instead of checking them.
 */
import { describe, expect, it } from 'vitest';
import {
  GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_USER, NO_PAGE, Prng, SLAB_HWCACHE_ALIGN,
  SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU, __GFP_COMP, __GFP_NOWARN, __GFP_RECLAIMABLE, __GFP_THISNODE, __GFP_ZERO,
  type KmemCache,
} from '@mmkit/core';
import { createKernel, type Kernel, type KernelConfig } from '../src/index.js';

const MiB = 2 ** 20;
const PRINT = process.env.MMKIT_TRACE_HASH_PRINT === '1';

/** FNV-1a over the UTF-16 code units of everything fed to it. */
class TraceHash {
  private h = 0x811c9dc5;
  add(v: string | number): void {
    const s = typeof v === 'number' ? `${v};` : `${v}\u0000`;
    let h = this.h;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    this.h = h >>> 0;
  }
  hex(): string {
    return this.h.toString(16).padStart(8, '0');
  }
}

function hashKernelState(k: Kernel, h: TraceHash): void {
  k.pageAllocator.forEachFreeBlock((zone, pfn, order, mt) => {
    h.add(zone.zoneNum);
    h.add(pfn);
    h.add(order);
    h.add(mt);
  });
  k.pageAllocator.forEachPcpPage((zone, cpu, pfn) => {
    h.add(zone.zoneNum);
    h.add(cpu);
    h.add(pfn);
  });
  for (const f of ['/proc/zoneinfo', '/proc/buddyinfo', '/proc/pagetypeinfo', '/proc/meminfo', '/proc/slabinfo', '/proc/vmstat']) {
    if (k.listFiles().includes(f)) h.add(k.readFile(f));
  }
  for (const line of k.dmesg()) h.add(line);
  for (const r of k.badPageReports) h.add(`${r.pfn}:${r.reason}`);
  for (const r of k.slabReports) h.add(`${r.kind}:${r.cache}:${r.addr}:${r.message}`);
  h.add(k.checkInvariants().length);
}

const PAGE_GFPS = [GFP_KERNEL, GFP_USER, GFP_HIGHUSER_MOVABLE, GFP_ATOMIC, GFP_DMA | GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_ZERO, GFP_KERNEL | __GFP_COMP, GFP_ATOMIC | __GFP_NOWARN, GFP_KERNEL | __GFP_THISNODE];

/** A seeded trace of the page allocator: allocations of every order, frees in random order, misuse, sysctls, drains. */
function pageAllocatorTrace(config: KernelConfig, seed: number, steps: number): string {
  const k = createKernel({ seed, ...config });
  const rng = new Prng(seed);
  const h = new TraceHash();
  const held: [number, number][] = [];
  const nodes = k.layout.nodes.length;
  for (let step = 0; step < steps; step++) {
    const r = rng.nextU32() % 100;
    if (r < 55 || held.length === 0) {
      const order = rng.nextU32() % 4 === 0 ? rng.nextU32() % 11 : 0;
      const gfp = PAGE_GFPS[rng.nextU32() % PAGE_GFPS.length];
      const nid = rng.nextU32() % 3 === 0 ? rng.nextU32() % nodes : undefined;
      k.sched.currentCpu = rng.nextU32() % k.sched.nrCpus;
      const pfn = k.pageAllocator.allocPages(gfp | __GFP_NOWARN, order, nid);
      h.add(pfn);
      if (pfn !== NO_PAGE) held.push([pfn, order]);
    } else if (r < 93) {
      const i = rng.nextU32() % held.length;
      const [pfn, order] = held[i];
      held[i] = held[held.length - 1];
      held.pop();
      k.sched.currentCpu = rng.nextU32() % k.sched.nrCpus;
      k.pageAllocator.freePages(pfn, order);
    } else if (r < 95) {
      // misuse: a double free, a wrong order, a pfn outside the memmap
      const kind = rng.nextU32() % 3;
      if (kind === 0 && held.length) {
        const [pfn, order] = held[held.length - 1];
        held.pop();
        k.pageAllocator.freePages(pfn, order);
        k.pageAllocator.freePages(pfn, order);
      } else if (kind === 1 && held.length) {
        const [pfn, order] = held[held.length - 1];
        k.pageAllocator.freePages(pfn, order + 1);
      } else {
        k.pageAllocator.freePages(k.pages.maxPfn + 7, 0);
      }
    } else if (r < 97) {
      h.add(k.sysctl('vm.min_free_kbytes', 1024 + (rng.nextU32() % 8192)));
      h.add(k.sysctl('vm.watermark_scale_factor', rng.nextU32() % 1200));
    } else if (r < 98) {
      h.add(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', `${rng.nextU32() % 300} ${rng.nextU32() % 300} ${rng.nextU32() % 64} 0 0`));
    } else {
      k.pageAllocator.drainAllPages();
    }
    for (const z of k.zones) h.add(z.freePages);
  }
  hashKernelState(k, h);
  for (const [pfn, order] of held) k.pageAllocator.freePages(pfn, order);
  k.pageAllocator.drainAllPages();
  hashKernelState(k, h);
  return h.hex();
}

/** A seeded trace of an object allocator: caches of many sizes and flags, kmalloc, bulk, shrink, destroy, misuse, object bytes. */
function slabTrace(config: KernelConfig, seed: number, steps: number): string {
  const k = createKernel({ seed, ...config });
  const rng = new Prng(seed);
  const h = new TraceHash();
  const s = k.slab;
  const caches: KmemCache[] = [];
  const flagsOf = [0, SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU];
  const objs: [KmemCache | null, number][] = [];
  const bulk = new Float64Array(64);
  const bytes = new Uint8Array(16);
  for (let step = 0; step < steps; step++) {
    const r = rng.nextU32() % 100;
    k.sched.currentCpu = rng.nextU32() % k.sched.nrCpus;
    if (r < 3 || caches.length === 0) {
      const size = 8 + (rng.nextU32() % 3000);
      const c = s.kmemCacheCreate(`trace_${caches.length}`, size, rng.nextU32() % 2 ? 0 : 64, flagsOf[rng.nextU32() % flagsOf.length]);
      h.add(c ? `${c.name}/${c.objectSize}/${c.size}/${c.align}/${c.flags}` : 'null');
      if (c) caches.push(c);
    } else if (r < 40) {
      const c = caches[rng.nextU32() % caches.length];
      const a = s.kmemCacheAlloc(c, GFP_KERNEL);
      h.add(a);
      if (a) {
        bytes.fill(step & 0xff);
        k.phys.write(a, bytes.subarray(0, Math.min(bytes.length, c.objectSize)));
        objs.push([c, a]);
      }
    } else if (r < 55) {
      const size = rng.nextU32() % 3 === 0 ? rng.nextU32() % 40000 : rng.nextU32() % 2048;
      const a = s.kmalloc(size, rng.nextU32() % 8 === 0 ? GFP_DMA | GFP_KERNEL : GFP_KERNEL);
      h.add(a);
      h.add(s.ksize(a));
      if (a > 16) objs.push([null, a]);
    } else if (r < 85 && objs.length) {
      const i = rng.nextU32() % objs.length;
      const [c, a] = objs[i];
      objs[i] = objs[objs.length - 1];
      objs.pop();
      if (c) {
        k.phys.read(a, bytes.subarray(0, Math.min(bytes.length, c.objectSize)));
        h.add(bytes[0]);
        s.kmemCacheFree(c, a);
      } else s.kfree(a);
    } else if (r < 90) {
      const c = caches[rng.nextU32() % caches.length];
      const n = 1 + (rng.nextU32() % 64);
      const got = s.kmemCacheAllocBulk(c, GFP_KERNEL, n, bulk);
      h.add(got);
      for (let i = 0; i < got; i++) h.add(bulk[i]);
      if (rng.nextU32() % 2) s.kmemCacheFreeBulk(c, got, bulk);
      else for (let i = 0; i < got; i++) objs.push([c, bulk[i]]);
    } else if (r < 93) {
      h.add(s.kmemCacheShrink(caches[rng.nextU32() % caches.length]));
    } else if (r < 95 && objs.length) {
      // misuse: a double free or a free into the wrong cache
      const [c, a] = objs[objs.length - 1];
      objs.pop();
      if (c) {
        s.kmemCacheFree(c, a);
        s.kmemCacheFree(caches[rng.nextU32() % caches.length], a);
      } else {
        s.kfree(a);
        s.kfree(a);
      }
    } else if (r < 97) {
      k.sched.advance(1 + (rng.nextU32() % 3000));
    } else {
      const i = rng.nextU32() % caches.length;
      const c = caches[i];
      for (let j = objs.length - 1; j >= 0; j--) {
        if (objs[j][0] === c) {
          s.kmemCacheFree(c, objs[j][1]);
          objs.splice(j, 1);
        }
      }
      s.kmemCacheDestroy(c);
      caches.splice(i, 1);
    }
    for (const c of caches) {
      const info = s.slabinfo(c);
      h.add(info.activeObjs);
      h.add(info.numSlabs);
    }
    h.add(k.slabPages());
  }
  hashKernelState(k, h);
  return h.hex();
}

const MACHINES: Record<string, KernelConfig> = {
  'one node, 64 MiB': { machine: { mem: 64 * MiB }, nrCpus: 2 },
  'two nodes, movable zone': { machine: { mem: 512 * MiB, nodes: 2, movablecore: 128 * MiB }, nrCpus: 4 },
  'pcp off, no THP': { machine: { mem: 96 * MiB }, nrCpus: 1, pcp: false, thp: 'never' },
  'seed-22g preset': { preset: 'seed-22g', nrCpus: 2 },
  'one node, 64 MiB, CONFIG_DEBUG_VM': { machine: { mem: 64 * MiB }, nrCpus: 2, debug: { vm: true } },
};

const EXPECTED_PAGE: Record<string, string> = {
  'one node, 64 MiB': '5eae584c',
  'two nodes, movable zone': '3180fea2',
  'pcp off, no THP': '9f7b949b',
  'seed-22g preset': 'c80dfbf6',
  'one node, 64 MiB, CONFIG_DEBUG_VM': '4daeccab',
};

const SLAB_CONFIGS: Record<string, KernelConfig> = {
  slub: { machine: { mem: 256 * MiB }, nrCpus: 2, slab: 'slub' },
  'slub with KASAN': { machine: { mem: 256 * MiB }, nrCpus: 2, slab: 'slub', kasan: true },
  slab: { machine: { mem: 256 * MiB }, nrCpus: 2, slab: 'slab' },
  'slab with KASAN, 2 nodes': { machine: { mem: 512 * MiB, nodes: 2 }, nrCpus: 4, slab: 'slab', kasan: true },
  'slub, slub_debug=FZP, hardened, CONFIG_DEBUG_VM': { machine: { mem: 256 * MiB }, nrCpus: 2, slab: 'slub', debug: { vm: true, slubDebug: 'FZP', freelistHardened: true } },
};

const EXPECTED_SLAB: Record<string, string> = {
  slub: 'b6fc4426',
  'slub with KASAN': '6d429505',
  slab: '1ebdbce0',
  'slab with KASAN, 2 nodes': 'b215edc5',
  'slub, slub_debug=FZP, hardened, CONFIG_DEBUG_VM': 'ede72e3f',
};

describe('seeded traces hash as before (a refactor changes no behaviour)', () => {
  for (const [name, config] of Object.entries(MACHINES)) {
    it(`page allocator: ${name}`, () => {
      const got = pageAllocatorTrace(config, 17, name === 'seed-22g preset' ? 1500 : 4000);
      if (PRINT) console.log(`page ${JSON.stringify(name)}: '${got}'`);
      else expect(got).toBe(EXPECTED_PAGE[name]);
    });
  }
  for (const [name, config] of Object.entries(SLAB_CONFIGS)) {
    it(`object allocator: ${name}`, () => {
      const got = slabTrace(config, 23, 4000);
      if (PRINT) console.log(`slab ${JSON.stringify(name)}: '${got}'`);
      else expect(got).toBe(EXPECTED_SLAB[name]);
    });
  }
});

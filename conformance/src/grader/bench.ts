/**
 * Throughput and fragmentation figures of a page allocator (and throughput of an object
 * allocator), measured on a kernel booted around it, each beside the reference implementation
 * measured in the same run: the ratio is the figure that counts, the absolute one depends on the
 * host (labelled). Figures for a report, never asserted in a test.
 *
 * Throughput is taken after a warm-up, as the median of several rounds, the rounds of the
 * implementation and of the reference interleaved so that a slow patch of the host hits both.
 * Each side runs its own copy of the measuring loop (compiled apart), so that a loop's call
 * sites see one allocator class: a loop shared by two classes turns polymorphic and slows both.
 */
import os from 'node:os';
import {
  GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MAX_ORDER, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, NO_PAGE, PAGEBLOCK_ORDER, Prng,
  __GFP_NOWARN, __GFP_RECLAIMABLE,
  type PageAllocator, type PageAllocatorFactory, type SlabAllocatorFactory,
} from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import type {
  Fragmentation, FragmentationState, HostMachine, PageblockMap, SlabFragmentation, SlabFragmentationState, SlabThroughput, Throughput, ThroughputMethod,
} from './types.js';
import type { BenchIsolation } from '../contract.js';

const GiB = 2 ** 30;
const BATCH = 256;

export interface ThroughputOptions {
  /** Warm-up per side and figure before the first round (default 100 ms). */
  readonly warmupMs?: number;
  /** Rounds per side and figure; the median is reported (default 5). */
  readonly rounds?: number;
  /** Length of a round (default 30 ms). */
  readonly roundMs?: number;
  /** Measure the reference beside it (default true). */
  readonly reference?: boolean;
  /** The implementation runs in a thread of its own: the reference is `isolation.reference`, and each batch runs there in one call. */
  readonly isolation?: BenchIsolation<PageAllocatorFactory>;
}

const DEFAULT_METHOD: ThroughputMethod = { warmupMs: 100, rounds: 5, roundMs: 30 };

function methodOf(opts: ThroughputOptions): ThroughputMethod {
  return { warmupMs: opts.warmupMs ?? DEFAULT_METHOD.warmupMs, rounds: opts.rounds ?? DEFAULT_METHOD.rounds, roundMs: opts.roundMs ?? DEFAULT_METHOD.roundMs };
}

/** The host the figures come from: CPU model and count, Node version, platform. */
export function hostMachine(): HostMachine {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.replace(/\s+/g, ' ').trim();
  return {
    cpuModel: model || 'unknown CPU',
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
  };
}

/** "Intel(R) Xeon(R) CPU @ 2.20GHz ×2, node v20.20.0, linux x64". */
export function hostLabel(host: HostMachine): string {
  return `${host.cpuModel} ×${host.cpus}, node ${host.node}, ${host.platform} ${host.arch}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** One batch of work (BATCH pairs); a fresh copy of its code per call, see the file comment. */
type Batch = () => void;

/**
 * Compile `body` as a function of its own (new Function gives it its own feedback, which a
 * closure created at a shared site would share); falls back to `fallback` where code
 * generation from strings is disallowed.
 */
function ownCopy<A extends unknown[]>(params: string[], body: string, fallback: (...args: A) => Batch): (...args: A) => Batch {
  try {
    // The body is this file's own constant text (no input reaches it): compiled apart on purpose.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function(...params, body) as (...args: A) => Batch;
  } catch {
    return fallback;
  }
}

function pageBatch(pa: PageAllocator, order: number, gfp: number, noPage: number): Batch {
  const body = `const pfns = new Int32Array(${BATCH});
return () => {
  for (let i = 0; i < ${BATCH}; i++) pfns[i] = pa.allocPages(gfp, order);
  for (let i = 0; i < ${BATCH}; i++) if (pfns[i] !== noPage) pa.freePages(pfns[i], order);
};`;
  return ownCopy<[PageAllocator, number, number, number]>(['pa', 'order', 'gfp', 'noPage'], body, (p, o, g, n) => {
    const pfns = new Int32Array(BATCH);
    return () => {
      for (let i = 0; i < BATCH; i++) pfns[i] = p.allocPages(g, o);
      for (let i = 0; i < BATCH; i++) if (pfns[i] !== n) p.freePages(pfns[i], o);
    };
  })(pa, order, gfp, noPage);
}

/** Run `batch` for `ms` (at least once); pairs per second. */
function runFor(batch: Batch, ms: number): number {
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    batch();
    ops += BATCH;
    t = performance.now();
  } while (t - t0 < ms);
  return Math.round(ops / ((t - t0) / 1000));
}

/**
 * Warm every batch up, then `rounds` rounds in which each batch runs for `roundMs` in turn;
 * each batch's rounds, in order.
 */
function interleavedRounds(batches: readonly Batch[], method: ThroughputMethod): number[][] {
  for (const b of batches) runFor(b, method.warmupMs);
  const rounds = batches.map(() => [] as number[]);
  for (let r = 0; r < method.rounds; r++) batches.forEach((b, i) => rounds[i].push(runFor(b, method.roundMs)));
  return rounds;
}

function pageAllocatorOf(factory: PageAllocatorFactory | undefined): PageAllocator {
  return createKernel({ machine: { mem: GiB }, nrCpus: 1, thp: 'never', pageAllocator: factory }).pageAllocator;
}

/**
 * Order-0 and order-3 alloc+free pairs per second (batches of 256 allocations, then their
 * frees) on a 1 GiB machine, after warm-up, the median of several rounds; the reference
 * (the kernel's default page allocator) measured in the same rounds.
 */
export function measureThroughput(factory: PageAllocatorFactory | undefined, opts: ThroughputOptions = {}): Throughput {
  const t0 = performance.now();
  const method = methodOf(opts);
  const withReference = opts.reference ?? true;
  const sides = withReference ? [factory, undefined] : [factory];
  const batches: Batch[] = [];
  const iso = opts.isolation;
  if (iso && withReference) sides[1] = iso.reference;
  for (const f of sides) {
    const pa = pageAllocatorOf(f);
    if (iso) batches.push(() => iso.batch(pa, BATCH, 0, GFP_KERNEL), () => iso.batch(pa, BATCH, 3, GFP_KERNEL));
    else batches.push(pageBatch(pa, 0, GFP_KERNEL, NO_PAGE), pageBatch(pa, 3, GFP_KERNEL, NO_PAGE));
  }
  const rounds = interleavedRounds(batches, method);
  return {
    machine: '1 GiB, 1 node, 1 CPU',
    order0OpsPerSec: median(rounds[0]),
    order3OpsPerSec: median(rounds[1]),
    ms: Math.round(performance.now() - t0),
    host: hostMachine(),
    method,
    order0Rounds: rounds[0],
    order3Rounds: rounds[1],
    ...(withReference ? { reference: { order0OpsPerSec: median(rounds[2]), order3OpsPerSec: median(rounds[3]) } } : {}),
  };
}

/** unusable_free_index(): (free pages - pages in blocks of `order` or more) / free pages. */
export function unusableFreeIndex(freeBlocksPerOrder: readonly number[], order: number): number {
  let free = 0;
  let suitable = 0;
  freeBlocksPerOrder.forEach((n, o) => {
    free += n * 2 ** o;
    if (o >= order) suitable += n * 2 ** o;
  });
  return free === 0 ? 0 : (free - suitable) / free;
}

/** FNV-1a, 32 bits, over 32-bit words. */
function fnv1a(h: number, word: number): number {
  for (let s = 0; s < 32; s += 8) {
    h ^= (word >>> s) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const FNV_OFFSET = 0x811c9dc5;

interface FragmentationRun extends FragmentationState {
  readonly allocatedPages: number;
}

/** The workload's migratetypes, in the order its gfp masks are drawn. */
const WORKLOAD_GFPS = [GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE];
const WORKLOAD_MIGRATETYPES = [MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, MIGRATE_RECLAIMABLE];

function fragmentationRun(factory: PageAllocatorFactory | undefined, seed: number, steps: number): FragmentationRun {
  const k = createKernel({ machine: { mem: GiB }, nrCpus: 2, thp: 'never', seed, pageAllocator: factory });
  const pa = k.pageAllocator;
  const prng = new Prng(seed);
  const heldPfn: number[] = [];
  const heldOrder: number[] = [];
  const heldType: number[] = [];
  let allocated = 0;
  let hash = FNV_OFFSET;
  const target = Math.floor(k.zones.reduce((n, z) => n + z.managedPages, 0) * 0.75);
  const alloc = (): boolean => {
    const r = prng.nextFloat();
    const order = r < 0.7 ? 0 : r < 0.95 ? 1 + prng.nextInt(3) : 4 + prng.nextInt(6);
    k.sched.currentCpu = prng.nextInt(2);
    const type = prng.nextInt(WORKLOAD_GFPS.length);
    const pfn = pa.allocPages(WORKLOAD_GFPS[type] | __GFP_NOWARN, order);
    hash = fnv1a(hash, pfn);
    if (pfn === NO_PAGE) return false;
    heldPfn.push(pfn);
    heldOrder.push(order);
    heldType.push(WORKLOAD_MIGRATETYPES[type]);
    allocated += 2 ** order;
    return true;
  };
  const free = (): void => {
    const i = prng.nextInt(heldPfn.length);
    const pfn = heldPfn[i];
    const order = heldOrder[i];
    const last = heldPfn.length - 1;
    heldPfn[i] = heldPfn[last];
    heldOrder[i] = heldOrder[last];
    heldType[i] = heldType[last];
    heldPfn.pop();
    heldOrder.pop();
    heldType.pop();
    k.sched.currentCpu = prng.nextInt(2);
    pa.freePages(pfn, order);
    allocated -= 2 ** order;
  };
  for (let failures = 0; allocated < target && failures < 100; ) if (!alloc()) failures++;
  for (let step = 0; step < steps; step++) {
    if (heldPfn.length && (allocated >= target || prng.nextFloat() < 0.5)) free();
    else alloc();
  }
  for (let n = Math.floor(heldPfn.length / 2); n > 0; n--) free();
  k.sched.currentCpu = 0;
  pa.drainAllPages();

  // The pageblocks the zones span.
  const blockPages = 2 ** PAGEBLOCK_ORDER;
  const populated = k.zones.filter((z) => z.spannedPages > 0);
  const firstBlock = Math.floor(Math.min(...populated.map((z) => z.zoneStartPfn)) / blockPages);
  const endBlock = Math.ceil(Math.max(...populated.map((z) => z.zoneEndPfn)) / blockPages);
  const nBlocks = Math.max(0, endBlock - firstBlock);
  const blockOf = (pfn: number) => Math.floor(pfn / blockPages) - firstBlock;
  const migratetype = new Array<number>(nBlocks);
  for (let b = 0; b < nBlocks; b++) {
    const pfn = (firstBlock + b) * blockPages;
    migratetype[b] = k.pages.pageblockZone[pfn >>> PAGEBLOCK_ORDER] === 0 ? -1 : k.pages.getPageblockMigratetype(pfn);
  }
  const freeInBlock = new Array<number>(nBlocks).fill(0);
  const perOrder = new Array<number>(MAX_ORDER).fill(0);
  pa.forEachFreeBlock((_zone, pfn, order) => {
    if (!(order >= 0 && order < MAX_ORDER)) return;
    perOrder[order]++;
    for (let p = pfn, left = 2 ** order; left > 0; ) {
      const inBlock = Math.min(left, blockPages - (p % blockPages));
      const b = blockOf(p);
      if (b >= 0 && b < nBlocks) freeInBlock[b] += inBlock;
      p += inBlock;
      left -= inBlock;
    }
  });
  const mixed = new Array<number>(nBlocks).fill(0);
  heldPfn.forEach((pfn, i) => {
    for (let b = blockOf(pfn), last = blockOf(pfn + 2 ** heldOrder[i] - 1); b <= last; b++) {
      if (b >= 0 && b < nBlocks && migratetype[b] >= 0 && migratetype[b] !== heldType[i]) mixed[b] = 1;
    }
  });
  let largest = -1;
  perOrder.forEach((n, o) => {
    if (n > 0) largest = o;
  });
  const pageblocks: PageblockMap = { startPfn: firstBlock * blockPages, pagesPerBlock: blockPages, migratetype, freePages: freeInBlock, mixed };
  return {
    allocatedPages: allocated,
    freePages: perOrder.reduce((n, c, o) => n + c * 2 ** o, 0),
    largestFreeOrder: largest,
    freeBlocksPerOrder: perOrder,
    unusableFreeIndex: { order: 9, value: Math.round(unusableFreeIndex(perOrder, 9) * 1000) / 1000 },
    allocationHash: hash.toString(16).padStart(8, '0'),
    pageblocks,
  };
}

/**
 * A seeded random workload of mixed migratetypes and orders (mostly small): fill three quarters
 * of a 1 GiB machine, churn (random frees and allocations) for `steps` steps, then free a
 * random half of what is held; then the state of the free lists and of the pageblocks, for the
 * implementation and (unless `reference` is false) for the reference under the same workload.
 */
export function measureFragmentation(factory: PageAllocatorFactory | undefined, seed = 1, steps = 20000, opts: { reference?: boolean } = {}): Fragmentation {
  const { allocatedPages, ...state } = fragmentationRun(factory, seed, steps);
  let reference: FragmentationState | undefined;
  if (opts.reference ?? true) {
    if (factory === undefined) reference = state; // the same seeded run
    else {
      const { allocatedPages: _held, ...ref } = fragmentationRun(undefined, seed, steps);
      reference = ref;
    }
  }
  return { machine: '1 GiB, 1 node, 2 CPUs', seed, steps, allocatedPages, ...state, ...(reference ? { reference } : {}) };
}

/** The kmalloc sizes the object workload draws from: every size class of both implementations, sizes between them, and two above a page. */
const SLAB_WORKLOAD_SIZES = [8, 16, 24, 32, 40, 64, 96, 100, 128, 192, 200, 256, 300, 512, 700, 1024, 1500, 2048, 4096, 5000, 8192];
/** The workload's own caches: kmem_cache_create(name, size, align, flags). */
const SLAB_WORKLOAD_CACHES: readonly (readonly [string, number, number])[] = [
  ['fp_small', 24, 8],
  ['fp_odd', 200, 0],
  ['fp_aligned', 1000, 64],
];

function fnvAddr(h: number, addr: number): number {
  return fnv1a(fnv1a(h, addr >>> 0), Math.floor(addr / 2 ** 32) >>> 0);
}

/** The object workload on one implementation ('slub', 'slab' or a factory): its figures and hashes. */
function slabFragmentationRun(slab: SlabAllocatorFactory | 'slub' | 'slab', seed: number, steps: number): SlabFragmentationState {
  const k = createKernel({ machine: { mem: 256 * 2 ** 20 }, nrCpus: 2, thp: 'never', seed, slab });
  const s = k.slab;
  const caches = SLAB_WORKLOAD_CACHES.map(([name, size, align]) => {
    const c = s.kmemCacheCreate(name, size, align, 0);
    if (!c) throw new Error(`kmem_cache_create(${name}, ${size}, ${align}) failed`);
    return c;
  });
  const prng = new Prng(seed);
  // What is held: its address and its cache (-1: kmalloc'ed).
  const heldAddr: number[] = [];
  const heldCache: number[] = [];
  let hash = FNV_OFFSET;
  const alloc = (): void => {
    k.sched.currentCpu = prng.nextInt(2);
    const which = prng.nextInt(caches.length + 2) - 2; // kmalloc twice as often as any one cache
    const c = which < 0 ? -1 : which;
    const addr = c < 0 ? s.kmalloc(SLAB_WORKLOAD_SIZES[prng.nextInt(SLAB_WORKLOAD_SIZES.length)], GFP_KERNEL) : s.kmemCacheAlloc(caches[c], GFP_KERNEL);
    hash = fnvAddr(hash, addr);
    if (addr === 0) return;
    heldAddr.push(addr);
    heldCache.push(c);
  };
  const free = (): void => {
    const i = prng.nextInt(heldAddr.length);
    const addr = heldAddr[i];
    const c = heldCache[i];
    heldAddr[i] = heldAddr[heldAddr.length - 1];
    heldCache[i] = heldCache[heldCache.length - 1];
    heldAddr.pop();
    heldCache.pop();
    k.sched.currentCpu = prng.nextInt(2);
    if (c < 0) s.kfree(addr);
    else s.kmemCacheFree(caches[c], addr);
  };
  for (let step = 0; step < steps; step++) {
    if (heldAddr.length && prng.nextFloat() < 0.45) free();
    else alloc();
  }
  for (let n = Math.floor(heldAddr.length / 2); n > 0; n--) free();
  k.sched.currentCpu = 0;
  for (const c of caches) s.kmemCacheShrink(c);

  let state = FNV_OFFSET;
  let activeObjs = 0;
  let numObjs = 0;
  let slabPages = 0;
  for (const c of s.caches()) {
    const info = s.slabinfo(c);
    for (const v of [info.activeObjs, info.numObjs, info.activeSlabs, info.numSlabs, info.objectsPerSlab, info.pagesPerSlab, info.numPages]) state = fnv1a(state, v);
    activeObjs += info.activeObjs;
    numObjs += info.numObjs;
    slabPages += info.numPages;
  }
  for (const z of k.zones) state = fnv1a(state, z.freePages);
  return { activeObjs, numObjs, slabPages, allocationHash: hash.toString(16).padStart(8, '0'), stateHash: state.toString(16).padStart(8, '0') };
}

/**
 * A seeded object workload on a 256 MiB machine with 2 CPUs: three caches of its own and kmalloc
 * of sizes from 8 to 8192 bytes, random allocations and frees for `steps` steps from random
 * CPUs, then a random half of what is held freed and the workload's caches shrunk; then every
 * cache's slabinfo. The same for each reference implementation (SLUB, the default, then SLAB)
 * unless `reference` is false: equal hashes mean equal decisions (the fingerprint of delegating
 * to one, or copying it).
 */
export function measureSlabFragmentation(factory: SlabAllocatorFactory | undefined, seed = 1, steps = 6000, opts: { reference?: boolean } = {}): SlabFragmentation {
  const state = slabFragmentationRun(factory ?? 'slub', seed, steps);
  const references = (opts.reference ?? true)
    ? (['slub', 'slab'] as const).map((name) => ({ implementation: `@mmkit/${name}`, ...(factory === undefined && name === 'slub' ? state : slabFragmentationRun(name, seed, steps)) }))
    : undefined;
  return { machine: '256 MiB, 1 node, 2 CPUs', seed, steps, ...state, ...(references ? { references } : {}) };
}

/**
 * Object-allocator throughput: kmem_cache_alloc/free on a 64-byte cache and kmalloc/kfree over
 * sizes 8..4096, after warm-up, the median of several rounds; the reference (SLUB) beside it.
 */
export function measureSlabThroughput(factory: SlabAllocatorFactory | undefined, opts: Omit<ThroughputOptions, 'isolation'> & { readonly isolation?: BenchIsolation<SlabAllocatorFactory> } = {}): SlabThroughput {
  const t0 = performance.now();
  const method = methodOf({ ...opts, isolation: undefined });
  const withReference = opts.reference ?? true;
  const iso = opts.isolation;
  const sides: (SlabAllocatorFactory | 'slub')[] = withReference ? [factory ?? 'slub', iso ? iso.reference : 'slub'] : [factory ?? 'slub'];
  const sizes = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096];
  const batches: Batch[] = [];
  for (const f of sides) {
    const slab = createKernel({ machine: { mem: GiB }, nrCpus: 1, thp: 'never', slab: f }).slab;
    const cache = slab.kmemCacheCreate('bench_64', 64, 0, 0);
    if (!cache) throw new Error('kmem_cache_create(bench_64) failed');
    if (iso) {
      // In the submission's thread, a batch a call (the reference too, behind the same crossing).
      batches.push(() => iso.slabBatch(slab, cache, [], BATCH, GFP_KERNEL), () => iso.slabBatch(slab, undefined, sizes, BATCH, GFP_KERNEL));
      continue;
    }
    const cacheBody = `const objs = new Float64Array(${BATCH});
return () => {
  for (let i = 0; i < ${BATCH}; i++) objs[i] = slab.kmemCacheAlloc(cache, gfp);
  for (let i = 0; i < ${BATCH}; i++) slab.kmemCacheFree(cache, objs[i]);
};`;
    const kmallocBody = `const objs = new Float64Array(${BATCH});
return () => {
  for (let i = 0; i < ${BATCH}; i++) objs[i] = slab.kmalloc(sizes[i % sizes.length], gfp);
  for (let i = 0; i < ${BATCH}; i++) slab.kfree(objs[i]);
};`;
    type S = typeof slab;
    batches.push(
      ownCopy<[S, typeof cache, number]>(['slab', 'cache', 'gfp'], cacheBody, (s, c, g) => {
        const objs = new Float64Array(BATCH);
        return () => {
          for (let i = 0; i < BATCH; i++) objs[i] = s.kmemCacheAlloc(c, g);
          for (let i = 0; i < BATCH; i++) s.kmemCacheFree(c, objs[i]);
        };
      })(slab, cache, GFP_KERNEL),
      ownCopy<[S, number[], number]>(['slab', 'sizes', 'gfp'], kmallocBody, (s, sz, g) => {
        const objs = new Float64Array(BATCH);
        return () => {
          for (let i = 0; i < BATCH; i++) objs[i] = s.kmalloc(sz[i % sz.length], g);
          for (let i = 0; i < BATCH; i++) s.kfree(objs[i]);
        };
      })(slab, sizes, GFP_KERNEL),
    );
  }
  const rounds = interleavedRounds(batches, method);
  return {
    machine: '1 GiB, 1 node, 1 CPU',
    cacheOpsPerSec: median(rounds[0]),
    kmallocOpsPerSec: median(rounds[1]),
    ms: Math.round(performance.now() - t0),
    host: hostMachine(),
    method,
    cacheRounds: rounds[0],
    kmallocRounds: rounds[1],
    ...(withReference ? { reference: { cacheOpsPerSec: median(rounds[2]), kmallocOpsPerSec: median(rounds[3]) } } : {}),
  };
}

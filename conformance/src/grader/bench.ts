/**
 * Throughput and fragmentation figures of a page allocator (and throughput of an object allocator), measured on a kernel booted around
 * it. Figures for a report, never asserted in a test.
 */
import {
  GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MAX_ORDER, NO_PAGE, Prng, __GFP_NOWARN, __GFP_RECLAIMABLE,
  type PageAllocatorFactory, type SlabAllocatorFactory,
} from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import type { Fragmentation, SlabThroughput, Throughput } from './types.js';

const GiB = 2 ** 30;

/** alloc+free pairs per second for one order, batched (256 allocations, then their frees). */
function measure(factory: PageAllocatorFactory | undefined, order: number, ms: number): number {
  const k = createKernel({ machine: { mem: GiB }, nrCpus: 1, thp: 'never', pageAllocator: factory });
  const pa = k.pageAllocator;
  const batch = 256;
  const pfns = new Int32Array(batch);
  const round = () => {
    for (let i = 0; i < batch; i++) pfns[i] = pa.allocPages(GFP_KERNEL, order);
    for (let i = 0; i < batch; i++) if (pfns[i] !== NO_PAGE) pa.freePages(pfns[i], order);
  };
  for (let i = 0; i < 20; i++) round(); // warm up
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    round();
    ops += batch;
    t = performance.now();
  }
  return Math.round(ops / ((t - t0) / 1000));
}

export function measureThroughput(factory: PageAllocatorFactory | undefined, msPerOrder = 120): Throughput {
  const t0 = performance.now();
  const order0OpsPerSec = measure(factory, 0, msPerOrder);
  const order3OpsPerSec = measure(factory, 3, msPerOrder);
  return { machine: '1 GiB, 1 node, 1 CPU', order0OpsPerSec, order3OpsPerSec, ms: Math.round(performance.now() - t0) };
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

/**
 * A seeded random workload of mixed migratetypes and orders (mostly small): fill three quarters
 * of a 1 GiB machine, churn (random frees and allocations) for `steps` steps, then free a
 * random half of what is held; then the state of the free lists.
 */
export function measureFragmentation(factory: PageAllocatorFactory | undefined, seed = 1, steps = 20000): Fragmentation {
  const k = createKernel({ machine: { mem: GiB }, nrCpus: 2, thp: 'never', seed, pageAllocator: factory });
  const pa = k.pageAllocator;
  const prng = new Prng(seed);
  const gfps = [GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE];
  const heldPfn: number[] = [];
  const heldOrder: number[] = [];
  let allocated = 0;
  const target = Math.floor(k.zones.reduce((n, z) => n + z.managedPages, 0) * 0.75);
  const alloc = (): boolean => {
    const r = prng.nextFloat();
    const order = r < 0.7 ? 0 : r < 0.95 ? 1 + prng.nextInt(3) : 4 + prng.nextInt(6);
    k.sched.currentCpu = prng.nextInt(2);
    const pfn = pa.allocPages(gfps[prng.nextInt(gfps.length)] | __GFP_NOWARN, order);
    if (pfn === NO_PAGE) return false;
    heldPfn.push(pfn);
    heldOrder.push(order);
    allocated += 2 ** order;
    return true;
  };
  const free = (): void => {
    const i = prng.nextInt(heldPfn.length);
    const pfn = heldPfn[i];
    const order = heldOrder[i];
    heldPfn[i] = heldPfn[heldPfn.length - 1];
    heldOrder[i] = heldOrder[heldOrder.length - 1];
    heldPfn.pop();
    heldOrder.pop();
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
  const perOrder = new Array<number>(MAX_ORDER).fill(0);
  pa.forEachFreeBlock((_zone, _pfn, order) => {
    if (order >= 0 && order < MAX_ORDER) perOrder[order]++;
  });
  let largest = -1;
  perOrder.forEach((n, o) => {
    if (n > 0) largest = o;
  });
  const freePages = perOrder.reduce((n, c, o) => n + c * 2 ** o, 0);
  return {
    machine: '1 GiB, 1 node, 2 CPUs',
    seed,
    steps,
    allocatedPages: allocated,
    freePages,
    largestFreeOrder: largest,
    freeBlocksPerOrder: perOrder,
    unusableFreeIndex: { order: 9, value: Math.round(unusableFreeIndex(perOrder, 9) * 1000) / 1000 },
  };
}

/** Object-allocator throughput: kmem_cache_alloc/free on a 64-byte cache and kmalloc/kfree over sizes 8..4096. */
export function measureSlabThroughput(factory: SlabAllocatorFactory | undefined, ms = 120): SlabThroughput {
  const t0 = performance.now();
  const k = createKernel({ machine: { mem: GiB }, nrCpus: 1, thp: 'never', slab: factory ?? 'slub' });
  const slab = k.slab;
  const cache = slab.kmemCacheCreate('bench_64', 64, 0, 0);
  if (!cache) throw new Error('kmem_cache_create(bench_64) failed');
  const batch = 256;
  const objs = new Float64Array(batch);
  const sizes = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096];
  const rate = (round: () => void) => {
    for (let i = 0; i < 20; i++) round();
    let ops = 0;
    const start = performance.now();
    let t = start;
    while (t - start < ms) {
      round();
      ops += batch;
      t = performance.now();
    }
    return Math.round(ops / ((t - start) / 1000));
  };
  const cacheOpsPerSec = rate(() => {
    for (let i = 0; i < batch; i++) objs[i] = slab.kmemCacheAlloc(cache, GFP_KERNEL);
    for (let i = 0; i < batch; i++) slab.kmemCacheFree(cache, objs[i]);
  });
  const kmallocOpsPerSec = rate(() => {
    for (let i = 0; i < batch; i++) objs[i] = slab.kmalloc(sizes[i % sizes.length], GFP_KERNEL);
    for (let i = 0; i < batch; i++) slab.kfree(objs[i]);
  });
  return { machine: '1 GiB, 1 node, 1 CPU', cacheOpsPerSec, kmallocOpsPerSec, ms: Math.round(performance.now() - t0) };
}

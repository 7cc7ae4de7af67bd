/**
 * The benchmark harness every package's `npm run bench` uses: timed loops of alloc+free pairs
 * (figures for a JSON report, never asserted in a test), and the object-allocator workload that
 * SLUB, SLAB and a contributor's allocator are measured with alike.
 */
import { GFP_KERNEL } from '../gfp.js';
import type { SlabAllocator } from '../contracts/slab-allocator.js';

/** A burst: how many allocations a loop makes before freeing them. */
export const BENCH_BURST = 512;

export interface BenchResult {
  readonly case: string;
  /** alloc+free pairs per second. */
  readonly opsPerSec: number;
  readonly pairs: number;
}

/** MMKIT_BENCH_SECONDS (default 1): how long each case runs. */
export function benchSeconds(): number {
  const s = Number(process.env.MMKIT_BENCH_SECONDS ?? 1);
  return s > 0 ? s : 1;
}

/**
 * Run `loop` (which makes `pairsPerLoop` alloc+free pairs) 20 times to warm up, then in rounds
 * of 20 for `seconds`, and report the rate.
 */
export function measurePairs(name: string, loop: () => void, pairsPerLoop: number = BENCH_BURST, seconds: number = benchSeconds()): BenchResult {
  for (let i = 0; i < 20; i++) loop();
  let pairs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 20; i++) loop();
    pairs += 20 * pairsPerLoop;
    elapsed = performance.now() - start;
  }
  return { case: name, opsPerSec: Math.round((pairs / elapsed) * 1000), pairs };
}

/**
 * The object-allocator workload: kmem_cache_alloc/free bursts on a 64-byte and a 1024-byte
 * cache, kmalloc/kfree of mixed sizes (8..2048), and the bulk calls on a 64-byte cache. Objects
 * are freed in reverse order (LIFO), as most kernel code does.
 */
export function benchSlabAllocator(slab: SlabAllocator, seconds: number = benchSeconds()): BenchResult[] {
  const held = new Float64Array(BENCH_BURST);
  const create = (name: string, size: number) => {
    const c = slab.kmemCacheCreate(name, size, 0, 0);
    if (!c) throw new Error(`kmem_cache_create(${name}) failed`);
    return c;
  };
  const cacheCase = (size: number): BenchResult => {
    const cache = create(`bench-${size}`, size);
    return measurePairs(`kmem_cache_alloc+free ${size} B`, () => {
      for (let i = 0; i < BENCH_BURST; i++) {
        const a = slab.kmemCacheAlloc(cache, GFP_KERNEL);
        if (a === 0) throw new Error('allocation failed');
        held[i] = a;
      }
      for (let i = BENCH_BURST - 1; i >= 0; i--) slab.kmemCacheFree(cache, held[i]);
    }, BENCH_BURST, seconds);
  };
  const sizes = new Int32Array(BENCH_BURST);
  for (let i = 0; i < BENCH_BURST; i++) sizes[i] = 8 + ((i * 37) % 2041);
  const bulk = create('bench-bulk-64', 64);
  return [
    cacheCase(64),
    cacheCase(1024),
    measurePairs('kmalloc+kfree 8..2048 B', () => {
      for (let i = 0; i < BENCH_BURST; i++) {
        const a = slab.kmalloc(sizes[i], GFP_KERNEL);
        if (a === 0) throw new Error('kmalloc failed');
        held[i] = a;
      }
      for (let i = BENCH_BURST - 1; i >= 0; i--) slab.kfree(held[i]);
    }, BENCH_BURST, seconds),
    measurePairs(`kmem_cache_alloc_bulk+free_bulk 64 B x ${BENCH_BURST}`, () => {
      if (slab.kmemCacheAllocBulk(bulk, GFP_KERNEL, BENCH_BURST, held) !== BENCH_BURST) throw new Error('bulk allocation failed');
      slab.kmemCacheFreeBulk(bulk, BENCH_BURST, held);
    }, BENCH_BURST, seconds),
  ];
}

/**
 * Throughput of SLAB: kmem_cache_alloc/kmem_cache_free of a 64-byte and a 1 KiB cache and
 * kmalloc/kfree of mixed sizes, on core's test machine (256 MiB, 4 CPUs). Prints JSON; run from
 * packages/slab with
 *   node --conditions=source --import tsx bench/run.ts
 * Each case allocates a burst of objects and frees them again (LIFO), for about a second.
 */
import { GFP_KERNEL, type KmemCache } from '@mmkit/core';
import { createTestMachine } from '@mmkit/core/testing';
import { createSlabAllocator } from '../src/index.js';

const BURST = 512;
const SECONDS = Number(process.env.MMKIT_BENCH_SECONDS ?? 1);

interface Result {
  readonly case: string;
  /** alloc+free pairs per second */
  readonly opsPerSec: number;
  readonly pairs: number;
}

function setup() {
  const m = createTestMachine({ nrPages: 65536, nrCpus: 4 });
  const slab = createSlabAllocator({
    ...m,
    shouldFailSlab: () => false,
    slabError: (kind, _cache, addr, message) => {
      throw new Error(`${kind} at ${addr}: ${message}`);
    },
  });
  return { m, slab };
}

function measure(name: string, loop: () => void): Result {
  for (let i = 0; i < 20; i++) loop(); // warm up
  let pairs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    for (let i = 0; i < 20; i++) loop();
    pairs += 20 * BURST;
    elapsed = performance.now() - start;
  }
  return { case: name, opsPerSec: Math.round((pairs / elapsed) * 1000), pairs };
}

function cacheCase(objectSize: number): Result {
  const { slab } = setup();
  const cache: KmemCache = slab.kmemCacheCreate(`bench-${objectSize}`, objectSize, 0, 0)!;
  const held = new Float64Array(BURST);
  return measure(`kmem_cache_alloc+free ${objectSize} B`, () => {
    for (let i = 0; i < BURST; i++) held[i] = slab.kmemCacheAlloc(cache, GFP_KERNEL);
    for (let i = BURST - 1; i >= 0; i--) slab.kmemCacheFree(cache, held[i]);
  });
}

function kmallocCase(): Result {
  const { slab } = setup();
  const held = new Float64Array(BURST);
  const sizes = new Int32Array(BURST);
  for (let i = 0; i < BURST; i++) sizes[i] = 8 + ((i * 37) % 2040);
  return measure('kmalloc+kfree 8..2048 B', () => {
    for (let i = 0; i < BURST; i++) held[i] = slab.kmalloc(sizes[i], GFP_KERNEL);
    for (let i = BURST - 1; i >= 0; i--) slab.kfree(held[i]);
  });
}

function bulkCase(): Result {
  const { slab } = setup();
  const cache = slab.kmemCacheCreate('bench-bulk', 64, 0, 0)!;
  const held = new Float64Array(BURST);
  return measure('kmem_cache_alloc_bulk+free_bulk 64 B x 512', () => {
    slab.kmemCacheAllocBulk(cache, GFP_KERNEL, BURST, held);
    slab.kmemCacheFreeBulk(cache, BURST, held);
  });
}

const results = [cacheCase(64), cacheCase(1024), kmallocCase(), bulkCase()];
console.log(
  JSON.stringify(
    {
      bench: '@mmkit/slab',
      machine: { memory: '256 MiB', cpus: 4 },
      node: process.version,
      burst: BURST,
      results,
    },
    null,
    2,
  ),
);

/**
 * Throughput of SLUB on the core test machine (64 MiB, 4 CPUs): kmem_cache_alloc/free of a
 * 64-byte and a 1024-byte cache, kmalloc/kfree of mixed sizes, and the bulk calls. Each case
 * allocates a burst of objects and frees them again, for about a second. Prints JSON; run from
 * packages/slub with `npm run bench`.
 */
import { GFP_KERNEL, type KmemCache } from '@mmkit/core';
import { createFixture } from '../src/test-fixture.js';

const BURST = 512;
const SECONDS = Number(process.env.MMKIT_BENCH_SECONDS ?? 1);

interface Result {
  readonly case: string;
  /** alloc+free pairs per second */
  readonly opsPerSec: number;
  readonly pairs: number;
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

const f = createFixture({ nrCpus: 4, nrPages: 16384 });
if (f.reports.length) throw new Error('reports at boot');
const slub = f.slub;
const held = new Float64Array(BURST);

function cacheCase(cache: KmemCache): Result {
  return measure(`kmem_cache_alloc+free ${cache.objectSize} B`, () => {
    for (let i = 0; i < BURST; i++) {
      const a = slub.kmemCacheAlloc(cache, GFP_KERNEL);
      if (a === 0) throw new Error('allocation failed');
      held[i] = a;
    }
    for (let i = BURST - 1; i >= 0; i--) slub.kmemCacheFree(cache, held[i]);
  });
}

const sizes = new Int32Array(BURST);
for (let i = 0; i < BURST; i++) sizes[i] = [8, 24, 64, 100, 200, 500, 1000, 3000][i % 8];

const results = [
  cacheCase(slub.kmemCacheCreate('bench-64', 64, 0, 0)!),
  cacheCase(slub.kmemCacheCreate('bench-1024', 1024, 0, 0)!),
  measure('kmalloc+kfree 8..3000 B', () => {
    for (let i = 0; i < BURST; i++) held[i] = slub.kmalloc(sizes[i], GFP_KERNEL);
    for (let i = 0; i < BURST; i++) slub.kfree(held[i]);
  }),
  (() => {
    const c = slub.kmemCacheCreate('bench-bulk-64', 64, 0, 0)!;
    return measure('kmem_cache_alloc_bulk+free_bulk 64 B', () => {
      if (slub.kmemCacheAllocBulk(c, GFP_KERNEL, BURST, held) !== BURST) throw new Error('bulk allocation failed');
      slub.kmemCacheFreeBulk(c, BURST, held);
    });
  })(),
];
if (f.reports.length) throw new Error(`unexpected report: ${f.reports[0].message}`);
console.log(
  JSON.stringify(
    {
      bench: '@mmkit/slub',
      machine: { memory: '64 MiB', cpus: 4 },
      node: process.version,
      burst: BURST,
      results,
    },
    null,
    2,
  ),
);

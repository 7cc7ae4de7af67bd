// The allocators' hot paths allocate no JavaScript objects (issue 12): a million alloc+free
// pairs of each, after a warm-up that lasts until V8 has compiled them (warmUp(): until a round
// allocates next to nothing; unoptimised code boxes doubles), run on an emptied young
// generation without a garbage collection and allocate (almost) nothing there. V8 counts its
// own collections (perf_hooks 'gc' entries) and its young generation's bytes
// (tools/bench/gc.ts): an object per call, even a small one, is 16 MiB or more over a million
// calls, several scavenges; MAX_YOUNG_BYTES leaves room for V8's own noise (2-22 KiB measured;
// a late deoptimisation can add some), not for an object per call or per few calls.
// `npm run bench` prints the same counts for every case.
import { createKernel } from '@mmkit/kernel';
import { describe, expect, it } from 'vitest';
import { countGcOver, warmUp } from '../bench/gc.js';
import { BUDDY_BENCH_MEM, BURST, benchKernel, buddyBurst, slabBurst } from '../bench/hot-paths.js';

const OPS = 1_000_000;
const MAX_YOUNG_BYTES = 256 * 1024;

async function expectNoAllocation(loop: () => void): Promise<void> {
  warmUp(loop);
  const gc = await countGcOver(loop, BURST, OPS);
  expect(gc.ops).toBeGreaterThanOrEqual(OPS);
  expect(gc.scavenges, `scavenges over ${gc.ops} alloc+free pairs`).toBe(0);
  expect(gc.markSweeps, `mark-sweeps over ${gc.ops} alloc+free pairs`).toBe(0);
  expect(gc.youngBytes, `bytes allocated over ${gc.ops} alloc+free pairs`).toBeLessThanOrEqual(MAX_YOUNG_BYTES);
}

describe(`a million alloc+free pairs (bursts of ${BURST}) make no garbage`, () => {
  it('SLUB kmem_cache_alloc+free 64 B', async () => {
    await expectNoAllocation(slabBurst(benchKernel(createKernel, { slab: 'slub' }).slab, 64));
  });
  it('SLAB kmem_cache_alloc+free 64 B', async () => {
    await expectNoAllocation(slabBurst(benchKernel(createKernel, { slab: 'slab' }).slab, 64));
  });
  it('buddy order-0 alloc_pages+free_pages with per-cpu lists', async () => {
    await expectNoAllocation(buddyBurst(benchKernel(createKernel, { pcp: true }, BUDDY_BENCH_MEM).pageAllocator));
  });
  it('buddy order-0 alloc_pages+free_pages without per-cpu lists', async () => {
    await expectNoAllocation(buddyBurst(benchKernel(createKernel, { pcp: false }, BUDDY_BENCH_MEM).pageAllocator));
  });
});

/**
 * Throughput of the buddy allocator: order-0 and order-3 alloc+free loops, per-cpu lists on
 * and off, on a 4 GiB single-node machine. Prints JSON; run from packages/buddy with
 *   node --conditions=source --import tsx bench/run.ts
 * Each case allocates a burst of blocks and frees them again, for about a second.
 */
import { GFP_KERNEL, NO_PAGE } from '@mmkit/core';
import { createMachine } from '../src/test-fixture.js';

const BURST = 512;
const SECONDS = Number(process.env.MMKIT_BENCH_SECONDS ?? 1);

interface Result {
  readonly case: string;
  readonly order: number;
  readonly pcp: boolean;
  /** alloc+free pairs per second */
  readonly opsPerSec: number;
  readonly pairs: number;
}

function run(order: number, pcp: boolean): Result {
  const m = createMachine({ nodesMiB: [4096], nrCpus: 4, config: { pcp, thp: true } });
  const a = m.allocator;
  const held = new Int32Array(BURST);
  const loop = (rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < BURST; i++) {
        const pfn = a.allocPages(GFP_KERNEL, order);
        if (pfn === NO_PAGE) throw new Error(`allocation failed at round ${r}`);
        held[i] = pfn;
      }
      for (let i = BURST - 1; i >= 0; i--) a.freePages(held[i], order);
    }
  };
  loop(20); // warm up
  let pairs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    loop(20);
    pairs += 20 * BURST;
    elapsed = performance.now() - start;
  }
  if (m.badPages.length) throw new Error(`bad pages: ${m.badPages[0].reason}`);
  return { case: `order-${order} alloc+free, pcp ${pcp ? 'on' : 'off'}`, order, pcp, opsPerSec: Math.round((pairs / elapsed) * 1000), pairs };
}

const bootStart = performance.now();
createMachine({ nodesMiB: [4096], nrCpus: 4, config: { pcp: true, thp: true } });
const bootMs = performance.now() - bootStart;

const results = [run(0, true), run(0, false), run(3, true), run(3, false)];
console.log(
  JSON.stringify(
    {
      bench: '@mmkit/buddy',
      machine: { memory: '4 GiB', nodes: 1, cpus: 4 },
      node: process.version,
      burst: BURST,
      bootMs: Math.round(bootMs),
      results,
    },
    null,
    2,
  ),
);

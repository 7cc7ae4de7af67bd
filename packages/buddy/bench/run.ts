/**
 * Throughput of the buddy allocator: order-0 and order-3 alloc+free loops, per-cpu lists on
 * and off, on a 4 GiB single-node machine. Prints JSON; run from packages/buddy with
 *   node --conditions=source --import tsx bench/run.ts
 * Each case allocates a burst of blocks and frees them again, for about a second.
 */
import { GFP_KERNEL, NO_PAGE } from '@mmkit/core';
import { BENCH_BURST, measurePairs } from '@mmkit/core/testing';
import { createMachine } from '../test/fixture.js';

function run(order: number, pcp: boolean) {
  const m = createMachine({ nodesMiB: [4096], nrCpus: 4, config: { pcp, thp: true } });
  const a = m.allocator;
  const held = new Int32Array(BENCH_BURST);
  const r = measurePairs(`order-${order} alloc+free, pcp ${pcp ? 'on' : 'off'}`, () => {
    for (let i = 0; i < BENCH_BURST; i++) {
      const pfn = a.allocPages(GFP_KERNEL, order);
      if (pfn === NO_PAGE) throw new Error('allocation failed');
      held[i] = pfn;
    }
    for (let i = BENCH_BURST - 1; i >= 0; i--) a.freePages(held[i], order);
  });
  if (m.badPages.length) throw new Error(`bad pages: ${m.badPages[0].reason}`);
  return { case: r.case, order, pcp, opsPerSec: r.opsPerSec, pairs: r.pairs };
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
      burst: BENCH_BURST,
      bootMs: Math.round(bootMs),
      results,
    },
    null,
    2,
  ),
);

// The measurements of hot-paths-gc.test.ts, in a process of their own (run with
// --no-concurrent-recompilation, see the test): the cases named by argv[3...], one after the
// other, argv[2] pairs each. Prints one JSON line: each case's GcCount after its warm-up.
import { createKernel } from '@mmkit/kernel';
import { countGcOver, warmUp } from '../bench/gc.js';
import { BUDDY_BENCH_MEM, BURST, benchKernel, buddyBurst, slabBurst } from '../bench/hot-paths.js';

/** The cases, by the name the test passes. */
const CASES = new Map<string, () => () => void>([
  ['slub', () => slabBurst(benchKernel(createKernel, { slab: 'slub' }).slab, 64)],
  ['slab', () => slabBurst(benchKernel(createKernel, { slab: 'slab' }).slab, 64)],
  ['buddy-pcp', () => buddyBurst(benchKernel(createKernel, { pcp: true }, BUDDY_BENCH_MEM).pageAllocator)],
  ['buddy-no-pcp', () => buddyBurst(benchKernel(createKernel, { pcp: false }, BUDDY_BENCH_MEM).pageAllocator)],
]);

const ops = Number(process.argv[2]);
const counts: Record<string, unknown> = {};
for (const name of process.argv.slice(3)) {
  const make = CASES.get(name);
  if (!make) {
    console.error(`hot-paths-gc-child: unknown case '${name}' (one of ${[...CASES.keys()].join(', ')})`);
    process.exit(2);
  }
  const loop = make();
  warmUp(loop);
  counts[name] = await countGcOver(loop, BURST, ops);
}
console.log(JSON.stringify(counts));

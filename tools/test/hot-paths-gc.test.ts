// The allocators' hot paths allocate no JavaScript objects (issue 12): a million alloc+free
// pairs of each, after a warm-up that lasts until V8 has compiled them (warmUp(): until a round
// allocates next to nothing; unoptimised code boxes doubles), run on an emptied young
// generation without a garbage collection and allocate (almost) nothing there. V8 counts its
// own collections (perf_hooks 'gc' entries) and its young generation's bytes
// (tools/bench/gc.ts): an object per call, even a small one, is 16 MiB or more over a million
// calls, several scavenges; MAX_YOUNG_BYTES leaves room for V8's own noise (2-22 KiB measured;
// a late deoptimisation can add some), not for an object per call or per few calls.
// `npm run bench` prints the same counts for every case.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GcCount } from '../bench/gc.js';
import { BURST } from '../bench/hot-paths.js';

const OPS = 1_000_000;
const MAX_YOUNG_BYTES = 256 * 1024;

/**
 * The four cases, one after the other, in a child process. vitest reuses one worker for many
 * files (isolate: false), where other files' calls into the same functions change V8's inlining;
 * and with concurrent recompilation a loaded machine starves V8's compiler threads, so the
 * measured loop ran part of its million pairs before TurboFan's code was installed (a full
 * `npm test` beside three other sessions, load 10: 274,160 bytes for buddy with pcp, over the
 * limit). With --no-concurrent-recompilation V8 optimizes on the main thread as soon as a
 * function is hot, so each warm-up ends in optimized code however loaded the machine is.
 */
const CASES = ['slub', 'slab', 'buddy-pcp', 'buddy-no-pcp'];
let counts: Record<string, GcCount & { ops: number }> | undefined;
let failure = '';

function expectNoAllocation(name: string): void {
  expect(counts, failure).toBeDefined();
  const gc = counts![name];
  expect(gc.ops).toBeGreaterThanOrEqual(OPS);
  expect(gc.scavenges, `scavenges over ${gc.ops} alloc+free pairs`).toBe(0);
  expect(gc.markSweeps, `mark-sweeps over ${gc.ops} alloc+free pairs`).toBe(0);
  expect(gc.youngBytes, `bytes allocated over ${gc.ops} alloc+free pairs`).toBeLessThanOrEqual(MAX_YOUNG_BYTES);
}

beforeAll(() => {
  const child = fileURLToPath(new URL('./hot-paths-gc-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', '--conditions=source', '--import', 'tsx', child, String(OPS), ...CASES], { encoding: 'utf8', timeout: 110_000 });
  if (r.status === 0) counts = JSON.parse(r.stdout.trim().split('\n').pop()!) as typeof counts;
  else failure = `the child exited with ${r.status ?? r.signal}: ${r.stderr}`;
}, 120_000);

describe(`a million alloc+free pairs (bursts of ${BURST}) make no garbage`, () => {
  it('SLUB kmem_cache_alloc+free 64 B', () => expectNoAllocation('slub'));
  it('SLAB kmem_cache_alloc+free 64 B', () => expectNoAllocation('slab'));
  it('buddy order-0 alloc_pages+free_pages with per-cpu lists', () => expectNoAllocation('buddy-pcp'));
  it('buddy order-0 alloc_pages+free_pages without per-cpu lists', () => expectNoAllocation('buddy-no-pcp'));
});

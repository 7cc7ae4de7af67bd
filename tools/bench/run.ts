/**
 * `npm run bench`: one JSON document comparing each allocator with its peer on the same pattern,
 * in the same process and time window (issue 12, "a benchmark that compares itself").
 *
 * - Object allocators (SLUB, SLAB): kmem_cache_alloc+free of 64 B in bursts of 512 (allocate 512,
 *   free them in reverse), against @thi.ng/malloc (a JavaScript malloc over an ArrayBuffer)
 *   doing malloc(64)+free on the same bursts.
 * - Page allocator (buddy): order-0 alloc+free in bursts of 512 and as immediate pairs, with and
 *   without per-cpu lists. Its peer is native: a C port of the same 4.17 algorithm, given as
 *   MMKIT_BUDDY_PEER=path/to/linux_buddy.c (the project's peer, not part of this repository); the
 *   bench builds it with `cc -O2` and runs one round of it (a child process) after each of ours.
 *   Without it, or without a C compiler, `peer` is null and `peerMissing` says why.
 * - Boot: createKernel() time and struct page bytes per page for 1, 16, 64 and 256 GiB machines.
 *
 * Each case runs after a warm-up as MMKIT_BENCH_ROUNDS rounds (default 5) of
 * MMKIT_BENCH_SECONDS each (default 0.5), ours and the peer's interleaved round by round; the
 * figure is the median of the rounds, in pairs per second of wall time. The host is shared and
 * drifts: compare ratios, not absolute rates. MMKIT_BENCH_BOOT_GIB (comma-separated) chooses the
 * boot sizes.
 */
import { GFP_KERNEL, NO_PAGE, type PageAllocator, type SlabAllocator } from '@mmkit/core';
import { createKernel, type Kernel } from '@mmkit/kernel';
import { MemPool } from '@thi.ng/malloc';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BURST = 512;
const GIB = 2 ** 30;

function envNumber(name: string, fallback: number, ok: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!ok(n)) {
    console.error(`bench: ${name} must be ${ok === isPositive ? 'a positive number' : 'a positive integer'}, got '${raw}'`);
    process.exit(2);
  }
  return n;
}
function isPositive(n: number): boolean {
  return Number.isFinite(n) && n > 0;
}
function isPositiveInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

const ROUNDS = envNumber('MMKIT_BENCH_ROUNDS', 5, isPositiveInt);
const SECONDS = envNumber('MMKIT_BENCH_SECONDS', 0.5, isPositive);
const BOOT_GIB = (process.env.MMKIT_BENCH_BOOT_GIB ?? '1,16,64,256').split(',').map((s) => {
  const n = Number(s);
  if (!isPositiveInt(n)) {
    console.error(`bench: MMKIT_BENCH_BOOT_GIB must list positive integers (GiB), got '${s}'`);
    process.exit(2);
  }
  return n;
});

/** Pairs per second of `loop` (which does `pairsPerLoop` pairs) over about `seconds`. */
function rate(loop: () => void, pairsPerLoop: number, seconds: number): number {
  let pairs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 16; i++) loop();
    pairs += 16 * pairsPerLoop;
    elapsed = performance.now() - start;
  }
  return (pairs / elapsed) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A peer that runs one round of `seconds` and answers its rate (pairs per second). */
interface Peer {
  readonly name: string;
  round(seconds: number): number;
}

interface CaseResult {
  readonly case: string;
  /** Median pairs per second of ours. */
  readonly opsPerSec: number;
  readonly rounds: readonly number[];
  readonly peer: { readonly name: string; readonly opsPerSec: number; readonly rounds: readonly number[] } | null;
  /** ours / peer. */
  readonly ratio: number | null;
}

/** Warm both up, then interleave their rounds. */
function compare(name: string, ours: () => void, peer: Peer | null, pairsPerLoop: number): CaseResult {
  rate(ours, pairsPerLoop, Math.min(SECONDS, 0.2));
  if (peer) peer.round(Math.min(SECONDS, 0.2));
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(Math.round(rate(ours, pairsPerLoop, SECONDS)));
    if (peer) b.push(Math.round(peer.round(SECONDS)));
  }
  const opsPerSec = Math.round(median(a));
  if (!peer) return { case: name, opsPerSec, rounds: a, peer: null, ratio: null };
  const peerOps = Math.round(median(b));
  return { case: name, opsPerSec, rounds: a, peer: { name: peer.name, opsPerSec: peerOps, rounds: b }, ratio: Number((opsPerSec / peerOps).toFixed(3)) };
}

/** @thi.ng/malloc on the burst pattern: malloc(size) x BURST, then free in reverse. */
function thingMallocBurst(size: number): Peer {
  const pool = new MemPool({ size: 16 * 2 ** 20 });
  const held = new Float64Array(BURST);
  const loop = () => {
    for (let i = 0; i < BURST; i++) {
      const a = pool.malloc(size);
      if (a === 0) throw new Error('@thi.ng/malloc: out of memory');
      held[i] = a;
    }
    for (let i = BURST - 1; i >= 0; i--) pool.free(held[i]);
  };
  return { name: '@thi.ng/malloc', round: (seconds) => rate(loop, BURST, seconds) };
}

/** The native buddy peer, built from MMKIT_BUDDY_PEER: its binary, or why there is none. */
function buildBuddyPeer(): { binary: string } | { missing: string } {
  const source = process.env.MMKIT_BUDDY_PEER;
  if (source === undefined || source === '') return { missing: 'MMKIT_BUDDY_PEER (the path of linux_buddy.c) is not set' };
  if (!existsSync(source)) return { missing: `MMKIT_BUDDY_PEER: no such file '${source}'` };
  const binary = join(mkdtempSync(join(tmpdir(), 'mmkit-bench-')), 'linux_buddy');
  const cc = spawnSync('cc', ['-O2', source, '-o', binary], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return { missing: `cc -O2 ${source} failed: ${cc.error?.message ?? cc.stderr.trim().split('\n')[0]}` };
  return { binary };
}

/** One round of the native peer on `pattern` ('burst512' or 'pair'): its wall-clock pairs/s. */
function nativeBuddy(binary: string, pattern: 'burst512' | 'pair', pcp: boolean): Peer {
  return {
    name: 'native C port of the 4.17 buddy (linux_buddy.c)',
    round: (seconds) => {
      const run = spawnSync(binary, [pattern, String(seconds), '1', pcp ? '1' : '0'], { encoding: 'utf8' });
      const line = run.status === 0 ? run.stdout.trim().split('\n').pop() : undefined;
      const wall = line ? (JSON.parse(line) as { wallMedian?: unknown }).wallMedian : undefined;
      if (typeof wall !== 'number') throw new Error(`the native peer failed: ${run.error?.message ?? run.stderr}`);
      return wall;
    },
  };
}

function slabBurst(slab: SlabAllocator, size: number): () => void {
  const cache = slab.kmemCacheCreate(`bench-${size}`, size, 0, 0);
  if (!cache) throw new Error(`kmem_cache_create(bench-${size}) failed`);
  const held = new Float64Array(BURST);
  return () => {
    for (let i = 0; i < BURST; i++) {
      const a = slab.kmemCacheAlloc(cache, GFP_KERNEL);
      if (a === 0) throw new Error('kmem_cache_alloc failed');
      held[i] = a;
    }
    for (let i = BURST - 1; i >= 0; i--) slab.kmemCacheFree(cache, held[i]);
  };
}

function buddyBurst(pa: PageAllocator): () => void {
  const held = new Float64Array(BURST);
  return () => {
    for (let i = 0; i < BURST; i++) {
      const p = pa.allocPages(GFP_KERNEL, 0);
      if (p === NO_PAGE) throw new Error('alloc_pages failed');
      held[i] = p;
    }
    for (let i = BURST - 1; i >= 0; i--) pa.freePages(held[i], 0);
  };
}

function buddyPairs(pa: PageAllocator): () => void {
  return () => {
    for (let i = 0; i < BURST; i++) {
      const p = pa.allocPages(GFP_KERNEL, 0);
      if (p === NO_PAGE) throw new Error('alloc_pages failed');
      pa.freePages(p, 0);
    }
  };
}

/** The machine the allocator cases run on: 256 MiB, 4 CPUs (as the packages' own benches). */
function benchKernel(options: { slab?: 'slub' | 'slab'; pcp?: boolean }): Kernel {
  return createKernel({ machine: { mem: 256 * 2 ** 20 }, nrCpus: 4, ...options });
}

/** The bytes of struct page (core's PageStore: per-page arrays, per-pageblock tables, side storage written) per simulated page. */
function structPageBytesPerPage(k: Kernel): number {
  return Number((k.pages.residentBytes() / k.pages.maxPfn).toFixed(2));
}

function boot(gib: number): { gib: number; bootMs: number; structPageBytesPerPage: number } {
  const t0 = performance.now();
  const k = createKernel({ machine: { mem: gib * GIB } });
  const bootMs = Math.round(performance.now() - t0);
  return { gib, bootMs, structPageBytesPerPage: structPageBytesPerPage(k) };
}

const results: CaseResult[] = [];
for (const slab of ['slub', 'slab'] as const) {
  const k = benchKernel({ slab });
  results.push(compare(`${slab.toUpperCase()} kmem_cache_alloc+free 64 B, bursts of ${BURST}`, slabBurst(k.slab, 64), thingMallocBurst(64), BURST));
}
const buddyPeer = buildBuddyPeer();
for (const pcp of [true, false]) {
  const k = benchKernel({ pcp });
  const label = pcp ? 'pcp on' : 'pcp off';
  const peer = (pattern: 'burst512' | 'pair') => ('binary' in buddyPeer ? nativeBuddy(buddyPeer.binary, pattern, pcp) : null);
  results.push(compare(`buddy order-0 alloc+free, bursts of ${BURST}, ${label}`, buddyBurst(k.pageAllocator), peer('burst512'), BURST));
  results.push(compare(`buddy order-0 alloc+free, pairs, ${label}`, buddyPairs(k.pageAllocator), peer('pair'), BURST));
}
const bootResults = BOOT_GIB.map(boot);

console.log(
  JSON.stringify(
    {
      bench: 'mmkit',
      node: process.version,
      rounds: ROUNDS,
      secondsPerRound: SECONDS,
      unit: 'alloc+free pairs per second of wall time, median of the rounds',
      results,
      ...('missing' in buddyPeer ? { peerMissing: { buddy: buddyPeer.missing } } : {}),
      boot: bootResults,
    },
    null,
    2,
  ),
);

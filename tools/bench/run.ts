/**
 * `npm run bench`: one JSON document comparing each allocator with its peer on the same pattern,
 * in the same process and time window (issue 12, "a benchmark that compares itself").
 *
 * - Object allocators (SLUB, SLAB): kmem_cache_alloc+free of 64 B in bursts of 512 (allocate 512,
 *   free them in reverse) and as immediate pairs, against @thi.ng/malloc (a JavaScript malloc
 *   over an ArrayBuffer) doing malloc(64)+free on the same patterns.
 * - Page allocator (buddy): order-0 alloc+free in bursts of 512 and as immediate pairs, with and
 *   without per-cpu lists. Its peer is native: a C port of the same 4.17 algorithm, given as
 *   MMKIT_BUDDY_PEER=path/to/linux_buddy.c (the project's peer, not part of this repository); the
 *   bench builds it with `cc -O2` and runs one round of it (a child process) after each of ours.
 *   Without it, or without a C compiler, `peer` is null and `peerMissing` says why.
 * - Address spaces (address-spaces.ts): mmap+munmap pairs with 10,000 VMAs and anonymous write
 *   faults, each against the host kernel doing the same (host-mm.c, built with cc -O2); under
 *   `addressSpaces`, fork() of a process with 1 GiB touched (ours, MMKIT_BENCH_BASE's and the host's, ms) and the host
 *   bytes per mapped simulated page beyond its contents, with the load average (above the cores,
 *   the figures are noise).
 * - Boot: createKernel() time and struct page bytes per page for 1, 16, 64 and 256 GiB machines.
 *
 * Each case runs in a process of its own (see CASES), after a warm-up, as MMKIT_BENCH_ROUNDS rounds (default 5) of
 * MMKIT_BENCH_SECONDS each (default 0.5), ours and the peer's interleaved round by round; the
 * figures are the medians of the rounds, in pairs per second of wall time (opsPerSec, ratio) and
 * per CPU-second (cpuOpsPerSec, cpuRatio: the issue's measure; the native peer reports its own
 * CPU time). Each case also counts V8's garbage collections over a million pairs of ours (gc:
 * scavenges and mark-sweeps; 0 when the hot path allocates no objects, as
 * tools/test/hot-paths-gc.test.ts requires). The host is shared and drifts: compare ratios, not
 * absolute rates. MMKIT_BENCH_BOOT_GIB (comma-separated) chooses the boot sizes.
 *
 * Before/after in one run: MMKIT_BENCH_BASE=path/to/another/checkout (a worktree of an older
 * commit, with node_modules) runs every case and boot on that checkout's createKernel() too,
 * its rounds interleaved with ours, and adds `base` to each result (its figures and ours / its).
 */
import { createKernel, type Kernel } from '@mmkit/kernel';
import { MemPool } from '@thi.ng/malloc';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { countGcOver, warmUp, type GcCount } from './gc.js';
import { AS_LOOP, anonFaultLoop, buildHostPeer, bytesPerMappedPage, forkOneGib, mmapMunmapLoop, runHostPeer } from './address-spaces.js';
import { BUDDY_BENCH_MEM, BURST, type CreateKernel } from './hot-paths.js';

type HotPaths = typeof import('./hot-paths.js');

/**
 * A fresh instance of the hot-path loops (hot-paths.ts loaded again under its own URL): each
 * case and side gets its own, so a call site such as the loop's `pa.allocPages()` sees one
 * allocator class only. Shared loops turn polymorphic once a second class (SLAB after SLUB,
 * the base checkout's classes) runs through them, and every later round of both sides slows.
 */
async function freshHotPaths(key: string): Promise<HotPaths> {
  return (await import(`./hot-paths.js?instance=${encodeURIComponent(key)}`)) as HotPaths;
}

const GIB = 2 ** 30;
/** Pairs over which each case counts garbage collections. */
const GC_OPS = 1_000_000;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function envNumber(name: string, fallback: number, ok: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!ok(n)) fail(`${name} must be ${ok === isPositive ? 'a positive number' : 'a positive integer'}, got '${raw}'`);
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
  if (!isPositiveInt(n)) fail(`MMKIT_BENCH_BOOT_GIB must list positive integers (GiB), got '${s}'`);
  return n;
});

/** One round's rates: pairs per second of wall-clock time and per CPU-second of this process. */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Pairs per second of `loop` (which does `pairsPerLoop` pairs) over about `seconds`, of wall
 * time and of CPU time (process.cpuUsage(): user + system of every thread of this process, so
 * V8's concurrent GC and compiler threads count as well; a child's time does not).
 */
function rate(loop: () => void, pairsPerLoop: number, seconds: number): Rate {
  let pairs = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 16; i++) loop();
    pairs += 16 * pairsPerLoop;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { wall: (pairs / elapsed) * 1000, cpu: cpuMs > 0 ? (pairs / cpuMs) * 1000 : Infinity };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A peer that runs one round of `seconds` and answers its rates (pairs per second). */
interface Peer {
  readonly name: string;
  round(seconds: number): Rate;
}

/** Medians and rounds of one side of a case. */
interface Side {
  /** Median pairs per second of wall time. */
  readonly opsPerSec: number;
  readonly rounds: readonly number[];
  /** Median pairs per CPU-second. */
  readonly cpuOpsPerSec: number;
  readonly cpuRounds: readonly number[];
}

interface CaseResult extends Side {
  readonly case: string;
  readonly peer: (Side & { readonly name: string }) | null;
  /** ours / peer, wall-clock medians. */
  readonly ratio: number | null;
  /** ours / peer, CPU-second medians. */
  readonly cpuRatio: number | null;
  /** Garbage collections over a million pairs of ours (tools/bench/gc.ts); 0 when the path allocates nothing. */
  readonly gc: GcCount & { readonly ops: number };
  /** The same case on MMKIT_BENCH_BASE's kernel, interleaved with ours; ratios are ours / base. */
  readonly base?: Side & { readonly ratio: number; readonly cpuRatio: number; readonly gc: GcCount & { readonly ops: number } };
}

/** The medians of rounds of `rates`. */
function side(rates: readonly Rate[]): Side {
  const rounds = rates.map((r) => Math.round(r.wall));
  const cpuRounds = rates.map((r) => Math.round(r.cpu));
  return { opsPerSec: Math.round(median(rounds)), rounds, cpuOpsPerSec: Math.round(median(cpuRounds)), cpuRounds };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

/** One case: ours (and the base's, built by the same `make` from its kernel) and the peer, warmed up, then their rounds interleaved. */
async function compare(name: string, make: (create: CreateKernel, hp: HotPaths) => () => void, peer: Peer | null, pairsPerLoop: number, baseToo = true): Promise<CaseResult> {
  const ours = make(createKernel, await freshHotPaths(`ours ${name}`));
  const base = baseKernel && baseToo ? make(baseKernel.createKernel, await freshHotPaths(`base ${name}`)) : null;
  // A fresh process (see CASES): until V8 has compiled the loop (warmUp(): a round allocates next
  // to nothing), then half a second more, for the optimizing compiler's threads to catch up.
  const warm = 0.5;
  warmUp(ours);
  rate(ours, pairsPerLoop, warm);
  if (base) {
    warmUp(base);
    rate(base, pairsPerLoop, warm);
  }
  if (peer) peer.round(warm);
  const a: Rate[] = [];
  const b: Rate[] = [];
  const p: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(rate(ours, pairsPerLoop, SECONDS));
    if (base) b.push(rate(base, pairsPerLoop, SECONDS));
    if (peer) p.push(peer.round(SECONDS));
  }
  const mine = side(a);
  const gc = await countGcOver(ours, pairsPerLoop, GC_OPS);
  let baseResult: CaseResult['base'];
  if (base) {
    const theirs = side(b);
    const baseGc = await countGcOver(base, pairsPerLoop, GC_OPS);
    baseResult = { ...theirs, ratio: ratio(mine.opsPerSec, theirs.opsPerSec), cpuRatio: ratio(mine.cpuOpsPerSec, theirs.cpuOpsPerSec), gc: baseGc };
  }
  const peerSide = peer ? { name: peer.name, ...side(p) } : null;
  return {
    case: name,
    ...mine,
    peer: peerSide,
    ratio: peerSide ? ratio(mine.opsPerSec, peerSide.opsPerSec) : null,
    cpuRatio: peerSide ? ratio(mine.cpuOpsPerSec, peerSide.cpuOpsPerSec) : null,
    gc,
    ...(baseResult ? { base: baseResult } : {}),
  };
}

/** @thi.ng/malloc on the pair pattern: malloc(size) and free at once, BURST times. */
function thingMallocPairs(size: number): Peer {
  const pool = new MemPool({ size: 16 * 2 ** 20 });
  const loop = () => {
    for (let i = 0; i < BURST; i++) {
      const a = pool.malloc(size);
      if (a === 0) throw new Error('@thi.ng/malloc: out of memory');
      pool.free(a);
    }
  };
  return { name: '@thi.ng/malloc', round: (seconds) => rate(loop, BURST, seconds) };
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

/** One round of the native peer on `pattern` ('burst512' or 'pair'): its pairs/s of wall time and of CPU time (its own figures). */
function nativeBuddy(binary: string, pattern: 'burst512' | 'pair', pcp: boolean): Peer {
  return {
    name: 'native C port of the 4.17 buddy (linux_buddy.c)',
    round: (seconds) => {
      const run = spawnSync(binary, [pattern, String(seconds), '1', pcp ? '1' : '0'], { encoding: 'utf8' });
      const line = run.status === 0 ? run.stdout.trim().split('\n').pop() : undefined;
      const out = line ? (JSON.parse(line) as { wallMedian?: unknown; cpuMedian?: unknown }) : undefined;
      if (typeof out?.wallMedian !== 'number' || typeof out.cpuMedian !== 'number') throw new Error(`the native peer failed: ${run.error?.message ?? run.stderr}`);
      return { wall: out.wallMedian, cpu: out.cpuMedian };
    },
  };
}

/** MMKIT_BENCH_BASE: another checkout (with its node_modules) whose kernel runs the same cases, interleaved with ours. */
async function loadBaseKernel(): Promise<{ path: string; createKernel: CreateKernel } | null> {
  const dir = process.env.MMKIT_BENCH_BASE;
  if (dir === undefined || dir === '') return null;
  const root = resolve(dir);
  const entry = join(root, 'packages/kernel/src/index.ts');
  if (!existsSync(entry)) fail(`MMKIT_BENCH_BASE: ${root} is not an mmkit checkout (no packages/kernel/src/index.ts)`);
  if (!existsSync(join(root, 'node_modules/@mmkit/core'))) fail(`MMKIT_BENCH_BASE: ${root} has no node_modules (run npm ci there, or cp -al this checkout's node_modules and repoint its @mmkit links)`);
  if (realpathSync(root) === realpathSync(fileURLToPath(new URL('../..', import.meta.url)))) fail('MMKIT_BENCH_BASE is this checkout: give another one');
  const mod = (await import(pathToFileURL(entry).href)) as { createKernel?: unknown };
  if (typeof mod.createKernel !== 'function') fail(`MMKIT_BENCH_BASE: ${entry} exports no createKernel`);
  return { path: root, createKernel: mod.createKernel as CreateKernel };
}

/**
 * The bytes of struct page per simulated page: PageStore.residentBytes() (per-page arrays,
 * per-pageblock tables, side storage written); a base checkout without it counts its typed arrays.
 */
function structPageBytesPerPage(k: Kernel): number {
  const pages = k.pages as Kernel['pages'] & { residentBytes?: () => number };
  let bytes = 0;
  if (typeof pages.residentBytes === 'function') bytes = pages.residentBytes();
  else for (const v of Object.values(pages)) if (ArrayBuffer.isView(v)) bytes += v.byteLength;
  return Number((bytes / pages.maxPfn).toFixed(2));
}

function bootOnce(create: CreateKernel, gib: number): { bootMs: number; structPageBytesPerPage: number } {
  const t0 = performance.now();
  const k = create({ machine: { mem: gib * GIB } });
  const bootMs = Math.round(performance.now() - t0);
  return { bootMs, structPageBytesPerPage: structPageBytesPerPage(k) };
}

function boot(gib: number): { gib: number; bootMs: number; structPageBytesPerPage: number; base?: { bootMs: number; structPageBytesPerPage: number } } {
  const ours = bootOnce(createKernel, gib);
  return { gib, ...ours, ...(baseKernel ? { base: bootOnce(baseKernel.createKernel, gib) } : {}) };
}

const baseKernel = await loadBaseKernel();

/**
 * The cases, each run in a process of its own (`--case N`, see below), in this order. Each builds
 * its own peer: the native ones are compiled again per case (a fraction of a second).
 */
const CASES: readonly (() => Promise<CaseResult>)[] = [
  ...(['slub', 'slab'] as const).flatMap((slab) => [
    () => compare(`${slab.toUpperCase()} kmem_cache_alloc+free 64 B, bursts of ${BURST}`, (create, hp) => hp.slabBurst(hp.benchKernel(create, { slab }).slab, 64), thingMallocBurst(64), BURST),
    () => compare(`${slab.toUpperCase()} kmem_cache_alloc+free 64 B, pairs`, (create, hp) => hp.slabPairs(hp.benchKernel(create, { slab }).slab, 64), thingMallocPairs(64), BURST),
  ]),
  ...[true, false].flatMap((pcp) => {
    const label = pcp ? 'pcp on' : 'pcp off';
    const peer = (pattern: 'burst512' | 'pair') => {
      const built = buildBuddyPeer();
      return 'binary' in built ? nativeBuddy(built.binary, pattern, pcp) : null;
    };
    return [
      () => compare(`buddy order-0 alloc+free, bursts of ${BURST}, ${label}`, (create, hp) => hp.buddyBurst(hp.benchKernel(create, { pcp }, BUDDY_BENCH_MEM).pageAllocator), peer('burst512'), BURST),
      () => compare(`buddy order-0 alloc+free, pairs, ${label}`, (create, hp) => hp.buddyPairs(hp.benchKernel(create, { pcp }, BUDDY_BENCH_MEM).pageAllocator), peer('pair'), BURST),
    ];
  }),
  // Address spaces (issue 13): against the host kernel running the same patterns (host-mm.c).
  () => compare('mmap+munmap 4 KiB pairs, 10,000 VMAs present', (create) => mmapMunmapLoop(create), hostRate('mmap-munmap'), AS_LOOP, baseHasProcesses()),
  () => compare('anonymous write faults (map 2 MiB, write each page, unmap)', (create) => anonFaultLoop(create), hostRate('anon-fault'), AS_LOOP, baseHasProcesses()),
];

/** The host kernel as the peer of an address-space pattern, or null without a C compiler. */
function hostRate(mode: string): Peer | null {
  const hostPeer = buildHostPeer();
  if (!('binary' in hostPeer)) return null;
  const binary = hostPeer.binary;
  return {
    name: 'the host kernel (tools/bench/host-mm.c)',
    round: (seconds) => {
      const o = runHostPeer(binary, [mode, String(seconds)]);
      return { wall: o.wallMedian, cpu: o.cpuMedian };
    },
  };
}

/** A base checkout older than processes has no kernel.spawn(): its address-space cases are skipped. */
function baseHasProcesses(): boolean {
  return baseKernel ? typeof (baseKernel.createKernel({ machine: { mem: 64 * 2 ** 20 } }) as Partial<Kernel>).spawn === 'function' : false;
}

// `--case N`: this process runs case N alone and prints its result as one JSON line.
const caseArg = process.argv.indexOf('--case');
if (caseArg >= 0) {
  const n = Number(process.argv[caseArg + 1]);
  if (!(Number.isInteger(n) && n >= 0 && n < CASES.length)) fail(`--case must be 0 to ${CASES.length - 1}, got '${process.argv[caseArg + 1]}'`);
  console.log(JSON.stringify(await CASES[n]()));
  process.exit(0);
}

/**
 * Each case in a fresh process, as each round of the native peers is (JMH's forks): what V8
 * compiled for one case (its inlining, its feedback, closures of the same function made by other
 * kernels) does not decide another's figures, and no figure depends on the order of the cases.
 * With every case in one process, the buddy cases ran after the SLUB and SLAB kernels had made
 * page allocators of their own, and an allocator's fast path then reads its arrays through its
 * closure's context instead of as constants (docs/implementations.md): 478 instructions per
 * order-0 pair against 350 with one allocator (callgrind).
 */
const results: CaseResult[] = CASES.map((_, n) => {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 2 ** 20 });
  const line = run.status === 0 ? run.stdout.trim().split('\n').pop() : undefined;
  if (!line) fail(`case ${n} failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(line) as CaseResult;
});
const hostPeer = buildHostPeer();
const buddyPeer = buildBuddyPeer();
const addressSpaces = {
  fork1GiB: {
    ours: forkOneGib(createKernel),
    ...(baseKernel && baseHasProcesses() ? { base: forkOneGib(baseKernel.createKernel) } : {}),
    host: 'binary' in hostPeer ? runHostPeer(hostPeer.binary, ['fork-1g']) : null,
  },
  bytesPerMappedPage: bytesPerMappedPage(createKernel),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  ...('missing' in hostPeer ? { hostPeerMissing: hostPeer.missing } : {}),
};
const bootResults = BOOT_GIB.map(boot);

console.log(
  JSON.stringify(
    {
      bench: 'mmkit',
      node: process.version,
      rounds: ROUNDS,
      secondsPerRound: SECONDS,
      unit: 'alloc+free pairs per second of wall time, median of the rounds',
      cpuUnit: 'alloc+free pairs per CPU-second of the process (cpuOpsPerSec, cpuRounds, cpuRatio), median of the rounds',
      gcOps: GC_OPS,
      ...(baseKernel ? { base: baseKernel.path } : {}),
      results,
      ...('missing' in buddyPeer ? { peerMissing: { buddy: buddyPeer.missing } } : {}),
      addressSpaces,
      boot: bootResults,
    },
    null,
    2,
  ),
);

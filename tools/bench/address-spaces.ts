/**
 * The address-space cases of `npm run bench` (issue 13): the loops of ours, and the host kernel
 * running the same patterns (host-mm.c, built with cc -O2) as the peer.
 *
 * - mmap(4 KiB)+munmap pairs with 10,000 VMAs present (alternating protections, so none merge);
 * - anonymous write faults: a process maps 2 MiB, writes one byte per page (Process.touch(): the
 *   MMU's walk, the fault, the walk again), unmaps it; faults per second;
 * - fork() of a process with 1 GiB of touched anonymous memory, and the child's exit (ms);
 * - host bytes per mapped simulated page beyond its contents: what the process's heap and
 *   ArrayBuffers grow by while 1 GiB is touched (the pages' contents are never written, so none
 *   are materialised), over the pages: struct page side storage, page-table pages, bookkeeping.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '@mmkit/core';
import type { Kernel, KernelConfig } from '@mmkit/kernel';

type CreateKernel = (config?: KernelConfig) => Kernel;

const PAGE = 4096;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const GIB = 2 ** 30;
/** Pairs (or faults) per loop call. */
export const AS_LOOP = 512;

/** 10,000 one-page VMAs, then a loop of 512 mmap+munmap pairs. */
export function mmapMunmapLoop(create: CreateKernel): () => void {
  const k = create({ machine: { mem: GIB }, thp: 'never' });
  const as = k.addressSpaces!;
  const mm = as.mmCreate({ maxMapCount: 65530 });
  for (let i = 0; i < 10_000; i++) {
    if (as.mmap(mm, 0, PAGE, i & 1 ? PROT_READ : RW, ANON, -1, 0) < 0) throw new Error('bench: mmap of the 10,000 VMAs failed');
  }
  return () => {
    for (let i = 0; i < AS_LOOP; i++) {
      const a = as.mmap(mm, 0, PAGE, RW, ANON, -1, 0);
      as.munmap(mm, a, PAGE);
    }
  };
}

/** A loop of 512 anonymous write faults: map 2 MiB, touch each page for writing, unmap. */
export function anonFaultLoop(create: CreateKernel): () => void {
  const k = create({ machine: { mem: GIB }, thp: 'never' });
  const p = k.spawn({ vmas: [] });
  const as = k.addressSpaces!;
  const len = AS_LOOP * PAGE;
  return () => {
    const a = as.mmap(p.mm, 0, len, RW, ANON, -1, 0);
    if (p.touch(a, len, true) !== 0) throw new Error('bench: a write fault failed');
    as.munmap(p.mm, a, len);
  };
}

export interface ForkResult {
  /** The first fork() and the first child's exit (V8 compiling the paths as they run). */
  readonly firstForkMs: number;
  readonly firstExitMs: number;
  /** The median of the next three fork()s and exits: wall time, and CPU time of this process. */
  readonly forkMs: number;
  readonly exitMs: number;
  readonly forkCpuMs: number;
  readonly exitCpuMs: number;
  /** The 262,144 write faults that touched the gigabyte (ms). */
  readonly touchMs: number;
}

/** fork() of a process with 1 GiB touched, then the child's exit: the first time, and the median of three more. */
export function forkOneGib(create: CreateKernel): ForkResult {
  const k = create({ machine: { mem: 4 * GIB }, thp: 'never' });
  const p = k.spawn({ vmas: [] });
  const a = p.mmap(0, GIB, RW, ANON);
  const t0 = performance.now();
  if (p.touch(a, GIB, true) !== 0) throw new Error('bench: touching 1 GiB failed');
  const touchMs = Math.round(performance.now() - t0);
  const forks: number[] = [];
  const exits: number[] = [];
  const forkCpu: number[] = [];
  const exitCpu: number[] = [];
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  for (let i = 0; i < 4; i++) {
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const c = p.fork();
    const t2 = performance.now();
    const c1 = process.cpuUsage(c0);
    c.exit();
    forks.push(t2 - t1);
    exits.push(performance.now() - t2);
    forkCpu.push(cpuMs(c1));
    exitCpu.push(cpuMs(process.cpuUsage(c0)) - cpuMs(c1));
  }
  p.exit();
  const ms = (x: number) => Number(x.toFixed(1));
  const median3 = (xs: number[]) => ms([...xs.slice(1)].sort((x, y) => x - y)[1]);
  return { touchMs, firstForkMs: ms(forks[0]), firstExitMs: ms(exits[0]), forkMs: median3(forks), exitMs: median3(exits), forkCpuMs: median3(forkCpu), exitCpuMs: median3(exitCpu) };
}

/** global.gc() without --expose-gc on the command line. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Host bytes per mapped page beyond its contents, over 1 GiB touched for writing, after a full
 * GC: what the JavaScript heap and the ArrayBuffers grew by (`bytesPerPage`), and the growth of
 * the process's resident set (`rssBytesPerPage`, which also counts the first touch of struct
 * page's arrays, allocated for every page at boot and made resident by the OS when written).
 */
export function bytesPerMappedPage(create: CreateKernel): { pages: number; bytesPerPage: number; rssBytesPerPage: number } {
  const gc = gcFunction();
  const k = create({ machine: { mem: 4 * GIB }, thp: 'never' });
  const p = k.spawn({ vmas: [] });
  const a = p.mmap(0, GIB, RW, ANON);
  gc();
  const m0 = process.memoryUsage();
  if (p.touch(a, GIB, true) !== 0) throw new Error('bench: touching 1 GiB failed');
  gc();
  const m1 = process.memoryUsage();
  const pages = GIB / PAGE;
  const per = (x: number) => Number((x / pages).toFixed(2));
  p.exit();
  return { pages, bytesPerPage: per(m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers), rssBytesPerPage: per(m1.rss - m0.rss) };
}

/** The host peer (host-mm.c) built with cc -O2, or why it is missing. */
export function buildHostPeer(): { binary: string } | { missing: string } {
  const source = fileURLToPath(new URL('./host-mm.c', import.meta.url));
  const binary = join(mkdtempSync(join(tmpdir(), 'mmkit-bench-')), 'host-mm');
  const cc = spawnSync('cc', ['-O2', source, '-o', binary], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return { missing: `cc -O2 host-mm.c failed: ${cc.error?.message ?? cc.stderr.trim().split('\n')[0]}` };
  return { binary };
}

/** One run of the host peer: its JSON line. */
export function runHostPeer(binary: string, args: string[]): Record<string, number> {
  const run = spawnSync(binary, args, { encoding: 'utf8' });
  const line = run.status === 0 ? run.stdout.trim().split('\n').pop() : undefined;
  if (!line) throw new Error(`the host peer failed: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(line) as Record<string, number>;
}

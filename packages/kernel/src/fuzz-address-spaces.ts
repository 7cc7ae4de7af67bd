/**
 * A random campaign over address spaces: processes map (MAP_POPULATE too), unmap, protect, remap, advise, fork,
 * exit, and read and write their memory, with fail_page_alloc injecting failures, while a shadow
 * model says what each access must give (the bytes written, zeros, copy on write, SIGSEGV with
 * its code). After every step the kernel's invariants must hold (the free lists, the VMA trees
 * sorted and disjoint, page tables agreeing with the VMAs and the mm counters, no page both free
 * and mapped, each page's mapcount equal to the PTEs that map it); at the end every process exits
 * and the free page count must be what it was at boot. Seeded: the same seed, the same run.
 */
import {
  ERRNO, FAULT_OOM, MADV_DODUMP, MADV_DOFORK, MADV_DONTFORK, MADV_DONTNEED, MADV_KEEPONFORK, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_FIXED,
  MAP_POPULATE, MAP_PRIVATE, MLOCK_ONFAULT, MREMAP_FIXED, MREMAP_MAYMOVE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, Prng, SEGV_ACCERR, SEGV_MAPERR, VM_DONTCOPY, VM_EXEC,
  VM_READ, VM_WIPEONFORK, VM_WRITE,
} from '@mmkit/core';
import type { Kernel } from './kernel-types.js';
import { createKernel } from './kernel.js';
import type { Process } from './process.js';

const PAGE = 4096;
const MiB = 2 ** 20;
/** The window the campaign's fixed mappings and accesses fall in (and what top-down mappings leave alone). */
const WINDOW = 0x100000000;
const WINDOW_PAGES = 4096; // 16 MiB

export interface AddressSpaceFuzzOptions {
  /** Operations (default 300). */
  readonly ops?: number;
  readonly seed?: number;
  /** Live processes at most (default 8). */
  readonly processes?: number;
  /** fail_page_alloc probability in percent (default 1). */
  readonly failPercent?: number;
  /** Check every invariant after every step (default true); false: every 100 steps and at the end. */
  readonly checkEveryStep?: boolean;
  /** Called after every operation with a line saying what it did (to follow a failing seed). */
  readonly log?: (line: string) => void;
  /** Called every 1000 operations with the count done. */
  readonly progress?: (done: number) => void;
}

export interface AddressSpaceFuzzResult {
  readonly ops: number;
  /** Operations by kind. */
  readonly counts: Readonly<Record<string, number>>;
  /** Accesses that ended in the OOM outcome (an injected failure), forks refused with ENOMEM. */
  readonly oom: number;
  readonly forkEnomem: number;
  readonly maxProcesses: number;
}

/** A campaign step that disagreed with the model or broke an invariant. */
export class FuzzFailure extends Error {
  constructor(readonly step: number, readonly seed: number, message: string) {
    super(`address-space fuzz, seed ${seed}, step ${step}: ${message}`);
    this.name = 'FuzzFailure';
  }
}

interface Task {
  readonly proc: Process;
  /** The fill byte of each page written (page address -> byte); a page never written (or zapped) is absent and reads 0. */
  shadow: Map<number, number>;
}

const KINDS = ['mmap', 'mmap-fixed', 'munmap', 'mprotect', 'mremap', 'madvise', 'mlock', 'write', 'read', 'fork', 'exit'] as const;
type Kind = (typeof KINDS)[number];
/** Relative weights of the operations. */
const WEIGHTS: Readonly<Record<Kind, number>> = { 'mmap': 8, 'mmap-fixed': 10, 'munmap': 8, 'mprotect': 8, 'mremap': 6, 'madvise': 6, 'mlock': 4, 'write': 30, 'read': 20, 'fork': 3, 'exit': 2 };

export function runAddressSpaceFuzz(options: AddressSpaceFuzzOptions = {}): AddressSpaceFuzzResult {
  const ops = options.ops ?? 300;
  const seed = options.seed ?? 1;
  const maxProcs = options.processes ?? 8;
  const failPercent = options.failPercent ?? 1;
  if (!Number.isInteger(ops) || ops < 0 || ops > 10_000_000) throw new RangeError('ops: an integer in [0, 10^7]');
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new RangeError('seed: an integer in [0, 2^32)');
  if (!Number.isInteger(maxProcs) || maxProcs < 1 || maxProcs > 64) throw new RangeError('processes: an integer in [1, 64]');
  if (!(failPercent >= 0 && failPercent <= 100)) throw new RangeError('failPercent: a number in [0, 100]');
  const everyStep = options.checkEveryStep ?? true;
  const rng = new Prng(seed);
  const k = createKernel({ machine: { mem: 128 * MiB }, nrCpus: 2, seed, thp: 'never' });
  const bootFree = freePages(k);
  Object.assign(k.failPageAlloc, { probability: failPercent, times: -1, interval: 1, ignoreGfpWait: false, ignoreGfpHighmem: false, minOrder: 0, verbose: 0 });
  const vmas = k.vmas!;
  const tasks: Task[] = [];
  const counts: Record<string, number> = {};
  let oom = 0;
  let forkEnomem = 0;
  let maxLive = 0;
  let step = 0;
  const fail = (message: string): never => {
    throw new FuzzFailure(step, seed, message);
  };
  const totalWeight = KINDS.reduce((s, x) => s + WEIGHTS[x], 0);
  const pickKind = (): Kind => {
    let r = rng.nextInt(totalWeight);
    for (const x of KINDS) {
      r -= WEIGHTS[x];
      if (r < 0) return x;
    }
    return 'read';
  };
  /** A new process; false when its pgd could not be allocated (an injected failure: ENOMEM). */
  const spawn = (): boolean => {
    try {
      tasks.push({ proc: k.spawn({ vmas: [] }, { name: 'fuzz' }), shadow: new Map() });
      return true;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOMEM') throw e;
      return false;
    }
  };
  const windowAddr = (maxPages = 1) => WINDOW + rng.nextInt(WINDOW_PAGES - maxPages) * PAGE;
  const randomProt = () => [PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE, PROT_READ | PROT_WRITE | PROT_EXEC][rng.nextInt(5)];
  /** An address inside a VMA of the task, or in the window. */
  const someAddr = (t: Task, maxPages: number) => {
    if (rng.nextInt(4) !== 0) {
      const maps = k.addressSpaces!.maps(t.proc.mm).filter((e) => e.start < 2 ** 47);
      if (maps.length > 0) {
        const e = maps[rng.nextInt(maps.length)];
        return e.start + rng.nextInt((e.end - e.start) / PAGE) * PAGE;
      }
    }
    return windowAddr(maxPages);
  };
  /** For an access: half the time a page the task wrote (where copy on write and zaps show), else someAddr(). */
  const accessAddr = (t: Task) => {
    if (t.shadow.size > 0 && rng.nextInt(2) === 0) {
      let i = rng.nextInt(t.shadow.size);
      for (const a of t.shadow.keys()) if (i-- === 0) return a;
    }
    return someAddr(t, 1);
  };
  /** Forget the shadow of [start, end). */
  const forget = (t: Task, start: number, end: number) => {
    for (const a of [...t.shadow.keys()]) if (a >= start && a < end) t.shadow.delete(a);
  };
  /** What an access to addr must give: 0 (it works), or SEGV_MAPERR / SEGV_ACCERR. */
  const expected = (t: Task, addr: number, write: boolean): number => {
    const v = vmas.findVma(t.proc.mm, addr);
    if (!v || v.start > addr) return SEGV_MAPERR;
    if (write) return v.flags & VM_WRITE ? 0 : SEGV_ACCERR;
    return v.flags & (VM_READ | VM_WRITE | VM_EXEC) ? 0 : SEGV_ACCERR;
  };

  for (step = 1; step <= ops; step++) {
    if (tasks.length === 0 && !spawn()) {
      counts['spawn-enomem'] = (counts['spawn-enomem'] ?? 0) + 1;
      continue;
    }
    const t = tasks[rng.nextInt(tasks.length)];
    const p = t.proc;
    const as = k.addressSpaces!;
    const kind = pickKind();
    counts[kind] = (counts[kind] ?? 0) + 1;
    let note = '';
    switch (kind) {
      case 'mmap': {
        const len = (1 + rng.nextInt(32)) * PAGE;
        const hint = rng.nextInt(2) === 0 ? 0 : windowAddr(32);
        const a = as.mmap(p.mm, hint, len, randomProt(), MAP_PRIVATE | MAP_ANONYMOUS | (rng.nextInt(4) === 0 ? MAP_POPULATE : 0), -1, 0);
        note = `mmap(0x${hint.toString(16)}, ${len}) = 0x${a.toString(16)}`;
        if (a < 0 && a !== -ERRNO.ENOMEM) fail(`mmap(0x${hint.toString(16)}, ${len}) = ${a}`);
        if (a >= 0) forget(t, a, a + len);
        break;
      }
      case 'mmap-fixed': {
        const len = (1 + rng.nextInt(32)) * PAGE;
        const a = windowAddr(32);
        const r = as.mmap(p.mm, a, len, randomProt(), MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (rng.nextInt(4) === 0 ? MAP_POPULATE : 0), -1, 0);
        note = `mmap(MAP_FIXED 0x${a.toString(16)}, ${len}) = ${r}`;
        if (r === a) forget(t, a, a + len);
        else if (r !== -ERRNO.ENOMEM) fail(`mmap(MAP_FIXED 0x${a.toString(16)}, ${len}) = ${r}`);
        break;
      }
      case 'munmap': {
        const a = someAddr(t, 16);
        const len = (1 + rng.nextInt(16)) * PAGE;
        const r = as.munmap(p.mm, a, len);
        note = `munmap(0x${a.toString(16)}, ${len}) = ${r}`;
        if (r === 0) forget(t, a, a + len);
        else if (r !== -ERRNO.ENOMEM) fail(`munmap(0x${a.toString(16)}, ${len}) = ${r}`);
        break;
      }
      case 'mprotect': {
        const a = someAddr(t, 16);
        const len = (1 + rng.nextInt(16)) * PAGE;
        const prot = randomProt();
        const r = as.mprotect(p.mm, a, len, prot);
        note = `mprotect(0x${a.toString(16)}, ${len}, ${prot}) = ${r}`;
        if (r !== 0 && r !== -ERRNO.ENOMEM) fail(`mprotect(0x${a.toString(16)}, ${len}) = ${r}`);
        break;
      }
      case 'mremap': {
        const maps = as.maps(p.mm).filter((e) => e.start < 2 ** 47);
        if (maps.length === 0) break;
        const e = maps[rng.nextInt(maps.length)];
        const oldLen = Math.min(e.end - e.start, (1 + rng.nextInt(16)) * PAGE);
        const newLen = (1 + rng.nextInt(32)) * PAGE;
        const fixedTo = rng.nextInt(3) === 0 ? windowAddr(32) : 0;
        const flags = fixedTo ? MREMAP_MAYMOVE | MREMAP_FIXED : rng.nextInt(2) ? MREMAP_MAYMOVE : 0;
        const moved = new Map<number, number>();
        for (const [a, b] of t.shadow) if (a >= e.start && a < e.start + Math.min(oldLen, newLen)) moved.set(a - e.start, b);
        const r = as.mremap(p.mm, e.start, oldLen, newLen, flags, fixedTo);
        note = `mremap(0x${e.start.toString(16)}, ${oldLen}, ${newLen}, ${flags}, 0x${fixedTo.toString(16)}) = ${r < 0 ? r : `0x${r.toString(16)}`}`;
        if (r < 0) {
          if (r !== -ERRNO.ENOMEM && r !== -ERRNO.EINVAL && r !== -ERRNO.EFAULT && r !== -ERRNO.EAGAIN) fail(`mremap(0x${e.start.toString(16)}, ${oldLen}, ${newLen}, ${flags}) = ${r}`);
          // A failed move may have moved nothing or (ENOMEM in move_page_tables) moved back: the contents stay.
          break;
        }
        forget(t, e.start, e.start + oldLen);
        if (fixedTo) forget(t, fixedTo, fixedTo + newLen);
        forget(t, r, r + newLen);
        for (const [off, b] of moved) t.shadow.set(r + off, b);
        break;
      }
      case 'madvise': {
        const a = someAddr(t, 8);
        const len = (1 + rng.nextInt(8)) * PAGE;
        const advice = [MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_DODUMP][rng.nextInt(6)];
        const r = as.madvise(p.mm, a, len, advice);
        note = `madvise(0x${a.toString(16)}, ${len}, ${advice}) = ${r}`;
        // Private anonymous memory reads zeros again, also after ENOMEM (the mapped part is advised, then the hole reported).
        if ((r === 0 || r === -ERRNO.ENOMEM) && advice === MADV_DONTNEED) forget(t, a, a + len);
        if (r !== 0 && r !== -ERRNO.ENOMEM && r !== -ERRNO.EINVAL && r !== -ERRNO.EAGAIN) fail(`madvise(0x${a.toString(16)}, ${len}, ${advice}) = ${r}`);
        break;
      }
      case 'mlock': {
        const a = someAddr(t, 8);
        const len = (1 + rng.nextInt(8)) * PAGE;
        const lock = rng.nextInt(2) === 0;
        const r = lock ? as.mlock(p.mm, a, len, rng.nextInt(3) === 0 ? MLOCK_ONFAULT : 0) : as.munlock(p.mm, a, len);
        note = `${lock ? 'mlock' : 'munlock'}(0x${a.toString(16)}, ${len}) = ${r}`;
        // ENOMEM: a hole, RLIMIT_MEMLOCK, or a range that cannot be faulted in; EAGAIN: an allocation failed while populating.
        if (r !== 0 && r !== -ERRNO.ENOMEM && r !== -ERRNO.EAGAIN) fail(note);
        break;
      }
      case 'write': {
        const a = accessAddr(t);
        const want = expected(t, a, true);
        const byte = 1 + rng.nextInt(255);
        const r = p.write(a, new Uint8Array(PAGE).fill(byte));
        note = `write 0x${a.toString(16)} ${byte}: ${r.ok ? 'ok' : `${r.signal} ${r.code}`}`;
        if (r.ok) {
          if (want !== 0) fail(`write at 0x${a.toString(16)} succeeded; expected SIGSEGV ${want}`);
          t.shadow.set(a, byte);
        } else if (r.outcome === FAULT_OOM) {
          oom++;
        } else if (r.code !== want || r.signal !== 'SIGSEGV') {
          fail(`write at 0x${a.toString(16)}: ${r.signal} code ${r.code}; expected ${want === 0 ? 'success' : `SIGSEGV ${want}`}`);
        }
        break;
      }
      case 'read': {
        const a = accessAddr(t);
        const want = expected(t, a, false);
        const r = p.read(a, PAGE);
        note = `read 0x${a.toString(16)}: ${r.ok ? r.bytes[0] : `${r.signal} ${r.code}`}`;
        if (r.ok) {
          if (want !== 0) fail(`read at 0x${a.toString(16)} succeeded; expected SIGSEGV ${want}`);
          const b = t.shadow.get(a) ?? 0;
          for (let i = 0; i < PAGE; i++) if (r.bytes[i] !== b) fail(`read at 0x${a.toString(16)}: byte ${i} is ${r.bytes[i]}, expected ${b}`);
        } else if (r.outcome === FAULT_OOM) {
          oom++;
        } else if (r.code !== want || r.signal !== 'SIGSEGV') {
          fail(`read at 0x${a.toString(16)}: ${r.signal} code ${r.code}; expected ${want === 0 ? 'success' : `SIGSEGV ${want}`}`);
        }
        break;
      }
      case 'fork': {
        if (tasks.length >= maxProcs) break;
        let child: Process;
        try {
          child = p.fork();
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOMEM') throw e;
          forkEnomem++;
          break;
        }
        const shadow = new Map<number, number>();
        for (const [a, b] of t.shadow) {
          const v = vmas.findVma(p.mm, a);
          if (!v || v.start > a) fail(`the shadow has 0x${a.toString(16)}, which no VMA covers`);
          if (v!.flags & (VM_DONTCOPY | VM_WIPEONFORK)) continue;
          shadow.set(a, b);
        }
        tasks.push({ proc: child, shadow });
        note = `fork: pid ${child.pid}`;
        break;
      }
      case 'exit': {
        if (tasks.length <= 1 && rng.nextInt(4) !== 0) break;
        p.exit();
        tasks.splice(tasks.indexOf(t), 1);
        break;
      }
    }
    if (options.log) options.log(`${step} pid ${p.pid} ${kind} ${note}`);
    if (tasks.length > maxLive) maxLive = tasks.length;
    if (everyStep || step % 100 === 0) {
      const v = k.checkInvariants();
      if (v.length > 0) fail(`after ${kind}: ${v.map((x) => `[${x.invariant}] ${x.message}`).join('; ')}`);
    }
    if (options.progress && step % 1000 === 0) options.progress(step);
  }
  step = ops + 1;
  k.failPageAlloc.probability = 0;
  for (const t of tasks) t.proc.exit();
  const v = k.checkInvariants();
  if (v.length > 0) fail(`after every exit: ${v.map((x) => `[${x.invariant}] ${x.message}`).join('; ')}`);
  const free = freePages(k);
  if (free !== bootFree) fail(`after every exit ${free} pages are free, ${bootFree} were at boot`);
  return { ops, counts, oom, forkEnomem, maxProcesses: maxLive };
}

/** Free pages: the zones' free lists and the per-cpu lists. */
export function freePages(k: Kernel): number {
  let n = k.zones.reduce((s, z) => s + z.freePages, 0);
  k.pageAllocator.forEachPcpPage(() => n++);
  return n;
}

/** Page faults, fork and exit, through the kernel's processes on the implementation under test. */
import { MADV_DONTFORK, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_FIXED, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE, SEGV_ACCERR, SEGV_MAPERR, VM_GROWSDOWN, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from '@mmkit/core';
import { createKernel, freePages, type Kernel, type Process } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { MiB, PAGE, type AddressSpacesUnderTest, type Ctx } from './helpers.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const STACK_END = 0x7ffffffff000;

function bootKernel(ctx: Ctx): Kernel {
  return createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pcp: false, ...(ctx.factory ? { addressSpaces: ctx.factory } : {}) });
}

function spawn(k: Kernel, rlimitStack?: number, stackStart?: number): Process {
  if (stackStart === undefined) return k.spawn({ vmas: [] });
  return k.spawn({
    vmas: [{ start: stackStart, end: STACK_END, flags: VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN }],
    startStack: STACK_END - PAGE,
    ...(rlimitStack ? { rlimitStack } : {}),
  });
}

/** The anonymous pages the process maps: the mm's counter plus its task's rss cache (SPLIT_RSS_COUNTING: the counter alone lags, rule mmap.fault.rss-lag). */
function anonRss(k: Kernel, p: Process): number {
  const info = k.addressSpaces!.mmInfo(p.mm)!;
  return info.anonRss + (info.taskRss?.anonRss ?? 0);
}

/** A kB field of /proc/PID/status. */
function statusKb(k: Kernel, p: Process, field: string): number {
  const m = new RegExp(`\\n${field}:\\s+(\\d+) kB\\n`).exec(k.readFile(`/proc/${p.pid}/status`));
  return m ? Number(m[1]) : NaN;
}

const one = (b: number) => Uint8Array.of(b);

export const faultCases: readonly SuiteCase<AddressSpacesUnderTest>[] = [
  {
    name: 'a read of untouched anonymous memory reads zeros from the shared zero page: nothing allocated, RssAnon unchanged',
    rules: ['mmap.fault.zero-page'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const a = p.mmap(0, 64 * PAGE, RW, ANON);
      const free = freePages(k);
      const r = p.read(a, 64 * PAGE);
      assert.ok(r.ok, 'the read succeeds');
      if (r.ok) assert.ok(r.bytes.every((b) => b === 0), 'every byte reads 0');
      assert.equal(anonRss(k, p), 0, 'RssAnon after reading 64 pages');
      // Page tables may have been allocated for the reads; no more than those.
      assert.ok(free - freePages(k) <= 3, `pages taken by 64 read faults: ${free - freePages(k)} (at most the page tables)`);
    },
  },
  {
    name: 'a write fault maps a page of its own: zeros but for what was written, counted in RssAnon',
    rules: ['mmap.fault.anonymous-zeroed'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const a = p.mmap(0, 4 * PAGE, RW, ANON);
      assert.ok(p.read(a, 1).ok, 'a read first (the zero page)');
      assert.ok(p.write(a + 10, Uint8Array.of(1, 2, 3)).ok, 'the write');
      const r = p.read(a, PAGE);
      if (!r.ok) return assert.fail(`the read back: ${r.signal}`);
      assert.deepEqual([...r.bytes.subarray(8, 15)], [0, 0, 1, 2, 3, 0, 0], 'the bytes around the write');
      assert.equal(r.bytes.reduce((s, b) => s + b, 0), 6, 'nothing else written');
      assert.equal(anonRss(k, p), 1, 'RssAnon (with the task\'s rss cache)');
      assert.ok(k.readFile(`/proc/${p.pid}/smaps`).includes('\nAnonymous:             4 kB\n'), '/proc/PID/smaps Anonymous');
    },
  },
  {
    name: 'RssAnon and VmRSS of /proc/PID/status lag as 4.17\'s: a fault counts in the task\'s cache until the 66th fault, a zap of its page tables or exit',
    rules: ['mmap.fault.rss-lag'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const as = k.addressSpaces!;
      const a = p.mmap(0, 80 * PAGE, RW, ANON);
      for (let i = 0; i < 65; i++) assert.ok(p.write(a + i * PAGE, one(1)).ok, 'a write fault');
      let info = as.mmInfo(p.mm)!;
      assert.deepEqual([info.anonRss, statusKb(k, p, 'RssAnon'), statusKb(k, p, 'VmRSS')], [0, 0, 0], 'RssAnon (mm counter, status) and VmRSS after 65 write faults');
      assert.deepEqual([info.taskRss?.anonRss, info.taskRss?.events], [65, 65], 'the task\'s cache: 65 pages, 65 events');
      assert.ok(k.readFile(`/proc/${p.pid}/smaps`).includes('\nRss:                 260 kB\n'), 'smaps walks the page tables: 260 kB');
      assert.ok(p.write(a + 65 * PAGE, one(1)).ok, 'the 66th write fault');
      info = as.mmInfo(p.mm)!;
      assert.deepEqual([info.anonRss, info.taskRss?.anonRss, info.taskRss?.events], [65, 1, 0], 'the 66th fault syncs first, then counts its page in the cache');
      assert.equal(statusKb(k, p, 'RssAnon'), 260, 'RssAnon after the 66th fault');
      assert.ok(p.read(a + 70 * PAGE, 1).ok, 'a read fault (the zero page)');
      assert.deepEqual([as.mmInfo(p.mm)!.taskRss?.anonRss, as.mmInfo(p.mm)!.taskRss?.events], [1, 1], 'a read fault is an event and counts no page');
      assert.equal(p.munmap(a, PAGE), 0, 'munmap of a written page');
      info = as.mmInfo(p.mm)!;
      assert.deepEqual([info.anonRss, info.taskRss?.anonRss, statusKb(k, p, 'VmRSS')], [65, 0, 260], 'the zap syncs the cache (add_mm_rss_vec()): 66 pages less the one unmapped');
      const c = p.fork();
      const ci = as.mmInfo(c.mm)!;
      assert.deepEqual([ci.anonRss, ci.taskRss?.anonRss], [65, 0], 'fork copies the page tables into the child\'s counters, with an empty cache');
      c.exit();
      p.exit();
    },
  },
  {
    name: 'SIGSEGV: SEGV_MAPERR outside any mapping, SEGV_ACCERR for a write to a read-only mapping and any access to PROT_NONE',
    rules: ['mmap.fault.sigsegv'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const ro = p.mmap(0, PAGE, PROT_READ, ANON);
      const none = p.mmap(0, PAGE, PROT_NONE, ANON);
      const hole = p.mmap(0, 3 * PAGE, RW, ANON) + PAGE;
      p.munmap(hole, PAGE);
      const segv = (r: { ok: boolean; signal?: string; code?: number }, code: number, what: string) => {
        assert.equal(r.ok, false, `${what}: the access fails`);
        assert.equal(r.signal, 'SIGSEGV', `${what}: the signal`);
        assert.equal(r.code, code, `${what}: si_code`);
      };
      segv(p.read(hole, 1), SEGV_MAPERR, 'a read of an unmapped page');
      segv(p.write(hole + 8, one(1)), SEGV_MAPERR, 'a write to an unmapped page');
      segv(p.write(ro, one(1)), SEGV_ACCERR, 'a write to a read-only mapping');
      assert.ok(p.read(ro, 1).ok, 'a read of the read-only mapping');
      segv(p.read(none, 1), SEGV_ACCERR, 'a read of PROT_NONE');
      segv(p.write(none, one(1)), SEGV_ACCERR, 'a write to PROT_NONE');
      const rw = p.mmap(0, PAGE, RW, ANON);
      assert.ok(p.write(rw, one(5)).ok, 'a write');
      p.mprotect(rw, PAGE, PROT_READ);
      segv(p.write(rw, one(6)), SEGV_ACCERR, 'a write after mprotect(PROT_READ)');
      p.mprotect(rw, PAGE, RW);
      assert.ok(p.write(rw, one(6)).ok, 'a write after mprotect(PROT_READ | PROT_WRITE)');
    },
  },
  {
    name: 'after fork each process reads what it wrote; a page is copied at the first write to it, a page mapped once is reused',
    rules: ['mmap.fork.cow'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const a = p.mmap(0, 2 * PAGE, RW, ANON);
      assert.ok(p.write(a, one(1)).ok && p.write(a + PAGE, one(2)).ok, 'the parent writes two pages');
      const c = p.fork();
      const free = freePages(k);
      assert.ok(c.write(a, one(3)).ok, 'the child writes the first page');
      assert.equal(free - freePages(k), 1, 'pages allocated by the child\'s first write (one copy)');
      assert.deepEqual(p.read(a, 1), { ok: true, bytes: one(1) }, 'the parent still reads its byte');
      assert.deepEqual(c.read(a, 1), { ok: true, bytes: one(3) }, 'the child reads its own');
      assert.ok(p.write(a, one(4)).ok, 'the parent writes the first page, now mapped by it alone');
      assert.equal(free - freePages(k), 1, 'pages allocated after the parent\'s write (reused, not copied)');
      assert.ok(p.write(a + PAGE, one(5)).ok, 'the parent writes the second page, still shared');
      assert.deepEqual(c.read(a + PAGE, 1), { ok: true, bytes: one(2) }, 'the child reads the byte of before the fork');
      assert.deepEqual(c.read(a, 1), { ok: true, bytes: one(3) }, 'the child still reads its own byte');
    },
  },
  {
    name: 'fork leaves MADV_DONTFORK ranges out of the child and gives it MADV_WIPEONFORK ranges zero-filled',
    rules: ['mmap.fork.madvise'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const keep = p.mmap(0x500000000, PAGE, RW, ANON | MAP_FIXED);
      const dontfork = p.mmap(0x500100000, PAGE, RW, ANON | MAP_FIXED);
      const wipe = p.mmap(0x500200000, PAGE, RW, ANON | MAP_FIXED);
      for (const x of [keep, dontfork, wipe]) assert.ok(p.write(x, one(7)).ok, 'a write');
      assert.equal(p.madvise(dontfork, PAGE, MADV_DONTFORK), 0, 'MADV_DONTFORK');
      assert.equal(p.madvise(wipe, PAGE, MADV_WIPEONFORK), 0, 'MADV_WIPEONFORK');
      const c = p.fork();
      assert.deepEqual(c.read(keep, 1), { ok: true, bytes: one(7) }, 'an ordinary range');
      const gone = c.read(dontfork, 1);
      assert.ok(!gone.ok && gone.signal === 'SIGSEGV' && gone.code === SEGV_MAPERR, 'the MADV_DONTFORK range is not mapped in the child');
      assert.deepEqual(c.read(wipe, 1), { ok: true, bytes: one(0) }, 'the MADV_WIPEONFORK range reads zeros in the child');
      assert.deepEqual(p.read(wipe, 1), { ok: true, bytes: one(7) }, 'and keeps its bytes in the parent');
    },
  },
  {
    name: 'a stack grows down to an access below it, within RLIMIT_STACK and never within stack_guard_gap of the mapping below',
    rules: ['mmap.fault.stack-growth'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k, 64 * PAGE, STACK_END - 4 * PAGE);
      assert.ok(p.write(STACK_END - 20 * PAGE, one(1)).ok, 'an access 20 pages below the top');
      const v = k.vmas!.findVma(p.mm, STACK_END - PAGE)!;
      assert.equal(v.start, STACK_END - 20 * PAGE, 'the stack VMA starts at the page accessed');
      assert.ok(p.write(STACK_END - 64 * PAGE, one(1)).ok, 'at RLIMIT_STACK');
      const over = p.write(STACK_END - 65 * PAGE, one(1));
      assert.ok(!over.ok && over.code === SEGV_MAPERR, 'one page past RLIMIT_STACK is SIGSEGV (SEGV_MAPERR)');
      const q = spawn(k, undefined, STACK_END - 4 * PAGE);
      const below = STACK_END - 300 * PAGE;
      assert.equal(q.mmap(below - PAGE, PAGE, PROT_READ, ANON | MAP_FIXED), below - PAGE, 'a mapping below the stack');
      const gap = q.write(below + 255 * PAGE, one(1));
      assert.ok(!gap.ok && gap.code === SEGV_MAPERR, 'growing to within 256 pages (stack_guard_gap) of the mapping below is SIGSEGV');
      assert.ok(q.write(below + 256 * PAGE, one(1)).ok, 'growing to 256 pages above it is allowed');
    },
  },
  {
    name: 'MAP_POPULATE and MAP_LOCKED fault the mapping in at mmap(): pages of its own for private writable memory, VmLck for MAP_LOCKED',
    rules: ['mmap.fault.populate'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      p.mmap(0, 8 * PAGE, RW, ANON | MAP_POPULATE);
      assert.equal(anonRss(k, p), 8, 'RssAnon after MAP_POPULATE of 8 pages');
      p.mmap(0, 4 * PAGE, RW, ANON | MAP_POPULATE | MAP_NONBLOCK);
      assert.equal(anonRss(k, p), 8, 'RssAnon after MAP_POPULATE | MAP_NONBLOCK (nothing populated)');
      p.mmap(0, 4 * PAGE, RW, ANON | MAP_LOCKED);
      assert.equal(anonRss(k, p), 12, 'RssAnon after MAP_LOCKED of 4 pages');
      const status = k.readFile(`/proc/${p.pid}/status`);
      assert.ok(status.includes('\nVmLck:\t      16 kB\n'), `VmLck of 16 kB in /proc/PID/status: ${status.split('\n').find((l) => l.startsWith('VmLck')) ?? 'none'}`);
    },
  },
  {
    name: 'mlock() locks and faults in a range, munlock() unlocks it; the errors of mlock(2)',
    rules: ['mmap.mlock.lock-unlock'],
    run(ctx) {
      const k = bootKernel(ctx);
      const p = spawn(k);
      const as = k.addressSpaces!;
      const a = p.mmap(0x500000000, 8 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mlock(p.mm, a + 2 * PAGE, 3 * PAGE), 0, 'mlock of 3 pages inside a mapping');
      assert.equal(anonRss(k, p), 3, 'RssAnon: the locked pages are faulted in');
      assert.equal(as.mmInfo(p.mm)!.lockedVm, 3, 'locked_vm (VmLck) in pages');
      assert.equal(k.vmas!.findVma(p.mm, a)!.end, a + 2 * PAGE, 'the mapping is split below the locked range');
      assert.equal(as.mlock(p.mm, a, 4 * PAGE), 0, 'mlock overlapping the locked range');
      assert.equal(as.mmInfo(p.mm)!.lockedVm, 5, 'locked_vm counts each page once');
      assert.equal(as.munlock(p.mm, a, 8 * PAGE), 0, 'munlock of the whole mapping');
      assert.equal(as.mmInfo(p.mm)!.lockedVm, 0, 'locked_vm after munlock');
      const lazy = p.mmap(0x500100000, 4 * PAGE, RW, ANON | MAP_FIXED);
      const rss = anonRss(k, p);
      assert.equal(as.mlock(p.mm, lazy, 4 * PAGE, 1), 0, 'mlock2(MLOCK_ONFAULT)');
      assert.equal(anonRss(k, p), rss, 'MLOCK_ONFAULT faults nothing in');
      assert.equal(as.mlock(p.mm, lazy, PAGE, 2), -22, 'mlock2() with an unknown flag: EINVAL');
      assert.equal(as.mlock(p.mm, 0x500200000, PAGE), -12, 'mlock of an unmapped range: ENOMEM');
      const big = p.mmap(0x500300000, 17 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mlock(p.mm, big, 17 * PAGE), -12, 'mlock of 17 pages beyond RLIMIT_MEMLOCK (64 KiB, with 4 locked): ENOMEM');
      const q = k.spawn({ vmas: [], rlimitMemlock: 0 });
      assert.equal(as.mlock(q.mm, 0x500000000, PAGE), -1, 'an RLIMIT_MEMLOCK of 0 without CAP_IPC_LOCK: EPERM');
    },
  },
  {
    name: 'exit gives back every page and page table: the free page count is what it was before the process',
    rules: ['mmap.exit.frees'],
    run(ctx) {
      const k = bootKernel(ctx);
      const free = freePages(k);
      const p = spawn(k);
      for (let i = 0; i < 8; i++) {
        const a = p.mmap(0x600000000 + i * 2 ** 30, 16 * PAGE, RW, ANON | MAP_FIXED);
        for (let j = 0; j < 16; j += 3) assert.ok(p.write(a + j * PAGE, one(j + 1)).ok, 'a write');
        assert.ok(p.read(a + PAGE, 1).ok, 'a read');
      }
      const c = p.fork();
      assert.ok(c.write(0x600000000, one(9)).ok, 'the child writes');
      c.exit();
      p.exit();
      assert.equal(freePages(k), free, 'free pages after both exit');
    },
  },
];

// Processes on @mmkit/mmap: page faults (the zero page, write faults, copy on write after fork,
// SIGSEGV and OOM as results), stack growth, exit giving everything back, /proc/PID/status.
import { describe, expect, it } from 'vitest';
import {
  FAULT_OOM, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, PG_LEVEL_4K, PROT_NONE, PROT_READ, PROT_WRITE, SEGV_ACCERR, SEGV_MAPERR,
  VM_GROWSDOWN, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE, vaHigh, vaLow, type MmId,
} from '@mmkit/core';
import { createAddressSpaces } from '@mmkit/mmap';
import { createKernel, type Kernel } from '../src/index.js';

const MiB = 2 ** 20;
const PAGE = 4096;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;

/** Free pages: the zones' free lists and the per-cpu lists. */
function freePages(k: Kernel): number {
  let n = k.zones.reduce((s, z) => s + z.freePages, 0);
  k.pageAllocator.forEachPcpPage(() => n++);
  return n;
}

function boot(pcp = false): Kernel {
  return createKernel({ machine: { mem: 128 * MiB }, pcp });
}

function pte(k: Kernel, mm: MmId, addr: number): number {
  const arch = k.archPageTables!;
  const slot = arch.lookup(k.addressSpaces!.mmInfo(mm)!.pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K);
  return slot < 0 ? 0 : arch.readEntryLow(slot); // the low word: every flag the tests ask about
}

const bytes = (...b: number[]) => Uint8Array.from(b);

/** The anonymous pages mm maps: the mm's counter plus its task's cache (SPLIT_RSS_COUNTING: the counter alone lags). */
function anonPages(k: Kernel, mm: MmId): number {
  const info = k.addressSpaces!.mmInfo(mm)!;
  return info.anonRss + info.taskRss.anonRss;
}

describe('page faults', () => {
  it('a read fault maps the zero page; a write fault a zeroed page of its own', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const a = p.mmap(0, 4 * PAGE, RW, ANON);
    const r = p.read(a + 100, 8);
    expect(r).toEqual({ ok: true, bytes: new Uint8Array(8) });
    const arch = k.archPageTables!;
    const zero = pte(k, p.mm, a);
    expect(arch.ptePresent(zero) && arch.pteSpecial(zero) && !arch.pteWrite(zero)).toBe(true);
    expect(k.addressSpaces!.mmInfo(p.mm)!.anonRss).toBe(0);
    const free = freePages(k);
    expect(p.write(a + PAGE - 2, bytes(1, 2, 3, 4))).toEqual({ ok: true });
    // Two pages: the zero page of the first copied (wp_page_copy), the second a new zeroed page, counted in
    // the task's rss cache: the mm's counter (RssAnon) catches up at the 66th fault, a zap or exit.
    expect(anonPages(k, p.mm)).toBe(2);
    expect(k.addressSpaces!.mmInfo(p.mm)!.anonRss).toBe(0);
    expect(freePages(k)).toBe(free - 2);
    const back = p.read(a, 2 * PAGE);
    if (!back.ok) throw new Error('read failed');
    expect([...back.bytes.subarray(PAGE - 3, PAGE + 3)]).toEqual([0, 1, 2, 3, 4, 0]);
    expect(arch.pteDirty(pte(k, p.mm, a)) && arch.pteWrite(pte(k, p.mm, a))).toBe(true);
    expect(k.readFile(`/proc/${p.pid}/status`)).toContain('\nRssAnon:\t       0 kB\n');
    expect(k.readFile(`/proc/${p.pid}/smaps`)).toContain('\nAnonymous:             8 kB\n'); // smaps walks the page tables
  });

  it('SIGSEGV as a result: SEGV_MAPERR outside any VMA, SEGV_ACCERR for a forbidden access', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const ro = p.mmap(0, PAGE, PROT_READ, ANON);
    const none = p.mmap(0, PAGE, PROT_NONE, ANON);
    expect(p.write(0x10000, bytes(1))).toMatchObject({ ok: false, signal: 'SIGSEGV', code: SEGV_MAPERR, addr: 0x10000 });
    expect(p.read(2 ** 47 + 8, 1)).toMatchObject({ ok: false, signal: 'SIGSEGV', code: SEGV_MAPERR });
    expect(p.write(ro + 5, bytes(1))).toMatchObject({ ok: false, signal: 'SIGSEGV', code: SEGV_ACCERR, addr: ro + 5 });
    expect(p.read(none, 1)).toMatchObject({ ok: false, signal: 'SIGSEGV', code: SEGV_ACCERR });
    // A page made PROT_NONE after it was touched: present to the kernel, refused by the MMU.
    const rw = p.mmap(0, PAGE, RW, ANON);
    expect(p.write(rw, bytes(7)).ok).toBe(true);
    p.mprotect(rw, PAGE, PROT_NONE);
    expect(p.read(rw, 1)).toMatchObject({ ok: false, code: SEGV_ACCERR });
    p.mprotect(rw, PAGE, PROT_READ);
    expect(p.read(rw, 1)).toEqual({ ok: true, bytes: bytes(7) });
    expect(p.write(rw, bytes(8))).toMatchObject({ ok: false, code: SEGV_ACCERR });
    // A shared anonymous mapping needs shmem: SIGBUS until the page cache exists.
    const sh = p.mmap(0, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
    expect(p.read(sh, 1)).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });

  it('VM_FAULT_OOM when the page allocator fails: the OOM outcome, nothing leaked', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const a = p.mmap(0, 2 * PAGE, RW, ANON);
    expect(p.write(a, bytes(1)).ok).toBe(true);
    const free = freePages(k);
    Object.assign(k.failPageAlloc, { probability: 100, times: -1, ignoreGfpWait: false, ignoreGfpHighmem: false, minOrder: 0 });
    const r = p.write(a + PAGE, bytes(1));
    expect(r).toMatchObject({ ok: false, signal: 'SIGKILL', outcome: FAULT_OOM });
    expect(freePages(k)).toBe(free);
    k.failPageAlloc.probability = 0;
    expect(p.write(a + PAGE, bytes(2)).ok).toBe(true);
  });

  it('copy on write after fork: each side reads what it wrote; a page mapped once is reused', () => {
    const k = boot();
    const boot0 = freePages(k);
    const parent = k.spawn({ vmas: [] });
    const a = parent.mmap(0, 2 * PAGE, RW, ANON);
    expect(parent.write(a, bytes(1, 1)).ok).toBe(true);
    expect(parent.write(a + PAGE, bytes(9)).ok).toBe(true);
    const child = parent.fork();
    expect(child.ppid).toBe(parent.pid);
    const arch = k.archPageTables!;
    expect(arch.pteWrite(pte(k, parent.mm, a)) || arch.pteWrite(pte(k, child.mm, a))).toBe(false);
    const beforeCow = freePages(k);
    expect(child.write(a, bytes(2)).ok).toBe(true);
    expect(freePages(k)).toBe(beforeCow - 1); // wp_page_copy()
    expect(parent.read(a, 2)).toEqual({ ok: true, bytes: bytes(1, 1) });
    expect(child.read(a, 2)).toEqual({ ok: true, bytes: bytes(2, 1) });
    // The parent's page is mapped once now: its write reuses it (no allocation).
    expect(parent.write(a, bytes(3)).ok).toBe(true);
    expect(freePages(k)).toBe(beforeCow - 1);
    expect(child.read(a + PAGE, 1)).toEqual({ ok: true, bytes: bytes(9) });
    const info = k.addressSpaces!.mmInfo(child.mm)!;
    expect(info.anonRss).toBe(2);
    expect(k.readFile(`/proc/${child.pid}/status`)).toContain(`PPid:\t${parent.pid}\n`);
    child.exit();
    parent.exit();
    expect(freePages(k)).toBe(boot0);
    expect(k.processes()).toEqual([]);
    k.assertInvariants();
  });

  it('fork leaves MADV_DONTFORK memory out and wipes MADV_WIPEONFORK memory', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const keep = p.mmap(0, PAGE, RW, ANON);
    const gone = p.mmap(0, PAGE, PROT_READ, ANON); // a different protection: its own VMA
    const wipe = p.mmap(0, PAGE, RW | 4, ANON);
    for (const x of [keep, wipe]) expect(p.write(x, bytes(5)).ok).toBe(true);
    p.madvise(gone, PAGE, 10); // MADV_DONTFORK
    p.madvise(wipe, PAGE, 18); // MADV_WIPEONFORK
    const c = p.fork();
    expect(c.read(keep, 1)).toEqual({ ok: true, bytes: bytes(5) });
    expect(c.read(gone, 1)).toMatchObject({ ok: false, code: SEGV_MAPERR });
    expect(c.read(wipe, 1)).toEqual({ ok: true, bytes: bytes(0) });
    expect(p.read(wipe, 1)).toEqual({ ok: true, bytes: bytes(5) });
    expect(k.addressSpaces!.mmInfo(c.mm)!.totalVm).toBe(k.addressSpaces!.mmInfo(p.mm)!.totalVm - 1);
  });
});

describe('SPLIT_RSS_COUNTING: the mm counters lag as 4.17\'s do', () => {
  // mm/memory.c of 4.17: add_mm_counter_fast() counts a fault's page in current->rss_stat;
  // check_sync_rss_stat() at the start of handle_mm_fault() adds that to the mm's counters when
  // events++ > TASK_RSS_EVENTS_THRESH (64), i.e. at every 66th fault; add_mm_rss_vec() syncs when
  // the task zaps a page table of its own mm; do_exit() and exit_mm() sync before exit_mmap().
  const status = (k: Kernel, pid: number, field: string) => Number(new RegExp(`\\n${field}:\\s+(\\d+) kB\\n`).exec(k.readFile(`/proc/${pid}/status`))![1]);

  it('RssAnon and VmRSS catch up at the 66th fault and at a zap of a page table, not at one of an empty range; fork copies into the child\'s counters', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const as = k.addressSpaces!;
    const a = p.mmap(0, 200 * PAGE, RW, ANON);
    for (let i = 0; i < 65; i++) expect(p.write(a + i * PAGE, bytes(1)).ok).toBe(true);
    let info = as.mmInfo(p.mm)!;
    expect([info.anonRss, info.taskRss.anonRss, info.taskRss.events]).toEqual([0, 65, 65]);
    expect([status(k, p.pid, 'RssAnon'), status(k, p.pid, 'VmRSS')]).toEqual([0, 0]);
    expect(k.readFile(`/proc/${p.pid}/smaps`)).toContain('\nRss:                 260 kB\n'); // smaps walks the tables
    // The 66th fault syncs first (65 pages), then counts its own page in the cache.
    expect(p.write(a + 65 * PAGE, bytes(1)).ok).toBe(true);
    info = as.mmInfo(p.mm)!;
    expect([info.anonRss, info.taskRss.anonRss, info.taskRss.events]).toEqual([65, 1, 0]);
    expect(status(k, p.pid, 'RssAnon')).toBe(65 * 4);
    // A read fault of the zero page is an event too, and counts no page.
    expect(p.read(a + 100 * PAGE, 1).ok).toBe(true);
    expect([as.mmInfo(p.mm)!.taskRss.anonRss, as.mmInfo(p.mm)!.taskRss.events]).toEqual([1, 1]);
    // munmap() of a range with no page table (its PMD is empty) zaps no PTE table: no sync.
    const far = p.mmap(0x40000000, 4 * PAGE, RW, ANON);
    expect(far).toBe(0x40000000);
    p.munmap(far, 4 * PAGE);
    expect(as.mmInfo(p.mm)!.taskRss.anonRss).toBe(1);
    // fork() copies the page tables into the child's counters (current is the parent: no sync of either).
    const c = p.fork();
    const ci = as.mmInfo(c.mm)!;
    expect([ci.anonRss, ci.taskRss.anonRss, ci.taskRss.events, as.mmInfo(p.mm)!.taskRss.anonRss]).toEqual([66, 0, 0, 1]);
    c.exit();
    // munmap() of a mapped page: zap_pte_range()'s add_mm_rss_vec() syncs the cache.
    expect(p.munmap(a, PAGE)).toBe(0);
    info = as.mmInfo(p.mm)!;
    expect([info.anonRss, info.taskRss.anonRss, info.taskRss.events]).toEqual([65, 0, 0]);
    expect(status(k, p.pid, 'VmRSS')).toBe(65 * 4);
    k.assertInvariants();
    p.exit();
    k.assertInvariants();
  });

  it('without SPLIT_RSS_COUNTING (the splitRssCounting hook off) every fault counts in the mm at once', () => {
    const k = createKernel({ machine: { mem: 128 * MiB }, pcp: false, addressSpaces: (services) => createAddressSpaces(services, { hooks: { splitRssCounting: false } }) });
    const p = k.spawn({ vmas: [] });
    const a = p.mmap(0, 4 * PAGE, RW, ANON);
    for (let i = 0; i < 3; i++) expect(p.write(a + i * PAGE, bytes(1)).ok).toBe(true);
    const info = k.addressSpaces!.mmInfo(p.mm)!;
    expect([info.anonRss, info.taskRss.anonRss, info.taskRss.events]).toEqual([3, 0, 0]);
    expect(status(k, p.pid, 'RssAnon')).toBe(12);
    k.assertInvariants();
  });
});

describe('MAP_POPULATE and MAP_LOCKED', () => {
  it('populate through faults: a private writable mapping gets its own pages, a read-only one the zero page', () => {
    const k = boot();
    const free = freePages(k);
    const p = k.spawn({ vmas: [] });
    const rw = p.mmap(0, 16 * PAGE, RW, ANON | MAP_POPULATE);
    expect(anonPages(k, p.mm)).toBe(16);
    const ro = p.mmap(0, 16 * PAGE, PROT_READ, ANON | MAP_POPULATE);
    expect(anonPages(k, p.mm)).toBe(16);
    const arch = k.archPageTables!;
    expect(arch.pteSpecial(pte(k, p.mm, ro + 5 * PAGE))).toBe(true);
    // MAP_POPULATE | MAP_NONBLOCK populates nothing; PROT_NONE cannot be populated (no error either).
    p.mmap(0, 4 * PAGE, RW, ANON | MAP_POPULATE | MAP_NONBLOCK);
    p.mmap(0, 4 * PAGE, PROT_NONE, ANON | MAP_POPULATE);
    expect(anonPages(k, p.mm)).toBe(16);
    const locked = p.mmap(0, 8 * PAGE, RW, ANON | MAP_LOCKED);
    const info = k.addressSpaces!.mmInfo(p.mm)!;
    expect([anonPages(k, p.mm), info.lockedVm]).toEqual([24, 8]);
    expect(k.readFile(`/proc/${p.pid}/status`)).toContain('\nVmLck:\t      32 kB\n');
    // mremap growing a locked mapping populates the new part.
    expect(p.mremap(locked, 8 * PAGE, 12 * PAGE, 1)).toBeGreaterThan(0);
    expect(anonPages(k, p.mm)).toBe(28);
    expect(p.read(rw, 1).ok).toBe(true);
    p.exit();
    expect(freePages(k)).toBe(free);
  });
});

describe('mlock(2), mlock2(2), munlock(2)', () => {
  it('lock and populate a range, split and merge VMAs, count locked_vm; the errors of the man page', () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const as = k.addressSpaces!;
    const a = p.mmap(0x700000000, 8 * PAGE, RW, ANON | 0x10);
    expect(as.mlock(p.mm, a + 2 * PAGE + 5, 2 * PAGE)).toBe(0); // [a + 2, a + 5) pages: PAGE_ALIGN(len + offset)
    let info = as.mmInfo(p.mm)!;
    expect([info.lockedVm, anonPages(k, p.mm), info.mapCount]).toEqual([3, 3, 3]);
    expect(k.readFile(`/proc/${p.pid}/smaps`)).toMatch(/VmFlags: rd wr mr mw me lo ac sd \n/);
    // Locking an overlapping range counts the pages already locked once.
    expect(as.mlock(p.mm, a, 4 * PAGE)).toBe(0);
    info = as.mmInfo(p.mm)!;
    expect([info.lockedVm, info.mapCount]).toEqual([5, 2]);
    expect(as.munlock(p.mm, a, 8 * PAGE)).toBe(0);
    info = as.mmInfo(p.mm)!;
    // Unlocked, the pages stay; [a, a + 5) does not merge with [a + 5, a + 8), which has no anon_vma
    // (is_mergeable_anon_vma(): an empty anon_vma_chain is not singular).
    expect([info.lockedVm, info.mapCount, anonPages(k, p.mm)]).toEqual([0, 2, 5]);
    // RLIMIT_MEMLOCK (64 KiB: 16 pages): ENOMEM beyond it; a hole: ENOMEM; PROT_NONE cannot be faulted in: ENOMEM.
    const big = p.mmap(0, 32 * PAGE, RW, ANON);
    expect(as.mlock(p.mm, big, 17 * PAGE)).toBe(-12);
    expect(as.mlock(p.mm, big, 16 * PAGE)).toBe(0);
    expect(as.munlock(p.mm, big, 16 * PAGE)).toBe(0);
    expect(as.mlock(p.mm, 0x10000, PAGE)).toBe(-12);
    const none = p.mmap(0, PAGE, PROT_NONE, ANON);
    expect(as.mlock(p.mm, none, PAGE)).toBe(-12);
    expect(as.munlock(p.mm, none, PAGE)).toBe(0);
    // mlock2: MLOCK_ONFAULT locks without faulting in; an unknown flag is EINVAL.
    const lazy = p.mmap(0, 4 * PAGE, RW, ANON);
    const rss = anonPages(k, p.mm);
    expect(as.mlock(p.mm, lazy, 4 * PAGE, 1)).toBe(0);
    expect([anonPages(k, p.mm), as.mmInfo(p.mm)!.lockedVm]).toEqual([rss, 4]);
    expect(as.mlock(p.mm, lazy, PAGE, 2)).toBe(-22);
    // A wrapping range is EINVAL (with CAP_IPC_LOCK, past the limit check).
    const q = k.spawn({ vmas: [], capIpcLock: true });
    expect(as.mlock(q.mm, 0xfffffffffffff000n, 0x2000n)).toBe(-22);
    // No RLIMIT_MEMLOCK and no CAP_IPC_LOCK: EPERM.
    const r = k.spawn({ vmas: [], rlimitMemlock: 0 });
    expect(as.mlock(r.mm, 0x10000, PAGE)).toBe(-1);
    k.assertInvariants();
  });
});

describe('/proc/PID/smaps', () => {
  it("shows each VMA's resident, proportional, shared and private memory and its flags, as show_smap() of 4.17", () => {
    const k = boot();
    const p = k.spawn({ vmas: [] });
    const a = p.mmap(0x700000000, 4 * PAGE, RW, ANON | 0x10);
    expect(p.write(a, new Uint8Array(2 * PAGE).fill(1)).ok).toBe(true);
    expect(p.read(a + 3 * PAGE, 1).ok).toBe(true); // the zero page: not resident in smaps
    const c = p.fork();
    const text = k.readFile(`/proc/${p.pid}/smaps`);
    const block = text.slice(text.indexOf('700000000-'));
    expect(block.split('\n').slice(0, 21).join('\n')).toBe([
      '700000000-700004000 rw-p 00000000 00:00 0 ',
      'Size:                 16 kB',
      'KernelPageSize:        4 kB',
      'MMUPageSize:           4 kB',
      'Rss:                   8 kB',
      'Pss:                   4 kB',
      'Shared_Clean:          0 kB',
      'Shared_Dirty:          8 kB',
      'Private_Clean:         0 kB',
      'Private_Dirty:         0 kB',
      'Referenced:            8 kB',
      'Anonymous:             8 kB',
      'LazyFree:              0 kB',
      'AnonHugePages:         0 kB',
      'ShmemPmdMapped:        0 kB',
      'Shared_Hugetlb:        0 kB',
      'Private_Hugetlb:       0 kB',
      'Swap:                  0 kB',
      'SwapPss:               0 kB',
      'Locked:                4 kB',
      'VmFlags: rd wr mr mw me ac sd ',
    ].join('\n'));
    expect(c.write(a, new Uint8Array(1)).ok).toBe(true);
    const after = k.readFile(`/proc/${c.pid}/smaps`);
    expect(after).toContain('Pss:                   6 kB\nShared_Clean:          0 kB\nShared_Dirty:          4 kB\nPrivate_Clean:         0 kB\nPrivate_Dirty:         4 kB\nReferenced:            4 kB\n');
  });
});

describe('stack growth', () => {
  const STACK_END = 0x7ffffffff000;
  const stack = (start: number) => ({
    vmas: [{ start, end: STACK_END, flags: VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN }],
    startStack: STACK_END - PAGE,
  });

  it('a stack grows down to an access below it, up to RLIMIT_STACK', () => {
    const k = boot();
    const p = k.spawn(stack(STACK_END - 33 * PAGE), { params: { rlimitStack: 64 * PAGE } });
    expect(p.write(STACK_END - 40 * PAGE, bytes(1)).ok).toBe(true);
    expect(k.readFile(`/proc/${p.pid}/maps`)).toContain(`${(STACK_END - 40 * PAGE).toString(16)}-7ffffffff000 rw-p 00000000 00:00 0                          [stack]`);
    expect(k.addressSpaces!.mmInfo(p.mm)!.stackVm).toBe(40);
    // 64 pages is the limit: the 65th is SEGV_MAPERR (expand_stack() fails: bad_area()).
    expect(p.write(STACK_END - 64 * PAGE, bytes(1)).ok).toBe(true);
    expect(p.write(STACK_END - 65 * PAGE, bytes(1))).toMatchObject({ ok: false, code: SEGV_MAPERR });
  });

  it('a stack does not grow within stack_guard_gap of the mapping below it', () => {
    const k = boot();
    const p = k.spawn(stack(STACK_END - 4 * PAGE));
    const below = STACK_END - 300 * PAGE;
    expect(p.mmap(below - PAGE, PAGE, PROT_READ, ANON | 0x10)).toBe(below - PAGE); // MAP_FIXED
    // 256 pages of gap above the mapping's end: growing to below + 256 pages is refused, + 256 pages and one more is not.
    expect(p.write(below + 255 * PAGE, bytes(1))).toMatchObject({ ok: false, code: SEGV_MAPERR });
    expect(p.write(below + 256 * PAGE, bytes(1)).ok).toBe(true);
    // A MAP_GROWSDOWN mapping grows as a stack too.
    const g = p.mmap(0x500000000, 4 * PAGE, RW, ANON | MAP_GROWSDOWN);
    expect(p.write(g - PAGE, bytes(1)).ok).toBe(true);
  });
});

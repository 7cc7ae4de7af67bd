/**
 * Processes: a task with its mm (the address space of @mmkit/mmap or another AddressSpaces
 * implementation), created from a described layout or a /proc/PID/maps text, forked (dup_mm())
 * and exited (exit_mmap()). Its memory is read and written as the CPU would: each page is
 * translated through the page tables (the arch's walk; the accessed and dirty bits set as the
 * MMU sets them), and a miss or a protection fault goes to the page-fault handler
 * (AddressSpaces.pageFault(), x86's __do_page_fault()). What the task would get for a bad
 * access (SIGSEGV with SEGV_MAPERR or SEGV_ACCERR, SIGBUS, or the OOM killer) is returned as a
 * value, never thrown.
 */
import {
  FAULT_FLAG_USER, FAULT_FLAG_WRITE, FAULT_HANDLED, FAULT_OOM, FAULT_SIGBUS, FAULT_SIGSEGV_MAPERR, NO_SLOT, PG_LEVEL_4K, syscallError, vaHigh, vaJoin,
  vaLow,
} from '@mmkit/core';
import type { AddressSpaces, ArchPageTables, MmDescription, MmId, MmParams, PageContents } from '@mmkit/core';

const PAGE_SIZE = 4096;
/** A fault that leaves the PTE still unusable this many times is a kernel bug (the handler said it handled it). */
const MAX_FAULT_RETRIES = 4;
/** The largest single read or write (bytes): a bound before anything is allocated. */
export const MAX_ACCESS_BYTES = 1 << 30;

/** What a task receives for an access that cannot complete. */
export interface AccessFault {
  readonly ok: false;
  /** SIGSEGV (no mapping, or the mapping forbids the access), SIGBUS, or SIGKILL from the OOM killer (pagefault_out_of_memory()). */
  readonly signal: 'SIGSEGV' | 'SIGBUS' | 'SIGKILL';
  /** si_code: SEGV_MAPERR (1) or SEGV_ACCERR (2) for SIGSEGV, BUS_ADRERR (2) for SIGBUS, 0 for SIGKILL. */
  readonly code: number;
  /** The faulting address (si_addr). */
  readonly addr: number;
  /** The fault outcome (core's FAULT_*). */
  readonly outcome: number;
}

export type ReadResult = { readonly ok: true; readonly bytes: Uint8Array } | AccessFault;
export type WriteResult = { readonly ok: true } | AccessFault;

function accessFault(outcome: number, addr: number): AccessFault {
  if (outcome === FAULT_SIGBUS) return { ok: false, signal: 'SIGBUS', code: 2, addr, outcome };
  if (outcome === FAULT_OOM) return { ok: false, signal: 'SIGKILL', code: 0, addr, outcome };
  return { ok: false, signal: 'SIGSEGV', code: outcome, addr, outcome };
}

/** What a process needs of the kernel. */
export interface ProcessHost {
  readonly addressSpaces: AddressSpaces;
  readonly arch: ArchPageTables;
  readonly contents: PageContents;
  /** A new pid. */
  allocPid(): number;
  /** The process leaves the table (exit). */
  release(pid: number): void;
  /** A forked child joins the table. */
  adopt(child: Process): void;
}

export class Process {
  private exited = false;
  /** mm->pgd, where the MMU's walks start. */
  private readonly pgd: number;

  constructor(private readonly host: ProcessHost, readonly pid: number, readonly ppid: number, readonly mm: MmId, readonly name: string) {
    const info = host.addressSpaces.mmInfo(mm);
    if (!info) throw new Error(`kernel bug: process ${pid} has no mm ${mm}`);
    this.pgd = info.pgd;
  }

  /** Has exit() run? */
  get dead(): boolean {
    return this.exited;
  }

  private live(what: string): void {
    if (this.exited) throw new Error(`process ${this.pid} has exited: no ${what}`);
  }

  /**
   * The MMU's walk for one access to vaJoin(high, low): the pfn, or -1 when the entry is missing,
   * PROT_NONE or not writable for a write (a page fault). Sets the accessed bit, and the dirty
   * bit on a write. The address crosses calls as its int32 halves (core's vaHigh()/vaLow()): a
   * 47-bit address passed as a double would be boxed at each call V8 does not inline.
   */
  private translate(high: number, low: number, write: boolean): number {
    const arch = this.host.arch;
    // One walk to the PTE: NO_SLOT when a table on the way is missing (or a 2 MiB leaf, which nothing maps yet).
    const slot = arch.lookup(this.pgd, high, low, PG_LEVEL_4K);
    if (slot === NO_SLOT) return -1;
    const pte = arch.readEntryLow(slot);
    if (!arch.ptePresent(pte) || arch.pteProtnone(pte)) return -1;
    if (write && !arch.pteWrite(pte)) return -1;
    const ptHigh = arch.readEntryHigh(slot);
    const next = write ? arch.pteMkdirty(arch.pteMkyoung(pte)) : arch.pteMkyoung(pte);
    if (next !== pte) arch.setEntry(slot, next, ptHigh);
    return arch.ptePfn(pte, ptHigh);
  }

  /** The pfn of the page of vaJoin(high, low) for this access, faulting it in; or the fault outcome as a negative number - 1. */
  private pageFor(high: number, low: number, write: boolean): number {
    if (!(high >= 0 && high < 2 ** 15)) return -1 - FAULT_SIGSEGV_MAPERR; // fault_in_kernel_space(): no VMA can cover it
    for (let i = 0; i < MAX_FAULT_RETRIES; i++) {
      const pfn = this.translate(high, low, write);
      if (pfn >= 0) return pfn;
      const outcome = this.host.addressSpaces.pageFault(this.mm, high, low, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
      if (outcome !== FAULT_HANDLED) return -1 - outcome;
    }
    throw new Error(`kernel bug: the page fault at 0x${vaJoin(high, low).toString(16)} (${write ? 'write' : 'read'}) was handled ${MAX_FAULT_RETRIES} times and the page tables still refuse the access`);
  }

  private checkRange(addr: number, len: number, what: string): void {
    if (typeof addr !== 'number' || !Number.isInteger(addr) || addr < 0 || addr >= 2 ** 64) throw new TypeError(`${what}: address ${String(addr)} is not an integer in [0, 2^64)`);
    if (!Number.isInteger(len) || len < 0 || len > MAX_ACCESS_BYTES) throw new RangeError(`${what}: length ${String(len)} is not an integer in [0, ${MAX_ACCESS_BYTES}]`);
  }

  /** Read len bytes at addr as the process would (faults included): the bytes, or the signal. */
  read(addr: number, len: number): ReadResult {
    this.live('read');
    this.checkRange(addr, len, 'read');
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const pfn = this.pageFor(vaHigh(a), vaLow(a), false);
      if (pfn < 0) return accessFault(-1 - pfn, a);
      this.host.contents.read(pfn, off, out.subarray(done, done + n));
      done += n;
    }
    return { ok: true, bytes: out };
  }

  /** Write bytes at addr as the process would: the bytes before a faulting page are written, as a CPU's stores are. */
  write(addr: number, bytes: Uint8Array): WriteResult {
    this.live('write');
    if (!(bytes instanceof Uint8Array)) throw new TypeError('write: bytes must be a Uint8Array');
    this.checkRange(addr, bytes.length, 'write');
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      const pfn = this.pageFor(vaHigh(a), vaLow(a), true);
      if (pfn < 0) return accessFault(-1 - pfn, a);
      this.host.contents.write(pfn, off, bytes.subarray(done, done + n));
      done += n;
    }
    return { ok: true };
  }

  /**
   * Touch one byte of every page of [addr, addr + len) (a read, or a write of the byte already
   * there): faults the range in without copying anything out. 0, or the fault outcome.
   */
  touch(addr: number, len: number, write: boolean): number {
    this.live('touch');
    this.checkRange(addr, len, 'touch');
    const end = addr + len;
    for (let a = addr - (addr % PAGE_SIZE); a < end; a += PAGE_SIZE) {
      const pfn = this.pageFor(vaHigh(a), vaLow(a), write);
      if (pfn < 0) return -1 - pfn;
    }
    return FAULT_HANDLED;
  }

  /** fork(): a child with a copy-on-write copy of the address space. Throws ENOMEM (a Node-style error) when the copy fails. */
  fork(): Process {
    this.live('fork');
    const mm = this.host.addressSpaces.fork(this.mm);
    if (mm < 0) throw syscallError('fork', mm);
    const child = new Process(this.host, this.host.allocPid(), this.pid, mm, this.name);
    this.host.adopt(child);
    return child;
  }

  /** exit(): the address space torn down (exit_mmap()), every page and page table back. */
  exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.host.addressSpaces.mmDestroy(this.mm);
    this.host.release(this.pid);
  }

  // The memory syscalls of the process: the value, or a thrown Node-style error (code, errno, syscall).
  mmap(addr: number | bigint, len: number | bigint, prot: number, flags: number, fd = -1, off: number | bigint = 0): number {
    this.live('mmap');
    return check('mmap', this.host.addressSpaces.mmap(this.mm, addr, len, prot, flags, fd, off));
  }

  munmap(addr: number | bigint, len: number | bigint): number {
    this.live('munmap');
    return check('munmap', this.host.addressSpaces.munmap(this.mm, addr, len));
  }

  mprotect(addr: number | bigint, len: number | bigint, prot: number): number {
    this.live('mprotect');
    return check('mprotect', this.host.addressSpaces.mprotect(this.mm, addr, len, prot));
  }

  mremap(addr: number | bigint, oldLen: number | bigint, newLen: number | bigint, flags: number, newAddr?: number | bigint): number {
    this.live('mremap');
    return check('mremap', this.host.addressSpaces.mremap(this.mm, addr, oldLen, newLen, flags, newAddr));
  }

  brk(value: number | bigint): number {
    this.live('brk');
    return this.host.addressSpaces.brk(this.mm, value);
  }

  mlock(addr: number | bigint, len: number | bigint, flags = 0): number {
    this.live('mlock');
    return check(flags === 0 ? 'mlock' : 'mlock2', this.host.addressSpaces.mlock(this.mm, addr, len, flags));
  }

  munlock(addr: number | bigint, len: number | bigint): number {
    this.live('munlock');
    return check('munlock', this.host.addressSpaces.munlock(this.mm, addr, len));
  }

  madvise(addr: number | bigint, len: number | bigint, advice: number): number {
    this.live('madvise');
    return check('madvise', this.host.addressSpaces.madvise(this.mm, addr, len, advice));
  }
}

function check(syscall: string, ret: number): number {
  if (ret < 0 && ret >= -4095) throw syscallError(syscall, ret);
  return ret;
}

/** What kernel.spawn() takes: a described layout, or the text of a /proc/PID/maps. */
export type SpawnLayout = MmDescription | string;

export interface SpawnOptions {
  /** The command name (/proc/PID/status Name, comm). Default 'mmkit'. */
  readonly name?: string;
  /** Layout parameters and limits for a maps text (a description carries its own). */
  readonly params?: MmParams;
}

/** Create the mm of a new process: an MmId, or -ENOMEM. */
export function spawnMm(as: AddressSpaces, layout: SpawnLayout, params: MmParams | undefined): MmId {
  if (typeof layout === 'string') {
    if (layout.length > 64 * 2 ** 20) throw new RangeError('spawn: a maps text of more than 64 MiB');
    return as.mmCreateFromMaps(layout, params);
  }
  if (typeof layout !== 'object' || layout === null) throw new TypeError('spawn: a layout is a description ({ vmas: [...] }) or a /proc/PID/maps text');
  return as.mmCreateWith(params ? { ...layout, ...params } : layout);
}

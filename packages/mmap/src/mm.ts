/**
 * struct mm_struct (include/linux/mm_types.h): the VMAs (vma-tree.ts), the layout, the limits
 * the syscalls check (rlimits and sysctls, per mm here), the counters of vm_stat_account() and
 * the break; and the open files of the process that owns it (files_struct, kept with the mm
 * because mmap is its only user so far).
 */
import type { FileIdentity, MapsEntry } from '@mmkit/core';
import { VmaTable } from './vma-tree.js';

/** The open files by fd, and the struct files they name (a mapping keeps its own reference). */
export class FileTable {
  /** struct file by number (1..); undefined when free. */
  private readonly files: (FileIdentity | undefined)[] = [undefined];
  private readonly refs: number[] = [0];
  private readonly freeList: number[] = [];
  /** fd -> file number. */
  readonly fds = new Map<number, number>();

  /** A new struct file for identity, with one reference. */
  open(identity: FileIdentity): number {
    const f = this.freeList.pop() ?? this.files.length;
    this.files[f] = identity;
    this.refs[f] = 1;
    return f;
  }

  identity(f: number): FileIdentity {
    const id = this.files[f];
    if (id === undefined) throw new Error(`kernel bug: struct file ${f} is not open`);
    return id;
  }

  /** get_file(). */
  get(f: number): void {
    this.refs[f]++;
  }

  /** fput(). */
  put(f: number): void {
    if (--this.refs[f] === 0) {
      this.files[f] = undefined;
      this.freeList.push(f);
    }
  }

  /** fget() of an fd: the file number, or 0. */
  fget(fd: number): number {
    return this.fds.get(fd) ?? 0;
  }

  /**
   * fork: the same struct files under the same numbers with no references yet (dup_fd() and
   * dup_mmap() take theirs with get()); dropUnreferenced() then frees the ones nobody took.
   */
  forkFrom(parent: FileTable): void {
    for (let f = 1; f < parent.files.length; f++) {
      this.files[f] = parent.files[f];
      this.refs[f] = 0;
    }
    for (const [fd, f] of parent.fds) {
      this.fds.set(fd, f);
      this.refs[f]++;
    }
  }

  dropUnreferenced(): void {
    for (let f = 1; f < this.files.length; f++) {
      if (this.refs[f] === 0) {
        this.files[f] = undefined;
        this.freeList.push(f);
      }
    }
  }

  /** Open files (for teardown checks). */
  openCount(): number {
    return this.files.length - 1 - this.freeList.length;
  }
}

/** The limits and sysctls one mm is checked against. */
export interface MmLimits {
  taskSize: number;
  stackGuardGap: number;
  mmapMinAddr: number;
  maxMapCount: number;
  randomizeVaSpace: number;
  overcommitMemory: number;
  /** Bytes; Infinity is RLIM_INFINITY. */
  rlimitData: number;
  rlimitStack: number;
  rlimitAs: number;
  rlimitMemlock: number;
  capIpcLock: boolean;
  capSysRawio: boolean;
}

export class MmStruct {
  readonly vmas: VmaTable;
  readonly files = new FileTable();
  /** The names of special mappings (vm_special_mapping.name), by special - 1. */
  readonly specialNames: string[] = [];
  /** The gate area (get_gate_vma(): [vsyscall]), shown after the VMAs. */
  gate: MapsEntry | undefined;
  mmapBase = 0;
  mmapLegacyBase = 0;
  topDown = true;
  startBrk = 0;
  brk = 0;
  startData = 0;
  endData = 0;
  startStack = 0;
  /** current->brk_randomized (randomize_va_space 2 at exec). */
  brkRandomized = false;
  /** In pages (vm_stat_account()). */
  totalVm = 0;
  dataVm = 0;
  execVm = 0;
  stackVm = 0;
  lockedVm = 0;
  /** mm->def_flags (VM_LOCKED after mlockall(MCL_FUTURE)). */
  defFlags = 0;
  /** mm->rss_stat: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES (core's fault.ts), in pages. */
  readonly rss = new Float64Array(4);
  /** mm->hiwater_rss and mm->hiwater_vm: raised just before rss or total_vm drop (update_hiwater_rss/vm()). */
  hiwaterRss = 0;
  hiwaterVm = 0;
  /** mm->pinned_vm (pages). */
  pinnedVm = 0;
  /** mm->start_code, mm->end_code. */
  startCode = 0;
  endCode = 0;

  constructor(readonly id: number, readonly limits: MmLimits, public pgd: number) {
    this.vmas = new VmaTable(limits.stackGuardGap);
  }

  /**
   * current->rss_stat of the task that runs in this mm (one task per mm here): the counts its
   * faults added since its last sync_mm_rss(), not yet in rss (SPLIT_RSS_COUNTING, rss.ts; task_rss_stat.count is an int).
   */
  readonly taskRss = new Int32Array(4);
  /** current->rss_stat.events: handle_mm_fault() calls since that sync. */
  taskRssEvents = 0;

  /** get_mm_rss(): file + anonymous + shmem pages resident, as the mm counts them (get_mm_counter(): a negative counter is 0; the task's cache is not in them). */
  getRss(): number {
    const r = this.rss;
    return (r[0] < 0 ? 0 : r[0]) + (r[1] < 0 ? 0 : r[1]) + (r[3] < 0 ? 0 : r[3]);
  }

  /** update_hiwater_rss(). */
  updateHiwaterRss(): void {
    const r = this.getRss();
    if (this.hiwaterRss < r) this.hiwaterRss = r;
  }

  /** update_hiwater_vm(). */
  updateHiwaterVm(): void {
    if (this.hiwaterVm < this.totalVm) this.hiwaterVm = this.totalVm;
  }

  /** The special mapping number (special field) of a name, adding it. */
  specialOf(name: string): number {
    let i = this.specialNames.indexOf(name);
    if (i < 0) i = this.specialNames.push(name) - 1;
    return i + 1;
  }
}

/**
 * Address spaces (mm/mmap.c, mm/mremap.c, mm/mprotect.c, mm/madvise.c, mm/mmu_notifier.c of
 * 4.17). Implemented by @mmkit/mmap, on the arch's page tables (ArchPageTables, late-bound).
 *
 * What a contributor implements and the suite grades:
 * - an mm (mm_struct) is created empty with its layout and limits (MmParams), or with its VMAs
 *   given (MmDescription, or a /proc/PID/maps text: createMmFromMaps()), and torn down
 *   (exit_mmap(): every VMA, page-table entry and page-table page freed, then the pgd);
 * - each mm has a table of open files, by fd: file identities only (path, device, inode, size,
 *   access mode); a file's contents come with the page cache. fdInstall() puts a new open file
 *   (a new struct file) at a chosen fd, replacing what was there, as dup2() of a fresh open();
 * - the syscalls mmap, munmap, mprotect, mremap, brk and madvise with Linux's argument checks:
 *   each returns its value (an address, 0, the new break) or -errno (core's ERRNO). Arguments
 *   that are unsigned long in Linux accept a number or a bigint and are taken modulo 2^64, so a
 *   64-bit value (-1, 0xfffffffffffff000) is judged exactly, not rounded;
 * - VMA queries (find_vma, the VMAs in address order) and the lines of /proc/PID/maps as data
 *   (core's formatMaps() renders them in Linux's format).
 * - faults: pageFault() is a user access that missed in the page tables, as x86-64's
 *   __do_page_fault() handles it (find_vma(), stack growth, access_error(), handle_mm_fault()):
 *   anonymous memory reads the shared zero page, writes get a zeroed page, copy on write after
 *   fork; what the task would be killed or signalled for is returned (core's fault.ts), never thrown;
 * - fork (dup_mmap() and copy_page_range()) and the mm counters of /proc/PID/status.
 */
import type { MapsEntry } from '../proc-maps.js';
import type { MmId, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

/** An open file as mmap sees it (struct file and its inode): identity, not contents. */
export interface FileIdentity {
  /** d_path(): what /proc/PID/maps prints. */
  readonly path: string;
  /** The device (MAJOR(sb->s_dev), MINOR(sb->s_dev)) and the inode number. */
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
  /** i_size in bytes. */
  readonly size: number;
  /** O_RDONLY (0), O_WRONLY (1) or O_RDWR (2): FMODE_READ and FMODE_WRITE. */
  readonly accessMode: number;
  /** S_ISREG (default), S_ISBLK or S_ISCHR: file_mmap_size_max() (a character device's offsets stop at ULONG_MAX). */
  readonly kind?: 'reg' | 'blk' | 'chr';
  /** Mounted noexec (path_noexec()): PROT_EXEC is EPERM. */
  readonly noexec?: boolean;
  /** IS_APPEND(inode): a writable shared mapping is EACCES. */
  readonly appendOnly?: boolean;
  /** f_op->mmap exists (default true); false: ENODEV (a pipe, a directory). */
  readonly mmapable?: boolean;
}

/** The layout and limits of a new mm, with Linux's defaults. */
export interface MmParams {
  /** TASK_SIZE (default the arch's: 0x7ffffffff000). */
  readonly taskSize?: number;
  /** vm.legacy_va_layout: bottom-up from mmap_legacy_base instead of top-down below mmap_base. */
  readonly legacyLayout?: boolean;
  /** mm->mmap_base (default from the arch's arch_pick_mmap_layout()). */
  readonly mmapBase?: number;
  /** vm.stack_guard_gap in bytes (default 256 pages). */
  readonly stackGuardGap?: number;
  /** vm.mmap_min_addr (default 65536): hints below are raised, MAP_FIXED below is EPERM. */
  readonly mmapMinAddr?: number;
  /** vm.max_map_count (default 65530). */
  readonly maxMapCount?: number;
  /** kernel.randomize_va_space (default 2; mmkit randomises nothing unless asked, as `setarch -R`). */
  readonly randomizeVaSpace?: number;
  /** vm.overcommit_memory (0 heuristic, 1 always, 2 never: MAP_NORESERVE ignored). Default 0. */
  readonly overcommitMemory?: number;
  /** Soft limits in bytes; Infinity (the default, except RLIMIT_STACK 8 MiB and RLIMIT_MEMLOCK 64 KiB) is RLIM_INFINITY. */
  readonly rlimitData?: number;
  readonly rlimitStack?: number;
  readonly rlimitAs?: number;
  readonly rlimitMemlock?: number;
  /** The break: mm->start_brk and mm->brk (default both 0: brk(0) returns 0 and brk() grows from min_brk). */
  readonly startBrk?: number;
  readonly brk?: number;
  /** mm->start_data and mm->end_data (check_data_rlimit() and CONFIG_COMPAT_BRK's min_brk). */
  readonly startData?: number;
  readonly endData?: number;
  /** mm->start_stack ([stack] in maps). */
  readonly startStack?: number;
  /** mm->start_code and mm->end_code (VmExe and VmLib of /proc/PID/status). */
  readonly startCode?: number;
  readonly endCode?: number;
  /** CAP_IPC_LOCK and CAP_SYS_RAWIO (default false: an unprivileged process). */
  readonly capIpcLock?: boolean;
  readonly capSysRawio?: boolean;
}

/** A VMA given when an mm is created (a described layout). */
export interface VmaSpec {
  readonly start: number;
  readonly end: number;
  /** vm_flags (core's VM_*); VM_MAY* are added as exec gives them when absent. */
  readonly flags: number;
  /** vm_pgoff (file offset in pages); anonymous private memory defaults to start >> 12. */
  readonly pgoff?: number;
  /** The file mapped; VMAs naming the same identity (path, device, inode) share one struct file. */
  readonly file?: FileIdentity;
  /** A special mapping (_install_special_mapping): [vdso], [vvar], [vsyscall] (the gate area, shown last). */
  readonly special?: string;
  /** anon_vma identity: VMAs with the same nonzero number share one anon_vma (touched memory); 0 or absent: none yet. */
  readonly anonVma?: number;
}

/** An mm with its VMAs given. */
export interface MmDescription extends MmParams {
  readonly vmas: readonly VmaSpec[];
}

/** The counters of an mm (/proc/PID/status's VmSize, VmData, VmStk, VmExe, VmLck come from these). */
export interface MmInfo {
  readonly mapCount: number;
  /** In pages. */
  readonly totalVm: number;
  readonly dataVm: number;
  readonly stackVm: number;
  readonly execVm: number;
  readonly lockedVm: number;
  readonly startBrk: number;
  readonly brk: number;
  readonly mmapBase: number;
  readonly topDown: boolean;
  readonly highestVmEnd: number;
  /** The pfn of the mm's pgd (mm->pgd). */
  readonly pgd: number;
  /**
   * get_mm_counter() of MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES (pages): the mm's
   * counters as /proc/PID/status shows them, a negative one as 0. With SPLIT_RSS_COUNTING (4.17
   * on x86-64 SMP) they lag: the pages the mm's task faulted in since its last sync_mm_rss()
   * (every 66th fault, a zap of its own page tables, exit) are in taskRss.
   */
  readonly fileRss: number;
  readonly anonRss: number;
  readonly swapEnts: number;
  readonly shmemRss: number;
  /**
   * current->rss_stat of the mm's task (one task per mm): the counts it has not yet added to
   * the mm's (negative when its faults replaced more pages of a kind than they added), and
   * events, the handle_mm_fault() calls since its last sync. The exact counts are the sums
   * (fileRss + taskRss.fileRss, ...); all 0 without SPLIT_RSS_COUNTING.
   */
  readonly taskRss: { readonly fileRss: number; readonly anonRss: number; readonly swapEnts: number; readonly shmemRss: number; readonly events: number };
  /** mm->hiwater_rss and mm->hiwater_vm as kept (raised only before they would drop: get_mm_hiwater_rss() takes the max with the current value). */
  readonly hiwaterRss: number;
  readonly hiwaterVm: number;
  /** mm->pinned_vm (pages). */
  readonly pinnedVm: number;
  /** mm_pgtables_bytes(): PTE, PMD and PUD tables (VmPTE). */
  readonly pgtablesBytes: number;
  readonly startCode: number;
  readonly endCode: number;
}

/** The optional parts of the contract an implementation declares (its `supports` manifest): the suite reports their rules "not provided" when absent. */
export interface AddressSpacesFeatures {
  /** mremap(2). */
  readonly mremap?: boolean;
  /** madvise(2). */
  readonly madvise?: boolean;
  /** pageFault() and fork(): memory that can be touched. */
  readonly faults?: boolean;
}

export interface AddressSpaces {
  /** The implementation's name, for reports. */
  readonly name: string;
  /** What it provides of the optional parts. */
  readonly supports: AddressSpacesFeatures;
  /** mm_alloc() + mm_init() + arch_pick_mmap_layout(): an empty mm, or -ENOMEM (no pgd). */
  mmCreate(params?: MmParams): MmId;
  /** An mm with the VMAs described (exec's result without running exec), or -ENOMEM; overlapping or unaligned VMAs are a TypeError. */
  mmCreateWith(description: MmDescription): MmId;
  /**
   * An mm from a /proc/PID/maps text: file lines become file mappings (one struct file per
   * path, device and inode), [heap] gives start_brk and brk (params win), [stack] a VM_GROWSDOWN
   * stack with start_stack inside it, [vdso], [vvar] and the like special mappings, [vsyscall]
   * the gate area. Without [heap], start_brk = brk = the end of the anonymous VMA that follows the
   * executable's last file VMA (the bss), or of that file VMA. A malformed text is a
   * MapsParseError naming the line.
   */
  mmCreateFromMaps(maps: string, params?: MmParams): MmId;
  /** exit_mmap() and mmdrop(): unmaps everything, frees the page tables and the pgd. */
  mmDestroy(mm: MmId): void;
  /** The mm's counters and layout; undefined for an mm that does not exist. */
  mmInfo(mm: MmId): MmInfo | undefined;

  /** Opens `file` at `fd` (0..1048575, RLIMIT_NOFILE's hard default), closing what was there: 0, or -EBADF for a bad fd. */
  fdInstall(mm: MmId, fd: number, file: FileIdentity): number;
  /** close(): 0 or -EBADF. Mappings keep their file (the VMA holds its own reference). */
  fdClose(mm: MmId, fd: number): number;

  /** mmap(2) (sys_mmap of x86-64: off in bytes): the address, or -errno. */
  mmap(mm: MmId, addr: number | bigint, len: number | bigint, prot: number, flags: number, fd: number, off: number | bigint): number;
  munmap(mm: MmId, addr: number | bigint, len: number | bigint): number;
  mprotect(mm: MmId, addr: number | bigint, len: number | bigint, prot: number): number;
  /** mremap(2): the new address, or -errno. */
  mremap(mm: MmId, addr: number | bigint, oldLen: number | bigint, newLen: number | bigint, flags: number, newAddr?: number | bigint): number;
  /** brk(2) of the kernel: the new break, or the old one when it cannot move (never -errno). */
  brk(mm: MmId, brk: number | bigint): number;
  madvise(mm: MmId, addr: number | bigint, len: number | bigint, advice: number): number;

  /** The lines of /proc/PID/maps, the gate area last (format them with core's formatMaps()). */
  maps(mm: MmId): MapsEntry[];

  /**
   * A user access to the address vaJoin(addrHigh, addrLow) missed in the page tables (x86-64
   * __do_page_fault() with X86_PF_USER; flags: FAULT_FLAG_WRITE, FAULT_FLAG_INSTRUCTION):
   * FAULT_HANDLED when the access may be retried, FAULT_SIGSEGV_MAPERR, FAULT_SIGSEGV_ACCERR,
   * FAULT_SIGBUS or FAULT_OOM (core's fault.ts). The address comes as core's vaHigh()/vaLow()
   * halves, int32s, so that a fault passes no boxed double (units.ts).
   */
  pageFault(mm: MmId, addrHigh: number, addrLow: number, flags: number): number;
  /** What /proc/PID/smaps shows of each VMA (show_smap()'s page walk), in address order; the gate area is not included. */
  smaps(mm: MmId): SmapsEntry[];
  /**
   * mlock(2) (flags 0) and mlock2(2) (flags MLOCK_ONFAULT, 1): lock [addr, addr + len) and fault
   * it in (not with MLOCK_ONFAULT): 0 or -errno (EINVAL, ENOMEM, EPERM, EAGAIN).
   */
  mlock(mm: MmId, addr: number | bigint, len: number | bigint, flags?: number): number;
  /** munlock(2): 0 or -errno. */
  munlock(mm: MmId, addr: number | bigint, len: number | bigint): number;
  /** dup_mm(): a copy of mm for a child (copy on write for private memory), or -ENOMEM (nothing left behind). */
  fork(mm: MmId): MmId;
}
export type AddressSpacesFactory = (services: MmServices) => AddressSpaces;

/** One VMA of /proc/PID/smaps: its maps line, its vm_flags, and struct mem_size_stats of smaps_pte_range()'s walk (bytes). */
export interface SmapsEntry {
  readonly maps: MapsEntry;
  readonly vmFlags: number;
  /** Pages mapped by present PTEs with a struct page (the zero page is not counted, as vm_normal_page() gives none). */
  readonly resident: number;
  /** Proportional set size in bytes << PSS_SHIFT (12): each page's size divided by its mapcount, as the kernel accumulates it. */
  readonly pss: number;
  readonly sharedClean: number;
  readonly sharedDirty: number;
  readonly privateClean: number;
  readonly privateDirty: number;
  readonly referenced: number;
  readonly anonymous: number;
  readonly lazyFree: number;
  readonly swap: number;
  /** bytes << PSS_SHIFT. */
  readonly swapPss: number;
}

/** A VMA as other subsystems see it (struct vm_area_struct). */
export interface VmaInfo {
  readonly start: VirtAddr;
  readonly end: VirtAddr;
  /** VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_GROWSDOWN, VM_LOCKED, ... (4.17 values, core's mman.ts). */
  readonly flags: number;
  /** vm_pgoff. */
  readonly pgoff: number;
  /** vma_is_anonymous(): no file and no special mapping. */
  readonly anonymous: boolean;
  /** The file's path, '' for none. */
  readonly path: string;
  /** The anon_vma's identity, 0 for none. */
  readonly anonVma: number;
}

/** find_vma() and friends, for gup, hmm, migrate, memcg and the suite. Implemented by @mmkit/mmap. */
export interface VmaLookup {
  /** find_vma(): the first VMA ending above addr, or undefined. */
  findVma(mm: MmId, addr: VirtAddr): VmaInfo | undefined;
  /** Every VMA of mm overlapping [start, end), in address order. */
  forEachVma(mm: MmId, start: VirtAddr, end: VirtAddr, visit: (vma: VmaInfo) => void): void;
}

/** current->mm: the address space of the task running on the current CPU. Implemented by @mmkit/mmap with the kernel's processes. */
export interface CurrentMm {
  /** 0 for a kernel thread. */
  current(): MmId;
}

/** struct mmu_notifier_ops: what a listener (hmm, a device driver) is told. */
export interface MmuNotifierOps {
  invalidateRangeStart?(mm: MmId, start: VirtAddr, end: VirtAddr): void;
  invalidateRangeEnd?(mm: MmId, start: VirtAddr, end: VirtAddr): void;
  release?(mm: MmId): void;
}

/** mmu_notifier_register(): implemented by @mmkit/mmap, which calls the listeners around every change of a page table. */
export interface MmuNotifiers {
  /** A registration id, or -errno. */
  register(mm: MmId, ops: MmuNotifierOps): number;
  unregister(id: number): void;
}

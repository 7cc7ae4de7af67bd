/**
 * The values of the memory syscalls' arguments and of vm_flags, Linux 4.17 on x86-64:
 * include/uapi/asm-generic/mman-common.h, mman.h, arch/x86/include/uapi/asm/mman.h,
 * include/uapi/linux/mman.h and include/linux/mm.h (VM_*). Shared by the mmap contract, its
 * implementations, the conformance suite and replay, so all of them mean the same bits.
 */

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const PROT_SEM = 0x8;
export const PROT_GROWSDOWN = 0x01000000;
export const PROT_GROWSUP = 0x02000000;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
/** x86-64 only: below 2 GiB. */
export const MAP_32BIT = 0x40;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
export const MAP_STACK = 0x20000;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
/** "mm: introduce MAP_FIXED_NOREPLACE" (4.17). */
export const MAP_FIXED_NOREPLACE = 0x100000;
export const MAP_HUGE_SHIFT = 26;
export const MAP_HUGE_MASK = 0x3f;
/** LEGACY_MAP_MASK (include/linux/mman.h): what MAP_SHARED keeps and MAP_SHARED_VALIDATE accepts without the file's mmap_supported_flags. MAP_UNINITIALIZED is 0 (no CONFIG_MMAP_ALLOW_UNINITIALIZED). */
export const LEGACY_MAP_MASK = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_GROWSDOWN | MAP_LOCKED
  | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | (21 << MAP_HUGE_SHIFT) | (30 << MAP_HUGE_SHIFT);

export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;

export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_MERGEABLE = 12;
export const MADV_UNMERGEABLE = 13;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_DONTDUMP = 16;
export const MADV_DODUMP = 17;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
export const MADV_HWPOISON = 100;
export const MADV_SOFT_OFFLINE = 101;

/** open(2) access modes (O_ACCMODE): what a file table entry was opened with. */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;

// vm_flags (include/linux/mm.h, 4.17). All below 2^32: keep them in a Uint32Array and compare with `>>> 0`.
export const VM_NONE = 0x00000000;
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_UFFD_MISSING = 0x00000200;
export const VM_PFNMAP = 0x00000400;
export const VM_DENYWRITE = 0x00000800;
export const VM_UFFD_WP = 0x00001000;
export const VM_LOCKED = 0x00002000;
export const VM_IO = 0x00004000;
export const VM_SEQ_READ = 0x00008000;
export const VM_RAND_READ = 0x00010000;
export const VM_DONTCOPY = 0x00020000;
export const VM_DONTEXPAND = 0x00040000;
export const VM_LOCKONFAULT = 0x00080000;
export const VM_ACCOUNT = 0x00100000;
export const VM_NORESERVE = 0x00200000;
export const VM_HUGETLB = 0x00400000;
export const VM_SYNC = 0x00800000;
/** VM_ARCH_1 on x86: VM_PAT. */
export const VM_PAT = 0x01000000;
export const VM_WIPEONFORK = 0x02000000;
export const VM_DONTDUMP = 0x04000000;
/** CONFIG_MEM_SOFT_DIRTY (x86-64 distributions set it). */
export const VM_SOFTDIRTY = 0x08000000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;
export const VM_MERGEABLE = 0x80000000;
/** VM_STACK on a stack that grows down. */
export const VM_STACK = VM_GROWSDOWN;
/** VM_SPECIAL: never merged, never mlocked. */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
/** VM_DATA_DEFAULT_FLAGS of x86 without READ_IMPLIES_EXEC. */
export const VM_DATA_DEFAULT_FLAGS = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
/** VM_STACK_FLAGS: what exec's stack VMA has (plus VM_STACK_INCOMPLETE_SETUP until setup_arg_pages ends). */
export const VM_STACK_FLAGS = VM_STACK | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT;

/** calc_vm_prot_bits(): PROT_READ/WRITE/EXEC as VM_READ/WRITE/EXEC (the same bits). */
export function calcVmProtBits(prot: number): number {
  return prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/** calc_vm_flag_bits(): MAP_GROWSDOWN, MAP_DENYWRITE, MAP_LOCKED (MAP_SYNC is VM_SYNC, but only for files that support it). */
export function calcVmFlagBits(flags: number): number {
  return ((flags & MAP_GROWSDOWN) ? VM_GROWSDOWN : 0) | ((flags & MAP_DENYWRITE) ? VM_DENYWRITE : 0) | ((flags & MAP_LOCKED) ? VM_LOCKED : 0)
    | ((flags & MAP_SYNC) ? VM_SYNC : 0);
}

/** mlock2() flags (include/uapi/asm-generic/mman-common.h). */
export const MLOCK_ONFAULT = 0x01;

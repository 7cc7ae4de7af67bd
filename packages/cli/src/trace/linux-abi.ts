/**
 * The x86-64 user ABI that strace's memory-class lines name: flag names and their values
 * (include/uapi/asm-generic/mman-common.h, mman.h, include/uapi/linux/mman.h and
 * arch/x86/include/uapi/asm/mman.h of Linux 4.17), the errno names of
 * include/uapi/asm-generic/errno-base.h and errno.h, and the calls of strace's `%memory`
 * class (the TM flag of strace's linux/x86_64/syscallent.h).
 *
 * Names that 4.17 does not know (MADV_COLD and later, MREMAP_DONTUNMAP, MAP_DROPPABLE) carry
 * the value of the kernel that added them, so a replay hands 4.17 the number a newer
 * kernel was given and 4.17 answers as it would (EINVAL); `NEWER_THAN_4_17` says where each
 * came from.
 */

/** A table of names to values, looked up as a Map (no prototype keys). */
export type FlagTable = ReadonlyMap<string, number>;

export const PROT: FlagTable = new Map([
  ['PROT_NONE', 0x0],
  ['PROT_READ', 0x1],
  ['PROT_WRITE', 0x2],
  ['PROT_EXEC', 0x4],
  ['PROT_SEM', 0x8],
  ['PROT_GROWSDOWN', 0x01000000],
  ['PROT_GROWSUP', 0x02000000],
]);

export const MAP: FlagTable = new Map([
  ['MAP_FILE', 0x0],
  ['MAP_SHARED', 0x01],
  ['MAP_PRIVATE', 0x02],
  ['MAP_SHARED_VALIDATE', 0x03],
  ['MAP_DROPPABLE', 0x08],
  ['MAP_FIXED', 0x10],
  ['MAP_ANONYMOUS', 0x20],
  ['MAP_ANON', 0x20],
  ['MAP_32BIT', 0x40],
  ['MAP_GROWSDOWN', 0x0100],
  ['MAP_DENYWRITE', 0x0800],
  ['MAP_EXECUTABLE', 0x1000],
  ['MAP_LOCKED', 0x2000],
  ['MAP_NORESERVE', 0x4000],
  ['MAP_POPULATE', 0x8000],
  ['MAP_NONBLOCK', 0x10000],
  ['MAP_STACK', 0x20000],
  ['MAP_HUGETLB', 0x40000],
  ['MAP_SYNC', 0x80000],
  ['MAP_FIXED_NOREPLACE', 0x100000],
  ['MAP_UNINITIALIZED', 0x4000000],
]);

/** MAP_HUGE_SHIFT: strace prints a huge page size as `21<<MAP_HUGE_SHIFT`. */
export const MAP_HUGE_SHIFT = 26;

export const MREMAP: FlagTable = new Map([
  ['MREMAP_MAYMOVE', 1],
  ['MREMAP_FIXED', 2],
  ['MREMAP_DONTUNMAP', 4],
]);

export const MADV: FlagTable = new Map([
  ['MADV_NORMAL', 0],
  ['MADV_RANDOM', 1],
  ['MADV_SEQUENTIAL', 2],
  ['MADV_WILLNEED', 3],
  ['MADV_DONTNEED', 4],
  ['MADV_FREE', 8],
  ['MADV_REMOVE', 9],
  ['MADV_DONTFORK', 10],
  ['MADV_DOFORK', 11],
  ['MADV_MERGEABLE', 12],
  ['MADV_UNMERGEABLE', 13],
  ['MADV_HUGEPAGE', 14],
  ['MADV_NOHUGEPAGE', 15],
  ['MADV_DONTDUMP', 16],
  ['MADV_DODUMP', 17],
  ['MADV_WIPEONFORK', 18],
  ['MADV_KEEPONFORK', 19],
  ['MADV_COLD', 20],
  ['MADV_PAGEOUT', 21],
  ['MADV_POPULATE_READ', 22],
  ['MADV_POPULATE_WRITE', 23],
  ['MADV_DONTNEED_LOCKED', 24],
  ['MADV_COLLAPSE', 25],
  ['MADV_HWPOISON', 100],
  ['MADV_SOFT_OFFLINE', 101],
  ['MADV_GUARD_INSTALL', 102],
  ['MADV_GUARD_REMOVE', 103],
]);

export const MS: FlagTable = new Map([
  ['MS_ASYNC', 1],
  ['MS_INVALIDATE', 2],
  ['MS_SYNC', 4],
]);

export const MLOCK: FlagTable = new Map([['MLOCK_ONFAULT', 1]]);

export const MCL: FlagTable = new Map([
  ['MCL_CURRENT', 1],
  ['MCL_FUTURE', 2],
  ['MCL_ONFAULT', 4],
]);

/** Flag names a trace of a newer kernel may show that Linux 4.17 does not define, and the release that added each. */
export const NEWER_THAN_4_17: ReadonlyMap<string, string> = new Map([
  ['MREMAP_DONTUNMAP', 'Linux 5.7'],
  ['MAP_DROPPABLE', 'Linux 6.11'],
  ['MADV_COLD', 'Linux 5.4'],
  ['MADV_PAGEOUT', 'Linux 5.4'],
  ['MADV_POPULATE_READ', 'Linux 5.14'],
  ['MADV_POPULATE_WRITE', 'Linux 5.14'],
  ['MADV_DONTNEED_LOCKED', 'Linux 5.18'],
  ['MADV_COLLAPSE', 'Linux 6.1'],
  ['MADV_GUARD_INSTALL', 'Linux 6.13'],
  ['MADV_GUARD_REMOVE', 'Linux 6.13'],
]);

/** errno names of x86-64 Linux that memory calls return, to their numbers. */
export const ERRNO: FlagTable = new Map([
  ['EPERM', 1],
  ['ENOENT', 2],
  ['ESRCH', 3],
  ['EINTR', 4],
  ['EIO', 5],
  ['ENXIO', 6],
  ['E2BIG', 7],
  ['ENOEXEC', 8],
  ['EBADF', 9],
  ['ECHILD', 10],
  ['EAGAIN', 11],
  ['ENOMEM', 12],
  ['EACCES', 13],
  ['EFAULT', 14],
  ['ENOTBLK', 15],
  ['EBUSY', 16],
  ['EEXIST', 17],
  ['EXDEV', 18],
  ['ENODEV', 19],
  ['ENOTDIR', 20],
  ['EISDIR', 21],
  ['EINVAL', 22],
  ['ENFILE', 23],
  ['EMFILE', 24],
  ['ENOTTY', 25],
  ['ETXTBSY', 26],
  ['EFBIG', 27],
  ['ENOSPC', 28],
  ['ESPIPE', 29],
  ['EROFS', 30],
  ['EMLINK', 31],
  ['EPIPE', 32],
  ['EDOM', 33],
  ['ERANGE', 34],
  ['EDEADLK', 35],
  ['ENAMETOOLONG', 36],
  ['ENOLCK', 37],
  ['ENOSYS', 38],
  ['EOVERFLOW', 75],
  ['EOPNOTSUPP', 95],
  ['EHWPOISON', 133],
]);

/** The errno name of a number, or `E<number>`. */
export function errnoName(errno: number): string {
  for (const [name, value] of ERRNO) if (value === errno) return name;
  return `E${errno}`;
}

/** How strace prints each argument of a memory call, and so how it is read back. */
export type ArgKind =
  | 'addr'
  | 'len'
  | 'int'
  | 'fd'
  | 'prot'
  | 'map'
  | 'mremap'
  | 'madv'
  | 'ms'
  | 'mlock'
  | 'mcl'
  | 'raw';

/**
 * The calls of strace's memory class (TM) on x86-64 and how their arguments print. The ones
 * a replay runs are in `REPLAYED`; the others are recognised and reported as not replayed.
 */
export const MEMORY_CALLS: ReadonlyMap<string, readonly ArgKind[]> = new Map<string, readonly ArgKind[]>([
  ['mmap', ['addr', 'len', 'prot', 'map', 'fd', 'int']],
  ['munmap', ['addr', 'len']],
  ['mprotect', ['addr', 'len', 'prot']],
  ['pkey_mprotect', ['addr', 'len', 'prot', 'int']],
  ['mremap', ['addr', 'len', 'len', 'mremap', 'addr']],
  ['brk', ['addr']],
  ['madvise', ['addr', 'len', 'madv']],
  ['msync', ['addr', 'len', 'ms']],
  ['mincore', ['addr', 'len', 'raw']],
  ['mlock', ['addr', 'len']],
  ['mlock2', ['addr', 'len', 'mlock']],
  ['munlock', ['addr', 'len']],
  ['mlockall', ['mcl']],
  ['munlockall', []],
  ['remap_file_pages', ['addr', 'len', 'prot', 'int', 'map']],
  ['shmat', ['int', 'addr', 'raw']],
  ['shmdt', ['addr']],
  ['io_setup', ['int', 'raw']],
  ['io_destroy', ['raw']],
  ['mbind', ['addr', 'len', 'raw', 'raw', 'raw', 'raw']],
  ['set_mempolicy', ['raw', 'raw', 'raw']],
  ['get_mempolicy', ['raw', 'raw', 'raw', 'raw', 'raw']],
  ['migrate_pages', ['raw', 'raw', 'raw', 'raw']],
  ['move_pages', ['raw', 'raw', 'raw', 'raw', 'raw', 'raw']],
  ['process_madvise', ['raw', 'raw', 'raw', 'raw', 'raw']],
  ['process_mrelease', ['raw', 'raw']],
  ['set_mempolicy_home_node', ['raw', 'raw', 'raw', 'raw']],
  ['map_shadow_stack', ['raw', 'raw', 'raw']],
  ['mseal', ['addr', 'len', 'raw']],
]);

/** The flag table of each flag kind. */
export const FLAG_TABLES: ReadonlyMap<ArgKind, FlagTable> = new Map<ArgKind, FlagTable>([
  ['prot', PROT],
  ['map', MAP],
  ['mremap', MREMAP],
  ['madv', MADV],
  ['ms', MS],
  ['mlock', MLOCK],
  ['mcl', MCL],
]);

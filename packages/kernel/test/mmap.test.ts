// The address spaces of @mmkit/mmap in a booted kernel: every errno the man pages of mmap(2),
// munmap(2), mprotect(2), mremap(2), brk(2) and madvise(2) list (where 4.17 can produce it), the
// cases of vma_merge() and split_vma(), get_unmapped_area() with and without the stack guard
// gap, 64-bit arguments, /proc/PID/maps text, and page tables freed on unmap.
import { describe, expect, it } from 'vitest';
import {
  ERRNO, MADV_DODUMP, MADV_DONTFORK, MADV_DONTNEED, MADV_FREE, MADV_HWPOISON, MADV_NORMAL, MADV_RANDOM, MADV_REMOVE, MADV_SEQUENTIAL, MADV_WILLNEED,
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC, MREMAP_FIXED,
  MREMAP_MAYMOVE, NO_SLOT, O_RDONLY, O_RDWR, O_WRONLY, PG_LEVEL_4K, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_NONE, PROT_READ, PROT_WRITE,
  VM_DONTCOPY, VM_GROWSDOWN, VM_LOCKED, VM_RAND_READ, VM_SEQ_READ, GFP_HIGHUSER_MOVABLE, formatMaps, vaHigh, vaLow, type FileIdentity, type MmId, type MmParams,
} from '@mmkit/core';
import { createAddressSpaces, fixedNoreplaceCheckShipped, type MmapImplementation } from '@mmkit/mmap';
import { createKernel } from '../src/index.js';

const MiB = 2 ** 20;
const PAGE = 4096;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const BASE = 0x400000000;
const { EACCES, EAGAIN, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM } = ERRNO;

function boot(params: MmParams = {}) {
  const k = createKernel({ machine: { mem: 256 * MiB }, pcp: false });
  const as = k.addressSpaces as MmapImplementation;
  const mm = as.mmCreate(params);
  expect(mm).toBeGreaterThan(0);
  return { k, as, mm };
}

function file(over: Partial<FileIdentity> = {}): FileIdentity {
  return { path: '/data/file', major: 8, minor: 1, inode: 1234, size: 1 << 20, accessMode: O_RDONLY, ...over };
}

/** The maps text without the [heap]/[stack] naming noise: start-end perms offset path. */
function lines(as: MmapImplementation, mm: MmId): string[] {
  return as.maps(mm).map((e) => `${e.start.toString(16)}-${e.end.toString(16)} ${e.read ? 'r' : '-'}${e.write ? 'w' : '-'}${e.exec ? 'x' : '-'}${e.mayshare ? 's' : 'p'} ${e.offset.toString(16)} ${e.name}`.trimEnd());
}

function fixed(as: MmapImplementation, mm: MmId, addr: number, len: number, prot = RW, flags = ANON): void {
  expect(as.mmap(mm, addr, len, prot, flags | MAP_FIXED, -1, 0)).toBe(addr);
}

describe('mmap(2)', () => {
  it('places anonymous memory top-down below mmap_base and honours a free hint', () => {
    const { as, mm } = boot();
    const base = as.mmInfo(mm)!.mmapBase;
    expect(base).toBe(0x7ffff7fff000); // TASK_SIZE minus the smallest gap, 128 MiB
    const a = as.mmap(mm, 0, 8192, RW, ANON, -1, 0);
    expect(a).toBe(base - 8192);
    const b = as.mmap(mm, 0, PAGE, PROT_READ, ANON, -1, 0);
    expect(b).toBe(a - PAGE);
    expect(as.mmap(mm, BASE, PAGE, RW, ANON, -1, 0)).toBe(BASE);
    // An occupied hint is ignored: top-down again.
    expect(as.mmap(mm, BASE, PAGE, RW, ANON, -1, 0)).toBe(b - PAGE);
    // A hint below vm.mmap_min_addr is raised to it (round_hint_to_min()).
    expect(as.mmap(mm, PAGE, PAGE, RW, ANON, -1, 0)).toBe(65536);
  });

  it('uses the legacy bottom-up layout when asked', () => {
    const { as, mm } = boot({ legacyLayout: true });
    const info = as.mmInfo(mm)!;
    expect(info.topDown).toBe(false);
    const a = as.mmap(mm, 0, PAGE, RW, ANON, -1, 0);
    expect(a).toBe(0x2aaaaaaab000);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, ANON, -1, 0)).toBe(a + PAGE);
  });

  it('MAP_FIXED replaces what it overlaps, splitting the VMAs around it', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 4 * PAGE);
    fixed(as, mm, BASE + PAGE, PAGE, PROT_READ);
    expect(lines(as, mm)).toEqual(['400000000-400001000 rw-p 0', '400001000-400002000 r--p 0', '400002000-400004000 rw-p 0']);
  });

  it('MAP_FIXED_NOREPLACE maps at exactly the address, or fails with EEXIST clobbering nothing', () => {
    const { as, mm } = boot();
    expect(as.mmap(mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(BASE);
    expect(as.mmap(mm, BASE + 2 * PAGE, 4 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(-EEXIST);
    expect(as.mmap(mm, BASE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE | MAP_FIXED, -1, 0)).toBe(-EEXIST);
    expect(lines(as, mm)).toEqual(['400000000-400004000 rw-p 0']);
    // Free: exactly there, even below where top-down would put it.
    expect(as.mmap(mm, BASE + 16 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(BASE + 16 * PAGE);
    // A range whose start is free but which runs into a mapping: EEXIST too (the seed's "clashing range").
    expect(as.mmap(mm, BASE - PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(-EEXIST);
    expect(lines(as, mm)).toEqual(['400000000-400004000 rw-p 0', '400010000-400011000 rw-p 0']);
  });

  it('MAP_FIXED_NOREPLACE as 4.17 shipped it (fixedNoreplaceCheckShipped) replaces a mapping that starts inside the range', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, pcp: false, addressSpaces: (services) => createAddressSpaces(services, { hooks: { fixedNoreplaceCheck: fixedNoreplaceCheckShipped } }) });
    const as = k.addressSpaces as MmapImplementation;
    const mm = as.mmCreate({});
    expect(as.mmap(mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(BASE);
    expect(as.mmap(mm, BASE + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(-EEXIST); // addr covered
    expect(as.mmap(mm, BASE - PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(BASE - PAGE); // the bug 4.19 fixed
    expect(lines(as, mm)).toEqual([`${(BASE - PAGE).toString(16)}-${(BASE + PAGE).toString(16)} r--p 0`, `${(BASE + PAGE).toString(16)}-${(BASE + 4 * PAGE).toString(16)} rw-p 0`]);
  });

  it('EINVAL: length 0, an unaligned offset, an unaligned MAP_FIXED address, no mapping type', () => {
    const { as, mm } = boot();
    expect(as.mmap(mm, 0, 0, PROT_READ, ANON, -1, 0)).toBe(-EINVAL);
    as.fdInstall(mm, 3, file());
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 100)).toBe(-EINVAL);
    expect(as.mmap(mm, BASE + 1, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-EINVAL);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0)).toBe(-EINVAL);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, 0, 3, 0)).toBe(-EINVAL);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, 3, 0)).toBe(-EINVAL);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0)).toBe(-EINVAL);
  });

  it('EBADF without MAP_ANONYMOUS on an fd that is not open; ENODEV on a file without mmap', () => {
    const { as, mm } = boot();
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 5, 0)).toBe(-EBADF);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, -1, 0)).toBe(-EBADF);
    as.fdInstall(mm, 5, file({ mmapable: false }));
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 5, 0)).toBe(-ENODEV);
    expect(as.fdClose(mm, 5)).toBe(0);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 5, 0)).toBe(-EBADF);
    expect(as.fdClose(mm, 5)).toBe(-EBADF);
  });

  it('EACCES: not open for reading, MAP_SHARED|PROT_WRITE without O_RDWR, a shared write to an append-only file', () => {
    const { as, mm } = boot();
    as.fdInstall(mm, 3, file({ accessMode: O_WRONLY }));
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0)).toBe(-EACCES);
    as.fdInstall(mm, 3, file({ accessMode: O_RDONLY }));
    expect(as.mmap(mm, 0, PAGE, RW, MAP_SHARED, 3, 0)).toBe(-EACCES);
    // A private writable mapping of a read-only file is fine (copy on write).
    expect(as.mmap(mm, 0, PAGE, RW, MAP_PRIVATE, 3, 0)).toBeGreaterThan(0);
    as.fdInstall(mm, 3, file({ accessMode: O_RDWR, appendOnly: true }));
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED, 3, 0)).toBe(-EACCES);
    as.fdInstall(mm, 3, file({ accessMode: O_RDWR }));
    expect(as.mmap(mm, 0, PAGE, RW, MAP_SHARED, 3, 0)).toBeGreaterThan(0);
  });

  it('EPERM: PROT_EXEC of a file on a noexec mount, MAP_FIXED below vm.mmap_min_addr, MAP_LOCKED with RLIMIT_MEMLOCK 0', () => {
    const { as, mm } = boot();
    as.fdInstall(mm, 3, file({ noexec: true }));
    expect(as.mmap(mm, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, 3, 0)).toBe(-EPERM);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0)).toBeGreaterThan(0);
    expect(as.mmap(mm, 0, PAGE, RW, ANON | MAP_FIXED, -1, 0)).toBe(-EPERM);
    expect(as.mmap(mm, 0x8000, PAGE, RW, ANON | MAP_FIXED, -1, 0)).toBe(-EPERM);
    const locked = boot({ rlimitMemlock: 0 });
    expect(locked.as.mmap(locked.mm, 0, PAGE, RW, ANON | MAP_LOCKED, -1, 0)).toBe(-EPERM);
  });

  it('EAGAIN: MAP_LOCKED beyond RLIMIT_MEMLOCK; locked_vm counts locked mappings', () => {
    const { as, mm } = boot({ rlimitMemlock: 4 * PAGE });
    const a = as.mmap(mm, 0, 4 * PAGE, RW, ANON | MAP_LOCKED, -1, 0);
    expect(a).toBeGreaterThan(0);
    expect(as.mmInfo(mm)!.lockedVm).toBe(4);
    expect(as.findVma(mm, a)!.flags & VM_LOCKED).toBe(VM_LOCKED);
    expect(as.mmap(mm, 0, PAGE, RW, ANON | MAP_LOCKED, -1, 0)).toBe(-EAGAIN);
    expect(as.munmap(mm, a, 4 * PAGE)).toBe(0);
    expect(as.mmInfo(mm)!.lockedVm).toBe(0);
  });

  it('ENOMEM: beyond TASK_SIZE, RLIMIT_AS, RLIMIT_DATA, vm.max_map_count, no room', () => {
    const { as, mm } = boot();
    expect(as.mmap(mm, 0x7ffffffff000, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0)).toBe(-ENOMEM);
    expect(as.mmap(mm, 0, 2 ** 47, RW, ANON, -1, 0)).toBe(-ENOMEM);
    const asLimit = boot({ rlimitAs: 8 * PAGE });
    expect(asLimit.as.mmap(asLimit.mm, 0, 8 * PAGE, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0);
    expect(asLimit.as.mmap(asLimit.mm, 0, PAGE, PROT_READ, ANON, -1, 0)).toBe(-ENOMEM);
    const data = boot({ rlimitData: 4 * PAGE });
    expect(data.as.mmap(data.mm, 0, 8 * PAGE, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0); // not data: read-only
    expect(data.as.mmap(data.mm, 0, 8 * PAGE, RW, ANON, -1, 0)).toBe(-ENOMEM);
    const few = boot({ maxMapCount: 3 });
    for (let i = 0; i < 4; i++) expect(few.as.mmap(few.mm, BASE + 2 * i * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0)).toBe(BASE + 2 * i * PAGE);
    // map_count 4 > 3: refused before anything else.
    expect(few.as.mmap(few.mm, 0, PAGE, RW, ANON, -1, 0)).toBe(-ENOMEM);
  });

  it('EOVERFLOW when the file offset plus the length passes what a file can hold; EOPNOTSUPP for unknown flags with MAP_SHARED_VALIDATE', () => {
    const { as, mm } = boot();
    as.fdInstall(mm, 3, file({ accessMode: O_RDWR }));
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 2n ** 63n - 4096n)).toBe(-EOVERFLOW);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 2n ** 63n - 8192n)).toBeGreaterThan(0);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, 3, 0)).toBe(-EOPNOTSUPP);
    // MAP_SHARED ignores what it does not know.
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED | MAP_SYNC, 3, 0)).toBeGreaterThan(0);
    expect(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE, 3, 0)).toBeGreaterThan(0);
  });

  it('judges 64-bit arguments exactly (number or bigint, modulo 2^64)', () => {
    const { as, mm } = boot();
    expect(as.mmap(mm, 0, -1, PROT_READ, ANON, -1, 0)).toBe(-ENOMEM); // PAGE_ALIGN(ULONG_MAX) wraps to 0
    expect(as.mmap(mm, 0, 2n ** 64n - 8192n, PROT_READ, ANON, -1, 0)).toBe(-ENOMEM);
    expect(as.mmap(mm, 0xfffffffffffff000n, PAGE, PROT_READ, ANON, -1, 0)).toBeGreaterThan(0); // a hint out of range is ignored
    expect(as.mmap(mm, 0xfffffffffffff000n, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-ENOMEM);
    expect(as.munmap(mm, BASE, -1)).toBe(-EINVAL);
    expect(as.munmap(mm, 2n ** 64n - 4096n, PAGE)).toBe(-EINVAL);
    fixed(as, mm, BASE, PAGE);
    expect(as.mprotect(mm, BASE, -1, PROT_READ)).toBe(-ENOMEM); // PAGE_ALIGN wraps: end <= start
    expect(as.mprotect(mm, BASE, 2n ** 63n, PROT_READ)).toBe(-ENOMEM); // past the last VMA
    expect(as.findVma(mm, BASE)!.flags & PROT_WRITE).toBe(0); // changed before the hole was found
    expect(as.madvise(mm, BASE, -4096, MADV_NORMAL)).toBe(-EINVAL); // end wraps below start
    expect(as.madvise(mm, BASE, -1, MADV_NORMAL)).toBe(-EINVAL); // rounded up to 0
    expect(as.madvise(mm, 2n ** 64n - 4096n, PAGE, MADV_NORMAL)).toBe(-EINVAL); // start + len wraps to 0
    expect(as.madvise(mm, 2n ** 63n, PAGE, MADV_NORMAL)).toBe(-ENOMEM);
    expect(as.mremap(mm, BASE, PAGE, -1, MREMAP_MAYMOVE)).toBe(-EINVAL); // new_len rounds to 0
    expect(() => as.mmap(mm, 0.5, PAGE, PROT_READ, ANON, -1, 0)).toThrow(TypeError);
  });

  it('anonymous MAP_SHARED is a /dev/zero (deleted) shmem file that never merges', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
    fixed(as, mm, BASE + PAGE, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
    const text = formatMaps(as.maps(mm)).split('\n');
    expect(text[0].startsWith('400000000-400001000 rw-s 00000000 00:05 1 ')).toBe(true);
    expect(text[1].startsWith('400001000-400002000 rw-s 00000000 00:05 2 ')).toBe(true);
    expect(text[0].indexOf('/dev/zero (deleted)')).toBe(73);
    expect(text).toHaveLength(3);
  });
});

describe('vma_merge() and split_vma()', () => {
  it('merges adjacent anonymous mappings with the same flags (cases 1, 2, 3) and not different ones', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, PAGE);
    fixed(as, mm, BASE + 2 * PAGE, PAGE);
    expect(as.mmInfo(mm)!.mapCount).toBe(2);
    fixed(as, mm, BASE + PAGE, PAGE); // case 1: fills the hole
    expect(lines(as, mm)).toEqual(['400000000-400003000 rw-p 0']);
    fixed(as, mm, BASE + 3 * PAGE, PAGE); // case 2: prev grows
    fixed(as, mm, BASE - PAGE, PAGE); // case 3: next grows down
    expect(lines(as, mm)).toEqual(['3fffff000-400004000 rw-p 0']);
    fixed(as, mm, BASE + 4 * PAGE, PAGE, PROT_READ);
    expect(as.mmInfo(mm)!.mapCount).toBe(2);
  });

  it('mprotect splits and merges back (cases 4, 5, 6, 7, 8)', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 8 * PAGE);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, PROT_READ)).toBe(0); // split into three
    expect(lines(as, mm)).toEqual(['400000000-400002000 rw-p 0', '400002000-400004000 r--p 0', '400004000-400008000 rw-p 0']);
    expect(as.mprotect(mm, BASE + PAGE, PAGE, PROT_READ)).toBe(0); // case 4: prev's tail joins next
    expect(lines(as, mm)).toEqual(['400000000-400001000 rw-p 0', '400001000-400004000 r--p 0', '400004000-400008000 rw-p 0']);
    expect(as.mprotect(mm, BASE + 4 * PAGE, PAGE, PROT_READ)).toBe(0); // case 5: next's head joins prev
    expect(lines(as, mm)).toEqual(['400000000-400001000 rw-p 0', '400001000-400005000 r--p 0', '400005000-400008000 rw-p 0']);
    expect(as.mprotect(mm, BASE + PAGE, 4 * PAGE, RW)).toBe(0); // case 6: all three become one
    expect(lines(as, mm)).toEqual(['400000000-400008000 rw-p 0']);
    // Case 7: prev grows over a whole VMA; case 8: next grows down over it.
    expect(as.mprotect(mm, BASE + 4 * PAGE, 4 * PAGE, PROT_READ)).toBe(0);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, PROT_NONE)).toBe(0);
    expect(lines(as, mm)).toEqual(['400000000-400002000 rw-p 0', '400002000-400004000 ---p 0', '400004000-400008000 r--p 0']);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, RW)).toBe(0); // case 7
    expect(lines(as, mm)).toEqual(['400000000-400004000 rw-p 0', '400004000-400008000 r--p 0']);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, PROT_NONE)).toBe(0);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, PROT_READ)).toBe(0); // case 8
    expect(lines(as, mm)).toEqual(['400000000-400002000 rw-p 0', '400002000-400008000 r--p 0']);
    expect(as.checkMm(mm)).toEqual([]);
  });

  it('file mappings merge only when the file offsets follow each other, and only for the same open file', () => {
    const { as, mm } = boot();
    as.fdInstall(mm, 3, file());
    fixed(as, mm, BASE, PAGE, PROT_READ);
    expect(as.mmap(mm, BASE + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, PAGE)).toBe(BASE + PAGE);
    expect(lines(as, mm)).toEqual(['400000000-400001000 r--p 0', '400001000-400002000 r--p 1000 /data/file']);
    expect(as.mmap(mm, BASE + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 2 * PAGE)).toBe(BASE + 2 * PAGE);
    expect(as.mmap(mm, BASE + 3 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 5 * PAGE)).toBe(BASE + 3 * PAGE);
    expect(lines(as, mm)).toEqual(['400000000-400001000 r--p 0', '400001000-400003000 r--p 1000 /data/file', '400003000-400004000 r--p 5000 /data/file']);
    // The same file opened again is another struct file: no merge.
    as.fdInstall(mm, 3, file());
    expect(as.mmap(mm, BASE + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 6 * PAGE)).toBe(BASE + 4 * PAGE);
    expect(as.mmInfo(mm)!.mapCount).toBe(4);
  });

  it('anon_vma compatibility: a faulted VMA merges with an unfaulted one, not with another anon_vma', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 2 * PAGE);
    fixed(as, mm, BASE + 3 * PAGE, PAGE);
    expect(as.anonVmaPrepare(mm, BASE)).toBe(0); // faults in both: not neighbours, so two anon_vmas
    expect(as.anonVmaPrepare(mm, BASE + 3 * PAGE)).toBe(0);
    const a = as.findVma(mm, BASE)!.anonVma;
    const b = as.findVma(mm, BASE + 3 * PAGE)!.anonVma;
    expect(a).not.toBe(0);
    expect(a).not.toBe(b);
    // Filling the hole: the unfaulted middle joins prev (case 2), never both (case 1 needs one anon_vma).
    fixed(as, mm, BASE + 2 * PAGE, PAGE);
    expect(lines(as, mm)).toEqual(['400000000-400003000 rw-p 0', '400003000-400004000 rw-p 0']);
    expect(as.findVma(mm, BASE + 2 * PAGE)!.anonVma).toBe(a);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, PROT_READ)).toBe(0);
    expect(as.mprotect(mm, BASE + 2 * PAGE, 2 * PAGE, RW)).toBe(0);
    // Split and changed back: the a pieces rejoin, b never joins them.
    expect(lines(as, mm)).toEqual(['400000000-400003000 rw-p 0', '400003000-400004000 rw-p 0']);
    // find_mergeable_anon_vma(): a split-off piece refaulted reuses its neighbour's anon_vma and merges back.
    const { as: as2, mm: mm2 } = boot();
    fixed(as2, mm2, BASE, 4 * PAGE);
    expect(as2.anonVmaPrepare(mm2, BASE)).toBe(0);
    expect(as2.mprotect(mm2, BASE + 2 * PAGE, 2 * PAGE, PROT_READ)).toBe(0);
    expect(as2.mprotect(mm2, BASE + 2 * PAGE, 2 * PAGE, RW)).toBe(0);
    expect(as2.mmInfo(mm2)!.mapCount).toBe(1);
  });

  it('munmap splits a VMA in the middle and refuses a split at vm.max_map_count', () => {
    const { as, mm } = boot({ maxMapCount: 2 });
    fixed(as, mm, BASE, 8 * PAGE);
    expect(as.munmap(mm, BASE + 2 * PAGE, PAGE)).toBe(0);
    expect(lines(as, mm)).toEqual(['400000000-400002000 rw-p 0', '400003000-400008000 rw-p 0']);
    expect(as.munmap(mm, BASE + 4 * PAGE, PAGE)).toBe(-ENOMEM);
    // Removing a whole VMA or an end needs no new VMA.
    expect(as.munmap(mm, BASE, PAGE)).toBe(0);
    expect(as.mprotect(mm, BASE + 4 * PAGE, PAGE, PROT_READ)).toBe(-ENOMEM); // split_vma() at the limit
  });
});

describe('munmap(2), mprotect(2), mremap(2), brk(2), madvise(2) errors', () => {
  it('munmap: EINVAL for an unaligned address, length 0, or a range past TASK_SIZE; unmapping nothing is 0', () => {
    const { as, mm } = boot();
    expect(as.munmap(mm, BASE + 3, PAGE)).toBe(-EINVAL);
    expect(as.munmap(mm, BASE, 0)).toBe(-EINVAL);
    expect(as.munmap(mm, 0x7ffffffff000, 2 * PAGE)).toBe(-EINVAL);
    expect(as.munmap(mm, BASE, PAGE)).toBe(0);
  });

  it('mprotect: EINVAL, ENOMEM for unmapped pages, EACCES beyond what the file allows', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 4 * PAGE);
    expect(as.mprotect(mm, BASE + 1, PAGE, PROT_READ)).toBe(-EINVAL);
    expect(as.mprotect(mm, BASE, PAGE, 0x10)).toBe(-EINVAL);
    expect(as.mprotect(mm, BASE, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP)).toBe(-EINVAL);
    expect(as.mprotect(mm, BASE, PAGE, PROT_READ | PROT_GROWSDOWN)).toBe(-EINVAL); // not a VM_GROWSDOWN VMA
    expect(as.mprotect(mm, BASE, PAGE, PROT_READ | PROT_GROWSUP)).toBe(-EINVAL);
    expect(as.mprotect(mm, BASE, 0, PROT_READ)).toBe(0);
    expect(as.mprotect(mm, BASE, 8 * PAGE, PROT_READ)).toBe(-ENOMEM); // the first 4 pages change, then the hole
    expect(lines(as, mm)).toEqual(['400000000-400004000 r--p 0']);
    expect(as.mprotect(mm, BASE - PAGE, 2 * PAGE, PROT_READ)).toBe(-ENOMEM);
    as.fdInstall(mm, 3, file());
    const a = as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED, 3, 0);
    expect(as.mprotect(mm, a, PAGE, RW)).toBe(-EACCES);
    as.fdInstall(mm, 4, file({ noexec: true }));
    const b = as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 4, 0);
    expect(as.mprotect(mm, b, PAGE, PROT_READ | PROT_EXEC)).toBe(-EACCES);
  });

  it('mprotect PROT_GROWSDOWN extends the change down to the start of a MAP_GROWSDOWN VMA', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 4 * PAGE, RW, ANON | MAP_GROWSDOWN);
    expect(as.findVma(mm, BASE)!.flags & VM_GROWSDOWN).toBe(VM_GROWSDOWN);
    expect(as.mprotect(mm, BASE + 2 * PAGE, PAGE, PROT_READ | PROT_GROWSDOWN)).toBe(0);
    expect(lines(as, mm)).toEqual(['400000000-400003000 r--p 0', '400003000-400004000 rw-p 0']);
  });

  it('mremap: shrink, grow in place (no merge), MREMAP_MAYMOVE, MREMAP_FIXED and their errors', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 4 * PAGE);
    expect(as.mremap(mm, BASE, 4 * PAGE, 2 * PAGE, 0)).toBe(BASE);
    expect(lines(as, mm)).toEqual(['400000000-400002000 rw-p 0']);
    expect(as.mremap(mm, BASE, 2 * PAGE, 4 * PAGE, 0)).toBe(BASE);
    fixed(as, mm, BASE + 6 * PAGE, PAGE);
    expect(as.mremap(mm, BASE, 4 * PAGE, 6 * PAGE, 0)).toBe(BASE); // touches the next one: still two VMAs
    expect(as.mmInfo(mm)!.mapCount).toBe(2);
    expect(as.mremap(mm, BASE, 6 * PAGE, 8 * PAGE, 0)).toBe(-ENOMEM);
    const moved = as.mremap(mm, BASE, 6 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
    expect(moved).toBeGreaterThan(BASE + 7 * PAGE);
    expect(as.findVma(mm, BASE)!.start).toBe(BASE + 6 * PAGE);
    expect(as.mremap(mm, moved, 8 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 16 * PAGE)).toBe(BASE + 16 * PAGE);
    expect(as.mremap(mm, BASE + 32 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE)).toBe(-EFAULT);
    expect(as.mremap(mm, BASE + 16 * PAGE, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE)).toBe(-EFAULT); // crosses the VMA's end
    expect(as.mremap(mm, BASE + 1, PAGE, PAGE, 0)).toBe(-EINVAL);
    expect(as.mremap(mm, BASE + 16 * PAGE, PAGE, PAGE, 4)).toBe(-EINVAL);
    expect(as.mremap(mm, BASE + 16 * PAGE, PAGE, PAGE, MREMAP_FIXED, BASE)).toBe(-EINVAL);
    expect(as.mremap(mm, BASE + 16 * PAGE, PAGE, 0, 0)).toBe(-EINVAL);
    expect(as.mremap(mm, BASE + 16 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 15 * PAGE)).toBe(-EINVAL); // overlap
    expect(as.mremap(mm, BASE + 16 * PAGE, 0, PAGE, MREMAP_MAYMOVE)).toBe(-EINVAL); // duplicating a private mapping
    expect(as.checkMm(mm)).toEqual([]);
  });

  it('mremap: EAGAIN for a locked mapping beyond RLIMIT_MEMLOCK', () => {
    const { as, mm } = boot({ rlimitMemlock: 2 * PAGE });
    fixed(as, mm, BASE, PAGE, RW, ANON | MAP_LOCKED);
    expect(as.mremap(mm, BASE, PAGE, 4 * PAGE, MREMAP_MAYMOVE)).toBe(-EAGAIN);
  });

  it('brk: grows and shrinks the heap, returns the old break when it cannot move', () => {
    const start = 0x555555560000;
    const { as, mm } = boot({ startBrk: start, brk: start, rlimitData: 64 * PAGE });
    expect(as.brk(mm, 0)).toBe(start);
    expect(as.brk(mm, start + 5000)).toBe(start + 5000); // the break need not be aligned
    expect(lines(as, mm)).toEqual([`${start.toString(16)}-${(start + 2 * PAGE).toString(16)} rw-p 0 [heap]`]);
    expect(as.brk(mm, start + 100 * PAGE)).toBe(start + 5000); // RLIMIT_DATA
    expect(as.brk(mm, start - PAGE)).toBe(start + 5000); // below start_brk
    fixed(as, mm, start + 10 * PAGE, PAGE);
    expect(as.brk(mm, start + 10 * PAGE)).toBe(start + 5000); // must stay a page below the next mapping
    expect(as.brk(mm, start + 9 * PAGE)).toBe(start + 9 * PAGE);
    expect(as.brk(mm, start + PAGE)).toBe(start + PAGE);
    expect(as.mmInfo(mm)!.brk).toBe(start + PAGE);
    expect(as.brk(mm, 2n ** 64n - 1n)).toBe(start + PAGE);
  });

  it('brk keeps the stack guard gap below a VM_GROWSDOWN mapping', () => {
    const start = 0x555555560000;
    const { as, mm } = boot({ startBrk: start, brk: start });
    fixed(as, mm, start + 300 * PAGE, PAGE, RW, ANON | MAP_GROWSDOWN);
    // The stack's vm_start_gap() is 256 pages below it, and the break stays a page below that.
    expect(as.brk(mm, start + 43 * PAGE)).toBe(start + 43 * PAGE);
    expect(as.brk(mm, start + 43 * PAGE + 1)).toBe(start + 43 * PAGE);
  });

  it('madvise: the flag advice splits and merges VMAs; EINVAL, ENOMEM, EPERM, EACCES as documented', () => {
    const { as, mm } = boot();
    fixed(as, mm, BASE, 8 * PAGE);
    expect(as.madvise(mm, BASE + 2 * PAGE, 2 * PAGE, MADV_RANDOM)).toBe(0);
    expect(as.mmInfo(mm)!.mapCount).toBe(3);
    expect(as.findVma(mm, BASE + 2 * PAGE)!.flags & VM_RAND_READ).toBe(VM_RAND_READ);
    expect(as.madvise(mm, BASE + 2 * PAGE, 2 * PAGE, MADV_SEQUENTIAL)).toBe(0);
    expect(as.findVma(mm, BASE + 2 * PAGE)!.flags & (VM_RAND_READ | VM_SEQ_READ)).toBe(VM_SEQ_READ);
    expect(as.madvise(mm, BASE, 8 * PAGE, MADV_NORMAL)).toBe(0);
    expect(as.mmInfo(mm)!.mapCount).toBe(1);
    expect(as.madvise(mm, BASE, PAGE, MADV_DONTFORK)).toBe(0);
    expect(as.findVma(mm, BASE)!.flags & VM_DONTCOPY).toBe(VM_DONTCOPY);
    expect(as.madvise(mm, BASE, 8 * PAGE, MADV_WILLNEED)).toBe(0);
    expect(as.madvise(mm, BASE, 8 * PAGE, MADV_DONTNEED)).toBe(0);
    expect(as.madvise(mm, BASE + 1, PAGE, MADV_NORMAL)).toBe(-EINVAL);
    expect(as.madvise(mm, BASE, PAGE, 1234)).toBe(-EINVAL);
    expect(as.madvise(mm, BASE, 16 * PAGE, MADV_NORMAL)).toBe(-ENOMEM); // the mapped part is done, the hole reported
    expect(as.madvise(mm, BASE + 32 * PAGE, PAGE, MADV_NORMAL)).toBe(-ENOMEM);
    expect(as.madvise(mm, BASE, 0, MADV_NORMAL)).toBe(0);
    expect(as.madvise(mm, BASE, PAGE, MADV_HWPOISON)).toBe(-EPERM);
    expect(as.madvise(mm, BASE, PAGE, MADV_REMOVE)).toBe(-EINVAL); // not a file
    expect(as.madvise(mm, BASE, PAGE, MADV_DODUMP)).toBe(0);
    fixed(as, mm, BASE + 16 * PAGE, PAGE, RW, ANON | MAP_LOCKED);
    expect(as.madvise(mm, BASE + 16 * PAGE, PAGE, MADV_DONTNEED)).toBe(-EINVAL);
    as.fdInstall(mm, 3, file());
    const f = as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0);
    expect(as.madvise(mm, f, PAGE, MADV_FREE)).toBe(-EINVAL);
    expect(as.madvise(mm, f, PAGE, MADV_REMOVE)).toBe(-EACCES);
    expect(as.checkMm(mm)).toEqual([]);
  });
});

describe('get_unmapped_area() and the stack guard gap', () => {
  it('keeps vm.stack_guard_gap free below a VM_GROWSDOWN mapping, for hints and for the search', () => {
    const gap = 256 * PAGE;
    const { as, mm } = boot();
    const stack = 0x7fff00000000;
    fixed(as, mm, stack, 16 * PAGE, RW, ANON | MAP_GROWSDOWN);
    // A hint right below the stack would sit in its guard gap: not honoured.
    expect(as.mmap(mm, stack - PAGE, PAGE, RW, ANON, -1, 0)).not.toBe(stack - PAGE);
    expect(as.mmap(mm, stack - gap - PAGE, PAGE, RW, ANON, -1, 0)).toBe(stack - gap - PAGE);
    const none = boot({ stackGuardGap: 0 });
    fixed(none.as, none.mm, stack, 16 * PAGE, RW, ANON | MAP_GROWSDOWN);
    expect(none.as.mmap(none.mm, stack - PAGE, PAGE, RW, ANON, -1, 0)).toBe(stack - PAGE);
    // Top-down search: with mmap_base right above a stack-like mapping, the gap is skipped.
    const low = boot({ mmapBase: BASE + 512 * PAGE });
    fixed(low.as, low.mm, BASE + 500 * PAGE, 12 * PAGE, RW, ANON | MAP_GROWSDOWN);
    expect(low.as.mmap(low.mm, 0, PAGE, RW, ANON, -1, 0)).toBe(BASE + 500 * PAGE - gap - PAGE);
  });
});

describe('/proc/PID/maps and mms from a maps text', () => {
  const MAPS = `555555554000-555555558000 r--p 00000000 fe:00 260638                     /usr/bin/mawk
555555558000-555555571000 r-xp 00004000 fe:00 260638                     /usr/bin/mawk
555555579000-55555557c000 rw-p 00024000 fe:00 260638                     /usr/bin/mawk
55555557c000-55555558f000 rw-p 00000000 00:00 0 
7ffff7fc2000-7ffff7fc6000 r--p 00000000 00:00 0                          [vvar]
7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]
7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;

  it('rebuilds the VMAs, the break after the bss, the stack and the special mappings, and prints them back', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, pcp: false });
    const as = k.addressSpaces as MmapImplementation;
    const mm = as.mmCreateFromMaps(MAPS);
    expect(as.mmInfo(mm)).toMatchObject({ mapCount: 7, startBrk: 0x55555558f000, brk: 0x55555558f000 });
    // 4.17's show_map_vma() names a VMA [heap] when vm_start <= brk && vm_end >= start_brk: the bss ending at start_brk too.
    expect(formatMaps(as.maps(mm))).toBe(MAPS.replace('55555558f000 rw-p 00000000 00:00 0 ', `55555558f000 rw-p 00000000 00:00 0${' '.repeat(26)}[heap]`));
    expect(as.findVma(mm, 0x7ffffffde000)!.flags & VM_GROWSDOWN).toBe(VM_GROWSDOWN);
    // The heap grows from the bss and merges with it; the vdso cannot grow or merge.
    expect(as.brk(mm, 0x5555555b0000)).toBe(0x5555555b0000);
    expect(as.findVma(mm, 0x55555557c000)!.end).toBe(0x5555555b0000);
    expect(as.mremap(mm, 0x7ffff7fc8000, 2 * PAGE, 3 * PAGE, 0)).toBe(-EFAULT);
    expect(as.mprotect(mm, 0x7ffff7fc8000, PAGE, PROT_READ)).toBe(0);
    expect(as.mmInfo(mm)!.mapCount).toBe(8);
    expect(() => as.mmCreateFromMaps('garbage\n')).toThrow(/maps line 1/);
    expect(() => as.mmCreateFromMaps('00001000-00003000 rw-p 00000000 00:00 0 \n00002000-00004000 rw-p 00000000 00:00 0 \n')).toThrow(/overlaps/);
    as.mmDestroy(mm);
    expect(as.mmInfo(mm)).toBeUndefined();
  });

  it('keeps a struct file for each described VMA, so a file installed later is another one', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, pcp: false });
    const as = k.addressSpaces as MmapImplementation;
    const mm = as.mmCreateWith({ vmas: [{ start: BASE, end: BASE + PAGE, flags: 0x71, file: file({ path: '/a' }) }] });
    expect(as.fdInstall(mm, 3, file({ path: '/b' }))).toBe(0);
    expect(as.mmap(mm, BASE + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, PAGE)).toBe(BASE + PAGE);
    expect(lines(as, mm)).toEqual(['400000000-400001000 r--p 0 /a', '400001000-400002000 r--p 1000 /b']);
    expect(as.checkMm(mm)).toEqual([]);
  });
});

describe('page tables on unmap', () => {
  it('munmap zaps the PTEs, drops the pages and frees the page tables; mmDestroy frees the pgd', () => {
    const { k, as, mm } = boot();
    const pt = k.archPageTables!;
    const free0 = k.zones.reduce((n, z) => n + z.freePages, 0);
    const mm2 = as.mmCreate();
    const pgd = as.mmInfo(mm2)!.pgd;
    fixed(as, mm2, BASE, 1024 * PAGE);
    fixed(as, mm2, BASE + 2048 * PAGE, PAGE);
    // What a fault will do: a page in a PTE (a user page, mapcount 1).
    for (const addr of [BASE, BASE + 513 * PAGE, BASE + 2048 * PAGE]) {
      const pfn = k.pageAllocator.allocPages(GFP_HIGHUSER_MOVABLE, 0);
      k.pages.setMapcount(pfn, 0);
      const slot = pt.alloc(pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K);
      expect(slot).not.toBe(NO_SLOT);
      pt.setEntry(slot, pt.pfnPteLow(pfn, pt.vmGetPageProt(3)), pt.pfnPteHigh(pfn, pt.vmGetPageProt(3)));
    }
    expect(pt.pgtablesBytes(pgd)).toBe(5 * PAGE); // a PUD, a PMD and 3 PTE tables
    expect(as.munmap(mm2, BASE, 1024 * PAGE)).toBe(0);
    expect(pt.lookup(pgd, vaHigh(BASE), vaLow(BASE), PG_LEVEL_4K)).toBe(NO_SLOT);
    // The two PTE tables go; the PMD and PUD tables stay: the mapping at BASE + 2048 pages uses them.
    expect(pt.pgtablesBytes(pgd)).toBe(3 * PAGE);
    as.mmDestroy(mm2);
    expect(k.zones.reduce((n, z) => n + z.freePages, 0)).toBe(free0);
    expect(as.checkMm(mm)).toEqual([]);
    expect(k.checkInvariants()).toEqual([]);
  });
});

/**
 * mmap(2), munmap(2) and brk(2) of mm/mmap.c (4.17) and arch/x86/kernel/sys_x86_64.c, on
 * numbers: the syscall entry (syscalls.ts) has already reduced 64-bit arguments to what these
 * functions can judge exactly. Each returns what Linux returns (0, or -errno), except that a
 * function returning an address (get_unmapped_area(), do_mmap()) returns 0 and leaves the
 * address in the mm's vmas.addrOut[0], and the mmap and munmap paths take addresses, lengths
 * and page offsets as their vaHigh()/vaLow() int32 halves (core's units.ts): V8 boxes a double
 * (a 47-bit address, a 35-bit page number) passed to or returned from a call it has not
 * inlined, which made 3 to 11 HeapNumbers per mmap. On these paths the halves are split and
 * joined with vaHigh()'s, vaLow()'s and vaJoin()'s arithmetic written out ((x * 2^-32) | 0, x | 0,
 * high * 2^32 + (low >>> 0)): once a function's inlining budget is spent V8 calls even those
 * small functions, and boxes the double that crosses (measured: mmap_region()'s vaJoin() once
 * MAP_FIXED's do_munmap() had been inlined into it, a HeapNumber per MAP_FIXED mmap).
 */
import {
  ERRNO, MAP_32BIT, MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_HUGE_MASK, MAP_HUGE_SHIFT, MAP_LOCKED,
  MAP_NONBLOCK, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, LEGACY_MAP_MASK, O_RDONLY, O_RDWR, O_WRONLY, PROT_WRITE,
  VM_ACCOUNT, VM_DATA_DEFAULT_FLAGS, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_LOCKONFAULT, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE,
  VM_NORESERVE, VM_SHARED, VM_SOFTDIRTY, VM_SPECIAL, VM_WRITE, calcVmFlagBits, calcVmProtBits, vaHigh, vaLow,
} from '@mmkit/core';
import type { FileIdentity } from '@mmkit/core';
import type { MmapContext } from './context.js';
import { freePgtables, unmapPageRange } from './memory.js';
import { mmPopulate } from './populate.js';
import type { MmStruct } from './mm.js';
import { __splitVma, mayExpandVm, vmStatAccount, vmaMerge, vmaPages } from './vma.js';

const PAGE_SIZE = 4096;
const ENOMEM = -ERRNO.ENOMEM;
const EINVAL = -ERRNO.EINVAL;

/** PAGE_ALIGN() of a length below 2^52 (the callers bound it). */
export function pageAlign(x: number): number {
  const r = x % PAGE_SIZE;
  return r === 0 ? x : x - r + PAGE_SIZE;
}

/** offset_in_page(). */
function offsetInPage(x: number): boolean {
  return x % PAGE_SIZE !== 0;
}

/** FMODE_READ / FMODE_WRITE of an open file. */
export function fmodeRead(f: FileIdentity): boolean {
  return f.accessMode === O_RDONLY || f.accessMode === O_RDWR;
}
export function fmodeWrite(f: FileIdentity): boolean {
  return f.accessMode === O_WRONLY || f.accessMode === O_RDWR;
}

/** __vm_enough_memory() with vm.overcommit_memory 0 (heuristic) or 1 (always); 2 (never) is checked like 0 here (no commit accounting yet). */
export function vmEnoughMemory(ctx: MmapContext, mm: MmStruct, pages: number): boolean {
  if (mm.limits.overcommitMemory === 1) return true;
  return pages <= ctx.commitLimitPages();
}

// ---------------------------------------------------------------------------------------------
// munmap

/**
 * do_munmap(): unmap [start, start + len): split the VMAs at the ends, detach the VMAs inside,
 * zap their page tables and free the tables nothing else uses, then free the VMAs.
 */
export function doMunmap(ctx: MmapContext, mm: MmStruct, startHigh: number, startLow: number, lenHigh: number, lenLow: number): number {
  const t = mm.vmas;
  const taskSize = mm.limits.taskSize;
  const start = startHigh * 4294967296 + (startLow >>> 0);
  let len = lenHigh * 4294967296 + (lenLow >>> 0);
  if (offsetInPage(start) || start > taskSize || len > taskSize - start) return EINVAL;
  len = pageAlign(len);
  if (len === 0) return EINVAL;
  let vma = t.findVmaHalves(startHigh, startLow);
  if (vma === 0) return 0;
  let prev = t.vmPrev[vma];
  const end = start + len;
  if (t.vmStart[vma] >= end) return 0;
  if (start > t.vmStart[vma]) {
    // "Make sure that map_count on return from munmap() will not exceed its limit."
    if (end < t.vmEnd[vma] && t.mapCount >= mm.limits.maxMapCount) return ENOMEM;
    const error = __splitVma(mm, vma, startHigh, startLow, false);
    if (error) return error;
    prev = vma;
  }
  // The address crosses calls as its int32 halves (core's units.ts): a double would be boxed.
  const endHigh = ((end * 2.3283064365386963e-10) | 0);
  const endLow = end | 0;
  const last = t.findVmaHalves(endHigh, endLow);
  if (last !== 0 && end > t.vmStart[last]) {
    const error = __splitVma(mm, last, endHigh, endLow, true);
    if (error) return error;
  }
  vma = prev !== 0 ? t.vmNext[prev] : t.head;
  // The first VMA not unmapped, or 0: last, which starts at end or above (split with the new VMA below).
  const stop = last;
  // munlock_vma_pages_all() of VM_LOCKED VMAs: locked_vm.
  if (mm.lockedVm !== 0) {
    for (let tmp = vma; tmp !== stop; tmp = t.vmNext[tmp]) {
      if (t.vmFlags[tmp] & VM_LOCKED) mm.lockedVm -= vmaPages(t, tmp);
    }
  }
  detachAndUnmap(ctx, mm, vma, prev, stop);
  return 0;
}

/**
 * detach_vmas_to_be_unmapped() + unmap_region() + remove_vma_list(): the VMAs from vma up to
 * stop (not included; 0: to the last) leave the mm; their page tables are zapped, whole (the
 * caller has split the VMAs at the ends of the range), and freed between prev's end and the next
 * VMA's start. VMA numbers only cross these calls: no address is boxed.
 */
function detachAndUnmap(ctx: MmapContext, mm: MmStruct, vma: number, prev: number, stop: number): void {
  const t = mm.vmas;
  const first = vma;
  let lastDetached = 0;
  while (vma !== stop) {
    const next = t.vmNext[vma];
    t.unlink(vma); // keeps vma's own vm_next: the detached list stays chained
    lastDetached = vma;
    vma = next;
  }
  t.vmNext[lastDetached] = 0;
  const next = prev !== 0 ? t.vmNext[prev] : t.head;
  // unmap_region(): unmap_vmas() then free_pgtables().
  for (let v = first; v !== 0; v = t.vmNext[v]) {
    const s = t.vmStart[v];
    const e = t.vmEnd[v];
    unmapPageRange(ctx, mm, vaHigh(s), vaLow(s), vaHigh(e), vaLow(e));
  }
  freePgtables(ctx, mm, first, prev, next);
  // remove_vma_list(): the high watermark before total_vm drops.
  mm.updateHiwaterVm();
  for (let v = first; v !== 0;) {
    const n = t.vmNext[v];
    vmStatAccount(mm, t.vmFlags[v], -vmaPages(t, v));
    if (t.vmFile[v] !== 0) mm.files.put(t.vmFile[v]);
    t.free(v);
    v = n;
  }
}

/** exit_mmap(): every VMA unmapped, every page table freed. */
export function exitMmap(ctx: MmapContext, mm: MmStruct): void {
  const t = mm.vmas;
  if (t.head === 0) return;
  detachAndUnmap(ctx, mm, t.head, 0, 0);
  mm.lockedVm = 0;
}

// ---------------------------------------------------------------------------------------------
// get_unmapped_area

/**
 * arch_get_unmapped_area() of x86-64: bottom-up from mmap_legacy_base (or in [1 GiB, 2 GiB) for
 * MAP_32BIT). 0 with the address in vmas.addrOut[0], or -errno; addr and len as halves.
 */
function archGetUnmappedArea(mm: MmStruct, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, flags: number): number {
  const t = mm.vmas;
  let addr = addrHigh * 4294967296 + (addrLow >>> 0);
  const len = lenHigh * 4294967296 + (lenLow >>> 0);
  if (flags & MAP_FIXED) {
    t.addrOut[0] = addr;
    return 0;
  }
  let begin = mm.mmapLegacyBase;
  let end = mm.limits.taskSize;
  if (flags & MAP_32BIT) {
    begin = 0x40000000;
    end = 0x80000000;
  }
  if (len > end) return ENOMEM;
  if (addr !== 0) {
    addr = pageAlign(addr);
    const vma = t.findVmaHalves(((addr * 2.3283064365386963e-10) | 0), (addr | 0));
    if (end - len >= addr && (vma === 0 || addr + len <= t.vmStartGap(vma))) {
      t.addrOut[0] = addr;
      return 0;
    }
  }
  return t.unmappedArea(lenHigh, lenLow, ((begin * 2.3283064365386963e-10) | 0), (begin | 0), ((end * 2.3283064365386963e-10) | 0), (end | 0));
}

/** arch_get_unmapped_area_topdown() of x86-64: below mmap_base, falling back to bottom-up. As archGetUnmappedArea(). */
function archGetUnmappedAreaTopdown(mm: MmStruct, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, flags: number): number {
  const t = mm.vmas;
  const taskSize = mm.limits.taskSize;
  let addr = addrHigh * 4294967296 + (addrLow >>> 0);
  const len = lenHigh * 4294967296 + (lenLow >>> 0);
  if (len > taskSize) return ENOMEM;
  if (flags & MAP_FIXED) {
    t.addrOut[0] = addr;
    return 0;
  }
  if (!(flags & MAP_32BIT)) {
    if (addr !== 0) {
      addr -= addr % PAGE_SIZE;
      // mmap_address_hint_valid(): inside TASK_SIZE, and not across DEFAULT_MAP_WINDOW (= TASK_SIZE with 4 levels).
      if (!(taskSize - len < addr) && (addr > taskSize) === (addr + len > taskSize)) {
        const vma = t.findVmaHalves(((addr * 2.3283064365386963e-10) | 0), (addr | 0));
        if (vma === 0 || addr + len <= t.vmStartGap(vma)) {
          t.addrOut[0] = addr;
          return 0;
        }
      }
    }
    const base = mm.mmapBase;
    if (t.unmappedAreaTopdown(lenHigh, lenLow, 0, PAGE_SIZE, ((base * 2.3283064365386963e-10) | 0), (base | 0)) === 0) return 0;
  }
  return archGetUnmappedArea(mm, addrHigh, addrLow, lenHigh, lenLow, flags);
}

/**
 * get_unmapped_area(): the arch's choice (top-down or legacy), then the checks every caller gets:
 * inside TASK_SIZE, page-aligned, and not below vm.mmap_min_addr without CAP_SYS_RAWIO
 * (security_mmap_addr() -> cap_mmap_addr(): -EPERM). addr and len as their vaHigh()/vaLow()
 * halves; 0 with the address in mm.vmas.addrOut[0], or -errno.
 */
export function getUnmappedArea(mm: MmStruct, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, flags: number): number {
  const len = lenHigh * 4294967296 + (lenLow >>> 0);
  if (len > mm.limits.taskSize) return ENOMEM;
  // shmem_get_unmapped_area() (anonymous MAP_SHARED) is mm->get_unmapped_area without huge tmpfs.
  const error = mm.topDown ? archGetUnmappedAreaTopdown(mm, addrHigh, addrLow, lenHigh, lenLow, flags) : archGetUnmappedArea(mm, addrHigh, addrLow, lenHigh, lenLow, flags);
  if (error < 0) return error;
  const got = mm.vmas.addrOut[0];
  if (got > mm.limits.taskSize - len) return ENOMEM;
  if (offsetInPage(got)) return EINVAL;
  if (got < mm.limits.mmapMinAddr && !mm.limits.capSysRawio) return -ERRNO.EPERM;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// mmap

/**
 * ksys_mmap_pgoff() and do_mmap() (vm_mmap_pgoff() around it). fd is an int (fget() takes it unsigned); addr,
 * len and pgoff come as their vaHigh()/vaLow() halves. 0 with the address in mm.vmas.addrOut[0],
 * or -errno.
 */
export function ksysMmapPgoff(ctx: MmapContext, mm: MmStruct, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, prot: number, flags: number, fd: number, pgoffHigh: number, pgoffLow: number, flagsAbove32: boolean): number {
  let file = 0;
  if (!(flags & MAP_ANONYMOUS)) {
    file = mm.files.fget(fd >>> 0); // fget((unsigned int)fd)
    if (file === 0) return -ERRNO.EBADF;
    // No file here is on hugetlbfs.
    if (flags & MAP_HUGETLB) return EINVAL;
  } else if (flags & MAP_HUGETLB) {
    // hstate_sizelog(): 0 (the default 2 MiB), 21 (2 MiB) or 30 (1 GiB) name an hstate; then
    // hugetlb_file_setup() reserves huge pages, and vm.nr_hugepages is 0: -ENOMEM.
    const log = (flags >>> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    if (log !== 0 && log !== 21 && log !== 30) return EINVAL;
    return ENOMEM;
  }
  flags &= ~(MAP_EXECUTABLE | MAP_DENYWRITE);
  const error = doMmap(ctx, mm, file, addrHigh, addrLow, lenHigh, lenLow, prot, flags, 0, pgoffHigh, pgoffLow, flagsAbove32);
  // vm_mmap_pgoff(): do_mmap()'s *populate for VM_LOCKED (MAP_LOCKED, or mm->def_flags) and MAP_POPULATE without MAP_NONBLOCK.
  if (error === 0 && ((flags & MAP_LOCKED) || (mm.defFlags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) === MAP_POPULATE)) {
    const addr = mm.vmas.addrOut[0];
    mmPopulate(ctx, mm, addr, pageAlign((lenHigh * 4294967296 + (lenLow >>> 0))));
    mm.vmas.addrOut[0] = addr;
  }
  return error;
}

/** round_hint_to_min(). */
function roundHintToMin(mm: MmStruct, hint: number): number {
  hint -= hint % PAGE_SIZE;
  if (hint !== 0 && hint < mm.limits.mmapMinAddr) return pageAlign(mm.limits.mmapMinAddr);
  return hint;
}

/** MAX_LFS_FILESIZE (LLONG_MAX) + 1 and ULONG_MAX + 1, for file_mmap_ok(). */
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * file_mmap_ok(): the mapping's last byte is a file offset the file can have: len <= maxsize and
 * pgoff <= (maxsize - len) >> PAGE_SHIFT, i.e. pgoff * 4096 + len < maxsize + 1 (2^63, or 2^64
 * for a character device). Exact in doubles: len (page-aligned, at most 2^52) and pgoff * 4096
 * (pgoff below 2^52) are multiples of 4096, and below 2^64 doubles hold every multiple of 4096,
 * so the sum is exact below 2^64 and rounds to 2^64 or more above. (BigInt arithmetic here made
 * six objects per file mapping.)
 */
function fileMmapOk(f: FileIdentity, pgoff: number, len: number): boolean {
  return pgoff * PAGE_SIZE + len < (f.kind === 'chr' ? TWO_64 : TWO_63);
}

/** do_mmap(): every check of mmap(2), then get_unmapped_area() and mmap_region(). As ksysMmapPgoff(). */
export function doMmap(ctx: MmapContext, mm: MmStruct, file: number, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, prot: number, flags: number, vmFlags: number, pgoffHigh: number, pgoffLow: number, flagsAbove32: boolean): number {
  const t = mm.vmas;
  let addr = addrHigh * 4294967296 + (addrLow >>> 0);
  let len = lenHigh * 4294967296 + (lenLow >>> 0);
  let pgoff = pgoffHigh * 4294967296 + (pgoffLow >>> 0);
  if (len === 0) return EINVAL;
  if ((flags & MAP_FIXED_NOREPLACE) && ctx.hooks.noreplaceIsFixed) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) addr = roundHintToMin(mm, addr);
  len = pageAlign(len);
  if (len === 0) return ENOMEM;
  // offset overflow? pgoff + (len >> PAGE_SHIFT) wraps only above 2^64 pages: never with pgoff < 2^52.
  if (t.mapCount > mm.limits.maxMapCount) return ENOMEM;
  const lHigh = ((len * 2.3283064365386963e-10) | 0);
  const lLow = len | 0;
  const found = getUnmappedArea(mm, ((addr * 2.3283064365386963e-10) | 0), (addr | 0), lHigh, lLow, flags);
  if (found < 0) return found;
  addr = t.addrOut[0];
  const aHigh = ((addr * 2.3283064365386963e-10) | 0);
  const aLow = addr | 0;
  if ((flags & MAP_FIXED_NOREPLACE) && ctx.hooks.noreplaceIsFixed) {
    const error = ctx.hooks.fixedNoreplaceCheck(t, aHigh, aLow, lHigh, lLow);
    if (error) return error;
  }
  // execute_only_pkey() for PROT_EXEC alone: protection keys are not modelled (pkey 0).
  vmFlags |= calcVmProtBits(prot) | calcVmFlagBits(flags) | mm.defFlags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (flags & MAP_LOCKED) {
    // can_do_mlock()
    if (mm.limits.rlimitMemlock === 0 && !mm.limits.capIpcLock) return -ERRNO.EPERM;
  }
  // mlock_future_check()
  if (vmFlags & VM_LOCKED) {
    const locked = len / PAGE_SIZE + mm.lockedVm;
    if (locked > Math.floor(mm.limits.rlimitMemlock / PAGE_SIZE) && !mm.limits.capIpcLock) return -ERRNO.EAGAIN;
  }
  if (file !== 0) {
    const f = mm.files.identity(file);
    if (!fileMmapOk(f, pgoff, len)) return -ERRNO.EOVERFLOW;
    // LEGACY_MAP_MASK | f_op->mmap_supported_flags (0: no DAX file here).
    const flagsMask = LEGACY_MAP_MASK;
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE && type !== MAP_PRIVATE) return EINVAL;
    if (type !== MAP_PRIVATE) {
      if (type === MAP_SHARED) {
        // Unknown flags are ignored with MAP_SHARED, refused with MAP_SHARED_VALIDATE.
        flags &= flagsMask;
        flagsAbove32 = false;
      }
      if ((flags & ~flagsMask) !== 0 || flagsAbove32) return -ERRNO.EOPNOTSUPP;
      if ((prot & PROT_WRITE) && !fmodeWrite(f)) return -ERRNO.EACCES;
      // No writing to an append-only file.
      if (f.appendOnly && fmodeWrite(f)) return -ERRNO.EACCES;
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (!fmodeWrite(f)) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    }
    // MAP_PRIVATE, and what MAP_SHARED falls through to.
    if (!fmodeRead(f)) return -ERRNO.EACCES;
    if (f.noexec) {
      if (vmFlags & VM_EXEC) return -ERRNO.EPERM;
      vmFlags &= ~VM_MAYEXEC;
    }
    if (f.mmapable === false) return -ERRNO.ENODEV;
    if (vmFlags & VM_GROWSDOWN) return EINVAL;
  } else {
    switch (flags & MAP_TYPE) {
      case MAP_SHARED:
        if (vmFlags & VM_GROWSDOWN) return EINVAL;
        pgoff = 0;
        vmFlags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_PRIVATE:
        pgoff = addr / PAGE_SIZE;
        break;
      default:
        return EINVAL;
    }
  }
  if (flags & MAP_NORESERVE) {
    if (mm.limits.overcommitMemory !== 2) vmFlags |= VM_NORESERVE;
  }
  const error = mmapRegion(ctx, mm, file, aHigh, aLow, lHigh, lLow, vmFlags >>> 0, ((pgoff * 2.3283064365386963e-10) | 0), (pgoff | 0));
  if (error) return error;
  t.addrOut[0] = addr;
  return 0;
}

/** count_vma_pages_range(): the pages of [addr, end) that VMAs map. */
function countVmaPagesRange(mm: MmStruct, addr: number, end: number): number {
  const t = mm.vmas;
  let v = t.findVma(addr);
  let n = 0;
  for (; v !== 0 && t.vmStart[v] < end; v = t.vmNext[v]) {
    n += (Math.min(end, t.vmEnd[v]) - Math.max(addr, t.vmStart[v])) / PAGE_SIZE;
  }
  return n;
}

/** accountable_mapping(): a private writable mapping without MAP_NORESERVE is charged. */
function accountableMapping(vmFlags: number): boolean {
  return (vmFlags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/** The device of the internal tmpfs (shm_mnt) that MAP_SHARED|MAP_ANONYMOUS memory lives on. */
export const SHMEM_DEV = { major: 0, minor: 5 } as const;

/** mmap_region(): make room (MAP_FIXED replaces), charge, merge or link a new VMA. addr, len and pgoff as halves; 0 (the VMA is at addr) or -errno. */
export function mmapRegion(ctx: MmapContext, mm: MmStruct, file: number, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, vmFlags: number, pgoffHigh: number, pgoffLow: number): number {
  const t = mm.vmas;
  const addr = addrHigh * 4294967296 + (addrLow >>> 0);
  const len = lenHigh * 4294967296 + (lenLow >>> 0);
  const end = addr + len;
  const endHigh = ((end * 2.3283064365386963e-10) | 0);
  const endLow = end | 0;
  const npages = len / PAGE_SIZE;
  if (!mayExpandVm(mm, vmFlags, npages)) {
    const nrPages = countVmaPagesRange(mm, addr, end);
    if (!mayExpandVm(mm, vmFlags, npages - nrPages)) return ENOMEM;
  }
  let prev = t.findVmaLinks(addrHigh, addrLow, endHigh, endLow);
  while (prev < 0) {
    if (doMunmap(ctx, mm, addrHigh, addrLow, lenHigh, lenLow)) return ENOMEM;
    prev = t.findVmaLinks(addrHigh, addrLow, endHigh, endLow);
  }
  if (accountableMapping(vmFlags)) {
    if (!vmEnoughMemory(ctx, mm, npages)) return ENOMEM;
    vmFlags |= VM_ACCOUNT;
  }
  vmFlags >>>= 0;
  let vma = vmaMerge(ctx, mm, prev, addrHigh, addrLow, endHigh, endLow, vmFlags, 0, file, pgoffHigh, pgoffLow);
  if (vma === 0) {
    vma = t.alloc();
    t.vmStart[vma] = addr;
    t.vmEnd[vma] = end;
    t.vmFlags[vma] = vmFlags;
    t.vmPgoff[vma] = pgoffHigh * 4294967296 + (pgoffLow >>> 0);
    if (file !== 0) {
      t.vmFile[vma] = file;
      mm.files.get(file);
    } else if (vmFlags & VM_SHARED) {
      // shmem_zero_setup(): a new file on the internal tmpfs, "/dev/zero (deleted)" in maps.
      const shm = mm.files.open({ path: '/dev/zero (deleted)', major: SHMEM_DEV.major, minor: SHMEM_DEV.minor, inode: ctx.nextShmemIno++, size: len, accessMode: O_RDWR });
      t.vmFile[vma] = shm;
    }
    t.link(vma, prev);
  }
  vmStatAccount(mm, vmFlags, npages);
  if (vmFlags & VM_LOCKED) {
    if (!(vmFlags & VM_SPECIAL)) mm.lockedVm += npages;
    else t.vmFlags[vma] &= ~(VM_LOCKED | VM_LOCKONFAULT);
  }
  t.vmFlags[vma] = (t.vmFlags[vma] | VM_SOFTDIRTY) >>> 0;
  return 0;
}

/**
 * The default fixedNoreplaceCheck hook: -EEXIST when any VMA overlaps [addr, addr + len), so
 * nothing is clobbered. This is the semantics the seed entry gives ("fails with EEXIST if the
 * given range conflicts with an existing one", "[fail on clashing range with EEXIST as per
 * Florian Weimer]", "mm: introduce MAP_FIXED_NOREPLACE",
 * https://github.com/torvalds/linux/commit/a4ff8e8620d3f4f50ac4b41e8067b7d395056843), and the
 * check do_mmap() has had since "mm: don't clobber partially overlapping VMA with
 * MAP_FIXED_NOREPLACE" (4.19, https://lore.kernel.org/linux-mm/20181010152736.99475-1-jannh@google.com/).
 * The code that shipped in 4.17 is fixedNoreplaceCheckShipped().
 */
export function fixedNoreplaceCheck(vmas: MmStruct['vmas'], addrHigh: number, addrLow: number, lenHigh: number, lenLow: number): number {
  const vma = vmas.findVmaHalves(addrHigh, addrLow);
  if (vma !== 0 && vmas.vmStart[vma] < (addrHigh * 4294967296 + (addrLow >>> 0)) + (lenHigh * 4294967296 + (lenLow >>> 0))) return -ERRNO.EEXIST;
  return 0;
}

/**
 * do_mmap()'s check as 4.17 shipped it: find_vma(addr), and -EEXIST only when that VMA starts
 * at or below addr ("fails with EEXIST if the requested address is already covered by an
 * existing mapping"). A VMA that starts inside (addr, addr + len) is not seen, and MAP_FIXED's
 * unmapping then clobbers it: the bug fixed in 4.19 (fixedNoreplaceCheck()). Select it with
 * `createAddressSpaces(services, { hooks: { fixedNoreplaceCheck: fixedNoreplaceCheckShipped } })`.
 */
export function fixedNoreplaceCheckShipped(vmas: MmStruct['vmas'], addrHigh: number, addrLow: number): number {
  const vma = vmas.findVmaHalves(addrHigh, addrLow);
  if (vma !== 0 && vmas.vmStart[vma] <= (addrHigh * 4294967296 + (addrLow >>> 0))) return -ERRNO.EEXIST;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// brk

/** do_brk_flags(): an anonymous mapping [addr, addr + request) that merges with the heap's VMA. */
export function doBrkFlags(ctx: MmapContext, mm: MmStruct, addr: number, request: number, flags: number): number {
  const t = mm.vmas;
  const len = pageAlign(request);
  if (len === 0) return 0;
  if ((flags & ~VM_EXEC) !== 0) return EINVAL;
  flags |= VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm.defFlags;
  const error = getUnmappedArea(mm, vaHigh(addr), vaLow(addr), vaHigh(len), vaLow(len), MAP_FIXED);
  if (error < 0) return error;
  // mlock_future_check(mm, mm->def_flags, len)
  if (mm.defFlags & VM_LOCKED) {
    const locked = len / PAGE_SIZE + mm.lockedVm;
    if (locked > Math.floor(mm.limits.rlimitMemlock / PAGE_SIZE) && !mm.limits.capIpcLock) return -ERRNO.EAGAIN;
  }
  const end = addr + len;
  let prev = t.findVmaLinks(vaHigh(addr), vaLow(addr), vaHigh(end), vaLow(end));
  while (prev < 0) {
    if (doMunmap(ctx, mm, vaHigh(addr), vaLow(addr), vaHigh(len), vaLow(len))) return ENOMEM;
    prev = t.findVmaLinks(vaHigh(addr), vaLow(addr), vaHigh(end), vaLow(end));
  }
  if (!mayExpandVm(mm, flags, len / PAGE_SIZE)) return ENOMEM;
  if (t.mapCount > mm.limits.maxMapCount) return ENOMEM;
  if (!vmEnoughMemory(ctx, mm, len / PAGE_SIZE)) return ENOMEM;
  flags >>>= 0;
  const pgoff = addr / PAGE_SIZE;
  let vma = vmaMerge(ctx, mm, prev, vaHigh(addr), vaLow(addr), vaHigh(end), vaLow(end), flags, 0, 0, vaHigh(pgoff), vaLow(pgoff));
  if (vma === 0) {
    vma = t.alloc();
    t.vmStart[vma] = addr;
    t.vmEnd[vma] = addr + len;
    t.vmPgoff[vma] = addr / PAGE_SIZE;
    t.vmFlags[vma] = flags;
    t.link(vma, prev);
  }
  mm.totalVm += len / PAGE_SIZE;
  mm.dataVm += len / PAGE_SIZE;
  if (flags & VM_LOCKED) mm.lockedVm += len / PAGE_SIZE;
  t.vmFlags[vma] = (t.vmFlags[vma] | VM_SOFTDIRTY) >>> 0;
  return 0;
}

/** sys_brk(): the new break, or the old one when it cannot move. brk is below 2^52 (the entry clamps larger values, which all fail). */
export function sysBrk(ctx: MmapContext, mm: MmStruct, brk: number, compatBrk: boolean): number {
  const t = mm.vmas;
  // CONFIG_COMPAT_BRK: min_brk is end_data unless the break was randomised at exec.
  const minBrk = compatBrk && !mm.brkRandomized ? mm.endData : mm.startBrk;
  if (brk < minBrk) return mm.brk;
  // check_data_rlimit(rlimit(RLIMIT_DATA), brk, start_brk, end_data, start_data)
  if (mm.limits.rlimitData !== Infinity && (brk - mm.startBrk) + (mm.endData - mm.startData) > mm.limits.rlimitData) return mm.brk;
  const newbrk = pageAlign(brk);
  const oldbrk = pageAlign(mm.brk);
  if (oldbrk !== newbrk) {
    if (brk <= mm.brk) {
      // Always allow shrinking brk.
      if (doMunmap(ctx, mm, vaHigh(newbrk), vaLow(newbrk), vaHigh(oldbrk - newbrk), vaLow(oldbrk - newbrk)) !== 0) return mm.brk;
    } else {
      const next = t.findVma(oldbrk);
      if (next !== 0 && newbrk + PAGE_SIZE > t.vmStartGap(next)) return mm.brk;
      if (doBrkFlags(ctx, mm, oldbrk, newbrk - oldbrk, 0) < 0) return mm.brk;
    }
  }
  mm.brk = brk;
  // mm_populate() of the new part when mm->def_flags has VM_LOCKED (mlockall(MCL_FUTURE)).
  if (newbrk > oldbrk && (mm.defFlags & VM_LOCKED)) mmPopulate(ctx, mm, oldbrk, newbrk - oldbrk);
  return brk;
}


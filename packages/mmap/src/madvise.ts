/**
 * madvise(2): sys_madvise(), madvise_vma(), madvise_behavior() (the advice that changes vm_flags,
 * splitting and merging VMAs), madvise_dontneed_free() and madvise_willneed() of mm/madvise.c
 * (4.17, CONFIG_KSM, CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_MEMORY_FAILURE and CONFIG_SWAP on).
 */
import {
  ERRNO, MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, MADV_HWPOISON, MADV_KEEPONFORK,
  MADV_MERGEABLE, MADV_NOHUGEPAGE, MADV_NORMAL, MADV_RANDOM, MADV_REMOVE, MADV_SEQUENTIAL, MADV_SOFT_OFFLINE, MADV_UNMERGEABLE, MADV_WILLNEED,
  MADV_WIPEONFORK, VM_DONTCOPY, VM_DONTDUMP, VM_HUGEPAGE, VM_HUGETLB, VM_IO, VM_LOCKED, VM_MERGEABLE, VM_MIXEDMAP, VM_NOHUGEPAGE, VM_PFNMAP,
  VM_DONTEXPAND, VM_MAYSHARE, VM_RAND_READ, VM_SEQ_READ, VM_SHARED, VM_SPECIAL, VM_WIPEONFORK, VM_WRITE, vaHigh, vaLow,
} from '@mmkit/core';
import type { MmapContext } from './context.js';
import { unmapPageRange } from './memory.js';
import type { MmStruct } from './mm.js';
import { __splitVma, vmaMerge } from './vma.js';

const PAGE_SIZE = 4096;
const EINVAL = -ERRNO.EINVAL;
const ENOMEM = -ERRNO.ENOMEM;

/** madvise_behavior_valid(). */
export function madviseBehaviorValid(behavior: number): boolean {
  switch (behavior) {
    case MADV_DOFORK: case MADV_DONTFORK: case MADV_NORMAL: case MADV_SEQUENTIAL: case MADV_RANDOM: case MADV_REMOVE: case MADV_WILLNEED:
    case MADV_DONTNEED: case MADV_FREE: case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK: case MADV_KEEPONFORK: case MADV_SOFT_OFFLINE: case MADV_HWPOISON:
      return true;
    default:
      return false;
  }
}

/** madvise_behavior(): the new vm_flags of [start, end) (one VMA), merged or split. The VMA now covering the range's end (*prev), or -errno. */
function madviseBehavior(ctx: MmapContext, mm: MmStruct, vma: number, prev: number, start: number, end: number, behavior: number): number {
  const t = mm.vmas;
  let newFlags = t.vmFlags[vma];
  switch (behavior) {
    case MADV_NORMAL: newFlags = newFlags & ~VM_RAND_READ & ~VM_SEQ_READ; break;
    case MADV_SEQUENTIAL: newFlags = (newFlags & ~VM_RAND_READ) | VM_SEQ_READ; break;
    case MADV_RANDOM: newFlags = (newFlags & ~VM_SEQ_READ) | VM_RAND_READ; break;
    case MADV_DONTFORK: newFlags |= VM_DONTCOPY; break;
    case MADV_DOFORK:
      if (t.vmFlags[vma] & VM_IO) return EINVAL;
      newFlags &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      // Anonymous private memory only.
      if (t.vmFile[vma] !== 0 || (t.vmFlags[vma] & VM_SHARED)) return EINVAL;
      newFlags |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK: newFlags &= ~VM_WIPEONFORK; break;
    case MADV_DONTDUMP: newFlags |= VM_DONTDUMP; break;
    case MADV_DODUMP:
      if (newFlags & VM_SPECIAL) return EINVAL;
      newFlags &= ~VM_DONTDUMP;
      break;
    case MADV_MERGEABLE:
      // ksm_madvise(): not for shared, special or hugetlb VMAs (then the advice is ignored, 0).
      if (!(newFlags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP))) newFlags |= VM_MERGEABLE;
      break;
    case MADV_UNMERGEABLE:
      // unmerge_ksm_pages() has nothing to break here (no KSM pages yet).
      newFlags &= ~VM_MERGEABLE;
      break;
    case MADV_HUGEPAGE:
      // hugepage_madvise()
      newFlags = (newFlags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
      break;
    case MADV_NOHUGEPAGE:
      newFlags = (newFlags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
      break;
  }
  newFlags >>>= 0;
  if (newFlags === t.vmFlags[vma]) return vma;
  const pgoff = t.vmPgoff[vma] + (start - t.vmStart[vma]) / PAGE_SIZE;
  const merged = vmaMerge(ctx, mm, prev, vaHigh(start), vaLow(start), vaHigh(end), vaLow(end), newFlags, t.anonVma[vma], t.vmFile[vma], vaHigh(pgoff), vaLow(pgoff));
  if (merged !== 0) {
    t.vmFlags[merged] = newFlags;
    return merged;
  }
  if (start !== t.vmStart[vma]) {
    if (t.mapCount >= mm.limits.maxMapCount) return ENOMEM;
    const error = __splitVma(mm, vma, vaHigh(start), vaLow(start), true);
    // madvise() returns EAGAIN if kernel resources, such as slab, are temporarily unavailable.
    if (error) return error === ENOMEM ? -ERRNO.EAGAIN : error;
  }
  if (end !== t.vmEnd[vma]) {
    if (t.mapCount >= mm.limits.maxMapCount) return ENOMEM;
    const error = __splitVma(mm, vma, vaHigh(end), vaLow(end), false);
    if (error) return error === ENOMEM ? -ERRNO.EAGAIN : error;
  }
  t.vmFlags[vma] = newFlags;
  return vma;
}

/** can_madv_dontneed_vma(). */
function canMadvDontneedVma(flags: number): boolean {
  return !(flags & (VM_LOCKED | VM_HUGETLB | VM_PFNMAP));
}

/** madvise_vma(): one VMA's part [start, end). The new *prev (a VMA number), 0 when prev is stale (MADV_REMOVE), or -errno. */
function madviseVma(ctx: MmapContext, mm: MmStruct, vma: number, prev: number, start: number, end: number, behavior: number): number {
  const t = mm.vmas;
  switch (behavior) {
    case MADV_REMOVE: {
      // madvise_remove(): punch a hole in a shared writable file mapping (vfs_fallocate()); here only the checks and the unmapping.
      if (t.vmFlags[vma] & VM_LOCKED) return EINVAL;
      if (t.vmFile[vma] === 0) return EINVAL;
      if ((t.vmFlags[vma] & (VM_SHARED | VM_WRITE)) !== (VM_SHARED | VM_WRITE)) return -ERRNO.EACCES;
      unmapPageRange(ctx, mm, vaHigh(start), vaLow(start), vaHigh(end), vaLow(end));
      return 0;
    }
    case MADV_WILLNEED:
      // Readahead (swap-in or page cache): nothing to read in yet.
      return vma;
    case MADV_FREE:
    case MADV_DONTNEED:
      if (!canMadvDontneedVma(t.vmFlags[vma])) return EINVAL;
      if (behavior === MADV_FREE) {
        // madvise_free_single_vma(): anonymous VMAs only. Pages are dropped at once here (no reclaim to defer to).
        if (t.vmFile[vma] !== 0 || t.special[vma] !== 0) return EINVAL;
      }
      unmapPageRange(ctx, mm, vaHigh(start), vaLow(start), vaHigh(end), vaLow(end));
      return vma;
    default:
      return madviseBehavior(ctx, mm, vma, prev, start, end, behavior);
  }
}

/** sys_madvise() on numbers: start and len below 2^52 (the entry judged wrapping values). */
export function sysMadvise(ctx: MmapContext, mm: MmStruct, start: number, lenIn: number, behavior: number): number {
  const t = mm.vmas;
  if (!madviseBehaviorValid(behavior)) return EINVAL;
  if (start % PAGE_SIZE !== 0) return EINVAL;
  const len = lenIn % PAGE_SIZE === 0 ? lenIn : lenIn - (lenIn % PAGE_SIZE) + PAGE_SIZE;
  const end = start + len;
  if (end === start) return 0;
  if (behavior === MADV_HWPOISON || behavior === MADV_SOFT_OFFLINE) {
    // madvise_inject_error() needs CAP_SYS_ADMIN.
    return -ERRNO.EPERM;
  }
  // If [start, end) covers unmapped ranges, ignore them but return -ENOMEM at the end.
  let vma = t.findVma(start);
  let prev = t.prevOf(vma);
  if (vma !== 0 && start > t.vmStart[vma]) prev = vma;
  let unmappedError = 0;
  for (;;) {
    if (vma === 0) return ENOMEM;
    if (start < t.vmStart[vma]) {
      unmappedError = ENOMEM;
      start = t.vmStart[vma];
      if (start >= end) return ENOMEM;
    }
    const tmp = t.vmEnd[vma] < end ? t.vmEnd[vma] : end;
    const ret = madviseVma(ctx, mm, vma, prev, start, tmp, behavior);
    if (ret < 0) return ret;
    prev = ret;
    start = tmp;
    if (prev !== 0 && start < t.vmEnd[prev]) start = t.vmEnd[prev];
    if (start >= end) return unmappedError;
    vma = prev !== 0 ? t.vmNext[prev] : t.findVma(start);
  }
}

/**
 * mlock(2), mlock2(2) and munlock(2) of 4.17 (mm/mlock.c: do_mlock(), apply_vma_lock_flags(),
 * mlock_fixup(), count_mm_mlocked_page_nr(), __mlock_posix_error_return()): VM_LOCKED (and
 * VM_LOCKONFAULT for MLOCK_ONFAULT) set or cleared over a range, splitting and merging VMAs as
 * mprotect() does, locked_vm counted, RLIMIT_MEMLOCK checked, and the range populated through
 * faults (__mm_populate() without ignoring errors). Pages are not marked PG_mlocked: there is
 * no LRU or reclaim yet for it to matter to.
 */
import { ERRNO, VM_HUGETLB, VM_LOCKED, VM_LOCKONFAULT, VM_SPECIAL } from '@mmkit/core';
import type { MmapContext } from './context.js';
import type { MmStruct } from './mm.js';
import { mmPopulate } from './populate.js';
import { pageAlignU64 } from './syscall-args.js';
import { vmaMergeOrSplit } from './vma.js';

const PAGE_SIZE = 4096;
/** VM_LOCKED_CLEAR_MASK. */
const VM_LOCKED_CLEAR_MASK = ~(VM_LOCKED | VM_LOCKONFAULT);

/** count_mm_mlocked_page_nr(): pages of [start, start + len) that VM_LOCKED VMAs cover. */
function countMmMlockedPageNr(mm: MmStruct, start: number, len: number): number {
  const t = mm.vmas;
  let v = t.findVma(start);
  if (v === 0) v = t.head;
  let count = 0;
  for (; v !== 0; v = t.vmNext[v]) {
    if (start >= t.vmEnd[v]) continue;
    if (start + len <= t.vmStart[v]) break;
    if (t.vmFlags[v] & VM_LOCKED) {
      if (start > t.vmStart[v]) count -= start - t.vmStart[v];
      if (start + len < t.vmEnd[v]) {
        count += start + len - t.vmStart[v];
        break;
      }
      count += t.vmEnd[v] - t.vmStart[v];
    }
  }
  return Math.floor(count / PAGE_SIZE);
}

/** mlock_fixup(): give [start, end) of vma newflags; the VMA that now covers the range end (the new *prev), or -errno. */
function mlockFixup(ctx: MmapContext, mm: MmStruct, vma: number, prev: number, start: number, end: number, newflags: number): number {
  const t = mm.vmas;
  const oldFlags = t.vmFlags[vma];
  newflags >>>= 0;
  // Don't set VM_LOCKED or VM_LOCKONFAULT and don't count (a special mapping, hugetlb).
  if (newflags === oldFlags || (oldFlags & VM_SPECIAL) || (oldFlags & VM_HUGETLB) || t.special[vma] !== 0) return vma;
  const covering = vmaMergeOrSplit(ctx, mm, prev, vma, start, end, newflags);
  if (covering < 0) return covering;
  vma = covering;
  // Keep track of the amount of locked VM.
  let nrPages = (end - start) / PAGE_SIZE;
  if (!(newflags & VM_LOCKED)) nrPages = -nrPages;
  else if (oldFlags & VM_LOCKED) nrPages = 0;
  mm.lockedVm += nrPages;
  t.vmFlags[vma] = newflags; // mlock: vma->vm_flags = newflags; munlock_vma_pages_range(): &= VM_LOCKED_CLEAR_MASK
  return vma;
}

/** apply_vma_lock_flags(): 0 or -errno (ENOMEM for a hole, EINVAL for a range that wraps). */
function applyVmaLockFlags(ctx: MmapContext, mm: MmStruct, start: number, len: number, flags: number): number {
  const t = mm.vmas;
  const end = start + len;
  if (end === start) return 0;
  let vma = t.findVma(start);
  if (vma === 0 || t.vmStart[vma] > start) return -ERRNO.ENOMEM;
  let prev = t.vmPrev[vma];
  if (start > t.vmStart[vma]) prev = vma;
  for (let nstart = start; ;) {
    const newflags = ((t.vmFlags[vma] & VM_LOCKED_CLEAR_MASK) | flags) >>> 0;
    const tmp = Math.min(t.vmEnd[vma], end);
    const r = mlockFixup(ctx, mm, vma, prev, nstart, tmp, newflags);
    if (r < 0) return r;
    prev = r;
    nstart = tmp;
    if (nstart < t.vmEnd[prev]) nstart = t.vmEnd[prev];
    if (nstart >= end) return 0;
    vma = t.vmNext[prev];
    if (vma === 0 || t.vmStart[vma] !== nstart) return -ERRNO.ENOMEM;
  }
}

/** The range of an mlock/munlock call: PAGE_ALIGN(len + offset_in_page(start)) and start & PAGE_MASK, in unsigned long arithmetic; null when it wraps past 2^64 (EINVAL) or lies beyond every VMA (2^52 and up). */
function lockRange(start: bigint, len: bigint): { start: number; len: number; wraps: boolean } {
  const l = pageAlignU64(BigInt.asUintN(64, len + (start & 0xfffn)));
  const s = start & ~0xfffn;
  const wraps = s + l >= 2n ** 64n;
  return { start: s < 2n ** 52n ? Number(s) : 2 ** 52, len: l < 2n ** 52n ? Number(l) : 2 ** 52, wraps };
}

/** do_mlock(): 0 or -errno. */
export function doMlock(ctx: MmapContext, mm: MmStruct, start: bigint, len: bigint, flags: number): number {
  const l = mm.limits;
  if (l.rlimitMemlock === 0 && !l.capIpcLock) return -ERRNO.EPERM; // can_do_mlock()
  const r = lockRange(start, len);
  const lockLimit = Math.floor(l.rlimitMemlock / PAGE_SIZE);
  let locked = r.len / PAGE_SIZE + mm.lockedVm;
  // Pages already locked in the range do not count twice.
  if (locked > lockLimit && !l.capIpcLock) locked -= countMmMlockedPageNr(mm, r.start, r.len);
  if (!(locked <= lockLimit || l.capIpcLock)) return -ERRNO.ENOMEM;
  if (r.wraps) return -ERRNO.EINVAL;
  const error = applyVmaLockFlags(ctx, mm, r.start, r.len, flags);
  if (error) return error;
  const populated = mmPopulate(ctx, mm, r.start, r.len, false);
  // __mlock_posix_error_return().
  if (populated === -ERRNO.EFAULT) return -ERRNO.ENOMEM;
  if (populated === -ERRNO.ENOMEM) return -ERRNO.EAGAIN;
  return populated;
}

/** sys_munlock(): 0 or -errno. */
export function doMunlock(ctx: MmapContext, mm: MmStruct, start: bigint, len: bigint): number {
  const r = lockRange(start, len);
  if (r.wraps) return -ERRNO.EINVAL;
  return applyVmaLockFlags(ctx, mm, r.start, r.len, 0);
}

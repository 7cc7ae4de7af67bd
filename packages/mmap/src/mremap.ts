/**
 * mremap(2): sys_mremap(), mremap_to(), vma_to_resize(), vma_expandable() and move_vma() of
 * mm/mremap.c, copy_vma() of mm/mmap.c (4.17); move_page_tables() moves the entries.
 */
import {
  ERRNO, MAP_FIXED, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE, NO_SLOT, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, PG_LEVEL_512G,
  VM_ACCOUNT, VM_DONTEXPAND, VM_LOCKED, VM_MAYSHARE, VM_PFNMAP, VM_SHARED, vaHigh, vaLow,
} from '@mmkit/core';
import { archOf, type MmapContext } from './context.js';
import type { MmStruct } from './mm.js';
import { doMunmap as doMunmapHalves, getUnmappedArea as getUnmappedAreaHalves, vmEnoughMemory } from './mmap.js';
import { mayExpandVm, vmStatAccount, vmaMerge } from './vma.js';

const PAGE_SIZE = 4096;
const EINVAL = -ERRNO.EINVAL;
const ENOMEM = -ERRNO.ENOMEM;
const EFAULT = -ERRNO.EFAULT;

function offsetInPage(x: number): boolean {
  return x % PAGE_SIZE !== 0;
}

/** do_munmap() of mmap.ts, which takes its arguments as vaHigh()/vaLow() halves (mremap is no hot path). */
function doMunmap(ctx: MmapContext, mm: MmStruct, start: number, len: number): number {
  return doMunmapHalves(ctx, mm, vaHigh(start), vaLow(start), vaHigh(len), vaLow(len));
}

/** get_unmapped_area() of mmap.ts as Linux returns it: the address, or -errno. */
function getUnmappedArea(mm: MmStruct, addr: number, len: number, flags: number): number {
  const error = getUnmappedAreaHalves(mm, vaHigh(addr), vaLow(addr), vaHigh(len), vaLow(len), flags);
  return error < 0 ? error : mm.vmas.addrOut[0];
}

/** vma_is_anonymous(): no vm_ops (no file, no special mapping; MAP_SHARED anonymous memory is a shmem file). */
function vmaIsAnonymous(mm: MmStruct, v: number): boolean {
  return mm.vmas.vmFile[v] === 0 && mm.vmas.special[v] === 0;
}

/** The next boundary of size after addr, or end. */
function nextBoundary(addr: number, size: number, end: number): number {
  const b = addr - (addr % size) + size;
  return b < end ? b : end;
}

/**
 * move_page_tables(): the entries of [oldAddr, oldAddr + len) move to newAddr (tables allocated
 * as needed). Returns the length moved: less than len when a table could not be allocated.
 */
function movePageTables(ctx: MmapContext, mm: MmStruct, oldAddr: number, newAddr: number, len: number): number {
  const arch = archOf(ctx);
  const pgd = mm.pgd;
  const end = oldAddr + len;
  let addr = oldAddr;
  while (addr < end) {
    // Skip what no table maps, level by level.
    let skip = 0;
    const high = vaHigh(addr);
    const low = vaLow(addr);
    const pgdSlot = arch.lookup(pgd, high, low, PG_LEVEL_512G);
    if (arch.pteNone(arch.readEntryLow(pgdSlot), arch.readEntryHigh(pgdSlot))) skip = 2 ** 39;
    else {
      const pud = arch.lookup(pgd, high, low, PG_LEVEL_1G);
      if (pud === NO_SLOT || arch.pteNone(arch.readEntryLow(pud), arch.readEntryHigh(pud))) skip = 2 ** 30;
      else {
        const pmd = arch.lookup(pgd, high, low, PG_LEVEL_2M);
        if (pmd === NO_SLOT || arch.pteNone(arch.readEntryLow(pmd), arch.readEntryHigh(pmd))) skip = 2 ** 21;
      }
    }
    if (skip !== 0) {
      addr = nextBoundary(addr, skip, end);
      continue;
    }
    const pmdEnd = nextBoundary(addr, 2 ** 21, end);
    let slot = arch.lookup(pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K);
    for (; addr < pmdEnd; addr += PAGE_SIZE, slot++) {
      const low = arch.readEntryLow(slot);
      const high = arch.readEntryHigh(slot);
      if (arch.pteNone(low, high)) continue;
      const to = newAddr + (addr - oldAddr);
      const dst = arch.alloc(pgd, vaHigh(to), vaLow(to), PG_LEVEL_4K);
      if (dst === NO_SLOT) return addr - oldAddr;
      arch.clearEntry(slot); // ptep_get_and_clear()
      arch.setEntry(dst, low, high);
    }
  }
  return len;
}

/** copy_vma(): a VMA for [addr, addr + len) like vma (merged with a neighbour when it can be, which may absorb vma itself). */
function copyVma(ctx: MmapContext, mm: MmStruct, vma: number, addr: number, len: number, pgoff: number): number {
  const t = mm.vmas;
  // An anonymous VMA not yet faulted takes a pgoff that matches its new place, to merge more often.
  if (vmaIsAnonymous(mm, vma) && t.anonVma[vma] === 0) pgoff = addr / PAGE_SIZE;
  const end = addr + len;
  const prev = t.findVmaLinks(vaHigh(addr), vaLow(addr), vaHigh(end), vaLow(end));
  if (prev < 0) throw new Error('kernel bug: copy_vma() onto a mapped range');
  const merged = vmaMerge(ctx, mm, prev, vaHigh(addr), vaLow(addr), vaHigh(end), vaLow(end), t.vmFlags[vma], t.anonVma[vma], t.vmFile[vma], vaHigh(pgoff), vaLow(pgoff));
  if (merged !== 0) return merged;
  const n = t.alloc();
  t.copyFields(n, vma);
  t.vmStart[n] = addr;
  t.vmEnd[n] = addr + len;
  t.vmPgoff[n] = pgoff;
  if (t.vmFile[n] !== 0) mm.files.get(t.vmFile[n]);
  t.link(n, prev);
  return n;
}

/** move_vma(): the new address, or -errno. */
function moveVma(ctx: MmapContext, mm: MmStruct, vma: number, oldAddr: number, oldLen: number, newLen: number, newAddr: number): number {
  const t = mm.vmas;
  const vmFlags = t.vmFlags[vma];
  // We'd prefer to avoid failure later on in do_munmap, which may split one vma into three.
  if (t.mapCount >= mm.limits.maxMapCount - 3) return ENOMEM;
  const special = t.special[vma];
  const oldSize = t.vmEnd[vma] - t.vmStart[vma];
  const newPgoff = t.vmPgoff[vma] + (oldAddr - t.vmStart[vma]) / PAGE_SIZE;
  copyVma(ctx, mm, vma, newAddr, newLen, newPgoff);
  const moved = movePageTables(ctx, mm, oldAddr, newAddr, oldLen);
  let err = 0;
  if (moved < oldLen) err = ENOMEM;
  else if (special !== 0 && mm.specialNames[special - 1] === '[vdso]' && newLen !== oldSize) err = EINVAL; // vdso_mremap(): the image's size only
  if (err) {
    // Move the entries back and unmap the new area instead of the old.
    movePageTables(ctx, mm, newAddr, oldAddr, moved);
    oldLen = newLen;
    oldAddr = newAddr;
    newAddr = err;
  }
  // vma->vm_flags: the source's or, after a failure, the new VMA's: a merge needs equal flags, so vm_flags either way.
  vmStatAccount(mm, vmFlags, newLen / PAGE_SIZE);
  doMunmap(ctx, mm, oldAddr, oldLen);
  if (vmFlags & VM_LOCKED) mm.lockedVm += newLen / PAGE_SIZE;
  return newAddr;
}

/** vma_to_resize(): the VMA at addr that may take new_len, or -errno. */
function vmaToResize(ctx: MmapContext, mm: MmStruct, addr: number, oldLen: number, newLen: number): number {
  const t = mm.vmas;
  const vma = t.findVma(addr);
  if (vma === 0 || t.vmStart[vma] > addr) return EFAULT;
  // A zero old_len duplicates a shared mapping; a private one cannot be duplicated.
  if (oldLen === 0 && !(t.vmFlags[vma] & (VM_SHARED | VM_MAYSHARE))) return EINVAL;
  if (oldLen > t.vmEnd[vma] - addr) return EFAULT;
  if (newLen === oldLen) return vma;
  if (t.vmFlags[vma] & (VM_DONTEXPAND | VM_PFNMAP)) return EFAULT;
  if (t.vmFlags[vma] & VM_LOCKED) {
    const locked = mm.lockedVm * PAGE_SIZE + newLen - oldLen;
    if (locked > mm.limits.rlimitMemlock && !mm.limits.capIpcLock) return -ERRNO.EAGAIN;
  }
  if (!mayExpandVm(mm, t.vmFlags[vma], (newLen - oldLen) / PAGE_SIZE)) return ENOMEM;
  if (t.vmFlags[vma] & VM_ACCOUNT) {
    if (!vmEnoughMemory(ctx, mm, (newLen - oldLen) / PAGE_SIZE)) return ENOMEM;
  }
  return vma;
}

/** mremap_to(): MREMAP_FIXED. */
function mremapTo(ctx: MmapContext, mm: MmStruct, addr: number, oldLen: number, newAddr: number, newLen: number): number {
  const taskSize = mm.limits.taskSize;
  if (offsetInPage(newAddr)) return EINVAL;
  if (newLen > taskSize || newAddr > taskSize - newLen) return EINVAL;
  // The old and new locations must not overlap.
  if (addr + oldLen > newAddr && newAddr + newLen > addr) return EINVAL;
  let ret = doMunmap(ctx, mm, newAddr, newLen);
  if (ret) return ret;
  if (oldLen >= newLen) {
    ret = doMunmap(ctx, mm, addr + newLen, oldLen - newLen);
    if (ret && oldLen !== newLen) return ret;
    oldLen = newLen;
  }
  const vma = vmaToResize(ctx, mm, addr, oldLen, newLen);
  if (vma < 0) return vma;
  const t = mm.vmas;
  let mapFlags = MAP_FIXED;
  if (t.vmFlags[vma] & VM_MAYSHARE) mapFlags |= MAP_SHARED;
  ret = getUnmappedArea(mm, newAddr, newLen, mapFlags);
  if (ret < 0 || offsetInPage(ret)) return ret;
  return moveVma(ctx, mm, vma, addr, oldLen, newLen, newAddr);
}

/** vma_expandable(): nothing after the VMA up to its new end, and get_unmapped_area() agrees. */
function vmaExpandable(mm: MmStruct, vma: number, delta: number): boolean {
  const t = mm.vmas;
  const end = t.vmEnd[vma] + delta;
  const next = t.vmNext[vma];
  if (next !== 0 && t.vmStart[next] < end) return false;
  const got = getUnmappedArea(mm, t.vmStart[vma], end - t.vmStart[vma], MAP_FIXED);
  return !(got < 0 || offsetInPage(got));
}

/** sys_mremap(): the entry has reduced lengths and addresses above 2^52 to values these checks judge alike. */
export function sysMremap(ctx: MmapContext, mm: MmStruct, addr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  const t = mm.vmas;
  if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE)) return EINVAL;
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return EINVAL;
  if (offsetInPage(addr)) return EINVAL;
  oldLen = pageAlignLen(oldLen);
  newLen = pageAlignLen(newLen);
  // A zero old_len duplicates a shared area (the DOS-emu case); a zero new_len is nonsense.
  if (newLen === 0) return EINVAL;
  if (flags & MREMAP_FIXED) return mremapTo(ctx, mm, addr, oldLen, newAddr, newLen);
  // Always allow a shrinking remap: that just unmaps the unnecessary pages.
  if (oldLen >= newLen) {
    const ret = doMunmap(ctx, mm, addr + newLen, oldLen - newLen);
    if (ret && oldLen !== newLen) return ret;
    return addr;
  }
  const vma = vmaToResize(ctx, mm, addr, oldLen, newLen);
  if (vma < 0) return vma;
  // old_len exactly to the end of the area: can it just grow in place?
  if (oldLen === t.vmEnd[vma] - addr && vmaExpandable(mm, vma, newLen - oldLen)) {
    const pages = (newLen - oldLen) / PAGE_SIZE;
    // vma_adjust(vma, vma->vm_start, addr + new_len, ...): no merge with the next VMA.
    t.vmEnd[vma] = addr + newLen;
    t.boundsChanged(vma);
    vmStatAccount(mm, t.vmFlags[vma], pages);
    if (t.vmFlags[vma] & VM_LOCKED) mm.lockedVm += pages;
    return addr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return ENOMEM;
  let mapFlags = 0;
  if (t.vmFlags[vma] & VM_MAYSHARE) mapFlags |= MAP_SHARED;
  const to = getUnmappedArea(mm, 0, newLen, mapFlags);
  if (to < 0 || offsetInPage(to)) return to;
  return moveVma(ctx, mm, vma, addr, oldLen, newLen, to);
}

/** PAGE_ALIGN() of a length below 2^52. */
function pageAlignLen(x: number): number {
  const r = x % PAGE_SIZE;
  return r === 0 ? x : x - r + PAGE_SIZE;
}

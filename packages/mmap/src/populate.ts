/**
 * mm_populate() (mm/gup.c of 4.17: __mm_populate(), populate_vma_page_range(), the loop of
 * __get_user_pages() with faultin_page()): fault in every page of a range, as MAP_POPULATE,
 * MAP_LOCKED, mlock and a locked brk or mremap ask. A private writable VMA is populated for
 * writing (FOLL_WRITE: its own pages, not the zero page), any other for reading; errors are
 * ignored (ignore_errors): a VMA that cannot be populated (PROT_NONE without FOLL_FORCE, a file
 * page with no page cache, an allocation that fails) is left as it is and the next one populated.
 */
import {
  ERRNO, FAULT_FLAG_WRITE, NO_SLOT, PG_LEVEL_2M, PG_LEVEL_4K, VM_EXEC, VM_FAULT_ERROR, VM_FAULT_OOM, VM_IO, VM_LOCKONFAULT, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE,
  vaHigh, vaLow,
} from '@mmkit/core';
import { archOf, type MmapContext } from './context.js';
import { handleMmFault } from './fault.js';
import type { MmStruct } from './mm.js';

const PAGE_SIZE = 4096;

/** follow_page_mask() for populate: is the page there already, writable if a write is asked? */
function pagePresent(ctx: MmapContext, mm: MmStruct, high: number, low: number, write: boolean): boolean {
  const arch = archOf(ctx);
  const pmd = arch.lookup(mm.pgd, high, low, PG_LEVEL_2M);
  if (pmd === NO_SLOT || arch.pteNone(arch.readEntryLow(pmd), arch.readEntryHigh(pmd))) return false;
  const slot = arch.lookup(mm.pgd, high, low, PG_LEVEL_4K);
  if (slot === NO_SLOT) return false;
  const pte = arch.readEntryLow(slot);
  if (!arch.ptePresent(pte) || arch.pteProtnone(pte)) return false;
  return !write || arch.pteWrite(pte);
}

/** populate_vma_page_range() of [start, end) inside VMA v: 0, or -errno at the first fault that fails (the rest of the VMA is skipped). */
function populateVmaPageRange(ctx: MmapContext, mm: MmStruct, v: number, start: number, end: number): number {
  const flags = mm.vmas.vmFlags[v];
  const write = (flags & (VM_WRITE | VM_SHARED)) === VM_WRITE; // FOLL_WRITE
  // check_vma_flags(): without FOLL_FORCE (no VM_READ, VM_WRITE or VM_EXEC) an unreadable VMA is -EFAULT.
  if (!(flags & VM_READ) && !(flags & (VM_WRITE | VM_EXEC))) return -ERRNO.EFAULT;
  // VM_LOCKONFAULT drops FOLL_POPULATE: present pages are locked, none is faulted in (faultin_page()'s -ENOENT).
  if (flags & VM_LOCKONFAULT) return 0;
  for (let addr = start; addr < end; addr += PAGE_SIZE) {
    const high = vaHigh(addr);
    const low = vaLow(addr);
    if (pagePresent(ctx, mm, high, low, write)) continue;
    const ret = handleMmFault(ctx, mm, v, high, low, write ? FAULT_FLAG_WRITE : 0); // faultin_page()
    // vm_fault_to_errno().
    if (ret & VM_FAULT_OOM) return -ERRNO.ENOMEM;
    if (ret & VM_FAULT_ERROR) return -ERRNO.EFAULT;
  }
  return 0;
}

/** __mm_populate(start, len, ignore_errors): 0, or (not ignoring errors) the first -errno. */
export function mmPopulate(ctx: MmapContext, mm: MmStruct, start: number, len: number, ignoreErrors = true): number {
  if (!ctx.hooks.populate) return 0;
  const t = mm.vmas;
  const end = start + len;
  let nend = 0;
  for (let nstart = start; nstart < end; nstart = nend) {
    const v = t.findVma(nstart);
    if (v === 0 || t.vmStart[v] >= end) break;
    nend = Math.min(end, t.vmEnd[v]);
    if (t.vmFlags[v] & (VM_IO | VM_PFNMAP)) continue;
    if (nstart < t.vmStart[v]) nstart = t.vmStart[v];
    const ret = populateVmaPageRange(ctx, mm, v, nstart, nend);
    if (ret < 0 && !ignoreErrors) return ret; // else on with the next VMA
  }
  return 0;
}

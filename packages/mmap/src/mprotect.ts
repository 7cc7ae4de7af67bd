/**
 * mprotect(2): do_mprotect_pkey() and mprotect_fixup() of mm/mprotect.c (4.17), with
 * change_protection() over the page tables (pte_modify() of every present entry).
 */
import {
  ERRNO, NO_SLOT, PG_LEVEL_4K, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
  VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_HUGETLB, VM_NORESERVE, VM_READ, VM_SHARED, VM_WRITE, calcVmProtBits, vaHigh, vaLow,
} from '@mmkit/core';
import { archOf, type MmapContext } from './context.js';
import { PMD_SIZE, nextBoundary } from './memory.js';
import type { MmStruct } from './mm.js';
import { vmEnoughMemory } from './mmap.js';
import { mayExpandVm, vmStatAccount, vmaMergeOrSplit } from './vma.js';

const PAGE_SIZE = 4096;

/** change_protection() of [start, end): every present PTE gets newprot (pte_modify()); NUMA-hinting entries are not made here. */
function changeProtection(ctx: MmapContext, mm: MmStruct, start: number, end: number, vmFlags: number): void {
  const arch = archOf(ctx);
  const newprot = arch.vmGetPageProt(vmFlags);
  let addr = start;
  while (addr < end) {
    const pmdEnd = nextBoundary(addr, PMD_SIZE, end);
    let slot = arch.lookup(mm.pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K); // one walk: NO_SLOT when the PMD has no PTE table
    if (slot !== NO_SLOT) {
      for (let a = addr; a < pmdEnd; a += PAGE_SIZE, slot++) {
        const low = arch.readEntryLow(slot);
        if (arch.ptePresent(low)) {
          // protection_map[] makes a private writable VMA's entries read-only (copy on write).
          arch.setEntry(slot, arch.pteModifyLow(low, newprot), arch.pteModifyHigh(arch.readEntryHigh(slot), newprot));
        }
      }
    }
    addr = pmdEnd;
  }
}

/** mprotect_fixup(): give [start, end) of vma (one VMA) newflags, merging or splitting: the VMA that now covers the range (the new *pprev), or -errno. */
function mprotectFixup(ctx: MmapContext, mm: MmStruct, vma: number, prev: number, start: number, end: number, newflags: number): number {
  const t = mm.vmas;
  const oldflags = t.vmFlags[vma];
  const nrpages = (end - start) / PAGE_SIZE;
  newflags >>>= 0;
  if (newflags === oldflags) return vma;
  if (newflags & VM_WRITE) {
    // Check space limits when the area turns into data.
    if (!mayExpandVm(mm, newflags, nrpages) && mayExpandVm(mm, oldflags, nrpages)) return -ERRNO.ENOMEM;
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) {
      if (!vmEnoughMemory(ctx, mm, nrpages)) return -ERRNO.ENOMEM;
      newflags = (newflags | VM_ACCOUNT) >>> 0;
    }
  }
  const covering = vmaMergeOrSplit(ctx, mm, prev, vma, start, end, newflags);
  if (covering < 0) return covering;
  vma = covering;
  t.vmFlags[vma] = newflags;
  changeProtection(ctx, mm, start, end, newflags);
  // populate_vma_page_range() of a VM_LOCKED private VMA turning writable: faults come with the next step.
  vmStatAccount(mm, oldflags, -nrpages);
  vmStatAccount(mm, newflags, nrpages);
  return vma;
}

/** do_mprotect_pkey() with pkey -1 (mprotect(2)): start and len below 2^52 here (the entry judged larger values). */
export function doMprotect(ctx: MmapContext, mm: MmStruct, start: number, len: number, prot: number): number {
  const t = mm.vmas;
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return -ERRNO.EINVAL;
  if (start % PAGE_SIZE !== 0) return -ERRNO.EINVAL;
  if (len === 0) return 0;
  len = len % PAGE_SIZE === 0 ? len : len - (len % PAGE_SIZE) + PAGE_SIZE;
  const end = start + len;
  if (end <= start) return -ERRNO.ENOMEM;
  // arch_validate_prot()
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) !== 0) return -ERRNO.EINVAL;
  const reqprot = prot;
  let vma = t.findVma(start);
  if (vma === 0) return -ERRNO.ENOMEM;
  let prev = t.vmPrev[vma];
  if (grows & PROT_GROWSDOWN) {
    if (t.vmStart[vma] >= end) return -ERRNO.ENOMEM;
    start = t.vmStart[vma];
    if (!(t.vmFlags[vma] & VM_GROWSDOWN)) return -ERRNO.EINVAL;
  } else {
    if (t.vmStart[vma] > start) return -ERRNO.ENOMEM;
    if (grows & PROT_GROWSUP) return -ERRNO.EINVAL; // end = vma->vm_end, but x86 has no VM_GROWSUP
  }
  if (start > t.vmStart[vma]) prev = vma;
  for (let nstart = start; ;) {
    // READ_IMPLIES_EXEC is not in the personality: prot stays as asked.
    const newflags = (calcVmProtBits(prot) | (t.vmFlags[vma] & ~(VM_READ | VM_WRITE | VM_EXEC))) >>> 0;
    // newflags >> 4 shifts VM_MAY% in place of VM_%.
    if ((newflags & ~(newflags >>> 4)) & (VM_READ | VM_WRITE | VM_EXEC)) return -ERRNO.EACCES;
    const tmp = t.vmEnd[vma] > end ? end : t.vmEnd[vma];
    const fixed = mprotectFixup(ctx, mm, vma, prev, nstart, tmp, newflags);
    if (fixed < 0) return fixed;
    prev = fixed;
    nstart = tmp;
    if (nstart < t.vmEnd[prev]) nstart = t.vmEnd[prev];
    if (nstart >= end) return 0;
    vma = t.vmNext[prev];
    if (vma === 0 || t.vmStart[vma] !== nstart) return -ERRNO.ENOMEM;
    prot = reqprot;
  }
}

/**
 * fork's copy of an address space (kernel/fork.c of 4.17: dup_mmap(); mm/memory.c:
 * copy_page_range() and copy_one_pte()). Private writable memory becomes copy on write: the
 * present anonymous PTEs are write-protected in parent and child, each page gains a mapping
 * and a reference, and the first write on either side copies (or reuses) it in do_wp_page().
 */
import {
  ERRNO, NO_SLOT, PG_LEVEL_4K, VM_DONTCOPY, VM_HUGETLB, VM_LOCKED, VM_LOCKONFAULT, VM_MAYWRITE, VM_MIXEDMAP, VM_PFNMAP, VM_SHARED, VM_WIPEONFORK, vaHigh, vaLow,
} from '@mmkit/core';
import { archOf, type MmapContext } from './context.js';
import { PMD_SIZE, nextBoundary } from './memory.js';
import type { MmStruct } from './mm.js';
import { mmCounter, pageDupRmap } from './rmap.js';
import { anonVmaPrepare, vmStatAccount, vmaPages } from './vma.js';

const PAGE_SIZE = 4096;

/** is_cow_mapping(): private and may become writable. */
export function isCowMapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/** copy_page_range() of the parent's VMA sv into the child: 0, or -ENOMEM when a table cannot be allocated. */
function copyPageRange(ctx: MmapContext, dst: MmStruct, src: MmStruct, sv: number): number {
  const t = src.vmas;
  const flags = t.vmFlags[sv];
  // Don't copy ptes where a page fault will fill them correctly.
  if (!(flags & (VM_HUGETLB | VM_PFNMAP | VM_MIXEDMAP)) && t.anonVma[sv] === 0) return 0;
  const arch = archOf(ctx);
  const pages = ctx.services.pages;
  const cow = isCowMapping(flags);
  const end = t.vmEnd[sv];
  let addr = t.vmStart[sv];
  while (addr < end) {
    const pmdEnd = nextBoundary(addr, PMD_SIZE, end);
    let s = arch.lookup(src.pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K); // one walk: NO_SLOT when the PMD has no PTE table
    if (s === NO_SLOT) {
      addr = pmdEnd;
      continue;
    }
    // The child's PTE table for this PMD, allocated at the first entry to copy (copy_pte_range()).
    let d = NO_SLOT;
    let dAddr = 0;
    for (; addr < pmdEnd; addr += PAGE_SIZE, s++) {
      let pte = arch.readEntryLow(s);
      const high = arch.readEntryHigh(s);
      if (arch.pteNone(pte, high)) continue;
      if (d === NO_SLOT) {
        d = arch.alloc(dst.pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K);
        if (d === NO_SLOT) return -ERRNO.ENOMEM;
        dAddr = addr;
      }
      if (arch.ptePresent(pte)) {
        if (cow) {
          const wp = arch.pteWrprotect(pte);
          if (wp !== pte) {
            arch.setEntry(s, wp, high); // ptep_set_wrprotect()
            pte = wp;
          }
        }
        if (flags & VM_SHARED) pte = arch.pteMkclean(pte);
        pte = arch.pteMkold(pte);
        if (!arch.pteSpecial(pte)) {
          // vm_normal_page(): get_page(), page_dup_rmap(), rss[mm_counter(page)]++.
          const pfn = arch.ptePfn(pte, high);
          pageDupRmap(pages, pfn);
          dst.rss[mmCounter(pages, pfn)]++;
        }
      }
      // A swap entry would be swap_duplicate()d and counted in MM_SWAPENTS: none are made yet.
      arch.setEntry(d + (addr - dAddr) / PAGE_SIZE, pte, high);
    }
  }
  return 0;
}

/**
 * dup_mmap(): the child mm (created empty, with the parent's layout) gets a copy of every VMA
 * but the VM_DONTCOPY ones (MADV_DONTFORK), VM_LOCKED dropped; a VM_WIPEONFORK VMA gets a fresh
 * anon_vma and no pages; the others their page tables copied. 0, or -ENOMEM (the caller then
 * tears the child down, as dup_mm()'s mmput()).
 */
export function dupMmap(ctx: MmapContext, mm: MmStruct, oldmm: MmStruct): number {
  const ot = oldmm.vmas;
  const t = mm.vmas;
  mm.totalVm = oldmm.totalVm;
  mm.dataVm = oldmm.dataVm;
  mm.execVm = oldmm.execVm;
  mm.stackVm = oldmm.stackVm;
  mm.files.forkFrom(oldmm.files);
  let prev = 0;
  let err = 0;
  for (let mpnt = ot.head; mpnt !== 0; mpnt = ot.vmNext[mpnt]) {
    const flags = ot.vmFlags[mpnt];
    if (flags & VM_DONTCOPY) {
      vmStatAccount(mm, flags, -vmaPages(ot, mpnt));
      continue;
    }
    const tmp = t.alloc();
    t.vmStart[tmp] = ot.vmStart[mpnt];
    t.vmEnd[tmp] = ot.vmEnd[mpnt];
    t.vmPgoff[tmp] = ot.vmPgoff[mpnt];
    t.vmFlags[tmp] = (flags & ~(VM_LOCKED | VM_LOCKONFAULT)) >>> 0;
    t.vmFile[tmp] = ot.vmFile[mpnt];
    t.special[tmp] = ot.special[mpnt];
    if (flags & VM_WIPEONFORK) {
      // VM_WIPEONFORK gets a clean slate in the child.
      t.anonVma[tmp] = 0;
      t.anonChain[tmp] = 0;
    } else if (ot.anonVma[mpnt] !== 0) {
      // anon_vma_fork(): a new anon_vma, chained to the parent's.
      t.anonVma[tmp] = ctx.nextAnonVma++;
      t.anonChain[tmp] = Math.min(ot.anonChain[mpnt] + 1, 0xffff);
    }
    if (t.vmFile[tmp] !== 0) mm.files.get(t.vmFile[tmp]);
    t.link(tmp, prev);
    prev = tmp;
    if (flags & VM_WIPEONFORK) {
      anonVmaPrepare(ctx, mm, tmp);
    } else {
      err = copyPageRange(ctx, mm, oldmm, mpnt);
      if (err) break;
    }
  }
  mm.files.dropUnreferenced();
  return err;
}

/**
 * Page faults of 4.17: the x86-64 entry (arch/x86/mm/fault.c: __do_page_fault() and
 * access_error() for a user access), stack growth (mm/mmap.c: expand_downwards(),
 * acct_stack_growth()), and mm/memory.c's handle_mm_fault() -> __handle_mm_fault() ->
 * handle_pte_fault() with do_anonymous_page(), do_wp_page(), wp_page_reuse() and
 * wp_page_copy(). Nothing here allocates a JavaScript object: a fault is typed-array reads and
 * writes, the page allocator and the arch's entry helpers, and what crosses a call is int32s
 * (the address as its vaHigh()/vaLow() halves, an entry as its two words): V8 would box a
 * 47-bit address or an entry with NX as a double (a HeapNumber) at each call it does not inline.
 *
 * Not modelled yet: file and shmem pages (do_fault() needs the page cache: a fault in a file or
 * shared mapping is VM_FAULT_SIGBUS, as filemap_fault() past i_size), swap entries (no swap
 * subsystem: do_swap_page() is never reached), NUMA hinting faults and transparent huge pages
 * (never created here), and the "%sp" check of __do_page_fault() (the process API has no stack
 * pointer: an access below the stack is judged as if %sp were at it).
 */
import {
  ERRNO, FAULT_FLAG_WRITE, FAULT_HANDLED, FAULT_OOM, FAULT_SIGBUS, FAULT_SIGSEGV_ACCERR, FAULT_SIGSEGV_MAPERR, GFP_HIGHUSER_MOVABLE, MM_ANONPAGES,
  NO_PAGE, NO_SLOT, PAGE_MAPPING_ANON, PG_LEVEL_2M, PG_LEVEL_4K, VM_EXEC, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, VM_FAULT_WRITE,
  VM_GROWSDOWN, VM_LOCKED, VM_READ, VM_SHARED, VM_WRITE, __GFP_ZERO, vaJoin,
} from '@mmkit/core';
import { archOf, zeroPfnOf, type MmapContext } from './context.js';
import type { MmStruct } from './mm.js';
import { vmEnoughMemory } from './mmap.js';
import { mmCounter, pageAddNewAnonRmap, pageMapcount, pageRemoveRmap, putPage } from './rmap.js';
import { addMmCounterFast, checkSyncRssStat } from './rss.js';
import { anonVmaPrepare, mayExpandVm, vmStatAccount } from './vma.js';

const PAGE_SIZE = 4096;

/** vma_is_anonymous(): no file, no special mapping. */
function vmaIsAnonymous(mm: MmStruct, v: number): boolean {
  return mm.vmas.vmFile[v] === 0 && mm.vmas.special[v] === 0;
}

/** linear_page_index() of the page at vaJoin(high, low), its low 32 bits as an int32 (what page->index keeps here: rmap.ts). */
function linearPageIndex32(mm: MmStruct, v: number, high: number, low: number): number {
  const t = mm.vmas;
  return ((vaJoin(high, low) - t.vmStart[v]) / PAGE_SIZE + t.vmPgoff[v]) | 0;
}

/** acct_stack_growth(): 0 or -errno. */
function acctStackGrowth(ctx: MmapContext, mm: MmStruct, v: number, size: number, grow: number): number {
  const flags = mm.vmas.vmFlags[v];
  const l = mm.limits;
  if (!mayExpandVm(mm, flags, grow)) return -ERRNO.ENOMEM;
  if (size > l.rlimitStack) return -ERRNO.ENOMEM;
  if (flags & VM_LOCKED) {
    if (mm.lockedVm + grow > Math.floor(l.rlimitMemlock / PAGE_SIZE) && !l.capIpcLock) return -ERRNO.ENOMEM;
  }
  // security_vm_enough_memory_mm(), the final test.
  if (!vmEnoughMemory(ctx, mm, grow)) return -ERRNO.ENOMEM;
  return 0;
}

/**
 * expand_downwards() (expand_stack() of x86-64): grow the VM_GROWSDOWN VMA v down to the page of
 * addr. 0, or -errno: EPERM below vm.mmap_min_addr (security_mmap_addr()), ENOMEM within
 * stack_guard_gap of the accessible VMA below, past RLIMIT_STACK or the other limits, or beyond
 * vm_pgoff.
 */
export function expandDownwards(ctx: MmapContext, mm: MmStruct, v: number, addr: number): number {
  const t = mm.vmas;
  const address = addr - (addr % PAGE_SIZE);
  if (address < mm.limits.mmapMinAddr && !mm.limits.capSysRawio) return -ERRNO.EPERM;
  const prev = t.vmPrev[v];
  if (prev !== 0 && !(t.vmFlags[prev] & VM_GROWSDOWN) && (t.vmFlags[prev] & (VM_WRITE | VM_READ | VM_EXEC))) {
    if (address - t.vmEnd[prev] < mm.limits.stackGuardGap) return -ERRNO.ENOMEM;
  }
  anonVmaPrepare(ctx, mm, v);
  if (address >= t.vmStart[v]) return 0; // somebody else expanded it already
  const size = t.vmEnd[v] - address;
  const grow = (t.vmStart[v] - address) / PAGE_SIZE;
  if (grow > t.vmPgoff[v]) return -ERRNO.ENOMEM;
  const error = acctStackGrowth(ctx, mm, v, size, grow);
  if (error) return error;
  if (t.vmFlags[v] & VM_LOCKED) mm.lockedVm += grow;
  vmStatAccount(mm, t.vmFlags[v], grow);
  t.vmStart[v] = address;
  t.vmPgoff[v] -= grow;
  t.boundsChanged(v); // vma_gap_update()
  return 0;
}

/** A new zeroed user page (alloc_zeroed_user_highpage_movable(): GFP_HIGHUSER_MOVABLE | __GFP_ZERO on x86), or NO_PAGE. */
function allocZeroedUserPage(ctx: MmapContext): number {
  return ctx.services.pageAllocator.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
}

/**
 * do_anonymous_page(): the PTE of the page at vaJoin(high, low) is none; knownSlot is its slot
 * when the PTE table exists (NO_SLOT: pte_alloc() it).
 */
function doAnonymousPage(ctx: MmapContext, mm: MmStruct, v: number, high: number, low: number, flags: number, knownSlot: number): number {
  const arch = archOf(ctx);
  const t = mm.vmas;
  const vmFlags = t.vmFlags[v];
  if (vmFlags & VM_SHARED) return VM_FAULT_SIGBUS; // a file mapping without ->vm_ops
  const slot = knownSlot !== NO_SLOT ? knownSlot : arch.alloc(mm.pgd, high, low, PG_LEVEL_4K); // pte_alloc()
  if (slot === NO_SLOT) return VM_FAULT_OOM;
  const prot = arch.vmGetPageProt(vmFlags);
  if (!(flags & FAULT_FLAG_WRITE) && ctx.hooks.readFaultZeroPage) {
    // Use the zero page for reads.
    const zero = zeroPfnOf(ctx);
    arch.setEntry(slot, arch.pteMkspecial(arch.pfnPteLow(zero, prot)), arch.pfnPteHigh(zero, prot));
    return 0;
  }
  const anonVma = anonVmaPrepare(ctx, mm, v);
  const pfn = allocZeroedUserPage(ctx);
  if (pfn === NO_PAGE) return VM_FAULT_OOM;
  let entry = arch.pfnPteLow(pfn, prot);
  if (vmFlags & VM_WRITE) entry = arch.pteMkwrite(arch.pteMkdirty(entry));
  addMmCounterFast(ctx, mm, MM_ANONPAGES, 1); // inc_mm_counter_fast()
  pageAddNewAnonRmap(ctx.services.pages, pfn, anonVma, linearPageIndex32(mm, v, high, low));
  arch.setEntry(slot, entry, arch.pfnPteHigh(pfn, prot));
  return 0;
}

/** maybe_mkwrite() of a low word. */
function maybeMkwrite(ctx: MmapContext, low: number, vmFlags: number): number {
  return vmFlags & VM_WRITE ? archOf(ctx).pteMkwrite(low) : low;
}

/**
 * wp_page_copy(): a private copy of the page (a zeroed page for the zero page) replaces it in
 * the PTE; the old page loses this mapping and the page table's reference.
 */
function wpPageCopy(ctx: MmapContext, mm: MmStruct, v: number, high: number, low: number, slot: number, oldPfn: number): number {
  const arch = archOf(ctx);
  const { pages, contents, pageAllocator } = ctx.services;
  const t = mm.vmas;
  const anonVma = anonVmaPrepare(ctx, mm, v);
  let pfn: number;
  if (oldPfn === NO_PAGE) {
    pfn = allocZeroedUserPage(ctx);
    if (pfn === NO_PAGE) return VM_FAULT_OOM;
  } else {
    pfn = pageAllocator.allocPages(GFP_HIGHUSER_MOVABLE, 0); // alloc_page_vma()
    if (pfn === NO_PAGE) return VM_FAULT_OOM;
    contents.copy(pfn, oldPfn); // cow_user_page()
  }
  if (oldPfn !== NO_PAGE) {
    if ((pages.getMapping(oldPfn) & PAGE_MAPPING_ANON) === 0) {
      addMmCounterFast(ctx, mm, mmCounter(pages, oldPfn), -1); // dec_mm_counter_fast(mm, mm_counter_file(old_page))
      addMmCounterFast(ctx, mm, MM_ANONPAGES, 1);
    }
  } else {
    addMmCounterFast(ctx, mm, MM_ANONPAGES, 1);
  }
  const vmFlags = t.vmFlags[v];
  const prot = arch.vmGetPageProt(vmFlags);
  const entry = maybeMkwrite(ctx, arch.pteMkdirty(arch.pfnPteLow(pfn, prot)), vmFlags);
  arch.clearEntry(slot); // ptep_clear_flush_notify()
  pageAddNewAnonRmap(pages, pfn, anonVma, linearPageIndex32(mm, v, high, low));
  arch.setEntry(slot, entry, arch.pfnPteHigh(pfn, prot));
  if (oldPfn !== NO_PAGE) {
    pageRemoveRmap(pages, oldPfn);
    putPage(ctx, oldPfn); // the page table's reference
  }
  return VM_FAULT_WRITE;
}

/** do_wp_page(): a write to a present, write-protected PTE (origLow, origHigh) of the page at vaJoin(high, low). */
function doWpPage(ctx: MmapContext, mm: MmStruct, v: number, high: number, low: number, slot: number, origLow: number, origHigh: number): number {
  const arch = archOf(ctx);
  const pages = ctx.services.pages;
  // vm_normal_page(): the zero page (a special PTE) has no struct page to reuse.
  if (arch.pteSpecial(origLow)) return wpPageCopy(ctx, mm, v, high, low, slot, NO_PAGE);
  const pfn = arch.ptePfn(origLow, origHigh);
  if ((pages.getMapping(pfn) & PAGE_MAPPING_ANON) !== 0) {
    // reuse_swap_page(): no swap cache here, so the page is ours when one page table maps it.
    if (pageMapcount(pages, pfn) <= 1) {
      // wp_page_reuse().
      const entry = maybeMkwrite(ctx, arch.pteMkdirty(arch.pteMkyoung(origLow)), mm.vmas.vmFlags[v]);
      arch.setEntry(slot, entry, origHigh);
      return VM_FAULT_WRITE;
    }
  }
  return wpPageCopy(ctx, mm, v, high, low, slot, pfn);
}

/**
 * handle_mm_fault() of the address vaJoin(high, low) in VMA v (the caller has checked the access
 * against the VMA): vm_fault_t bits (0, VM_FAULT_WRITE, VM_FAULT_OOM, VM_FAULT_SIGBUS).
 */
export function handleMmFault(ctx: MmapContext, mm: MmStruct, v: number, high: number, low: number, flags: number): number {
  const arch = archOf(ctx);
  // "do counter updates before entering really critical section": every 66th fault adds the task's rss cache to the mm's (rss.ts).
  checkSyncRssStat(ctx, mm);
  low &= ~(PAGE_SIZE - 1); // vmf->address & PAGE_MASK
  // __handle_mm_fault(): pud_alloc(), pmd_alloc().
  const pmdSlot = arch.alloc(mm.pgd, high, low, PG_LEVEL_2M);
  if (pmdSlot === NO_SLOT) return VM_FAULT_OOM;
  // handle_pte_fault().
  let slot = NO_SLOT;
  let origLow = 0;
  let origHigh = 0;
  if (!arch.pteNone(arch.readEntryLow(pmdSlot), arch.readEntryHigh(pmdSlot))) {
    slot = arch.lookup(mm.pgd, high, low, PG_LEVEL_4K);
    if (slot !== NO_SLOT) {
      origLow = arch.readEntryLow(slot);
      origHigh = arch.readEntryHigh(slot);
    }
  }
  if (slot === NO_SLOT || arch.pteNone(origLow, origHigh)) {
    if (vmaIsAnonymous(mm, v)) return doAnonymousPage(ctx, mm, v, high, low, flags, slot);
    return VM_FAULT_SIGBUS; // do_fault(): file and shmem pages come with the page cache
  }
  if (!arch.ptePresent(origLow)) return VM_FAULT_SIGBUS; // do_swap_page(): no swap entries are made yet
  if (arch.pteProtnone(origLow)) return VM_FAULT_SIGSEGV; // do_numa_page(): no NUMA hinting entries are made yet
  let entry = origLow;
  if (flags & FAULT_FLAG_WRITE) {
    if (!arch.pteWrite(entry)) return doWpPage(ctx, mm, v, high, low, slot, origLow, origHigh);
    entry = arch.pteMkdirty(entry);
  }
  entry = arch.pteMkyoung(entry);
  if (entry !== origLow) arch.setEntry(slot, entry, origHigh); // ptep_set_access_flags()
  return 0;
}

/** The entry of vaJoin(high, low) is present to the MMU (not PROT_NONE): a fault on it is a protection fault (X86_PF_PROT). */
function protectionFault(ctx: MmapContext, mm: MmStruct, high: number, low: number): boolean {
  const arch = archOf(ctx);
  const pmdSlot = arch.lookup(mm.pgd, high, low, PG_LEVEL_2M);
  if (pmdSlot === NO_SLOT || arch.pteNone(arch.readEntryLow(pmdSlot), arch.readEntryHigh(pmdSlot))) return false;
  const slot = arch.lookup(mm.pgd, high, low, PG_LEVEL_4K);
  if (slot === NO_SLOT) return false;
  const pte = arch.readEntryLow(slot);
  return arch.ptePresent(pte) && !arch.pteProtnone(pte);
}

/** access_error(): may a VMA with vm_flags take this access? */
function accessError(vmFlags: number, write: boolean, prot: boolean): boolean {
  if (write) return !(vmFlags & VM_WRITE); // write, present and write, not present
  if (prot) return true; // read, present
  return !(vmFlags & (VM_READ | VM_EXEC | VM_WRITE)); // read, not present
}

/**
 * __do_page_fault() of a user access to the address vaJoin(high, low) (flags: FAULT_FLAG_WRITE,
 * FAULT_FLAG_INSTRUCTION): FAULT_HANDLED, FAULT_SIGSEGV_MAPERR, FAULT_SIGSEGV_ACCERR, FAULT_SIGBUS
 * or FAULT_OOM.
 */
export function doUserFault(ctx: MmapContext, mm: MmStruct, high: number, low: number, flags: number): number {
  const addr = vaJoin(high, low);
  // fault_in_kernel_space(), and what no VMA can cover.
  if (!(addr >= 0 && addr < mm.limits.taskSize)) return FAULT_SIGSEGV_MAPERR;
  const t = mm.vmas;
  const v = t.findVmaHalves(high, low);
  if (v === 0) return FAULT_SIGSEGV_MAPERR; // bad_area()
  if (t.vmStart[v] > addr) {
    if (!(t.vmFlags[v] & VM_GROWSDOWN)) return FAULT_SIGSEGV_MAPERR;
    if (expandDownwards(ctx, mm, v, addr) !== 0) return FAULT_SIGSEGV_MAPERR;
  }
  // good_area:
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  if (accessError(t.vmFlags[v], write, !write && protectionFault(ctx, mm, high, low))) return FAULT_SIGSEGV_ACCERR; // bad_area_access_error()
  const fault = handleMmFault(ctx, mm, v, high, low, flags);
  if (fault & VM_FAULT_OOM) return FAULT_OOM; // pagefault_out_of_memory()
  if (fault & VM_FAULT_SIGBUS) return FAULT_SIGBUS;
  if (fault & VM_FAULT_SIGSEGV) return FAULT_SIGSEGV_MAPERR; // mm_fault_error() -> bad_area_nosemaphore()
  return FAULT_HANDLED;
}

/**
 * Draft: the architecture's page tables (arch/x86/include/asm/pgtable*.h, arch/x86/mm/).
 * Implemented by @mmkit/hw-x86 (x86-64: 4 levels, 4 KiB pages, 2 MiB PMD leaves); used by mmap
 * (faults, unmap), gup (walks), hmm (mirroring) and swap (swap entries in non-present PTEs).
 *
 * A page table is a page from the page allocator whose 512 entries are 64-bit words in its
 * contents; an entry is a number (below 2^53) holding the pfn and the flag bits, as a pte_t is.
 * The machine's memory layout itself (e820, memblock, NUMA, zones) is the arch's boot step,
 * which the kernel runs before it creates the subsystems.
 */
import type { MmId, Pfn, VirtAddr } from '../units.js';

/** A page-table entry at any level (pte_t, pmd_t, pud_t, p4d_t, pgd_t). */
export type PteValue = number;

/** swp_entry_t: a swap type and an offset. */
export interface SwapEntry {
  readonly type: number;
  readonly offset: number;
}

export interface ArchPageTables {
  /** The levels, top first, with their shifts (x86-64: PGDIR 39, PUD 30, PMD 21, PTE 12). */
  readonly levelShifts: readonly number[];
  /** TASK_SIZE: the end of user space (0x7ffffffff000 on x86-64). */
  readonly taskSize: VirtAddr;

  /** pfn_pte(): an entry mapping pfn with the protection bits of vm_page_prot (_PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_NX, ...). */
  mkPte(pfn: Pfn, protBits: number): PteValue;
  /** pte_pfn(). */
  ptePfn(pte: PteValue): Pfn;
  /** pte_present(), pte_write(), pte_young(), pte_dirty(). */
  pteFlags(pte: PteValue): number;
  /** swp_entry_to_pte() / pte_to_swp_entry(): a non-present entry that names a swap slot. */
  swapEntryToPte(entry: SwapEntry): PteValue;
  pteToSwapEntry(pte: PteValue): SwapEntry;

  /** pgd_alloc(): a new top-level table for an mm; its pfn. */
  pgdAlloc(mm: MmId): Pfn;
  /** free_pgtables() of a whole mm. */
  pgdFree(mm: MmId): void;
  /** Walk to the PTE of addr, allocating missing tables when `alloc` (__pte_alloc()); 0 when absent. */
  walk(mm: MmId, addr: VirtAddr, alloc: boolean): PteValue;
  /** set_pte_at(). */
  setPte(mm: MmId, addr: VirtAddr, pte: PteValue): void;
}

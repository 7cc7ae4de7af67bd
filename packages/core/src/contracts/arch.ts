/**
 * The architecture's page tables (arch/x86/include/asm/pgtable*.h, arch/x86/mm/pgtable.c and the
 * table allocation and freeing of mm/memory.c). Implemented by @mmkit/hw-x86 (x86-64: 4 levels
 * of 512 entries, 4 KiB pages, 2 MiB PMD leaves); used by mmap (faults, zap, mprotect, fork,
 * free_pgtables), gup (walks), hmm (mirroring) and swap (swap entries in non-present PTEs).
 *
 * Shape, chosen for the hot paths (a fault, a gup walk, a zap of many PTEs) to allocate nothing:
 * V8 boxes a number that is no int32 (a HeapNumber, an object) when it crosses a call it has not
 * inlined, so what crosses these calls on a hot path is int32s.
 * - An mm's page tables are named by the pfn of its top-level table (mm->pgd), as Linux walks from
 *   mm->pgd; mmap keeps that pfn in its mm_struct.
 * - An entry is two `PteWord`s, int32s: its low word (entry bits 0..31) and its high word (bits
 *   32..63), as the 64-bit entry lies in memory; the layout is the arch's (see @mmkit/hw-x86's
 *   README: on x86-64 the flags that pte_mk*() change are all in the low word, NX is bit 31 of
 *   the high word). readEntryLow()/readEntryHigh() read them, setEntry() writes both. Callers never
 *   take a word apart themselves: they use the pte_*() helpers below, each given the word(s) it
 *   needs (pte_present(low), pte_pfn(low, high), pte_mkdirty(low) -> low, ...).
 * - A protection (pgprot_t, `PgProt`) is one int32 of flag bits (vm_get_page_prot()); pfn_pte(),
 *   pte_modify() and swp_entry_to_pte() come as a Low and a High helper, one per word.
 * - An address crosses the walks (lookup(), alloc()) as core's vaHigh(addr) and vaLow(addr).
 * - Where an entry lives is a `PteSlot` (the pte_t * of Linux): an int32 the arch gives it, NO_SLOT
 *   when there is none. The entries of one table are consecutive: the slot of the next address's
 *   PTE is slot + 1 up to the end of the table (pmd_addr_end()), so a zap or an mprotect looks up
 *   one slot per table and steps through it, as Linux does with pte++. Otherwise a slot is the
 *   arch's: callers find a table's slots by a walk (lookup() of the table's first address), never
 *   from its pfn. x86-64's is its table's number * 512 + its index, a dense number per table page
 *   (kept in the page's struct page, PageStore.pageTables mapping it back), so a slot is an int32
 *   wherever the tables sit in physical memory; an entry's physical address / 8 is not above 16 GiB.
 * - Table pages come from the page allocator (GFP_KERNEL_ACCOUNT | __GFP_ZERO) and are counted as
 *   Linux 4.17 counts them: PTE tables in the zone's NR_PAGETABLE (meminfo PageTables),
 *   PTE, PMD and PUD tables in the mm's pgtables_bytes (VmPTE); the pgd in neither.
 *
 * The machine's memory layout itself (e820, memblock, NUMA, zones) is the arch's boot step, which
 * the kernel runs before it creates the subsystems.
 */
import type { Zone } from '../zone.js';
import type { MmId, Pfn, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

/** One 32-bit word of a page-table entry at any level (pte_t, pmd_t, pud_t, pgd_t), an int32. Both words 0 is pte_none(). */
export type PteWord = number;

/** A protection (pgprot_t): the flag bits of an entry, one int32 (the arch's layout). */
export type PgProt = number;

/** Where an entry is (Linux's pte_t *, pmd_t *, ...): an int32 the arch gives it, slot + 1 the next entry of the same table. */
export type PteSlot = number;

/** No entry: a table on the way down is missing (lookup), or a table could not be allocated (alloc). */
export const NO_SLOT = -1;

/**
 * The levels of a walk, as enum pg_level (arch/x86/include/asm/pgtable_types.h): the level whose
 * entry a lookup or an allocation returns.
 */
export const PG_LEVEL_4K = 1;
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;
export const PG_LEVEL_512G = 4;

/** PMD_SHIFT of x86-64 (2 MiB): the unit of freePgdRange()'s bounds. */
const PMD_SHIFT = 21;
/** The end of the user half (2^47) in PMDs: freePgdRange()'s "top". */
export const USER_PMD_UNITS = 2 ** (47 - PMD_SHIFT);

/** An address rounded down to a count of PMDs, an int32 (addresses below 2^47 + 2 MiB). */
export function pmdUnitsDown(addr: VirtAddr): number {
  return Math.floor(addr * 4.76837158203125e-7) | 0; // addr * 2^-21
}

/** An address rounded up to a count of PMDs, an int32. */
export function pmdUnitsUp(addr: VirtAddr): number {
  return Math.ceil(addr * 4.76837158203125e-7) | 0;
}

/** What the mm's layout is at exec (arch_pick_mmap_layout()). */
export interface MmapLayout {
  /** mm->mmap_base: where get_unmapped_area starts (top-down below it, or bottom-up from it in the legacy layout). */
  readonly mmapBase: VirtAddr;
  /** mm->mmap_legacy_base. */
  readonly mmapLegacyBase: VirtAddr;
  /** Top-down (arch_get_unmapped_area_topdown) unless the legacy layout is asked for. */
  readonly topDown: boolean;
}

/** The inputs of arch_pick_mmap_layout(). */
export interface MmapLayoutParams {
  /** RLIMIT_STACK's soft limit in bytes (Infinity or a bigint for RLIM_INFINITY). */
  readonly rlimitStack: number | bigint;
  /** current->flags & PF_RANDOMIZE (randomize_va_space and no ADDR_NO_RANDOMIZE); off by default. */
  readonly randomize?: boolean;
  /** vm.legacy_va_layout, or ADDR_COMPAT_LAYOUT in the personality. */
  readonly legacy?: boolean;
  /** get_random_long() when randomising: a source of 32-bit unsigned integers (a seeded PRNG). */
  readonly random?: () => number;
  /** stack_guard_gap in bytes (default 256 pages). */
  readonly stackGuardGap?: number;
}

export interface ArchPageTables {
  /** TASK_SIZE_MAX of a 64-bit task: the end of user space (0x7ffffffff000). */
  readonly taskSize: VirtAddr;
  /** STACK_TOP (TASK_SIZE_LOW = DEFAULT_MAP_WINDOW of a 64-bit task). */
  readonly stackTop: VirtAddr;
  /** ELF_ET_DYN_BASE, where a PIE is loaded (before its randomisation and ELF_PAGESTART()). */
  readonly elfEtDynBase: VirtAddr;
  /** The shift of each level's entry span, PTE first: [12, 21, 30, 39]. */
  readonly levelShifts: readonly number[];
  /** arch_pick_mmap_layout(). */
  pickMmapLayout(params: MmapLayoutParams): MmapLayout;

  // Entries: the pte_*() helpers on the words of an entry (all pure, no allocation).
  /** pfn_pte(): the low word of a PTE mapping pfn with protection `prot` (from vmGetPageProt()). */
  pfnPteLow(pfn: Pfn, prot: PgProt): PteWord;
  /** pfn_pte(): its high word. */
  pfnPteHigh(pfn: Pfn, prot: PgProt): PteWord;
  /** pfn_pmd() | _PAGE_PSE: a 2 MiB leaf at a 512-aligned pfn, its low word. */
  pfnPmdHugeLow(pfn: Pfn, prot: PgProt): PteWord;
  /** pfn_pmd() | _PAGE_PSE: its high word. */
  pfnPmdHugeHigh(pfn: Pfn, prot: PgProt): PteWord;
  /** pte_pfn(). */
  ptePfn(low: PteWord, high: PteWord): Pfn;
  /** pmd_pfn(): of a 2 MiB leaf, the 512-aligned pfn (bits 12..20 of a leaf are flags). */
  pmdPfn(low: PteWord, high: PteWord): Pfn;
  /** pte_none(): nothing here (the KNL erratum's accessed and dirty bits alone count as none). */
  pteNone(low: PteWord, high: PteWord): boolean;
  /** pte_present(): present, or PROT_NONE (a NUMA hinting or PROT_NONE entry counts as present). */
  ptePresent(low: PteWord): boolean;
  /** pte_protnone(): PROT_NONE and not present (NUMA hinting). */
  pteProtnone(low: PteWord): boolean;
  pteWrite(low: PteWord): boolean;
  pteDirty(low: PteWord): boolean;
  pteYoung(low: PteWord): boolean;
  /** pte_exec(): no NX (a flag of the high word). */
  pteExec(high: PteWord): boolean;
  pteSpecial(low: PteWord): boolean;
  /** pte_devmap() (a flag of the high word). */
  pteDevmap(high: PteWord): boolean;
  // pte_mk*() change flags of the low word only: they take the low word and return it.
  pteMkold(low: PteWord): PteWord;
  pteMkyoung(low: PteWord): PteWord;
  pteMkclean(low: PteWord): PteWord;
  pteMkdirty(low: PteWord): PteWord;
  pteWrprotect(low: PteWord): PteWord;
  pteMkwrite(low: PteWord): PteWord;
  pteMkspecial(low: PteWord): PteWord;
  /** pte_modify(), the low word: mprotect's new protection, keeping the pfn, caching, accessed, dirty and special bits. */
  pteModifyLow(low: PteWord, newprot: PgProt): PteWord;
  /** pte_modify(), the high word. */
  pteModifyHigh(high: PteWord, newprot: PgProt): PteWord;
  /** pmd_trans_huge(): a 2 MiB leaf that is no device mapping. */
  pmdTransHuge(low: PteWord, high: PteWord): boolean;
  /** pmd_large(): _PAGE_PSE (also set on a non-present THP entry under split). */
  pmdLarge(low: PteWord): boolean;
  /** vm_get_page_prot(): the pgprot of VM_READ|VM_WRITE|VM_EXEC|VM_SHARED (protection_map[]). */
  vmGetPageProt(vmFlags: number): PgProt;

  // Swap entries in non-present PTEs (swp_entry_to_pte() and back; swap types in core's swapops).
  /** swp_entry_to_pte(swp_entry(type, offset)), the low word. */
  swpEntryToPteLow(type: number, offset: number): PteWord;
  /** swp_entry_to_pte(swp_entry(type, offset)), the high word. */
  swpEntryToPteHigh(type: number, offset: number): PteWord;
  /** swp_type(pte_to_swp_entry(pte)). */
  pteSwpType(low: PteWord): number;
  /** swp_offset(pte_to_swp_entry(pte)). */
  pteSwpOffset(low: PteWord, high: PteWord): number;
  /** is_swap_pte(): neither none nor present. */
  isSwapPte(low: PteWord, high: PteWord): boolean;
  pteSwpSoftDirty(low: PteWord): boolean;
  pteSwpMksoftDirty(low: PteWord): PteWord;

  // Tables.
  /** pgd_alloc(): the new top-level table of mm (its pfn), or NO_PAGE when the allocation fails. */
  pgdAlloc(mm: MmId): Pfn;
  /** pgd_free(): frees the top-level table; what is still below it is the caller's leak, as in Linux (free the range first). */
  pgdFree(pgd: Pfn): void;
  /** mm_pgtables_bytes(): bytes of PTE, PMD and PUD tables below pgd (VmPTE is this >> 10). */
  pgtablesBytes(pgd: Pfn): number;
  /**
   * Walk down to the entry of `level` for the address vaJoin(addrHigh, addrLow) (core's
   * vaHigh()/vaLow() halves of it) without allocating (pgd_offset, pud_offset,
   * pmd_offset, pte_offset_map): its slot, or NO_SLOT when a table above is missing or an entry
   * above is a leaf (a 2 MiB PMD leaf when PG_LEVEL_4K is asked: ask for PG_LEVEL_2M first).
   */
  lookup(pgd: Pfn, addrHigh: number, addrLow: number, level: number): PteSlot;
  /**
   * Walk down to the entry of `level` for the address vaJoin(addrHigh, addrLow), allocating the missing tables on the way
   * (__pud_alloc(), __pmd_alloc(), __pte_alloc()): its slot, or NO_SLOT when a table cannot be
   * allocated (-ENOMEM; the tables allocated before stay, as in Linux). A PTE under a PMD leaf is a
   * kernel bug (throws).
   */
  alloc(pgd: Pfn, addrHigh: number, addrLow: number, level: number): PteSlot;
  /** *slot (READ_ONCE of a pte_t, pmd_t, ...): its low word. */
  readEntryLow(slot: PteSlot): PteWord;
  /** *slot: its high word. */
  readEntryHigh(slot: PteSlot): PteWord;
  /** set_pte_at(), set_pmd_at(), set_pud(): write an entry, both words. */
  setEntry(slot: PteSlot, low: PteWord, high: PteWord): void;
  /** pte_clear(): the entry becomes none (ptep_get_and_clear() is readEntryLow()/readEntryHigh() first). */
  clearEntry(slot: PteSlot): void;
  /**
   * free_pgd_range(): free the page tables that map only [addr, end) and nothing of what lies
   * below floor or from ceiling on, as free_pgtables() calls it for each run of VMAs. The PTEs in
   * the range must be none (zapped). The four bounds are counts of PMDs (2^levelShifts[1] bytes,
   * 2 MiB on x86-64), int32s up to USER_PMD_UNITS (the end of the user half): addr rounded down,
   * end rounded up, floor rounded up and ceiling rounded down to a PMD, which free_pgd_range()
   * does itself first (pmdUnitsDown()/pmdUnitsUp()), so the same tables are freed; Linux's
   * ceiling 0 (the top) is USER_PMD_UNITS.
   */
  freePgdRange(pgd: Pfn, addrPmds: number, endPmds: number, floorPmds: number, ceilingPmds: number): void;
}

/** What the arch's page tables are handed: the services, and the zones (for NR_PAGETABLE). */
export interface ArchPageTablesServices extends MmServices {
  /** Every zone of every node, flat: zones[nid * MAX_NR_ZONES + zone_idx] (page_zone() of a table page). */
  readonly zones: readonly Zone[];
}

export type ArchPageTablesFactory = (services: ArchPageTablesServices) => ArchPageTables;

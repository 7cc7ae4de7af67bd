/**
 * x86-64 page tables of Linux 4.17: four levels of 512 entries (PGD, PUD, PMD, PTE; the P4D level
 * folded into the PGD as without CONFIG_X86_5LEVEL) in pages taken from the page allocator, their
 * entries the 64-bit words of the pages' contents (pgtable-types.ts for the bits).
 *
 * Allocation (https://github.com/torvalds/linux/blob/v4.17/arch/x86/mm/pgtable.c,
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgalloc.h):
 * - pgd_alloc(): GFP_KERNEL_ACCOUNT | __GFP_ZERO, order PGD_ALLOCATION_ORDER: 1 with
 *   CONFIG_PAGE_TABLE_ISOLATION (the kernel copy, then the user copy that __pti_set_user_pgd()
 *   keeps equal for the user half, the kernel copy of a present user entry getting NX), else 0.
 *   pgd_set_mm() keeps the mm in the pgd page's index. The kernel half (the copy of
 *   swapper_pg_dir's entries) is not modelled: it stays empty.
 * - __pud_alloc(), __pmd_alloc(), __pte_alloc() (https://github.com/torvalds/linux/blob/v4.17/mm/memory.c):
 *   a zeroed page each (GFP_KERNEL_ACCOUNT | __GFP_ZERO), linked with _PAGE_TABLE; each adds 4096
 *   bytes to the mm's pgtables_bytes (mm_inc_nr_puds/pmds/ptes; kept here in the pgd page's private
 *   field, as a count of pages); a PTE table also counts in its zone's NR_PAGETABLE
 *   (pgtable_page_ctor()): meminfo's PageTables counts PTE tables only in 4.17.
 * - free_pgd_range() and its free_p4d/pud/pmd/pte_range() helpers, ported line by line: a table is
 *   freed only when the whole span it maps lies in [floor, ceiling) (ceiling 0: the top).
 */
import { GFP_KERNEL_ACCOUNT, NO_PAGE, NO_SLOT, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, PG_LEVEL_512G, __GFP_ZERO } from '@mmkit/core';
import type { ArchPageTables, ArchPageTablesServices, MmId, Pfn, PteSlot } from '@mmkit/core';
import { ELF_ET_DYN_BASE, STACK_TOP, TASK_SIZE_MAX, pickMmapLayout } from './mm-layout.js';
import {
  PGDIR_SHIFT, PMD_SHIFT, PUD_SHIFT, PAGE_SHIFT, _PAGE_NX, _PAGE_PRESENT, _PAGE_PSE, _PAGE_TABLE, _PAGE_USER,
  p4dBad, pfnPmdHugeHigh, pfnPmdHugeLow, pfnPteHigh, pfnPteLow, pmdBad, pudBad, pmdLarge, pmdPfn, pmdTransHuge, pteDevmap, pteDirty, pteExec, pteMkclean, pteMkdirty,
  pteMkold, pteMkspecial, pteMkwrite, pteMkyoung, pteModifyHigh, pteModifyLow, pteNone, ptePfn, ptePresent, pteProtnone, pteSpecial, pteToU64, pteWrite, pteWrprotect,
  pteYoung, vmGetPageProt,
} from './pgtable-types.js';
import { isSwapPte, pteSwpMksoftDirty, pteSwpOffset, pteSwpSoftDirty, pteSwpType, swpEntryToPteHigh, swpEntryToPteLow } from './swap-entry.js';

export interface X86PageTablesOptions {
  /** CONFIG_PAGE_TABLE_ISOLATION with X86_FEATURE_PTI (Kconfig default y; on for CPUs with Meltdown): order-1 pgds. Default true. */
  readonly pti?: boolean;
}

/** vaHigh() of the end of the user half (2^47: PGD entries 0..255, below KERNEL_PGD_BOUNDARY): a user address's high half is below it. */
const USER_VA_HIGH_END = 2 ** 15;
/** PGALLOC_GFP: GFP_KERNEL_ACCOUNT | __GFP_ZERO (pud_alloc_one()'s get_zeroed_page(GFP_KERNEL_ACCOUNT) is the same). */
const PGALLOC_GFP = GFP_KERNEL_ACCOUNT | __GFP_ZERO;
/** The most page-table pages at once (16 GiB of them): table numbers below it keep a slot (table * 512 + index) an int32. */
const MAX_TABLES = 2 ** 22;

/**
 * pgd_index(), pud_index(), pmd_index(), pte_index() of an address given as its vaHigh()/vaLow()
 * halves (bits 32..46 and 0..31): int32 shifts.
 */
function pgdIndex(high: number): number {
  return (high >>> (PGDIR_SHIFT - 32)) & 511;
}
function pudIndex(high: number, low: number): number {
  return ((high << (64 - PUD_SHIFT - 32)) | (low >>> PUD_SHIFT)) & 511;
}
function pmdIndex(low: number): number {
  return (low >>> PMD_SHIFT) & 511;
}
function pteIndex(low: number): number {
  return (low >>> PAGE_SHIFT) & 511;
}

/**
 * free_pgd_range() works in units of PMD_SIZE (2 MiB): its bounds are int32s below 2^26 + 1
 * (USER_PMD_UNITS, the end of the user half), and one PUD table spans PMDS_PER_PUD units, one
 * PGD entry PMDS_PER_PGD.
 */
const USER_PMD_UNITS = 2 ** (47 - PMD_SHIFT);
const PMDS_PER_PUD = 2 ** (PUD_SHIFT - PMD_SHIFT);
const PMDS_PER_PGD = 2 ** (PGDIR_SHIFT - PMD_SHIFT);

/** u rounded down to a multiple of size (a power of two), int32s. */
function alignDown(u: number, size: number): number {
  return u & -size;
}

/** *_addr_end(): the next boundary of size after u, or end if that comes first. */
function addrEnd(u: number, end: number, size: number): number {
  const boundary = alignDown(u, size) + size;
  return boundary < end ? boundary : end;
}

/** A bound free_pgd_range() takes: an integer count of PMDs in [0, USER_PMD_UNITS]. */
function isPmdBound(u: number): boolean {
  return (u | 0) === u && u >= 0 && u <= USER_PMD_UNITS;
}

export function createX86PageTables(services: ArchPageTablesServices, options: X86PageTablesOptions = {}): ArchPageTables {
  const pti = options.pti ?? true;
  const pgdOrder = pti ? 1 : 0;
  const { contents, pages } = services;

  function badAddr(high: number, low: number): RangeError {
    return new RangeError(`page-table walk: ${high * 4294967296 + (low >>> 0)} is not a user address (0 <= addr < 2^47)`);
  }

  // Table numbers: each page-table page (the pgd and, with PTI, its user copy included) has a
  // dense number, in its struct page's private field (which page-table pages do not otherwise
  // use); the page store's pageTables directory maps a number back to the page's pfn. A slot is
  // table * 512 + index, an int32 wherever the tables sit in physical memory: MAX_TABLES numbers
  // (16 GiB of page tables) keep it below 2^31, and a table past them fails as an allocation
  // would. Both live on the page store, so a copy of this code in another thread over shared
  // memory reads them (the grader's isolated address spaces). Numbers are handed out and taken
  // back only where tables are allocated and freed.
  const dir = pages.pageTables;
  /** Directory words past the numbers: the first free number + 1 (0: none; each free number's word is the next one + 1), and the count of numbers ever handed out. */
  const FREE_HEAD = pages.maxPfn;
  const NR_NUMBERS = pages.maxPfn + 1;

  /** Give table page pfn a number: a freed one first, else the next never used; false when all MAX_TABLES are taken. */
  function tableNew(pfn: Pfn): boolean {
    let t = dir.get(FREE_HEAD) - 1;
    if (t >= 0) dir.set(FREE_HEAD, dir.get(t));
    else {
      t = dir.get(NR_NUMBERS);
      if (t >= MAX_TABLES) return false;
      dir.set(NR_NUMBERS, t + 1);
    }
    dir.set(t, pfn);
    pages.private[pfn] = t;
    return true;
  }

  /** Take table page pfn's number back (before the page goes back to the allocator). */
  function tableDrop(pfn: Pfn): void {
    const t = pages.private[pfn];
    dir.set(t, dir.get(FREE_HEAD));
    dir.set(FREE_HEAD, t + 1);
    pages.private[pfn] = 0;
  }

  // A slot is table * 512 + index: table is slot >>> 9, whose page the directory names.
  function readLow(slot: PteSlot): number {
    return contents.readI32(dir.get(slot >>> 9), (slot & 511) << 3);
  }

  function readHigh(slot: PteSlot): number {
    return contents.readI32(dir.get(slot >>> 9), ((slot & 511) << 3) + 4);
  }

  function writeRaw(slot: PteSlot, low: number, high: number): void {
    const pfn = dir.get(slot >>> 9);
    const off = (slot & 511) << 3;
    contents.writeI32(pfn, off, low);
    contents.writeI32(pfn, off + 4, high);
  }

  /** The slot of entry idx of the table in page pfn. */
  function slotIn(pfn: Pfn, idx: number): PteSlot {
    return pages.private[pfn] * 512 + idx;
  }

  /** set_pgd() of a user PGD entry: native_set_pgd() -> pti_set_user_pgd() with page-table isolation. */
  function setPgd(pgd: Pfn, idx: number, low: number, high: number): void {
    if (pti) {
      writeRaw(slotIn(pgd + 1, idx), low, high);
      if ((low & (_PAGE_USER | _PAGE_PRESENT)) === (_PAGE_USER | _PAGE_PRESENT)) high |= _PAGE_NX;
    }
    writeRaw(slotIn(pgd, idx), low, high);
  }

  /** A zeroed table page with its number, or NO_PAGE. */
  function allocTable(): Pfn {
    const pfn = services.pageAllocator.allocPages(PGALLOC_GFP, 0);
    if (pfn === NO_PAGE || tableNew(pfn)) return pfn;
    services.pageAllocator.freePages(pfn, 0);
    return NO_PAGE;
  }

  /** mm_inc/dec_nr_*(): the count of tables below the pgd, in the pgd page's mapping field (its private field holds its table number). */
  function countTable(pgd: Pfn, delta: number): void {
    pages.setMapping(pgd, pages.getMapping(pgd) + delta);
  }

  function nrPagetable(pfn: Pfn, delta: number): void {
    const zone = services.zones[pages.zoneNumOf(pfn)];
    if (zone) zone.nrPagetable += delta;
  }

  function freeTable(pfn: Pfn): void {
    tableDrop(pfn);
    services.pageAllocator.freePages(pfn, 0);
  }

  /** pmd_none_or_clear_bad(), pud_..., p4d_...: true when the entry at slot links no table (none, or bad and then cleared with a report). */
  function noneOrClearBad(slot: PteSlot, what: 'pgd' | 'pud' | 'pmd', pgd: Pfn, idx: number): boolean {
    const low = readLow(slot);
    const high = readHigh(slot);
    if (pteNone(low, high)) return true;
    if (what === 'pmd' ? pmdBad(low, high) : what === 'pud' ? pudBad(low, high) : p4dBad(low, high, pti)) {
      services.log('err', `mm/pgtable-generic.c: bad ${what} ${pteToU64(low, high).toString(16).padStart(16, '0')}`);
      if (what === 'pgd') setPgd(pgd, idx, 0, 0);
      else writeRaw(slot, 0, 0);
      return true;
    }
    return false;
  }

  function walk(pgd: Pfn, high: number, low: number, level: number, allocate: boolean): PteSlot {
    if (!(high >= 0 && high < USER_VA_HIGH_END && (high | 0) === high && (low | 0) === low)) throw badAddr(high, low);
    if (!(level >= PG_LEVEL_4K && level <= PG_LEVEL_512G && (level | 0) === level)) throw new RangeError(`page-table level ${level} is not one of PG_LEVEL_4K (1) .. PG_LEVEL_512G (4)`);
    const pgdIdx = pgdIndex(high);
    let slot = slotIn(pgd, pgdIdx);
    if (level === PG_LEVEL_512G) return slot;
    // Each level reads its entry's words once (one directory lookup) and goes on to the table they link, or the one it allocates.
    let page = dir.get(slot >>> 9);
    let off = (slot & 511) << 3;
    let e = contents.readI32(page, off);
    let eh = contents.readI32(page, off + 4);
    let table: Pfn;
    if (pteNone(e, eh)) {
      if (!allocate) return NO_SLOT;
      table = allocTable(); // __pud_alloc()
      if (table === NO_PAGE) return NO_SLOT;
      countTable(pgd, 1);
      setPgd(pgd, pgdIdx, pfnPteLow(table, _PAGE_TABLE), pfnPteHigh(table, _PAGE_TABLE));
    } else if ((e & _PAGE_PRESENT) === 0) {
      throw new Error(`pgd entry 0x${pteToU64(e, eh).toString(16)} for 0x${(high * 4294967296 + (low >>> 0)).toString(16)} is neither none nor a table`);
    } else table = ptePfn(e, eh);
    slot = pages.private[table] * 512 + pudIndex(high, low);
    if (level === PG_LEVEL_1G) return slot;
    page = dir.get(slot >>> 9);
    off = (slot & 511) << 3;
    e = contents.readI32(page, off);
    eh = contents.readI32(page, off + 4);
    if (pteNone(e, eh)) {
      if (!allocate) return NO_SLOT;
      table = allocTable(); // __pmd_alloc()
      if (table === NO_PAGE) return NO_SLOT;
      countTable(pgd, 1);
      writeRaw(slot, pfnPteLow(table, _PAGE_TABLE), pfnPteHigh(table, _PAGE_TABLE));
    } else if ((e & (_PAGE_PRESENT | _PAGE_PSE)) !== _PAGE_PRESENT) {
      if (!allocate) return NO_SLOT;
      throw new Error(`pud entry 0x${pteToU64(e, eh).toString(16)} for 0x${(high * 4294967296 + (low >>> 0)).toString(16)} is no table`);
    } else table = ptePfn(e, eh);
    slot = pages.private[table] * 512 + pmdIndex(low);
    if (level === PG_LEVEL_2M) return slot;
    page = dir.get(slot >>> 9);
    off = (slot & 511) << 3;
    e = contents.readI32(page, off);
    eh = contents.readI32(page, off + 4);
    if (pteNone(e, eh)) {
      if (!allocate) return NO_SLOT;
      table = allocTable(); // __pte_alloc(): pte_alloc_one() and pgtable_page_ctor()
      if (table === NO_PAGE) return NO_SLOT;
      nrPagetable(table, 1);
      countTable(pgd, 1);
      writeRaw(slot, pfnPteLow(table, _PAGE_TABLE), pfnPteHigh(table, _PAGE_TABLE));
    } else if ((e & (_PAGE_PRESENT | _PAGE_PSE)) !== _PAGE_PRESENT) {
      if (!allocate) return NO_SLOT;
      throw new Error(`pte_alloc at 0x${(high * 4294967296 + (low >>> 0)).toString(16)}: the pmd entry 0x${pteToU64(e, eh).toString(16)} is ${pmdLarge(e) ? 'a 2 MiB leaf' : 'no table'} (a kernel bug: split or zap it first)`);
    } else table = ptePfn(e, eh);
    return pages.private[table] * 512 + pteIndex(low);
  }

  function freePteRange(pgd: Pfn, pmdSlot: PteSlot): void {
    const table = ptePfn(readLow(pmdSlot), readHigh(pmdSlot));
    writeRaw(pmdSlot, 0, 0); // pmd_clear()
    nrPagetable(table, -1); // pte_free_tlb() -> pgtable_page_dtor()
    freeTable(table);
    countTable(pgd, -1); // mm_dec_nr_ptes()
  }

  // free_pgd_range() and its helpers, on counts of PMDs (int32s: nothing is boxed on munmap's path).
  function freePmdRange(pgd: Pfn, pudSlot: PteSlot, addr: number, end: number, floor: number, ceiling: number): void {
    const start = addr;
    const table = ptePfn(readLow(pudSlot), readHigh(pudSlot));
    let slot = slotIn(table, addr & 511);
    do {
      if (!noneOrClearBad(slot, 'pmd', pgd, 0)) freePteRange(pgd, slot);
      slot++;
      addr++;
    } while (addr !== end);
    if (!tableFreeable(alignDown(start, PMDS_PER_PUD), end, floor, ceiling, PMDS_PER_PUD)) return;
    writeRaw(pudSlot, 0, 0); // pud_clear()
    freeTable(table); // pmd_free_tlb()
    countTable(pgd, -1); // mm_dec_nr_pmds()
  }

  function freePudRange(pgd: Pfn, pgdIdx: number, addr: number, end: number, floor: number, ceiling: number): void {
    const start = addr;
    const pgdSlot = slotIn(pgd, pgdIdx);
    const table = ptePfn(readLow(pgdSlot), readHigh(pgdSlot));
    let slot = slotIn(table, (addr >>> 9) & 511);
    do {
      const next = addrEnd(addr, end, PMDS_PER_PUD);
      if (!noneOrClearBad(slot, 'pud', pgd, 0)) freePmdRange(pgd, slot, addr, next, floor, ceiling);
      slot++;
      addr = next;
    } while (addr !== end);
    // start &= P4D_MASK: P4D_SHIFT is PGDIR_SHIFT with the P4D level folded.
    if (!tableFreeable(alignDown(start, PMDS_PER_PGD), end, floor, ceiling, PMDS_PER_PGD)) return;
    setPgd(pgd, pgdIdx, 0, 0); // p4d_clear()
    freeTable(table); // pud_free_tlb()
    countTable(pgd, -1); // mm_dec_nr_puds()
  }

  /** The tail of free_pmd_range()/free_pud_range(): may the table mapping [start, start + size) go? (ceiling is not 0 here.) */
  function tableFreeable(start: number, end: number, floor: number, ceiling: number, size: number): boolean {
    if (start < floor) return false;
    ceiling = alignDown(ceiling, size);
    if (!ceiling) return false;
    return end <= ceiling; // !(end - 1 > ceiling - 1)
  }

  function freePgdRange(pgd: Pfn, addr: number, end: number, floor: number, ceiling: number): void {
    if (!(isPmdBound(addr) && isPmdBound(end) && isPmdBound(floor) && isPmdBound(ceiling))) {
      throw new RangeError(`free_pgd_range(${addr}, ${end}, ${floor}, ${ceiling}): each must be a count of 2 MiB PMDs in [0, 2^26] (core's contract)`);
    }
    if (end <= addr) return;
    if (addr < floor) addr++;
    if (!ceiling) return; // ceiling &= PMD_MASK left nothing
    if (end > ceiling) end--; // end - 1 > ceiling - 1: end -= PMD_SIZE
    if (addr >= end) return; // addr > end - 1
    let pgdIdx = (addr >>> 18) & 511;
    do {
      const next = addrEnd(addr, end, PMDS_PER_PGD);
      const slot = slotIn(pgd, pgdIdx);
      // free_p4d_range() with the P4D level folded: one pass, and its own freeing is a no-op.
      if (!noneOrClearBad(slot, 'pgd', pgd, pgdIdx)) freePudRange(pgd, pgdIdx, addr, next, floor, ceiling);
      pgdIdx++;
      addr = next;
    } while (addr !== end);
  }

  return {
    taskSize: TASK_SIZE_MAX,
    stackTop: STACK_TOP,
    elfEtDynBase: ELF_ET_DYN_BASE,
    levelShifts: [PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT],
    pickMmapLayout,
    pfnPteLow, pfnPteHigh, pfnPmdHugeLow, pfnPmdHugeHigh, ptePfn, pmdPfn, pteNone, ptePresent, pteProtnone, pteWrite, pteDirty, pteYoung, pteExec,
    pteSpecial, pteDevmap, pteMkold, pteMkyoung, pteMkclean, pteMkdirty, pteWrprotect, pteMkwrite, pteMkspecial, pteModifyLow, pteModifyHigh,
    pmdTransHuge, pmdLarge, vmGetPageProt,
    swpEntryToPteLow, swpEntryToPteHigh, pteSwpType, pteSwpOffset, isSwapPte, pteSwpSoftDirty, pteSwpMksoftDirty,

    pgdAlloc(mm: MmId): Pfn {
      if (!(mm >>> 0 === mm)) throw new RangeError(`pgd_alloc: mm id ${mm} is not a 32-bit id`);
      const pgd = services.pageAllocator.allocPages(PGALLOC_GFP, pgdOrder);
      if (pgd === NO_PAGE) return NO_PAGE;
      pages.setIndex(pgd, mm); // pgd_set_mm()
      pages.setMapping(pgd, 0); // mm_pgtables_bytes_init()
      if (tableNew(pgd)) {
        if (!pti || tableNew(pgd + 1)) return pgd;
        tableDrop(pgd);
      }
      pages.setIndex(pgd, 0);
      services.pageAllocator.freePages(pgd, pgdOrder);
      return NO_PAGE;
    },

    pgdFree(pgd: Pfn): void {
      const left = pages.getMapping(pgd);
      // check_mm() (kernel/fork.c) before mm_free_pgd(): the tables left below are lost, as in Linux.
      if (left !== 0) services.log('err', `BUG: non-zero pgtables_bytes on freeing mm: ${left * 4096}`);
      pages.setMapping(pgd, 0);
      pages.setIndex(pgd, 0);
      tableDrop(pgd);
      if (pti) tableDrop(pgd + 1);
      services.pageAllocator.freePages(pgd, pgdOrder);
    },

    pgtablesBytes(pgd: Pfn): number {
      return pages.getMapping(pgd) * 4096;
    },

    lookup(pgd: Pfn, addrHigh: number, addrLow: number, level: number): PteSlot {
      return walk(pgd, addrHigh, addrLow, level, false);
    },

    alloc(pgd: Pfn, addrHigh: number, addrLow: number, level: number): PteSlot {
      return walk(pgd, addrHigh, addrLow, level, true);
    },

    readEntryLow: readLow,
    readEntryHigh: readHigh,

    setEntry(slot: PteSlot, low: number, high: number): void {
      if (!((low | 0) === low && (high | 0) === high)) throw new RangeError(`page-table entry words ${low}, ${high} are not int32s`);
      writeRaw(slot, low, high);
    },

    clearEntry(slot: PteSlot): void {
      writeRaw(slot, 0, 0);
    },

    freePgdRange,
  };
}

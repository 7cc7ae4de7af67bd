/**
 * Tearing down page tables (mm/memory.c of 4.17): unmap_vmas() / zap_pte_range() clear the
 * entries of a range (a present page loses its mapcount and its reference, a swap entry is
 * dropped), and free_pgtables() frees the page-table pages that map nothing any more, through
 * the arch's free_pgd_range(), with the floor and ceiling of the neighbouring VMAs.
 */
import { NO_SLOT, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, PG_LEVEL_512G, USER_PMD_UNITS, pmdUnitsDown, pmdUnitsUp, vaHigh, vaJoin, vaLow } from '@mmkit/core';
import type { ArchPageTables } from '@mmkit/core';
import { archOf, type MmapContext } from './context.js';
import type { MmStruct } from './mm.js';
import { mmCounter, pageRemoveRmap, putPage } from './rmap.js';
import { syncMmRss } from './rss.js';

export const PMD_SIZE = 2 ** 21;
const PUD_SIZE = 2 ** 30;
const PGDIR_SIZE = 2 ** 39;

/** pmd_addr_end() and the like: the next multiple of size after addr, or end if that comes first. */
export function nextBoundary(addr: number, size: number, end: number): number {
  const b = addr - (addr % size) + size;
  return b < end ? b : end;
}

/** zap_pte_range() of nr PTEs inside one PMD's table from slot on (pte++). */
function zapPteRange(ctx: MmapContext, mm: MmStruct, arch: ArchPageTables, slot: number, nr: number): void {
  const { pages } = ctx.services;
  const rss = mm.rss;
  // Counted by entries, not by a double address: V8 boxed the address stepped from a parameter each time round.
  for (const last = slot + nr; slot < last; slot++) {
    const pte = arch.readEntryLow(slot);
    const high = arch.readEntryHigh(slot);
    if (arch.pteNone(pte, high)) continue;
    arch.clearEntry(slot); // ptep_get_and_clear_full(): read above
    if (arch.ptePresent(pte)) {
      if (arch.pteSpecial(pte)) continue; // the zero page, a PFN mapping: no struct page to put
      const pfn = arch.ptePfn(pte, high);
      rss[mmCounter(pages, pfn)]--;
      // page_remove_rmap() and the put_page() of tlb_remove_page().
      pageRemoveRmap(pages, pfn);
      putPage(ctx, pfn);
    }
    // A swap or migration entry: free_swap_and_cache() is the swap subsystem's (not built yet).
  }
  // add_mm_rss_vec(): "if (current->mm == mm) sync_mm_rss(mm)" before the counts go to the mm. The mm's own task
  // zaps (munmap, madvise, mremap, mprotect's callers) here; at exit, exit_mm() has synced already, so this adds nothing.
  syncMmRss(mm);
}

/**
 * unmap_page_range() of [addr, end), given as their vaHigh()/vaLow() halves (int32s: munmap's
 * path passes no boxed double): every level walked without allocating, empty upper entries
 * skipped whole.
 */
export function unmapPageRange(ctx: MmapContext, mm: MmStruct, addrHigh: number, addrLow: number, endHigh: number, endLow: number): void {
  const arch = archOf(ctx);
  let addr = vaJoin(addrHigh, addrLow);
  const end = vaJoin(endHigh, endLow);
  mm.updateHiwaterRss(); // unmap_region() and zap_page_range(), before rss drops
  const pgd = mm.pgd;
  while (addr < end) {
    // pgd_addr_end() and the like written out: a call V8 did not inline would box addr and end.
    let pgdEnd = addr - (addr % PGDIR_SIZE) + PGDIR_SIZE;
    if (pgdEnd > end) pgdEnd = end;
    const pgdSlot = arch.lookup(pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_512G);
    if (pgdSlot === NO_SLOT || arch.pteNone(arch.readEntryLow(pgdSlot), arch.readEntryHigh(pgdSlot))) {
      addr = pgdEnd;
      continue;
    }
    while (addr < pgdEnd) {
      let pudEnd = addr - (addr % PUD_SIZE) + PUD_SIZE;
      if (pudEnd > pgdEnd) pudEnd = pgdEnd;
      const pudSlot = arch.lookup(pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_1G);
      if (pudSlot === NO_SLOT || arch.pteNone(arch.readEntryLow(pudSlot), arch.readEntryHigh(pudSlot))) {
        addr = pudEnd;
        continue;
      }
      while (addr < pudEnd) {
        let pmdEnd = addr - (addr % PMD_SIZE) + PMD_SIZE;
        if (pmdEnd > pudEnd) pmdEnd = pudEnd;
        const high = vaHigh(addr);
        const low = vaLow(addr);
        const pmdSlot = arch.lookup(pgd, high, low, PG_LEVEL_2M);
        if (pmdSlot !== NO_SLOT) {
          const pmd = arch.readEntryLow(pmdSlot);
          if (!arch.pteNone(pmd, arch.readEntryHigh(pmdSlot))) {
            if (arch.pmdLarge(pmd)) {
              throw new Error('kernel bug: zap of a 2 MiB PMD leaf: transparent huge pages are not mapped by this mmap yet');
            }
            const pteSlot = arch.lookup(pgd, high, low, PG_LEVEL_4K);
            if (pteSlot !== NO_SLOT) zapPteRange(ctx, mm, arch, pteSlot, (pmdEnd - addr) / 4096);
          }
        }
        addr = pmdEnd;
      }
    }
  }
}

/**
 * free_pgtables() over the detached VMAs first..(the end of their vm_next chain): runs of VMAs
 * less than a PMD apart are gathered into one free_pgd_range() call, each bounded below by floor
 * (the end of VMA floorVma, 0 for none) and above by the next VMA's start (after the last, the
 * start of VMA ceilingVma, or the top for none). The bounds go to the arch as int32 counts of PMDs.
 */
export function freePgtables(ctx: MmapContext, mm: MmStruct, first: number, floorVma: number, ceilingVma: number): void {
  const arch = archOf(ctx);
  const t = mm.vmas;
  const floor = floorVma !== 0 ? pmdUnitsUp(t.vmEnd[floorVma]) : 0;
  let vma = first;
  while (vma !== 0) {
    let next = t.vmNext[vma];
    const addr = pmdUnitsDown(t.vmStart[vma]);
    while (next !== 0 && t.vmStart[next] <= t.vmEnd[vma] + PMD_SIZE) {
      vma = next;
      next = t.vmNext[vma];
    }
    const above = next !== 0 ? next : ceilingVma;
    const ceiling = above !== 0 ? pmdUnitsDown(t.vmStart[above]) : USER_PMD_UNITS;
    arch.freePgdRange(mm.pgd, addr, pmdUnitsUp(t.vmEnd[vma]), floor, ceiling);
    vma = next;
  }
}

/** The pfn of the table an upper entry at slot links. */
/**
 * The slot of the first entry of the table at `level` that maps addr (aligned to that table's
 * span), found by a walk: slots are the arch's numbers, consecutive within a table only.
 */
export function firstSlotOf(arch: ArchPageTables, pgd: number, addr: number, level: number): number {
  return arch.lookup(pgd, vaHigh(addr), vaLow(addr), level);
}

/** Is the entry at slot none? */
function noneAt(arch: ArchPageTables, slot: number): boolean {
  return arch.pteNone(arch.readEntryLow(slot), arch.readEntryHigh(slot));
}

/**
 * Every user PTE that is not none below pgd, in address order: visit(addr, low, high, level)
 * with the entry's words and the level of the leaf (PG_LEVEL_4K for a PTE, PG_LEVEL_2M for a PMD
 * leaf). For invariant checks: it reads every table the mm has.
 */
export function walkUserPtes(arch: ArchPageTables, pgd: number, visit: (addr: number, low: number, high: number, level: number) => void): void {
  const pgdSlot = firstSlotOf(arch, pgd, 0, PG_LEVEL_512G);
  for (let i = 0; i < 256; i++) {
    if (noneAt(arch, pgdSlot + i)) continue;
    const pud = firstSlotOf(arch, pgd, i * PGDIR_SIZE, PG_LEVEL_1G);
    for (let j = 0; j < 512; j++) {
      if (noneAt(arch, pud + j)) continue;
      const pmd = firstSlotOf(arch, pgd, i * PGDIR_SIZE + j * PUD_SIZE, PG_LEVEL_2M);
      if (pmd === NO_SLOT) continue; // a 1 GiB leaf: none in user memory here
      for (let k = 0; k < 512; k++) {
        const s2 = pmd + k;
        if (noneAt(arch, s2)) continue;
        const base = i * PGDIR_SIZE + j * PUD_SIZE + k * PMD_SIZE;
        if (arch.pmdLarge(arch.readEntryLow(s2))) {
          visit(base, arch.readEntryLow(s2), arch.readEntryHigh(s2), PG_LEVEL_2M);
          continue;
        }
        const pte = firstSlotOf(arch, pgd, base, PG_LEVEL_4K);
        for (let l = 0; l < 512; l++) {
          const s1 = pte + l;
          if (!noneAt(arch, s1)) visit(base + l * 4096, arch.readEntryLow(s1), arch.readEntryHigh(s1), PG_LEVEL_4K);
        }
      }
    }
  }
}

import { describe, expect, it } from 'vitest';
import {
  GFP_KERNEL_ACCOUNT, NO_PAGE, NO_SLOT, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, PG_LEVEL_512G, USER_PMD_UNITS, __GFP_ZERO, pmdUnitsDown, pmdUnitsUp, vaHigh, vaLow,
  type ArchPageTables, type ArchPageTablesServices, type Gfp,
} from '@mmkit/core';
import { createTestMachine, type TestMachine } from '@mmkit/core/testing';
import { createX86PageTables } from './pgtable.js';
import { PAGE_SHARED, PAGE_READONLY, _PAGE_NX, _PAGE_TABLE, pfnPmdHugeHigh, pfnPmdHugeLow, pfnPteHigh, pfnPteLow, pteToU64 } from './pgtable-types.js';
import { swpEntryToPteHigh, swpEntryToPteLow } from './swap-entry.js';

/** An entry's two words. */
type Entry = [low: number, high: number];
const pfnPte = (pfn: number, prot: number): Entry => [pfnPteLow(pfn, prot), pfnPteHigh(pfn, prot)];
const pfnPmdHuge = (pfn: number, prot: number): Entry => [pfnPmdHugeLow(pfn, prot), pfnPmdHugeHigh(pfn, prot)];
const swpEntryToPte = (type: number, offset: number): Entry => [swpEntryToPteLow(type, offset), swpEntryToPteHigh(type, offset)];
/** The walks with the address as one number (the contract takes its vaHigh()/vaLow() halves). */
const lookup = (pt: ArchPageTables, pgd: number, addr: number, level: number): number => pt.lookup(pgd, vaHigh(addr), vaLow(addr), level);
const alloc = (pt: ArchPageTables, pgd: number, addr: number, level: number): number => pt.alloc(pgd, vaHigh(addr), vaLow(addr), level);
const read = (pt: ArchPageTables, slot: number): Entry => [pt.readEntryLow(slot), pt.readEntryHigh(slot)];
const set = (pt: ArchPageTables, slot: number, [low, high]: Entry): void => pt.setEntry(slot, low, high);
/** free_pgd_range() with Linux's byte bounds (ceiling 0: the top), rounded to the contract's counts of PMDs. */
const freeRange = (pt: ArchPageTables, pgd: number, addr: number, end: number, floor: number, ceiling: number): void =>
  pt.freePgdRange(pgd, pmdUnitsDown(addr), pmdUnitsUp(end), pmdUnitsUp(floor), ceiling === 0 ? USER_PMD_UNITS : pmdUnitsDown(ceiling));

const MiB = 2 ** 20;
const GiB = 2 ** 30;

interface Setup {
  m: TestMachine;
  services: ArchPageTablesServices;
  gfps: Gfp[];
  /** Fail allocations from now on while true. */
  fail: { on: boolean };
}

function setup(nrPages = 4096): Setup {
  const m = createTestMachine({ nrPages });
  m.pages.setZoneSpan(0, nrPages, m.zone.zoneNum);
  const zones = [];
  zones[m.zone.zoneNum] = m.zone;
  const gfps: Gfp[] = [];
  const fail = { on: false };
  const allocator = {
    allocPages: (gfp: Gfp, order: number) => (fail.on ? NO_PAGE : (gfps.push(gfp), m.pageAllocator.allocPages(gfp, order))),
    freePages: (pfn: number, order: number) => m.pageAllocator.freePages(pfn, order),
  };
  const services: ArchPageTablesServices = { ...m, zones, pageAllocator: allocator };
  return { m, services, gfps, fail };
}

describe('x86-64 page tables', () => {
  it('pgd_alloc takes an order-1 page with page-table isolation, order 0 without, and keeps the mm in its index', () => {
    const { m, services, gfps } = setup();
    const pt = createX86PageTables(services);
    const pgd = pt.pgdAlloc(7);
    expect(m.allocatedPages()).toBe(2);
    expect(gfps).toEqual([GFP_KERNEL_ACCOUNT | __GFP_ZERO]);
    expect(m.pages.getIndex(pgd)).toBe(7);
    pt.pgdFree(pgd);
    expect(m.allocatedPages()).toBe(0);
    const noPti = createX86PageTables(services, { pti: false });
    const pgd0 = noPti.pgdAlloc(1);
    expect(m.allocatedPages()).toBe(1);
    noPti.pgdFree(pgd0);
    expect(m.allocatedPages()).toBe(0);
  });

  it('a walk allocates PUD, PMD and PTE tables once, counts them, and lookup finds the same slot', () => {
    const { m, services } = setup();
    const pt = createX86PageTables(services, { pti: false });
    const pgd = pt.pgdAlloc(1);
    const addr = 0x7f0012345000;
    expect(lookup(pt, pgd, addr, PG_LEVEL_4K)).toBe(NO_SLOT);
    expect(m.allocatedPages()).toBe(1);
    const slot = alloc(pt, pgd, addr, PG_LEVEL_4K);
    expect(slot).not.toBe(NO_SLOT);
    expect(m.allocatedPages()).toBe(4);
    expect(pt.pgtablesBytes(pgd)).toBe(3 * 4096);
    expect(m.zone.nrPagetable).toBe(1); // NR_PAGETABLE counts the PTE table only (pgtable_page_ctor())
    expect(lookup(pt, pgd, addr, PG_LEVEL_4K)).toBe(slot);
    expect(alloc(pt, pgd, addr, PG_LEVEL_4K)).toBe(slot);
    expect(m.allocatedPages()).toBe(4);
    // The slot is where pte_index() says in the table the PMD entry links.
    const pmdSlot = lookup(pt, pgd, addr, PG_LEVEL_2M);
    const pmd = read(pt, pmdSlot);
    expect(pmd[0] & 0xfff).toBe(_PAGE_TABLE);
    const ptePage = pt.ptePfn(...pmd);
    expect(slot).toBe(m.pages.private[ptePage] * 512 + ((addr / 4096) % 512)); // the table's number * 512 + pte_index()
    expect(m.pages.pageTables.get(slot >>> 9)).toBe(ptePage); // the directory names the table's page
    // Neighbours in the same 2 MiB share the table; the next 2 MiB needs a new one.
    expect(alloc(pt, pgd, addr + 4096, PG_LEVEL_4K)).toBe(slot + 1); // pte++
    alloc(pt, pgd, addr + 2 * MiB, PG_LEVEL_4K);
    expect(m.allocatedPages()).toBe(5);
    expect(lookup(pt, pgd, addr, PG_LEVEL_512G)).toBe(m.pages.private[pgd] * 512 + Math.floor(addr / 2 ** 39));
    expect(lookup(pt, pgd, addr, PG_LEVEL_1G)).not.toBe(NO_SLOT);
    expect(() => lookup(pt, pgd, 2 ** 47, PG_LEVEL_4K)).toThrow(/user address/);
    expect(() => pt.lookup(pgd, 0.5, 0, PG_LEVEL_4K)).toThrow(/user address/);
    expect(() => alloc(pt, pgd, addr, 0)).toThrow(/level/);
  });

  it('entries in memory are the 64-bit words of 4.17 (NX in bit 63), read back exactly', () => {
    const { m, services } = setup();
    const pt = createX86PageTables(services, { pti: false });
    const pgd = pt.pgdAlloc(1);
    const slot = alloc(pt, pgd, 0x400000, PG_LEVEL_4K);
    const pte = pfnPte(0x1234, PAGE_SHARED);
    set(pt, slot, pte);
    const table = m.pages.pageTables.get(slot >>> 9); // the page of the table the slot is in
    const off = (slot % 512) * 8;
    const bytes = new Uint8Array(8);
    m.contents.read(table, off, bytes);
    expect(Buffer.from(bytes).toString('hex')).toBe('2740230100000080'); // 0x8000000001234027 little-endian
    expect(read(pt, slot)).toEqual(pte);
    expect(pteToU64(...read(pt, slot))).toBe(0x8000000001234027n);
    expect(pt.readEntryHigh(slot)).toBe(_PAGE_NX); // an int32: bit 31 is its sign
    pt.clearEntry(slot);
    expect(read(pt, slot)).toEqual([0, 0]);
    const swp = swpEntryToPte(3, 0xfffff);
    set(pt, slot, swp);
    expect(pt.pteSwpType(pt.readEntryLow(slot))).toBe(3);
    expect(pt.pteSwpOffset(...read(pt, slot))).toBe(0xfffff);
    expect(() => pt.setEntry(slot, 2 ** 32, 0)).toThrow(/int32/);
    expect(() => pt.setEntry(slot, 0, 0.5)).toThrow(/int32/);
    // Every bit of the word is kept, the ones 4.17 leaves at 0 too (bit 52).
    m.contents.write(table, off + 4, Uint8Array.of(0, 0, 0x10, 0));
    expect(pteToU64(...read(pt, slot)) >> 52n).toBe(1n);
  });

  it('with page-table isolation the user copy of the pgd gets the same entry and the kernel copy NX', () => {
    const { m, services } = setup();
    const pt = createX86PageTables(services);
    const pgd = pt.pgdAlloc(1);
    alloc(pt, pgd, 0x1000, PG_LEVEL_4K);
    const kernel = [m.contents.readI32(pgd, 0), m.contents.readI32(pgd, 4)];
    const user = [m.contents.readI32(pgd + 1, 0), m.contents.readI32(pgd + 1, 4)];
    expect(user[0] & 0xfff).toBe(_PAGE_TABLE);
    expect(kernel).toEqual([user[0], user[1] | _PAGE_NX]);
    // The walk follows the kernel copy.
    expect(lookup(pt, pgd, 0x1000, PG_LEVEL_4K)).not.toBe(NO_SLOT);
  });

  it('table numbers: dense, reused after a free, so slots stay int32s for tables above 16 GiB of physical memory', () => {
    // 64 GiB of struct pages (resident only where written); the allocator hands out pfns above 16 GiB.
    const nrPages = 2 ** 24;
    const { m, services } = setup(nrPages);
    let next = 2 ** 22 + 12345;
    const freed: number[] = [];
    const pt = createX86PageTables({
      ...services,
      pageAllocator: {
        allocPages: (_gfp: Gfp, order: number) => {
          const pfn = next;
          next += 1 << order;
          return pfn;
        },
        freePages: (pfn: number) => void freed.push(pfn),
      },
    });
    const pgd = pt.pgdAlloc(1);
    const addrs = [0x1000, 0x7f0000001000, 0x40000000, 0x7fffffffe000];
    for (const a of addrs) {
      const slot = alloc(pt, pgd, a, PG_LEVEL_4K);
      expect(slot | 0).toBe(slot);
      pt.setEntry(slot, pfnPteLow(7, PAGE_SHARED), pfnPteHigh(7, PAGE_SHARED));
    }
    for (const a of addrs) expect(read(pt, lookup(pt, pgd, a, PG_LEVEL_4K))).toEqual(pfnPte(7, PAGE_SHARED));
    // pgd + its user copy, then PUD, PMD, PTE for 0x1000; PMD, PTE for 0x40000000 ...: numbers 0, 1, 2, ...
    const numbers = [pgd, pgd + 1].map((p) => m.pages.private[p]);
    expect(numbers).toEqual([0, 1]);
    const used = m.pages.pageTables.get(nrPages + 1);
    freeRange(pt, pgd, 0, 2 ** 47, 0, 0);
    expect(pt.pgtablesBytes(pgd)).toBe(0);
    // A new table takes a freed number back: no new number is used.
    const slot = alloc(pt, pgd, 0x1000, PG_LEVEL_4K);
    expect(slot >>> 9).toBeLessThan(used);
    expect(m.pages.pageTables.get(nrPages + 1)).toBe(used);
    expect(freed.length).toBeGreaterThan(0);
  });

  it('2 MiB PMD leaves: set, seen by lookup at PG_LEVEL_2M, not walked through', () => {
    const { services } = setup();
    const pt = createX86PageTables(services, { pti: false });
    const pgd = pt.pgdAlloc(1);
    const addr = 0x600000;
    const pmdSlot = alloc(pt, pgd, addr, PG_LEVEL_2M);
    set(pt, pmdSlot, pfnPmdHuge(1536, PAGE_SHARED));
    expect(pt.pmdTransHuge(...read(pt, lookup(pt, pgd, addr + 4096, PG_LEVEL_2M)))).toBe(true);
    expect(pt.pmdPfn(...read(pt, pmdSlot))).toBe(1536);
    expect(lookup(pt, pgd, addr, PG_LEVEL_4K)).toBe(NO_SLOT);
    expect(() => alloc(pt, pgd, addr, PG_LEVEL_4K)).toThrow(/2 MiB leaf/);
    pt.clearEntry(pmdSlot);
    expect(alloc(pt, pgd, addr, PG_LEVEL_4K)).not.toBe(NO_SLOT);
  });

  it('an allocation failure is NO_SLOT and keeps the tables allocated before', () => {
    const { m, services, fail } = setup();
    const pt = createX86PageTables(services, { pti: false });
    const pgd = pt.pgdAlloc(1);
    alloc(pt, pgd, 0x1000, PG_LEVEL_2M); // PUD and PMD tables
    fail.on = true;
    expect(alloc(pt, pgd, 0x1000, PG_LEVEL_4K)).toBe(NO_SLOT);
    expect(m.allocatedPages()).toBe(3);
    expect(pt.pgdAlloc(2)).toBe(NO_PAGE);
    fail.on = false;
    freeRange(pt, pgd, 0x1000, 0x2000, 0, 0);
    pt.pgdFree(pgd);
    expect(m.allocatedPages()).toBe(0);
  });

  describe('free_pgd_range (mm/memory.c)', () => {
    /** Tables of an mm with a PTE table at each of addrs. */
    function populated(addrs: number[]) {
      const s = setup(8192);
      const pt = createX86PageTables(s.services, { pti: false });
      const pgd = pt.pgdAlloc(1);
      for (const a of addrs) set(pt, alloc(pt, pgd, a, PG_LEVEL_4K), [0, 0]);
      return { ...s, pt, pgd };
    }

    it('frees every table of a range with no floor and no ceiling, down to the pgd', () => {
      const { m, pt, pgd } = populated([0x400000, 0x7f0000000000, 0x7ffffffde000]);
      const boot = m.zone.freePages + m.allocatedPages();
      expect(m.zone.nrPagetable).toBe(3);
      freeRange(pt, pgd, 0, 2 ** 47 - 4096, 0, 0);
      expect(m.zone.nrPagetable).toBe(0);
      expect(pt.pgtablesBytes(pgd)).toBe(0);
      expect(m.allocatedPages()).toBe(1);
      pt.pgdFree(pgd);
      expect(m.allocatedPages()).toBe(0);
      expect(m.zone.freePages).toBe(boot);
      expect(m.logs).toEqual([]);
    });

    it('keeps a PTE table that a neighbour below the range still uses (floor inside its 2 MiB)', () => {
      // A VMA [0x400000, 0x401000) and the unmapped one [0x401000, 0x402000): prev->vm_end is the floor.
      const { m, pt, pgd } = populated([0x400000, 0x401000]);
      freeRange(pt, pgd, 0x401000, 0x402000, 0x401000, 0);
      expect(m.zone.nrPagetable).toBe(1);
      expect(lookup(pt, pgd, 0x400000, PG_LEVEL_4K)).not.toBe(NO_SLOT);
      // With the floor at the neighbour's start the table goes.
      freeRange(pt, pgd, 0x401000, 0x402000, 0x400000, 0);
      expect(m.zone.nrPagetable).toBe(0);
      // The PMD table maps [0, 1 GiB), which reaches below the floor: it stays, and the PUD with it.
      expect(pt.pgtablesBytes(pgd)).toBe(2 * 4096);
    });

    it('keeps a PTE table that a neighbour above uses (ceiling inside its 2 MiB)', () => {
      const { m, pt, pgd } = populated([0x400000]);
      freeRange(pt, pgd, 0x400000, 0x401000, 0, 0x5ff000);
      expect(m.zone.nrPagetable).toBe(1);
      freeRange(pt, pgd, 0x400000, 0x401000, 0, 0x600000);
      expect(m.zone.nrPagetable).toBe(0);
    });

    it('frees the PTE table but keeps the PMD table when the ceiling is inside the same 1 GiB', () => {
      const { m, pt, pgd } = populated([0x400000, 0x800000]);
      // Unmap [0x400000, 0x401000) with the next VMA at 0x800000: its PTE table stays, the first goes.
      freeRange(pt, pgd, 0x400000, 0x401000, 0, 0x800000);
      expect(m.zone.nrPagetable).toBe(1);
      expect(lookup(pt, pgd, 0x400000, PG_LEVEL_2M)).not.toBe(NO_SLOT);
      expect(lookup(pt, pgd, 0x400000, PG_LEVEL_4K)).toBe(NO_SLOT);
      expect(pt.pgtablesBytes(pgd)).toBe(3 * 4096); // PUD, PMD, the PTE table at 0x800000
    });

    it('frees PMD and PUD tables only when floor and ceiling leave their whole span', () => {
      const { m, pt, pgd } = populated([1 * GiB + 0x1000, 3 * GiB]);
      // The first GiB-aligned span [1 GiB, 2 GiB) is free of others: its PMD table goes, the PUD stays (3 GiB uses it).
      freeRange(pt, pgd, 1 * GiB, 1 * GiB + 0x2000, 0, 3 * GiB);
      expect(lookup(pt, pgd, 1 * GiB, PG_LEVEL_2M)).toBe(NO_SLOT);
      expect(lookup(pt, pgd, 1 * GiB, PG_LEVEL_1G)).not.toBe(NO_SLOT);
      expect(pt.pgtablesBytes(pgd)).toBe(3 * 4096);
      freeRange(pt, pgd, 3 * GiB, 3 * GiB + 0x1000, 0, 0);
      expect(lookup(pt, pgd, 1 * GiB, PG_LEVEL_1G)).toBe(NO_SLOT);
      expect(pt.pgtablesBytes(pgd)).toBe(0);
      expect(m.allocatedPages()).toBe(1);
    });

    it('a ceiling below the first PMD boundary frees nothing (ceiling &= PMD_MASK leaves 0); the bounds are counts of PMDs', () => {
      const { m, pt, pgd } = populated([0x0]);
      freeRange(pt, pgd, 0x0, 0x1000, 0, 0x1000);
      expect(m.zone.nrPagetable).toBe(1);
      expect([pmdUnitsDown(0x3fffff), pmdUnitsUp(0x200001), pmdUnitsUp(2 ** 47 - 4096), USER_PMD_UNITS]).toEqual([1, 2, 2 ** 26, 2 ** 26]);
      pt.freePgdRange(pgd, 0, 1, 0, USER_PMD_UNITS);
      expect(m.zone.nrPagetable).toBe(0);
    });

    it('a range inside one PMD below the ceiling frees nothing (end rounds down by PMD_SIZE)', () => {
      const { m, pt, pgd } = populated([0x400000]);
      freeRange(pt, pgd, 0x400000, 0x401000, 0x400000, 0x401000);
      expect(m.zone.nrPagetable).toBe(1);
    });

    it('a leaf left under the range is reported as a bad pmd and cleared', () => {
      const { m, pt, pgd } = populated([]);
      const pmdSlot = alloc(pt, pgd, 0x200000, PG_LEVEL_2M);
      set(pt, pmdSlot, pfnPmdHuge(512, PAGE_READONLY));
      freeRange(pt, pgd, 0x200000, 0x400000, 0, 0);
      expect(m.logs.some((l) => /bad pmd/.test(l))).toBe(true);
      expect(pt.pgtablesBytes(pgd)).toBe(0);
    });

    it('refuses bounds outside the user half', () => {
      const { pt, pgd } = populated([]);
      expect(() => pt.freePgdRange(pgd, 0, USER_PMD_UNITS + 1, 0, USER_PMD_UNITS)).toThrow(/\[0, 2\^26\]/);
      expect(() => pt.freePgdRange(pgd, -1, 1, 0, USER_PMD_UNITS)).toThrow(/free_pgd_range/);
      expect(() => pt.freePgdRange(pgd, 0.5, 1, 0, USER_PMD_UNITS)).toThrow(/free_pgd_range/);
    });

    it('pgd_free with tables left says so as check_mm() does', () => {
      const { m, pt, pgd } = populated([0x400000]);
      pt.pgdFree(pgd);
      expect(m.logs).toEqual(['BUG: non-zero pgtables_bytes on freeing mm: 12288']);
    });
  });

  it('many mappings across the address space: teardown gives every page back', () => {
    const { m, services } = setup(16384);
    const pt = createX86PageTables(services);
    const free0 = m.zone.freePages;
    const pgds = [pt.pgdAlloc(1), pt.pgdAlloc(2)];
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    let misread = 0;
    for (let i = 0; i < 2000; i++) {
      const pgd = pgds[i & 1];
      const addr = (rand() % 2 ** 23) * 2 ** 24 + (rand() % 4096) * 4096;
      const slot = alloc(pt, pgd, addr, PG_LEVEL_4K);
      set(pt, slot, pfnPte(i, PAGE_SHARED));
      if (pt.ptePfn(...read(pt, lookup(pt, pgd, addr, PG_LEVEL_4K))) !== i) misread++;
      pt.clearEntry(slot);
    }
    expect(misread).toBe(0);
    expect(m.zone.nrPagetable).toBeGreaterThan(100);
    for (const pgd of pgds) {
      freeRange(pt, pgd, 0, 2 ** 47 - 4096, 0, 0);
      pt.pgdFree(pgd);
    }
    expect(m.zone.freePages).toBe(free0);
    expect(m.zone.nrPagetable).toBe(0);
    expect(m.allocatedPages()).toBe(0);
  });
});

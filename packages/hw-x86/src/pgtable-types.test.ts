import { describe, expect, it } from 'vitest';
import {
  PAGE_COPY, PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, _PAGE_ACCESSED, _PAGE_BIT_ACCESSED, _PAGE_BIT_DEVMAP, _PAGE_BIT_DIRTY,
  _PAGE_BIT_GLOBAL, _PAGE_BIT_NX, _PAGE_BIT_PCD, _PAGE_BIT_PRESENT, _PAGE_BIT_PROTNONE, _PAGE_BIT_PSE, _PAGE_BIT_PWT, _PAGE_BIT_RW,
  _PAGE_BIT_SOFT_DIRTY, _PAGE_BIT_SPECIAL, _PAGE_BIT_SWP_SOFT_DIRTY, _PAGE_BIT_USER, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_NX, _PAGE_PCD,
  _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, _PAGE_RW, _PAGE_SOFT_DIRTY, _PAGE_SPECIAL, _PAGE_TABLE, _PAGE_USER, PGDIR_SHIFT, PMD_SHIFT,
  PTRS_PER_TABLE, PUD_SHIFT, pfnPmdHuge, pfnPte, pmdPfn, pmdTransHuge, pteBitValue, pteDevmap, pteDirty, pteExec, pteFromU64, pteFromWords,
  pteHiWord, pteMkclean, pteMkdirty, pteMkold, pteMkwrite, pteModify, pteNone, ptePfn, ptePresent, pteProtnone, pteToU64, pteWrite,
  pteWrprotect, pteYoung, vmGetPageProt,
} from './pgtable-types.js';

describe('x86-64 entry bits (arch/x86/include/asm/pgtable_types.h, v4.17)', () => {
  it('has 4.17\'s bit numbers', () => {
    expect([_PAGE_BIT_PRESENT, _PAGE_BIT_RW, _PAGE_BIT_USER, _PAGE_BIT_PWT, _PAGE_BIT_PCD, _PAGE_BIT_ACCESSED, _PAGE_BIT_DIRTY, _PAGE_BIT_PSE, _PAGE_BIT_GLOBAL])
      .toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(_PAGE_BIT_SPECIAL).toBe(9);
    expect(_PAGE_BIT_SOFT_DIRTY).toBe(11);
    expect(_PAGE_BIT_DEVMAP).toBe(58);
    expect(_PAGE_BIT_NX).toBe(63);
    expect(_PAGE_BIT_PROTNONE).toBe(_PAGE_BIT_GLOBAL);
    expect(_PAGE_BIT_SWP_SOFT_DIRTY).toBe(_PAGE_BIT_RW);
    expect([PUD_SHIFT, PMD_SHIFT, PGDIR_SHIFT, PTRS_PER_TABLE]).toEqual([30, 21, 39, 512]);
  });

  it('keeps each flag at its hardware bit in the 64-bit word', () => {
    const cases: [number, number][] = [
      [_PAGE_PRESENT, 0], [_PAGE_RW, 1], [_PAGE_USER, 2], [_PAGE_PCD, 4], [_PAGE_ACCESSED, 5], [_PAGE_DIRTY, 6], [_PAGE_PSE, 7],
      [_PAGE_PROTNONE, 8], [_PAGE_SPECIAL, 9], [_PAGE_SOFT_DIRTY, 11], [_PAGE_DEVMAP, 58], [_PAGE_NX, 63],
    ];
    for (const [flag, bit] of cases) {
      expect(pteToU64(flag)).toBe(1n << BigInt(bit));
      expect(pteFromU64(1n << BigInt(bit))).toBe(flag);
      expect(pteBitValue(bit)).toBe(flag);
    }
    expect(() => pteBitValue(50)).toThrow(/not representable/);
    expect(() => pteFromU64(1n << 50n)).toThrow(/46\.\.57/);
    expect(Number.isNaN(pteFromWords(0, 1 << 20))).toBe(true);
  });

  it('puts NX in bit 7 of the high word', () => {
    const v = pfnPte(0x12345, PAGE_COPY);
    expect(pteHiWord(v)).toBe(0x80000000);
    expect(pteToU64(v)).toBe(0x8000000012345025n); // PRESENT|USER|ACCESSED, NX
    expect(pteFromWords(v >>> 0, pteHiWord(v))).toBe(v);
  });

  it('gives the pfn back, up to 2^34', () => {
    for (const pfn of [0, 1, 0x7ffff, 0x80000, 2 ** 31 - 1, 2 ** 34 - 1]) {
      const v = pfnPte(pfn, PAGE_SHARED);
      expect(ptePfn(v)).toBe(pfn);
      expect(pteToU64(v) & 0x000ffffffffff000n).toBe(BigInt(pfn) << 12n);
      expect(v).toBeLessThan(2 ** 52);
    }
    expect(() => pfnPte(2 ** 34, PAGE_SHARED)).toThrow(/2\^34/);
  });

  it('pte_none ignores accessed and dirty (the KNL erratum); pte_present counts PROT_NONE', () => {
    expect(pteNone(0)).toBe(true);
    expect(pteNone(_PAGE_ACCESSED | _PAGE_DIRTY)).toBe(true);
    expect(pteNone(_PAGE_PROTNONE)).toBe(false);
    const none = pfnPte(5, PAGE_NONE);
    expect(ptePresent(none)).toBe(true);
    expect(pteProtnone(none)).toBe(true);
    expect(pteProtnone(pfnPte(5, PAGE_READONLY))).toBe(false);
  });

  it('helpers set and clear what Linux\'s do', () => {
    const v = pfnPte(7, PAGE_SHARED);
    expect(pteWrite(v)).toBe(true);
    expect(pteYoung(v)).toBe(true);
    expect(pteExec(v)).toBe(false);
    expect(pteWrite(pteWrprotect(v))).toBe(false);
    expect(pteWrprotect(pteWrprotect(v))).toBe(pteWrprotect(v));
    expect(pteMkwrite(pteWrprotect(v))).toBe(v);
    expect(pteYoung(pteMkold(v))).toBe(false);
    const d = pteMkdirty(v);
    expect(pteDirty(d)).toBe(true);
    expect(pteToU64(d) & (1n << 11n)).toBe(1n << 11n); // pte_mkdirty sets _PAGE_SOFT_DIRTY too
    expect(pteDirty(pteMkclean(d))).toBe(false);
    expect(ptePfn(pteMkclean(d))).toBe(7);
    expect(pteExec(pfnPte(7, PAGE_SHARED_EXEC))).toBe(true);
  });

  it('pte_modify keeps the pfn, accessed, dirty and special bits and takes NX and the rest from newprot', () => {
    const v = pteMkdirty(pfnPte(0x4242, PAGE_SHARED)) + _PAGE_SPECIAL;
    const ro = pteModify(v, PAGE_READONLY);
    expect(ptePfn(ro)).toBe(0x4242);
    expect(pteWrite(ro)).toBe(false);
    expect(pteDirty(ro)).toBe(true);
    expect(ro & _PAGE_SPECIAL).toBe(_PAGE_SPECIAL);
    expect(pteExec(ro)).toBe(false);
    const none = pteModify(v, PAGE_NONE);
    expect(pteProtnone(none)).toBe(true);
    expect(pteExec(none)).toBe(true); // PAGE_NONE carries no NX
    expect(pteExec(pteModify(v, PAGE_SHARED_EXEC))).toBe(true);
    expect(pteToU64(pteModify(v, PAGE_SHARED))).toBe(pteToU64(v));
  });

  it('2 MiB leaves: PSE, a 512-aligned pfn, pmd_trans_huge unless devmap', () => {
    const pmd = pfnPmdHuge(1024, PAGE_SHARED);
    expect(pmd & _PAGE_PSE).toBe(_PAGE_PSE);
    expect(pmdPfn(pmd)).toBe(1024);
    expect(pmdTransHuge(pmd)).toBe(true);
    expect(pmdTransHuge(pmd + _PAGE_DEVMAP)).toBe(false);
    expect(pteDevmap(pmd + _PAGE_DEVMAP)).toBe(true);
    expect(pmdTransHuge(1024 * 4096 + _PAGE_TABLE)).toBe(false);
    expect(() => pfnPmdHuge(1025, PAGE_SHARED)).toThrow(/512-aligned/);
  });

  it('protection_map: __P and __S of 4.17', () => {
    expect(vmGetPageProt(0)).toBe(PAGE_NONE);
    expect(vmGetPageProt(1 | 2)).toBe(PAGE_COPY); // private writable: copy-on-write, read-only
    expect(vmGetPageProt(8 | 1 | 2)).toBe(PAGE_SHARED);
    expect(pteToU64(PAGE_SHARED)).toBe(0x8000000000000027n);
    expect(pteToU64(vmGetPageProt(8 | 4 | 2 | 1))).toBe(0x27n);
    expect(pteToU64(PAGE_NONE)).toBe(0x120n);
  });
});

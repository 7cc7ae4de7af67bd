import { describe, expect, it } from 'vitest';
import {
  PAGE_COPY, PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, _PAGE_ACCESSED, _PAGE_BIT_ACCESSED, _PAGE_BIT_DEVMAP, _PAGE_BIT_DIRTY,
  _PAGE_BIT_GLOBAL, _PAGE_BIT_NX, _PAGE_BIT_PCD, _PAGE_BIT_PRESENT, _PAGE_BIT_PROTNONE, _PAGE_BIT_PSE, _PAGE_BIT_PWT, _PAGE_BIT_RW,
  _PAGE_BIT_SOFT_DIRTY, _PAGE_BIT_SPECIAL, _PAGE_BIT_SWP_SOFT_DIRTY, _PAGE_BIT_USER, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_NX, _PAGE_PCD,
  _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, _PAGE_RW, _PAGE_SOFT_DIRTY, _PAGE_SPECIAL, _PAGE_TABLE, _PAGE_USER, PGDIR_SHIFT, PMD_SHIFT,
  PTRS_PER_TABLE, PUD_SHIFT, pfnPmdHugeHigh, pfnPmdHugeLow, pfnPteHigh, pfnPteLow, pgprotToU64, pmdPfn, pmdTransHuge, pteDevmap, pteDirty, pteExec,
  pteFromU64, pteMkclean, pteMkdirty, pteMkold, pteMkwrite, pteModifyHigh, pteModifyLow, pteNone, ptePfn, ptePgprot, ptePresent, pteProtnone, pteToU64,
  pteWrite, pteWrprotect, pteYoung, vmGetPageProt,
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

  it('keeps each flag at its hardware bit of the 64-bit word: bits 0..11 in the low word, 58..63 in the high word', () => {
    const low: [number, number][] = [
      [_PAGE_PRESENT, 0], [_PAGE_RW, 1], [_PAGE_USER, 2], [_PAGE_PCD, 4], [_PAGE_ACCESSED, 5], [_PAGE_DIRTY, 6], [_PAGE_PSE, 7],
      [_PAGE_PROTNONE, 8], [_PAGE_SPECIAL, 9], [_PAGE_SOFT_DIRTY, 11],
    ];
    for (const [flag, bit] of low) {
      expect(pteToU64(flag, 0)).toBe(1n << BigInt(bit));
      expect(pteFromU64(1n << BigInt(bit))).toEqual([flag, 0]);
    }
    for (const [flag, bit] of [[_PAGE_DEVMAP, 58], [_PAGE_NX, 63]] as const) {
      expect(pteToU64(0, flag)).toBe(1n << BigInt(bit));
      expect(pteFromU64(1n << BigInt(bit))).toEqual([0, flag]);
      expect(pgprotToU64(flag)).toBe(1n << BigInt(bit));
    }
    expect(_PAGE_NX).toBe(-(2 ** 31)); // the sign bit: an int32, never a boxed double
    expect(pteFromU64(0xffffffffffffffffn)).toEqual([-1, -1]);
    expect(() => pteFromU64(1n << 64n)).toThrow(/64-bit/);
  });

  it('puts NX in bit 31 of the high word; both words are int32s', () => {
    const lo = pfnPteLow(0x12345, PAGE_COPY);
    const hi = pfnPteHigh(0x12345, PAGE_COPY);
    expect(hi).toBe(_PAGE_NX);
    expect(pteToU64(lo, hi)).toBe(0x8000000012345025n); // PRESENT|USER|ACCESSED, NX
    expect(lo | 0).toBe(lo);
    expect(hi | 0).toBe(hi);
    expect(ptePgprot(lo, hi)).toBe(PAGE_COPY);
  });

  it('gives the pfn back, up to 2^34', () => {
    for (const pfn of [0, 1, 0x7ffff, 0x80000, 0xfffff, 0x100000, 2 ** 31 - 1, 2 ** 34 - 1]) {
      const lo = pfnPteLow(pfn, PAGE_SHARED);
      const hi = pfnPteHigh(pfn, PAGE_SHARED);
      expect(ptePfn(lo, hi)).toBe(pfn);
      expect(pteToU64(lo, hi) & 0x000ffffffffff000n).toBe(BigInt(pfn) << 12n);
      expect((lo | 0) === lo && (hi | 0) === hi).toBe(true);
    }
    expect(() => pfnPteLow(2 ** 34, PAGE_SHARED)).toThrow(/2\^34/);
    expect(() => pfnPteHigh(2 ** 34, PAGE_SHARED)).toThrow(/2\^34/);
  });

  it('pte_none ignores accessed and dirty (the KNL erratum) and sees the high word; pte_present counts PROT_NONE', () => {
    expect(pteNone(0, 0)).toBe(true);
    expect(pteNone(_PAGE_ACCESSED | _PAGE_DIRTY, 0)).toBe(true);
    expect(pteNone(_PAGE_PROTNONE, 0)).toBe(false);
    expect(pteNone(0, 1)).toBe(false); // a swap offset's high bits
    expect(pteNone(0, _PAGE_NX)).toBe(false);
    const none = pfnPteLow(5, PAGE_NONE);
    expect(ptePresent(none)).toBe(true);
    expect(pteProtnone(none)).toBe(true);
    expect(pteProtnone(pfnPteLow(5, PAGE_READONLY))).toBe(false);
  });

  it('helpers set and clear what Linux\'s do', () => {
    const v = pfnPteLow(7, PAGE_SHARED);
    const h = pfnPteHigh(7, PAGE_SHARED);
    expect(pteWrite(v)).toBe(true);
    expect(pteYoung(v)).toBe(true);
    expect(pteExec(h)).toBe(false);
    expect(pteWrite(pteWrprotect(v))).toBe(false);
    expect(pteWrprotect(pteWrprotect(v))).toBe(pteWrprotect(v));
    expect(pteMkwrite(pteWrprotect(v))).toBe(v);
    expect(pteYoung(pteMkold(v))).toBe(false);
    const d = pteMkdirty(v);
    expect(pteDirty(d)).toBe(true);
    expect(pteToU64(d, h) & (1n << 11n)).toBe(1n << 11n); // pte_mkdirty sets _PAGE_SOFT_DIRTY too
    expect(pteDirty(pteMkclean(d))).toBe(false);
    expect(ptePfn(pteMkclean(d), h)).toBe(7);
    expect(pteExec(pfnPteHigh(7, PAGE_SHARED_EXEC))).toBe(true);
    // Flags of the low word leave the pfn bits of a large pfn alone.
    const big = pfnPteLow(0xfffff, PAGE_SHARED);
    expect(big).toBeLessThan(0);
    expect(ptePfn(pteMkold(pteMkdirty(pteWrprotect(big))), 0)).toBe(0xfffff);
  });

  it('pte_modify keeps the pfn, accessed, dirty and special bits and takes NX and the rest from newprot', () => {
    const v = pteMkdirty(pfnPteLow(0x4242, PAGE_SHARED)) | _PAGE_SPECIAL;
    const h = pfnPteHigh(0x4242, PAGE_SHARED);
    const ro = pteModifyLow(v, PAGE_READONLY);
    const roHigh = pteModifyHigh(h, PAGE_READONLY);
    expect(ptePfn(ro, roHigh)).toBe(0x4242);
    expect(pteWrite(ro)).toBe(false);
    expect(pteDirty(ro)).toBe(true);
    expect(ro & _PAGE_SPECIAL).toBe(_PAGE_SPECIAL);
    expect(pteExec(roHigh)).toBe(false);
    const none = pteModifyLow(v, PAGE_NONE);
    expect(pteProtnone(none)).toBe(true);
    expect(pteExec(pteModifyHigh(h, PAGE_NONE))).toBe(true); // PAGE_NONE carries no NX
    expect(pteExec(pteModifyHigh(h, PAGE_SHARED_EXEC))).toBe(true);
    expect(pteToU64(pteModifyLow(v, PAGE_SHARED), pteModifyHigh(h, PAGE_SHARED))).toBe(pteToU64(v, h));
    // The high pfn bits stay.
    const hh = pfnPteHigh(2 ** 33 + 5, PAGE_SHARED);
    expect(ptePfn(pteModifyLow(pfnPteLow(2 ** 33 + 5, PAGE_SHARED), PAGE_NONE), pteModifyHigh(hh, PAGE_NONE))).toBe(2 ** 33 + 5);
  });

  it('2 MiB leaves: PSE, a 512-aligned pfn, pmd_trans_huge unless devmap', () => {
    const pmd = pfnPmdHugeLow(1024, PAGE_SHARED);
    const high = pfnPmdHugeHigh(1024, PAGE_SHARED);
    expect(pmd & _PAGE_PSE).toBe(_PAGE_PSE);
    expect(pmdPfn(pmd, high)).toBe(1024);
    expect(pmdTransHuge(pmd, high)).toBe(true);
    expect(pmdTransHuge(pmd, high | _PAGE_DEVMAP)).toBe(false);
    expect(pteDevmap(high | _PAGE_DEVMAP)).toBe(true);
    expect(pmdTransHuge(1024 * 4096 + _PAGE_TABLE, 0)).toBe(false);
    expect(() => pfnPmdHugeLow(1025, PAGE_SHARED)).toThrow(/512-aligned/);
  });

  it('protection_map: __P and __S of 4.17', () => {
    expect(vmGetPageProt(0)).toBe(PAGE_NONE);
    expect(vmGetPageProt(1 | 2)).toBe(PAGE_COPY); // private writable: copy-on-write, read-only
    expect(vmGetPageProt(8 | 1 | 2)).toBe(PAGE_SHARED);
    expect(pgprotToU64(PAGE_SHARED)).toBe(0x8000000000000027n);
    expect(pgprotToU64(vmGetPageProt(8 | 4 | 2 | 1))).toBe(0x27n);
    expect(pgprotToU64(PAGE_NONE)).toBe(0x120n);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_SWAPFILES_SHIFT, SWAP_TYPES, swapTypes } from '@mmkit/core';
import { PAGE_SHARED, pfnPteHigh, pfnPteLow, pteNone, ptePresent, pteToU64 } from './pgtable-types.js';
import {
  SWP_OFFSET_FIRST_BIT, SWP_TYPE_BITS, SWP_TYPE_FIRST_BIT, isSwapPte, pteSwpClearSoftDirty, pteSwpMksoftDirty, pteSwpOffset, pteSwpSoftDirty,
  pteSwpType, swpEntryToPteHigh, swpEntryToPteLow,
} from './swap-entry.js';

/** The two words of swp_entry_to_pte(swp_entry(type, offset)). */
function swp(type: number, offset: number): [number, number] {
  return [swpEntryToPteLow(type, offset), swpEntryToPteHigh(type, offset)];
}
const u64 = ([lo, hi]: [number, number]) => pteToU64(lo, hi);

describe('swap entries (arch/x86/include/asm/pgtable_64.h, v4.17)', () => {
  it('type in bits 9..13, offset from bit 14', () => {
    expect([SWP_TYPE_FIRST_BIT, SWP_TYPE_BITS, SWP_OFFSET_FIRST_BIT]).toEqual([9, 5, 14]);
    expect(SWP_TYPE_BITS).toBe(MAX_SWAPFILES_SHIFT);
    expect(u64(swp(1, 0))).toBe(1n << 9n);
    expect(u64(swp(0, 1))).toBe(1n << 14n);
    expect(u64(swp(31, 0x12345))).toBe((31n << 9n) | (0x12345n << 14n));
    expect(u64(swp(3, 2 ** 32 - 1))).toBe((3n << 9n) | (0xffffffffn << 14n));
  });

  it('round-trips every type and offsets across the range', () => {
    for (let type = 0; type < 32; type++) {
      for (const offset of [0, 1, 511, 512, 0x7fffffff, 2 ** 32 - 1]) {
        const [lo, hi] = swp(type, offset);
        expect(pteSwpType(lo)).toBe(type);
        expect(pteSwpOffset(lo, hi)).toBe(offset);
        expect(isSwapPte(lo, hi) || (type === 0 && offset === 0)).toBe(true);
        expect(ptePresent(lo)).toBe(false);
        expect((lo | 0) === lo && (hi | 0) === hi).toBe(true);
      }
    }
    expect(() => swpEntryToPteLow(32, 0)).toThrow(/swap type/);
    expect(() => swpEntryToPteHigh(0, 2 ** 32)).toThrow(/swap offset/);
  });

  it('leaves present, accessed, dirty, PSE and PROT_NONE clear; soft dirty in bit 1 is not part of the entry', () => {
    const [pte, hi] = swp(27, 0xabcdef);
    expect(pteToU64(pte, hi) & 0x1e1n).toBe(0n);
    const sd = pteSwpMksoftDirty(pte);
    expect(pteToU64(sd, hi) & 2n).toBe(2n);
    expect(pteSwpSoftDirty(sd)).toBe(true);
    expect(pteSwpType(sd)).toBe(27);
    expect(pteSwpOffset(sd, hi)).toBe(0xabcdef);
    expect(pteSwpClearSoftDirty(sd)).toBe(pte);
    expect(isSwapPte(pfnPteLow(5, PAGE_SHARED), pfnPteHigh(5, PAGE_SHARED))).toBe(false);
    expect(pteNone(0, 0) && !isSwapPte(0, 0)).toBe(true);
  });

  it('migration and device entries take the top types (include/linux/swap.h)', () => {
    expect(SWAP_TYPES).toEqual({ maxSwapfiles: 27, SWP_HWPOISON: 27, SWP_MIGRATION_READ: 28, SWP_MIGRATION_WRITE: 29, SWP_DEVICE_WRITE: 30, SWP_DEVICE_READ: 31 });
    expect(swapTypes({ devicePrivate: false, memoryFailure: false })).toEqual({ maxSwapfiles: 30, SWP_HWPOISON: -1, SWP_MIGRATION_READ: 30, SWP_MIGRATION_WRITE: 31, SWP_DEVICE_WRITE: -1, SWP_DEVICE_READ: -1 });
    expect(swapTypes({ migration: false, memoryFailure: false, devicePrivate: false }).maxSwapfiles).toBe(32);
    // make_migration_entry(page, write): the offset is the pfn.
    const pfn = 0x1234567;
    const entry = swp(SWAP_TYPES.SWP_MIGRATION_WRITE, pfn);
    expect(u64(entry)).toBe((29n << 9n) | (BigInt(pfn) << 14n));
    expect(pteSwpOffset(...entry)).toBe(pfn);
  });
});

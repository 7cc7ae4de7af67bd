/**
 * Swap entries in non-present x86-64 PTEs, as Linux 4.17 encodes them
 * (https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable_64.h#L271-L307):
 *
 *   |     ...            | 11| 10|  9|8|7|6|5| 4| 3|2| 1|0| <- bit number
 *   |     ...            |SW3|SW2|SW1|G|L|D|A|CD|WT|U| W|P| <- bit names
 *   | OFFSET (14->63) | TYPE (9-13)  |0|0|X|X| X| X|X|SD|0| <- swp entry
 *
 *   SWP_TYPE_FIRST_BIT   = _PAGE_BIT_PROTNONE + 1 = 9
 *   SWP_TYPE_BITS        = 5
 *   SWP_OFFSET_FIRST_BIT = SWP_TYPE_FIRST_BIT + SWP_TYPE_BITS = 14
 *   __swp_entry(type, offset) = (type << 9) | (offset << 14);  __pte_to_swp_entry(pte) = pte_val(pte)
 *
 * Present (bit 0) and PROT_NONE (bit 8, the global bit) are clear, so the entry is neither none
 * nor present (is_swap_pte()); bits 5 and 6 stay clear because of the erratum that may set A and
 * D on non-present entries; bit 7 stays clear because pmd_present() tests PSE; bit 1 is
 * _PAGE_SWP_SOFT_DIRTY, which pte_to_swp_entry() strips.
 *
 * This is the encoding of 4.17 as released (2018-06-03). The L1TF mitigation ("x86/speculation/l1tf:
 * Protect swap entries against L1TF", 4.19-rc1, backported to 4.17.15 on 2018-08-15) moved the
 * type to bits 59..63 and stored the offset inverted from bit 9; it is not modelled here.
 */
import { _PAGE_BIT_PROTNONE, _PAGE_SWP_SOFT_DIRTY, pteNone, ptePresent } from './pgtable-types.js';

export const SWP_TYPE_FIRST_BIT = _PAGE_BIT_PROTNONE + 1;
export const SWP_TYPE_BITS = 5;
export const SWP_OFFSET_FIRST_BIT = SWP_TYPE_FIRST_BIT + SWP_TYPE_BITS;
/**
 * The largest offset + 1 here: 2^32. In 4.17 it is the swap header's __u32 last_page that bounds
 * an area (read_swap_header() also caps it at swp_offset(pte_to_swp_entry(swp_entry_to_pte(
 * swp_entry(0, ~0UL)))) + 1 = 2^50); migration entries hold a pfn, below 2^34 with 4-level paging.
 */
export const MAX_SWP_OFFSET = 2 ** 32;

const TYPE_MASK = (1 << SWP_TYPE_BITS) - 1;

function checkSwpEntry(type: number, offset: number): void {
  if (!(type >>> 0 === type && type <= TYPE_MASK)) throw new RangeError(`swap type ${type} is not in 0..${TYPE_MASK} (MAX_SWAPFILES_SHIFT ${SWP_TYPE_BITS})`);
  if (!(offset >= 0 && offset < MAX_SWP_OFFSET && offset === Math.floor(offset))) throw new RangeError(`swap offset ${offset} is not an integer in [0, 2^32)`);
}

/** swp_entry_to_pte(swp_entry(type, offset)), its low word: the type at bits 9..13, offset bits 0..17 at 14..31. */
export function swpEntryToPteLow(type: number, offset: number): number {
  checkSwpEntry(type, offset);
  return (offset << SWP_OFFSET_FIRST_BIT) | (type << SWP_TYPE_FIRST_BIT);
}

/** swp_entry_to_pte(swp_entry(type, offset)), its high word: offset bits 18..31. */
export function swpEntryToPteHigh(type: number, offset: number): number {
  checkSwpEntry(type, offset);
  return offset >>> (32 - SWP_OFFSET_FIRST_BIT);
}

/** swp_type(pte_to_swp_entry(pte)): __swp_type() = (val >> 9) & 31. */
export function pteSwpType(low: number): number {
  return (low >>> SWP_TYPE_FIRST_BIT) & TYPE_MASK;
}

/** swp_offset(pte_to_swp_entry(pte)): __swp_offset() = val >> 14 (the soft-dirty bit 1 is below it). */
export function pteSwpOffset(low: number, high: number): number {
  return (high >>> 0) * 2 ** (32 - SWP_OFFSET_FIRST_BIT) + (low >>> SWP_OFFSET_FIRST_BIT);
}

/** is_swap_pte(): !pte_none(pte) && !pte_present(pte). */
export function isSwapPte(low: number, high: number): boolean {
  return !pteNone(low, high) && !ptePresent(low);
}

export function pteSwpSoftDirty(low: number): boolean {
  return (low & _PAGE_SWP_SOFT_DIRTY) !== 0;
}

export function pteSwpMksoftDirty(low: number): number {
  return low | _PAGE_SWP_SOFT_DIRTY;
}

export function pteSwpClearSoftDirty(low: number): number {
  return low & ~_PAGE_SWP_SOFT_DIRTY;
}

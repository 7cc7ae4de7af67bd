/**
 * x86-64 page-table entries of Linux 4.17: the bit layout of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable_types.h, the geometry of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable_64_types.h (4 levels,
 * no LA57), and the pte_*() helpers of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable.h.
 *
 * In memory (a table page's contents) an entry is the real 64-bit little-endian word: NX is bit 7
 * of the entry's last byte. As a number (PteValue), which the walks return and callers pass around
 * without allocating, it is the same word with its unused middle folded away, so that it is an
 * integer below 2^52, exact in a double:
 *
 *   number bits 0..45   = entry bits 0..45 (flags 0..11, the pfn in 12..45)
 *   number bits 46..51  = entry bits 58..63 (_PAGE_DEVMAP/SOFTW4, the four PKEY bits, _PAGE_NX)
 *   entry bits 46..57   = 0 always
 *
 * Entry bits 46..51 are zero in every entry 4.17 writes with 4-level paging: physical addresses
 * are below 2^MAX_PHYSMEM_BITS = 2^46 (arch/x86/include/asm/sparsemem.h), and a swap entry's
 * offset at bits 14.. is below 2^32 (the swap header's last_page is a __u32). Bits 52..57 are
 * ignored by the MMU and unused by 4.17. A word with any of bits 46..57 set cannot be a number
 * here: readEntry() refuses it.
 */

/** PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT (4-level paging: P4D folded into the PGD). */
export const PAGE_SHIFT = 12;
export const PMD_SHIFT = 21;
export const PUD_SHIFT = 30;
export const PGDIR_SHIFT = 39;
/** PTRS_PER_PTE = PTRS_PER_PMD = PTRS_PER_PUD = PTRS_PER_PGD. */
export const PTRS_PER_TABLE = 512;
export const PMD_SIZE = 2 ** PMD_SHIFT;
export const PUD_SIZE = 2 ** PUD_SHIFT;
export const PGDIR_SIZE = 2 ** PGDIR_SHIFT;
/** __PHYSICAL_MASK_SHIFT (PTE_PFN_MASK covers entry bits 12..51). */
export const PHYSICAL_MASK_SHIFT = 52;
/** MAX_PHYSMEM_BITS with 4-level paging: the physical addresses an entry can hold here. */
export const MAX_PHYSMEM_BITS = 46;
/** The largest pfn + 1 an entry holds (2^(46 - 12)). */
export const MAX_PTE_PFN = 2 ** (MAX_PHYSMEM_BITS - PAGE_SHIFT);

/** _PAGE_BIT_*: bit numbers of the 64-bit hardware entry. */
export const _PAGE_BIT_PRESENT = 0;
export const _PAGE_BIT_RW = 1;
export const _PAGE_BIT_USER = 2;
export const _PAGE_BIT_PWT = 3;
export const _PAGE_BIT_PCD = 4;
export const _PAGE_BIT_ACCESSED = 5;
export const _PAGE_BIT_DIRTY = 6;
export const _PAGE_BIT_PSE = 7;
export const _PAGE_BIT_PAT = 7;
export const _PAGE_BIT_GLOBAL = 8;
export const _PAGE_BIT_SOFTW1 = 9;
export const _PAGE_BIT_SOFTW2 = 10;
export const _PAGE_BIT_SOFTW3 = 11;
export const _PAGE_BIT_PAT_LARGE = 12;
export const _PAGE_BIT_SOFTW4 = 58;
export const _PAGE_BIT_PKEY_BIT0 = 59;
export const _PAGE_BIT_PKEY_BIT1 = 60;
export const _PAGE_BIT_PKEY_BIT2 = 61;
export const _PAGE_BIT_PKEY_BIT3 = 62;
export const _PAGE_BIT_NX = 63;
export const _PAGE_BIT_SPECIAL = _PAGE_BIT_SOFTW1;
export const _PAGE_BIT_CPA_TEST = _PAGE_BIT_SOFTW1;
export const _PAGE_BIT_SOFT_DIRTY = _PAGE_BIT_SOFTW3;
export const _PAGE_BIT_DEVMAP = _PAGE_BIT_SOFTW4;
/** If _PAGE_BIT_PRESENT is clear: the user mapped it with PROT_NONE (pte_present() gives true). */
export const _PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL;
/** _PAGE_SWP_SOFT_DIRTY is _PAGE_RW (CONFIG_MEM_SOFT_DIRTY): bit 1 of a non-present entry. */
export const _PAGE_BIT_SWP_SOFT_DIRTY = _PAGE_BIT_RW;

/** The value in a PteValue number of hardware entry bit `bit` (0..45 or 58..63). */
export function pteBitValue(bit: number): number {
  if (Number.isInteger(bit) && bit >= 0 && bit < MAX_PHYSMEM_BITS) return 2 ** bit;
  if (Number.isInteger(bit) && bit >= 58 && bit <= 63) return 2 ** (bit - 12);
  throw new RangeError(`entry bit ${bit} is not representable (bits 46..57 are always zero here)`);
}

/** _PAGE_*: the flags as PteValue bits. */
export const _PAGE_PRESENT = 1 << _PAGE_BIT_PRESENT;
export const _PAGE_RW = 1 << _PAGE_BIT_RW;
export const _PAGE_USER = 1 << _PAGE_BIT_USER;
export const _PAGE_PWT = 1 << _PAGE_BIT_PWT;
export const _PAGE_PCD = 1 << _PAGE_BIT_PCD;
export const _PAGE_ACCESSED = 1 << _PAGE_BIT_ACCESSED;
export const _PAGE_DIRTY = 1 << _PAGE_BIT_DIRTY;
export const _PAGE_PSE = 1 << _PAGE_BIT_PSE;
export const _PAGE_PAT = 1 << _PAGE_BIT_PAT;
export const _PAGE_GLOBAL = 1 << _PAGE_BIT_GLOBAL;
export const _PAGE_SOFTW1 = 1 << _PAGE_BIT_SOFTW1;
export const _PAGE_SOFTW2 = 1 << _PAGE_BIT_SOFTW2;
export const _PAGE_PAT_LARGE = 1 << _PAGE_BIT_PAT_LARGE;
export const _PAGE_SPECIAL = 1 << _PAGE_BIT_SPECIAL;
export const _PAGE_CPA_TEST = 1 << _PAGE_BIT_CPA_TEST;
/** CONFIG_MEM_SOFT_DIRTY (on in x86-64 distribution kernels of 4.17). */
export const _PAGE_SOFT_DIRTY = 1 << _PAGE_BIT_SOFT_DIRTY;
export const _PAGE_SWP_SOFT_DIRTY = _PAGE_RW;
export const _PAGE_PROTNONE = 1 << _PAGE_BIT_PROTNONE;
/** Entry bit 58 (number bit 46). */
export const _PAGE_DEVMAP = 2 ** (_PAGE_BIT_DEVMAP - 12);
/** Entry bits 59..62 (number bits 47..50), CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS. */
export const _PAGE_PKEY_MASK = 2 ** 47 + 2 ** 48 + 2 ** 49 + 2 ** 50;
/** Entry bit 63 (number bit 51): the highest bit of a PteValue. */
export const _PAGE_NX = 2 ** (_PAGE_BIT_NX - 12);
/** _PAGE_KNL_ERRATUM_MASK: pte_none() ignores these (Knights Landing may set them on non-present entries). */
export const _PAGE_KNL_ERRATUM_MASK = _PAGE_DIRTY | _PAGE_ACCESSED;

/** _PAGE_TABLE (_KERNPG_TABLE | _PAGE_USER; _PAGE_ENC is 0 without SME): how a table is linked from the level above. */
export const _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
export const _PAGE_TABLE = _KERNPG_TABLE | _PAGE_USER;

/** The low 12 bits of _PAGE_CHG_MASK (PCD, PWT, SPECIAL, ACCESSED, DIRTY, SOFT_DIRTY); its pfn bits are the entry's 12..51. */
export const _PAGE_CHG_MASK_FLAGS = _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;

/** The pgprots of protection_map[] (PAGE_NONE has no NX: it is never present). */
export const PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED;
export const PAGE_SHARED = (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED) + _PAGE_NX;
export const PAGE_SHARED_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY_NOEXEC = (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED) + _PAGE_NX;
export const PAGE_COPY_EXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY = PAGE_COPY_NOEXEC;
export const PAGE_READONLY = (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED) + _PAGE_NX;
export const PAGE_READONLY_EXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

/** protection_map[VM_READ|VM_WRITE|VM_EXEC|VM_SHARED]: __P000..__P111, __S000..__S111. */
export const PROTECTION_MAP: readonly number[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
];

// 2^-32 and 2^32 as literals on the hot paths.
const INV_2_32 = 2.3283064365386963e-10;
const TWO_32 = 4294967296;

/** The high half of a number as the entry's bits 32..63 word (the folded bits back at 58..63). */
export function pteHiWord(v: number): number {
  const hi = ((v - (v >>> 0)) * INV_2_32) | 0;
  return ((hi & 0x3fff) | ((hi >>> 14) << 26)) >>> 0;
}

/** The number of an entry whose 32-bit halves are lo and hi; NaN when bits 46..57 are set (no entry here has them). */
export function pteFromWords(lo: number, hi: number): number {
  if ((hi & 0x03ffc000) !== 0) return NaN;
  return ((hi & 0x3fff) | ((hi >>> 26) << 14)) * TWO_32 + lo;
}

/** The 64-bit hardware entry of a number (for display and tests; not on a hot path). */
export function pteToU64(v: number): bigint {
  return (BigInt(pteHiWord(v)) << 32n) | BigInt(v >>> 0);
}

/** The number of a 64-bit hardware entry; a RangeError when bits 46..57 are set. */
export function pteFromU64(value: bigint): number {
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`0x${value.toString(16)} is not a 64-bit entry`);
  const v = pteFromWords(Number(value & 0xffffffffn), Number(value >> 32n));
  if (Number.isNaN(v)) throw new RangeError(`entry 0x${value.toString(16)} has bits among 46..57 set, which no 4-level x86-64 entry of 4.17 has`);
  return v;
}

/** The folded high flags (number bits 46..51) of v, as a multiple of 2^32. */
function highFlags(v: number): number {
  return ((((v - (v >>> 0)) * INV_2_32) | 0) & 0xfc000) * TWO_32;
}

/** pte_flags() & 0xfff + the folded high flags: the entry without its pfn. */
export function pteFlags(v: number): number {
  return ((v >>> 0) & 0xfff) + highFlags(v);
}

/** pfn_pte(pfn, prot): prot's pfn bits are ignored; pfn must be an integer below MAX_PTE_PFN. */
export function pfnPte(pfn: number, prot: number): number {
  if (!(pfn >= 0 && pfn < MAX_PTE_PFN && pfn === Math.floor(pfn))) throw new RangeError(`pfn ${pfn} does not fit in a 4-level x86-64 entry (below 2^34)`);
  return pfn * 4096 + pteFlags(prot);
}

/** pfn_pmd(pfn, prot) | _PAGE_PSE: a 2 MiB leaf; pfn must be 512-aligned. */
export function pfnPmdHuge(pfn: number, prot: number): number {
  if (pfn % PTRS_PER_TABLE !== 0) throw new RangeError(`pfn ${pfn} of a 2 MiB PMD leaf is not 512-aligned`);
  const v = pfnPte(pfn, prot);
  return (v & _PAGE_PSE) !== 0 ? v : v + _PAGE_PSE;
}

/** pte_pfn(): (pte_val & PTE_PFN_MASK) >> PAGE_SHIFT. */
export function ptePfn(v: number): number {
  const lo = v >>> 0;
  return ((((v - lo) * INV_2_32) | 0) & 0x3fff) * 1048576 + (lo >>> 12);
}

/** pmd_pfn() of a leaf (PHYSICAL_PMD_PAGE_MASK: bits 12..20 are flags, _PAGE_PAT_LARGE among them). */
export function pmdPfn(v: number): number {
  const pfn = ptePfn(v);
  return (v & _PAGE_PSE) !== 0 ? pfn - (pfn % PTRS_PER_TABLE) : pfn;
}

export function pteNone(v: number): boolean {
  return v - ((v >>> 0) & _PAGE_KNL_ERRATUM_MASK) === 0;
}

export function ptePresent(v: number): boolean {
  return (v & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}

export function pteProtnone(v: number): boolean {
  return (v & (_PAGE_PRESENT | _PAGE_PROTNONE)) === _PAGE_PROTNONE;
}

export function pteWrite(v: number): boolean {
  return (v & _PAGE_RW) !== 0;
}

export function pteDirty(v: number): boolean {
  return (v & _PAGE_DIRTY) !== 0;
}

export function pteYoung(v: number): boolean {
  return (v & _PAGE_ACCESSED) !== 0;
}

export function pteExec(v: number): boolean {
  return v < _PAGE_NX;
}

export function pteSpecial(v: number): boolean {
  return (v & _PAGE_SPECIAL) !== 0;
}

export function pteDevmap(v: number): boolean {
  return (((v - (v >>> 0)) * INV_2_32) & 0x4000) !== 0; // entry bit 58 = number bit 46 = bit 14 of the high half
}

/** pte_set_flags()/pte_clear_flags() of low flags (bits 0..11). */
function setLow(v: number, flags: number): number {
  return v + (flags & ~(v >>> 0) & 0xfff);
}

function clearLow(v: number, flags: number): number {
  return v - ((v >>> 0) & flags & 0xfff);
}

export function pteMkold(v: number): number {
  return clearLow(v, _PAGE_ACCESSED);
}

export function pteMkyoung(v: number): number {
  return setLow(v, _PAGE_ACCESSED);
}

export function pteMkclean(v: number): number {
  return clearLow(v, _PAGE_DIRTY);
}

/** pte_mkdirty(): _PAGE_DIRTY | _PAGE_SOFT_DIRTY. */
export function pteMkdirty(v: number): number {
  return setLow(v, _PAGE_DIRTY | _PAGE_SOFT_DIRTY);
}

export function pteWrprotect(v: number): number {
  return clearLow(v, _PAGE_RW);
}

export function pteMkwrite(v: number): number {
  return setLow(v, _PAGE_RW);
}

export function pteMkspecial(v: number): number {
  return setLow(v, _PAGE_SPECIAL);
}

/** pte_modify(): (pte & _PAGE_CHG_MASK) | (newprot & ~_PAGE_CHG_MASK); the NX, PKEY and DEVMAP bits come from newprot. */
export function pteModify(v: number, newprot: number): number {
  const lo = v >>> 0;
  const pfnPart = v - (lo & 0xfff) - highFlags(v);
  return pfnPart + (lo & _PAGE_CHG_MASK_FLAGS) + ((newprot >>> 0) & ~_PAGE_CHG_MASK_FLAGS & 0xfff) + highFlags(newprot);
}

/** pmd_trans_huge(): (pmd & (_PAGE_PSE | _PAGE_DEVMAP)) == _PAGE_PSE. */
export function pmdTransHuge(v: number): boolean {
  return (v & _PAGE_PSE) !== 0 && !pteDevmap(v);
}

export function pmdLarge(v: number): boolean {
  return (v & _PAGE_PSE) !== 0;
}

/** pmd_present(): PRESENT, PROTNONE or PSE (split_huge_page clears PRESENT and keeps PSE). */
export function pmdPresent(v: number): boolean {
  return (v & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE)) !== 0;
}

/** pmd_bad(): (pmd_flags & ~_PAGE_USER) != _KERNPG_TABLE. */
export function pmdBad(v: number): boolean {
  return pteFlags(v) - ((v >>> 0) & _PAGE_USER) !== _KERNPG_TABLE;
}

/** pud_bad(): flags beyond _KERNPG_TABLE | _PAGE_USER. */
export function pudBad(v: number): boolean {
  return (pteFlags(v) - ((v >>> 0) & (_KERNPG_TABLE | _PAGE_USER))) !== 0;
}

/** p4d_bad() (the PGD entry with 4-level paging; pgd_bad() is 0 then): as pud_bad(), NX also ignored under CONFIG_PAGE_TABLE_ISOLATION. */
export function p4dBad(v: number, pti: boolean): boolean {
  const extra = pteFlags(v) - ((v >>> 0) & (_KERNPG_TABLE | _PAGE_USER));
  return extra !== 0 && !(pti && extra === _PAGE_NX);
}

/** vm_get_page_prot(): protection_map[vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED)] (no pkeys). */
export function vmGetPageProt(vmFlags: number): number {
  return PROTECTION_MAP[vmFlags & 0xf];
}

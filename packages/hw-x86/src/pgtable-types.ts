/**
 * x86-64 page-table entries of Linux 4.17: the bit layout of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable_types.h, the geometry of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable_64_types.h (4 levels,
 * no LA57), and the pte_*() helpers of
 * https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/pgtable.h.
 *
 * In memory (a table page's contents) an entry is the real 64-bit little-endian word. Code holds
 * it as its two 32-bit halves, each an int32 (a small integer to V8, never a boxed double):
 *
 *   low word  = entry bits 0..31:  the flags 0..11 (PRESENT .. SOFTW3) and pfn bits 0..19
 *   high word = entry bits 32..63: pfn bits 20..39 (PTE_PFN_MASK ends at bit 51) in its bits
 *               0..19, and entry bits 52..63 in its bits 20..31 (SOFTW4/DEVMAP at 26, the four
 *               PKEY bits at 27..30, NX at 31)
 *
 * Every flag that pte_mk*() sets or clears is in the low word, so those helpers take and return
 * the low word alone. The flags of the high word are named here by their bit in the high word
 * (_PAGE_NX is 1 << 31, entry bit 63). A pgprot (PgProt) is one int32 holding both flag fields
 * where they are in their words: bits 0..11 the low word's flags, bits 20..31 the high word's;
 * bits 12..19 are zero.
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

/** _PAGE_*: the flags of the low word (entry bits 0..11). */
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
/** _PAGE_KNL_ERRATUM_MASK: pte_none() ignores these (Knights Landing may set them on non-present entries). */
export const _PAGE_KNL_ERRATUM_MASK = _PAGE_DIRTY | _PAGE_ACCESSED;

/** The flags of the high word (entry bits 52..63), as bits of the high word and of a pgprot. */
/** Entry bit 58: bit 26 of the high word. */
export const _PAGE_DEVMAP = 1 << (_PAGE_BIT_DEVMAP - 32);
/** Entry bits 59..62 (CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS): bits 27..30 of the high word. */
export const _PAGE_PKEY_MASK = 0xf << (_PAGE_BIT_PKEY_BIT0 - 32);
/** Entry bit 63: bit 31 of the high word (the sign bit of the int32). */
export const _PAGE_NX = 1 << (_PAGE_BIT_NX - 32);
/** The flag bits of a low word (PTE_FLAGS_MASK below bit 32) and of a high word (entry bits 52..63). */
export const PTE_FLAGS_LOW = 0xfff;
export const PTE_FLAGS_HIGH = 0xfff00000 | 0;
/** PTE_PFN_MASK's part of the high word: entry bits 32..51. */
const PFN_HIGH_MASK = 0xfffff;

/** _PAGE_TABLE (_KERNPG_TABLE | _PAGE_USER; _PAGE_ENC is 0 without SME): how a table is linked from the level above. */
export const _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
export const _PAGE_TABLE = _KERNPG_TABLE | _PAGE_USER;

/** The low 12 bits of _PAGE_CHG_MASK (PCD, PWT, SPECIAL, ACCESSED, DIRTY, SOFT_DIRTY); its pfn bits are the entry's 12..51. */
export const _PAGE_CHG_MASK_FLAGS = _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;

/** The pgprots of protection_map[] (PAGE_NONE has no NX: it is never present). */
export const PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED;
export const PAGE_SHARED = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
export const PAGE_SHARED_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY_NOEXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
export const PAGE_COPY_EXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY = PAGE_COPY_NOEXEC;
export const PAGE_READONLY = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
export const PAGE_READONLY_EXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

/** protection_map[VM_READ|VM_WRITE|VM_EXEC|VM_SHARED]: __P000..__P111, __S000..__S111. */
export const PROTECTION_MAP: Int32Array = Int32Array.of(
  PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
);

/** The 64-bit hardware entry of its two words (for display and tests; not on a hot path). */
export function pteToU64(low: number, high: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

/** The two words ([low, high], int32s) of a 64-bit hardware entry. */
export function pteFromU64(value: bigint): [low: number, high: number] {
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`0x${value.toString(16)} is not a 64-bit entry`);
  return [Number(value & 0xffffffffn) | 0, Number(value >> 32n) | 0];
}

/** The 64-bit entry of a pgprot (its flags at their entry bits). */
export function pgprotToU64(prot: number): bigint {
  return pteToU64(prot & PTE_FLAGS_LOW, prot & PTE_FLAGS_HIGH);
}

/** pgprot_val(pte_pgprot()): the flags of an entry's two words as a pgprot. */
export function ptePgprot(low: number, high: number): number {
  return (low & PTE_FLAGS_LOW) | (high & PTE_FLAGS_HIGH);
}

function checkPfn(pfn: number): void {
  if (!(pfn >= 0 && pfn < MAX_PTE_PFN && pfn === Math.floor(pfn))) throw new RangeError(`pfn ${pfn} does not fit in a 4-level x86-64 entry (below 2^34)`);
}

/** pfn_pte(pfn, prot), its low word: pfn bits 0..19 at 12..31 and prot's low flags. pfn must be an integer below MAX_PTE_PFN. */
export function pfnPteLow(pfn: number, prot: number): number {
  checkPfn(pfn);
  return (pfn << 12) | (prot & PTE_FLAGS_LOW);
}

/** pfn_pte(pfn, prot), its high word: pfn bits 20..33 and prot's high flags (NX, PKEY, DEVMAP). */
export function pfnPteHigh(pfn: number, prot: number): number {
  checkPfn(pfn);
  return ((pfn * 9.5367431640625e-7) | 0) | (prot & PTE_FLAGS_HIGH); // pfn * 2^-20, truncated
}

function checkHugePfn(pfn: number): void {
  if (pfn % PTRS_PER_TABLE !== 0) throw new RangeError(`pfn ${pfn} of a 2 MiB PMD leaf is not 512-aligned`);
}

/** pfn_pmd(pfn, prot) | _PAGE_PSE, its low word: a 2 MiB leaf; pfn must be 512-aligned. */
export function pfnPmdHugeLow(pfn: number, prot: number): number {
  checkHugePfn(pfn);
  return pfnPteLow(pfn, prot) | _PAGE_PSE;
}

/** pfn_pmd(pfn, prot) | _PAGE_PSE, its high word. */
export function pfnPmdHugeHigh(pfn: number, prot: number): number {
  checkHugePfn(pfn);
  return pfnPteHigh(pfn, prot);
}

/** pte_pfn(): (pte_val & PTE_PFN_MASK) >> PAGE_SHIFT. */
export function ptePfn(low: number, high: number): number {
  return (high & PFN_HIGH_MASK) * 1048576 + (low >>> 12);
}

/** pmd_pfn() of a leaf (PHYSICAL_PMD_PAGE_MASK: bits 12..20 are flags, _PAGE_PAT_LARGE among them). */
export function pmdPfn(low: number, high: number): number {
  const pfn = ptePfn(low, high);
  return (low & _PAGE_PSE) !== 0 ? pfn - (pfn % PTRS_PER_TABLE) : pfn;
}

/** pte_none(): !(pte_val & ~_PAGE_KNL_ERRATUM_MASK). */
export function pteNone(low: number, high: number): boolean {
  return ((low & ~_PAGE_KNL_ERRATUM_MASK) | high) === 0;
}

export function ptePresent(low: number): boolean {
  return (low & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}

export function pteProtnone(low: number): boolean {
  return (low & (_PAGE_PRESENT | _PAGE_PROTNONE)) === _PAGE_PROTNONE;
}

export function pteWrite(low: number): boolean {
  return (low & _PAGE_RW) !== 0;
}

export function pteDirty(low: number): boolean {
  return (low & _PAGE_DIRTY) !== 0;
}

export function pteYoung(low: number): boolean {
  return (low & _PAGE_ACCESSED) !== 0;
}

/** pte_exec(): !(pte & _PAGE_NX), a flag of the high word. */
export function pteExec(high: number): boolean {
  return (high & _PAGE_NX) === 0;
}

export function pteSpecial(low: number): boolean {
  return (low & _PAGE_SPECIAL) !== 0;
}

/** pte_devmap(): _PAGE_DEVMAP, a flag of the high word. */
export function pteDevmap(high: number): boolean {
  return (high & _PAGE_DEVMAP) !== 0;
}

export function pteMkold(low: number): number {
  return low & ~_PAGE_ACCESSED;
}

export function pteMkyoung(low: number): number {
  return low | _PAGE_ACCESSED;
}

export function pteMkclean(low: number): number {
  return low & ~_PAGE_DIRTY;
}

/** pte_mkdirty(): _PAGE_DIRTY | _PAGE_SOFT_DIRTY. */
export function pteMkdirty(low: number): number {
  return low | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;
}

export function pteWrprotect(low: number): number {
  return low & ~_PAGE_RW;
}

export function pteMkwrite(low: number): number {
  return low | _PAGE_RW;
}

export function pteMkspecial(low: number): number {
  return low | _PAGE_SPECIAL;
}

/** pte_modify(), its low word: the pfn bits and _PAGE_CHG_MASK's flags kept, the other flags from newprot. */
export function pteModifyLow(low: number, newprot: number): number {
  return (low & ~(PTE_FLAGS_LOW & ~_PAGE_CHG_MASK_FLAGS)) | (newprot & PTE_FLAGS_LOW & ~_PAGE_CHG_MASK_FLAGS);
}

/** pte_modify(), its high word: the pfn bits kept, NX, PKEY and DEVMAP (not in _PAGE_CHG_MASK) from newprot. */
export function pteModifyHigh(high: number, newprot: number): number {
  return (high & ~PTE_FLAGS_HIGH) | (newprot & PTE_FLAGS_HIGH);
}

/** pmd_trans_huge(): (pmd & (_PAGE_PSE | _PAGE_DEVMAP)) == _PAGE_PSE. */
export function pmdTransHuge(low: number, high: number): boolean {
  return (low & _PAGE_PSE) !== 0 && (high & _PAGE_DEVMAP) === 0;
}

export function pmdLarge(low: number): boolean {
  return (low & _PAGE_PSE) !== 0;
}

/** pmd_present(): PRESENT, PROTNONE or PSE (split_huge_page clears PRESENT and keeps PSE). */
export function pmdPresent(low: number): boolean {
  return (low & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE)) !== 0;
}

/** pmd_bad(): (pmd_flags & ~_PAGE_USER) != _KERNPG_TABLE. */
export function pmdBad(low: number, high: number): boolean {
  return (low & PTE_FLAGS_LOW & ~_PAGE_USER) !== _KERNPG_TABLE || (high & PTE_FLAGS_HIGH) !== 0;
}

/** pud_bad(): flags beyond _KERNPG_TABLE | _PAGE_USER. */
export function pudBad(low: number, high: number): boolean {
  return (low & PTE_FLAGS_LOW & ~(_KERNPG_TABLE | _PAGE_USER)) !== 0 || (high & PTE_FLAGS_HIGH) !== 0;
}

/** p4d_bad() (the PGD entry with 4-level paging; pgd_bad() is 0 then): as pud_bad(), NX also ignored under CONFIG_PAGE_TABLE_ISOLATION. */
export function p4dBad(low: number, high: number, pti: boolean): boolean {
  const extraLow = low & PTE_FLAGS_LOW & ~(_KERNPG_TABLE | _PAGE_USER);
  const extraHigh = high & PTE_FLAGS_HIGH & ~(pti ? _PAGE_NX : 0);
  return (extraLow | extraHigh) !== 0;
}

/** vm_get_page_prot(): protection_map[vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED)] (no pkeys). */
export function vmGetPageProt(vmFlags: number): number {
  return PROTECTION_MAP[vmFlags & 0xf];
}

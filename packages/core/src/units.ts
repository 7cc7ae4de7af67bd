/**
 * Branded number types: a pfn, a gfp mask, a zone index and a migratetype are plain numbers at
 * run time and in arithmetic, but one kind cannot be passed where another is expected
 * (`freePages(gfp, 0)` does not typecheck). The brand is an optional phantom property, so a
 * plain number literal or an arithmetic result is accepted anywhere: it costs nothing, neither
 * at run time nor to callers.
 */
declare const unit: unique symbol;

/** A page frame number (page_to_pfn()). */
export type Pfn = number & { readonly [unit]?: 'pfn' };
/** A gfp_t mask (include/linux/gfp.h, 4.17 bit values). */
export type Gfp = number & { readonly [unit]?: 'gfp' };
/** zone_idx(): a zone's index within its node (ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ...). */
export type ZoneIndex = number & { readonly [unit]?: 'zone-index' };
/** enum migratetype (include/linux/mmzone.h). */
export type MigrateType = number & { readonly [unit]?: 'migratetype' };
/** A virtual address in a process's address space (unsigned long); exact below 2^53. */
export type VirtAddr = number & { readonly [unit]?: 'virt-addr' };
/** An mm_struct, by id (0: none, as a kernel thread's current->mm). */
export type MmId = number & { readonly [unit]?: 'mm' };

/**
 * An address on a hot path crosses a call as its two 32-bit halves, each an int32: V8 keeps an
 * int32 in a register or a small integer, but boxes a double such as a 47-bit address (a
 * HeapNumber, an object) whenever it is passed to a function it has not inlined, returned or
 * stored in an object. vaHigh() is bits 32..52 of an address below 2^53, vaLow() bits 0..31
 * (as a signed int32), and vaJoin() puts them back together.
 */
export function vaHigh(addr: VirtAddr): number {
  return (addr * 2.3283064365386963e-10) | 0; // addr * 2^-32, truncated
}

export function vaLow(addr: VirtAddr): number {
  return addr | 0; // ToInt32: the low 32 bits
}

export function vaJoin(high: number, low: number): VirtAddr {
  return high * 4294967296 + (low >>> 0);
}

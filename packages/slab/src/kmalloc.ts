/**
 * kmalloc size classes of CONFIG_SLAB (include/linux/slab.h and mm/slab_common.c, 4.17):
 * KMALLOC_SHIFT_LOW = 5, KMALLOC_SHIFT_HIGH = min(MAX_ORDER + PAGE_SHIFT - 1, 25) = 22, plus the
 * two odd classes 96 and 192 (kmalloc_info[1] and [2]).
 */
import { MAX_ORDER, PAGE_SHIFT, kmallocCreationOrder, kmallocIndex as indexFor, kmallocIndexSize } from '@mmkit/core';

export const KMALLOC_SHIFT_LOW = 5;
export const KMALLOC_SHIFT_HIGH = Math.min(MAX_ORDER + PAGE_SHIFT - 1, 25);
/** KMALLOC_SHIFT_MAX = KMALLOC_SHIFT_HIGH for SLAB. */
export const KMALLOC_SHIFT_MAX = KMALLOC_SHIFT_HIGH;
/** KMALLOC_MAX_SIZE = KMALLOC_MAX_CACHE_SIZE = 4 MiB. */
export const KMALLOC_MAX_SIZE = 2 ** KMALLOC_SHIFT_MAX;
/** KMALLOC_MAX_ORDER: the largest slab order calculate_slab_order() tries. */
export const KMALLOC_MAX_ORDER = KMALLOC_SHIFT_MAX - PAGE_SHIFT;
/** KMALLOC_MIN_SIZE = 1 << KMALLOC_SHIFT_LOW. */
export const KMALLOC_MIN_SIZE = 1 << KMALLOC_SHIFT_LOW;

/** kmalloc_info[] sizes in the order create_kmalloc_caches() creates them (ascending). */
export function kmallocSizes(): number[] {
  return kmallocCreationOrder(KMALLOC_SHIFT_LOW, KMALLOC_SHIFT_HIGH).map(kmallocIndexSize);
}

/**
 * kmalloc_index() as a power: the index into kmalloc_caches[] (1 = 96, 2 = 192, else log2 of the
 * class), through size_index[] as setup_kmalloc_cache_index_table() leaves it for
 * KMALLOC_MIN_SIZE = 32; -1 above KMALLOC_MAX_SIZE.
 */
export function kmallocIndex(size: number): number {
  return size > KMALLOC_MAX_SIZE ? -1 : indexFor(size, KMALLOC_SHIFT_LOW);
}

/**
 * kmalloc size classes of CONFIG_SLAB (include/linux/slab.h and mm/slab_common.c, 4.17):
 * KMALLOC_SHIFT_LOW = 5, KMALLOC_SHIFT_HIGH = min(MAX_ORDER + PAGE_SHIFT - 1, 25) = 22, plus the
 * two odd classes 96 and 192 (kmalloc_info[1] and [2]).
 */
import { MAX_ORDER, PAGE_SHIFT } from '@mmkit/core';

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
  const sizes: number[] = [];
  for (let i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
    sizes.push(2 ** i);
    if (i === 6) sizes.push(96); // kmalloc-96 comes after kmalloc-64
    if (i === 7) sizes.push(192); // kmalloc-192 after kmalloc-128
  }
  return sizes;
}

/**
 * kmalloc_index() as a power: the index into kmalloc_caches[] (1 = 96, 2 = 192, else log2 of the
 * class). size_index[] (after setup_kmalloc_cache_index_table() with KMALLOC_MIN_SIZE = 32) maps
 * 1..32 to 5, 33..64 to 6, 65..96 to 1, 97..128 to 7, 129..192 to 2; above 192 fls(size - 1).
 * -1 above KMALLOC_MAX_SIZE.
 */
export function kmallocIndex(size: number): number {
  if (size <= 192) {
    if (size <= 32) return 5;
    if (size <= 64) return 6;
    if (size <= 96) return 1;
    if (size <= 128) return 7;
    return 2;
  }
  if (size > KMALLOC_MAX_SIZE) return -1;
  return 32 - Math.clz32(size - 1); // fls(size - 1)
}

/** The class size of a kmalloc_index(). */
export function kmallocIndexSize(index: number): number {
  if (index === 1) return 96;
  if (index === 2) return 192;
  return 2 ** index;
}

/**
 * The kmalloc size classes of Linux 4.17 on x86-64 with SLUB (include/linux/slab.h,
 * mm/slab_common.c): KMALLOC_SHIFT_LOW 3, KMALLOC_SHIFT_HIGH PAGE_SHIFT + 1, the two
 * non-power-of-two caches 96 and 192, kmalloc_info[] names and size_index[].
 */
import { PAGE_SHIFT } from '@mmkit/core';
import { fls } from './sizes.js';

export const KMALLOC_SHIFT_LOW = 3;
/** KMALLOC_SHIFT_HIGH for SLUB: PAGE_SHIFT + 1 (8 KiB); larger requests go to the page allocator. */
export const KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1;
/** KMALLOC_MAX_CACHE_SIZE. */
export const KMALLOC_MAX_CACHE_SIZE = 1 << KMALLOC_SHIFT_HIGH;

/** kmalloc_info[index]: index 1 is kmalloc-96, 2 is kmalloc-192, i in [3, 13] is 2^i. */
export function kmallocInfo(index: number): { name: string; size: number } {
  const size = index === 1 ? 96 : index === 2 ? 192 : 1 << index;
  return { name: `kmalloc-${size}`, size };
}

/**
 * create_kmalloc_caches(): the creation order: every power of two from 8, with kmalloc-96
 * created right after kmalloc-64 and kmalloc-192 right after kmalloc-128.
 */
export function kmallocCreationOrder(): number[] {
  const order: number[] = [];
  for (let i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
    order.push(i);
    if (i === 6) order.push(1);
    if (i === 7) order.push(2);
  }
  return order;
}

/** size_index[]: the kmalloc_caches index for sizes 1..192, by (size - 1) / 8 (size_index_elem()). */
const SIZE_INDEX = new Int8Array([
  3, // 8
  4, // 16
  5, // 24
  5, // 32
  6, // 40
  6, // 48
  6, // 56
  6, // 64
  1, // 72
  1, // 80
  1, // 88
  1, // 96
  7, // 104
  7, // 112
  7, // 120
  7, // 128
  2, // 136
  2, // 144
  2, // 152
  2, // 160
  2, // 168
  2, // 176
  2, // 184
  2, // 192
]);

/**
 * kmalloc_slab(): the kmalloc_caches index for a request of 1..KMALLOC_MAX_CACHE_SIZE bytes
 * (size_index[] up to 192, fls(size - 1) above).
 */
export function kmallocIndex(size: number): number {
  if (size <= 192) return SIZE_INDEX[(size - 1) >>> 3];
  return fls(size - 1);
}

/**
 * The kmalloc size classes of Linux 4.17 on x86-64 with SLUB (include/linux/slab.h): KMALLOC_SHIFT_LOW 3,
 * KMALLOC_SHIFT_HIGH PAGE_SHIFT + 1; the classes, their names and size_index[] come from
 * mm/slab_common.c (core's slab-common).
 */
import { PAGE_SHIFT, kmallocCreationOrder as creationOrder, kmallocIndex as indexFor, kmallocIndexSize } from '@mmkit/core';

export const KMALLOC_SHIFT_LOW = 3;
/** KMALLOC_SHIFT_HIGH for SLUB: PAGE_SHIFT + 1 (8 KiB); larger requests go to the page allocator. */
export const KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1;
/** KMALLOC_MAX_CACHE_SIZE. */
export const KMALLOC_MAX_CACHE_SIZE = 1 << KMALLOC_SHIFT_HIGH;

/** kmalloc_info[index]: index 1 is kmalloc-96, 2 is kmalloc-192, i in [3, 13] is 2^i. */
export function kmallocInfo(index: number): { name: string; size: number } {
  const size = kmallocIndexSize(index);
  return { name: `kmalloc-${size}`, size };
}

/** create_kmalloc_caches(): the kmalloc_caches[] indexes in creation order. */
export function kmallocCreationOrder(): number[] {
  return creationOrder(KMALLOC_SHIFT_LOW, KMALLOC_SHIFT_HIGH);
}

/**
 * kmalloc_slab(): the kmalloc_caches index for a request of 1..KMALLOC_MAX_CACHE_SIZE bytes
 * (size_index[] up to 192, fls(size - 1) above).
 */
export function kmallocIndex(size: number): number {
  return indexFor(size, KMALLOC_SHIFT_LOW);
}

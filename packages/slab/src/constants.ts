/**
 * Constants of mm/slab.c (4.17) and include/linux/poison.h that SLAB's model uses.
 */

/** BYTES_PER_WORD: sizeof(void *). */
export const BYTES_PER_WORD = 8;
/** REDZONE_ALIGN: max(BYTES_PER_WORD, __alignof__(unsigned long long)). */
export const REDZONE_ALIGN = 8;
/** cache_line_size() on x86-64. */
export const CACHE_LINE_SIZE = 64;

/**
 * freelist_idx_t: FREELIST_BYTE_INDEX is 1 on x86-64 with 4 KiB pages
 * ((PAGE_SIZE >> BITS_PER_BYTE) = 16 <= SLAB_OBJ_MIN_SIZE = 16), so the index is an unsigned char.
 */
export const FREELIST_IDX_SIZE = 1;
/** SLAB_OBJ_MIN_SIZE: min(KMALLOC_MIN_SIZE = 32, 16). */
export const SLAB_OBJ_MIN_SIZE = 16;
/** SLAB_OBJ_MAX_NUM: (1 << sizeof(freelist_idx_t) * BITS_PER_BYTE) - 1. */
export const SLAB_OBJ_MAX_NUM = 255;

/** SLAB_MAX_ORDER_LO / SLAB_MAX_ORDER_HI (slab_max_order is raised when RAM > 32 MiB). */
export const SLAB_MAX_ORDER_LO = 0;
export const SLAB_MAX_ORDER_HI = 1;

/** BATCHREFILL_LIMIT: refill at most this many objects when the array cache is untouched. */
export const BATCHREFILL_LIMIT = 16;

/** Internal management-type flags of SLAB (mm/slab.c). */
export const CFLGS_OBJFREELIST_SLAB = 0x40000000;
export const CFLGS_OFF_SLAB = 0x80000000;

/** RED_INACTIVE / RED_ACTIVE (include/linux/poison.h), 64-bit words as little-endian bytes. */
export const RED_INACTIVE_BYTES: readonly number[] = [0x5b, 0xe3, 0x74, 0x9d, 0x02, 0x11, 0xf9, 0x09];
export const RED_ACTIVE_BYTES: readonly number[] = [0xc0, 0x88, 0x56, 0x63, 0xc5, 0x56, 0x41, 0xd8];

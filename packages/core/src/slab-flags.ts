/** kmem_cache flags (slab_flags_t) with the values of Linux 4.17 (include/linux/slab.h). */
export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
export const SLAB_RED_ZONE = 0x00000400;
export const SLAB_POISON = 0x00000800;
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_CACHE_DMA = 0x00004000;
export const SLAB_STORE_USER = 0x00010000;
export const SLAB_RECLAIM_ACCOUNT = 0x00020000;
export const SLAB_PANIC = 0x00040000;
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;
export const SLAB_MEM_SPREAD = 0x00100000;
export const SLAB_TRACE = 0x00200000;
export const SLAB_DEBUG_OBJECTS = 0x00400000;
export const SLAB_NOLEAKTRACE = 0x00800000;
export const SLAB_FAILSLAB = 0x02000000;
export const SLAB_ACCOUNT = 0x04000000;
export const SLAB_KASAN = 0x08000000;

/** Poison bytes (include/linux/poison.h). */
export const POISON_INUSE = 0x5a;
export const POISON_FREE = 0x6b;
export const POISON_END = 0xa5;
export const SLUB_RED_INACTIVE = 0xbb;
export const SLUB_RED_ACTIVE = 0xcc;

/** L1_CACHE_BYTES on x86-64. */
export const L1_CACHE_BYTES = 64;
/** ARCH_KMALLOC_MINALIGN / ARCH_SLAB_MINALIGN: __alignof__(unsigned long long). */
export const ARCH_KMALLOC_MINALIGN = 8;
/** ZERO_SIZE_PTR: what kmalloc(0) returns; kfree() and ksize() accept it. */
export const ZERO_SIZE_PTR = 16;


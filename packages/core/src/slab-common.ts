/**
 * What mm/slab_common.c gives SLUB and SLAB alike: calculate_alignment(), and the kmalloc size
 * classes (kmalloc_info[], size_index[] as setup_kmalloc_cache_index_table() adjusts it for
 * KMALLOC_MIN_SIZE, the creation order of create_kmalloc_caches()). Each allocator brings its
 * KMALLOC_SHIFT_LOW and KMALLOC_SHIFT_HIGH.
 */
import type { DebugConfig } from './debug-config.js';
import { ARCH_KMALLOC_MINALIGN, L1_CACHE_BYTES, SLAB_CONSISTENCY_CHECKS, SLAB_HWCACHE_ALIGN } from './slab-flags.js';
/**
 * calculate_alignment() (mm/slab_common.c, shared by SLUB and SLAB): SLAB_HWCACHE_ALIGN asks
 * for the cache line, halved while the object fits in half of it; at least the requested
 * alignment and ARCH_SLAB_MINALIGN; a multiple of sizeof(void *).
 */
export function calculateAlignment(flags: number, align: number, size: number): number {
  if (flags & SLAB_HWCACHE_ALIGN) {
    let ralign = L1_CACHE_BYTES; // cache_line_size()
    while (size <= ralign / 2) ralign /= 2;
    align = Math.max(align, ralign);
  }
  if (align < ARCH_KMALLOC_MINALIGN) align = ARCH_KMALLOC_MINALIGN;
  return Math.ceil(align / 8) * 8;
}

/** kmalloc_info[index].size: index 1 is kmalloc-96, index 2 kmalloc-192, any other 2^index. */
export function kmallocIndexSize(index: number): number {
  return index === 1 ? 96 : index === 2 ? 192 : 2 ** index;
}

/**
 * create_kmalloc_caches(): the kmalloc_caches[] indexes in creation order, KMALLOC_SHIFT_LOW to
 * KMALLOC_SHIFT_HIGH, kmalloc-96 right after kmalloc-64 and kmalloc-192 right after kmalloc-128
 * (each only when KMALLOC_MIN_SIZE is small enough for it).
 */
export function kmallocCreationOrder(shiftLow: number, shiftHigh: number): number[] {
  const order: number[] = [];
  for (let i = shiftLow; i <= shiftHigh; i++) {
    order.push(i);
    if (i === 6 && shiftLow <= 5) order.push(1);
    if (i === 7 && shiftLow <= 6) order.push(2);
  }
  return order;
}

/** size_index[] of 4.17 for sizes 1..192, by size_index_elem(size) = (size - 1) / 8. */
const SIZE_INDEX = Int8Array.of(3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2);

/**
 * kmalloc_slab()'s index into kmalloc_caches[] for a request of `size` bytes (at least 1):
 * size_index[] up to 192 — raised to KMALLOC_SHIFT_LOW below KMALLOC_MIN_SIZE, and past 96 and
 * 192 when KMALLOC_MIN_SIZE is 64 or 128 (setup_kmalloc_cache_index_table()) — else fls(size - 1).
 */
export function kmallocIndex(size: number, shiftLow: number): number {
  if (size <= 2 ** shiftLow) return shiftLow;
  if (size > 192) return 32 - Math.clz32(size - 1);
  if (shiftLow >= 6 && size <= 96) return 7;
  if (shiftLow >= 7) return 8;
  return SIZE_INDEX[(size - 1) >>> 3];
}

/**
 * kmem_cache_sanity_check() (mm/slab_common.c, 4.17), which exists only with CONFIG_DEBUG_VM
 * (an empty stub returning 0 without it): false, and kmem_cache_create() fails with
 * "kmem_cache_create(%s) integrity check failed", for no name, an object smaller than
 * sizeof(void *) or larger than `kmallocMaxSize` (KMALLOC_MAX_SIZE). (`in_interrupt()` has no
 * counterpart here; a name of '' stands for NULL.) Without CONFIG_DEBUG_VM it passes
 * everything: a small object is rounded up to a word by the allocator, a nameless or too large
 * cache fails later (kstrdup_const(NULL), no slab order for the size).
 */
export function kmemCacheSanityCheck(debug: DebugConfig, name: unknown, size: number, kmallocMaxSize: number): boolean {
  if (!debug.vm) return true;
  return typeof name === 'string' && name.length > 0 && Number.isInteger(size) && size >= 8 && size <= kmallocMaxSize;
}

/**
 * Whether cache_from_obj() (mm/slab.h, 4.17) looks up the cache of a freed object: with
 * memcg kmem accounting (not modelled), CONFIG_SLAB_FREELIST_HARDENED or SLAB_CONSISTENCY_CHECKS
 * on the cache (slub_debug=F). Then an object of another cache is warned about once
 * (WARN_ONCE: "cache_from_obj: Wrong slab cache. %s but object is from %s") and freed into the
 * cache it belongs to; without the check the given cache is used as it is.
 */
export function cacheFromObjChecks(debug: DebugConfig, cacheFlags: number): boolean {
  return debug.freelistHardened || (cacheFlags & SLAB_CONSISTENCY_CHECKS) !== 0;
}

/** The text of cache_from_obj()'s warning. */
export function wrongSlabCacheWarning(given: string, owner: string): string {
  return `WARNING: cache_from_obj: Wrong slab cache. ${given} but object is from ${owner}`;
}

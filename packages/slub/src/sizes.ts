/**
 * The geometry of a SLUB cache, as Linux 4.17 computes it: calculate_alignment()
 * (mm/slab_common.c), calculate_sizes(), calculate_order(), slab_order() and set_min_partial()
 * (mm/slub.c), and kasan_cache_create() (mm/kasan/kasan.c) when KASAN is on.
 */
import {
  ARCH_KMALLOC_MINALIGN,
  MAX_ORDER,
  PAGE_SIZE,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TYPESAFE_BY_RCU,
} from '@mmkit/core';

/** sizeof(void *) on x86-64. */
export const POINTER_SIZE = 8;
/** ARCH_SLAB_MINALIGN: __alignof__(unsigned long long). */
export const ARCH_SLAB_MINALIGN = ARCH_KMALLOC_MINALIGN;
/**
 * sizeof(struct track) on x86-64 with CONFIG_STACKTRACE: addr (8) + addrs[TRACK_ADDRS_COUNT =
 * 16] (128) + cpu (4) + pid (4) + when (8).
 */
export const SIZEOF_TRACK = 8 + 16 * 8 + 4 + 4 + 8;
/** sizeof(struct kasan_alloc_meta): two struct kasan_track { u32 pid; u32 stack; }. */
export const SIZEOF_KASAN_ALLOC_META = 16;
/** sizeof(struct kasan_free_meta): one struct qlist_node (a pointer). */
export const SIZEOF_KASAN_FREE_META = 8;
/** slub_min_order (boot parameter, default 0). */
export const SLUB_MIN_ORDER = 0;
/** slub_max_order: PAGE_ALLOC_COSTLY_ORDER. */
export const SLUB_MAX_ORDER = 3;
/** MAX_OBJS_PER_PAGE: page->objects is 15 bits. */
export const MAX_OBJS_PER_PAGE = 32767;
/** MIN_PARTIAL / MAX_PARTIAL: bounds of kmem_cache->min_partial. */
export const MIN_PARTIAL = 5;
export const MAX_PARTIAL = 10;
/** KMALLOC_MAX_SIZE = 1 << (MAX_ORDER + PAGE_SHIFT - 1): 4 MiB. */
export const KMALLOC_MAX_SIZE = PAGE_SIZE << (MAX_ORDER - 1);

/** fls(): 1-based index of the highest set bit, 0 for 0. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** ilog2(). */
export function ilog2(x: number): number {
  return 31 - Math.clz32(x);
}

/** ALIGN(x, a) for a power-of-two a. */
export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** get_order(): the smallest order whose block holds `size` bytes. */
export function getOrder(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** order_objects(): how many objects of `size` fit in a slab of `order` (reserved = 0). */
export function orderObjects(order: number, size: number): number {
  return Math.floor((PAGE_SIZE * 2 ** order) / size);
}

/** slab_order(): the lowest order from which at most 1/fract_leftover of the slab is wasted. */
export function slabOrder(size: number, minObjects: number, maxOrder: number, fractLeftover: number): number {
  const minOrder = SLUB_MIN_ORDER;
  if (orderObjects(minOrder, size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  let order = Math.max(minOrder, getOrder(minObjects * size));
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE * 2 ** order;
    const rem = slabSize % size;
    if (rem <= slabSize / fractLeftover) break;
  }
  return order;
}

/**
 * calculate_order() of 4.17: slub_min_objects = 4 * (fls(nr_cpu_ids) + 1), clamped to what
 * an order-slub_max_order slab holds; then fractions 1/16, 1/8, 1/4 of waste with ever fewer
 * objects; then one object at slub_max_order; then anything below MAX_ORDER. -1 (-ENOSYS)
 * when even that fails.
 */
export function calculateOrder(size: number, nrCpuIds: number): number {
  let minObjects = 4 * (fls(nrCpuIds) + 1);
  const maxObjects = orderObjects(SLUB_MAX_ORDER, size);
  minObjects = Math.min(minObjects, maxObjects);
  while (minObjects > 1) {
    for (let fraction = 16; fraction >= 4; fraction /= 2) {
      const order = slabOrder(size, minObjects, SLUB_MAX_ORDER, fraction);
      if (order <= SLUB_MAX_ORDER) return order;
    }
    minObjects--;
  }
  let order = slabOrder(size, 1, SLUB_MAX_ORDER, 1);
  if (order <= SLUB_MAX_ORDER) return order;
  order = slabOrder(size, 1, MAX_ORDER, 1);
  if (order < MAX_ORDER) return order;
  return -1;
}

/** optimal_redzone() of 4.17's KASAN. */
export function optimalRedzone(objectSize: number): number {
  if (objectSize <= 64 - 16) return 16;
  if (objectSize <= 128 - 32) return 32;
  if (objectSize <= 512 - 64) return 64;
  if (objectSize <= 4096 - 128) return 128;
  if (objectSize <= (1 << 14) - 256) return 256;
  if (objectSize <= (1 << 15) - 512) return 512;
  if (objectSize <= (1 << 16) - 1024) return 1024;
  return 2048;
}

/** What calculate_sizes() decides for a cache. */
export interface CacheGeometry {
  /** s->size: the stride of objects in a slab. */
  readonly size: number;
  /** s->inuse: object + right red zone (where the metadata starts). */
  readonly inuse: number;
  /** s->offset: where the free pointer lives, from the object start. */
  readonly offset: number;
  /** s->red_left_pad. */
  readonly redLeftPad: number;
  /** __OBJECT_POISON: objects are poisoned while free. */
  readonly objectPoison: boolean;
  /** SLAB_KASAN was set by kasan_cache_create(). */
  readonly kasan: boolean;
  readonly order: number;
  readonly objects: number;
  /** s->min: the fallback order (get_order(size)) and its object count. */
  readonly minOrder: number;
  readonly minObjects: number;
}

/**
 * calculate_sizes() of 4.17 (with CONFIG_SLUB_DEBUG, without CONFIG_SLAB_FREELIST_HARDENED):
 * the object size rounded to a word; a word of right red zone when the object fills it; the
 * free pointer after the object when the object must keep its contents while free (poison,
 * RCU, ctor), else in its first word; two struct track with SLAB_STORE_USER; KASAN's metadata
 * and red zone; a left red zone and padding word with SLAB_RED_ZONE; all aligned to s->align.
 */
export function calculateSizes(objectSize: number, align: number, flags: number, hasCtor: boolean, withKasan: boolean, nrCpuIds: number): CacheGeometry | null {
  let size = alignUp(objectSize, POINTER_SIZE);
  const objectPoison = (flags & SLAB_POISON) !== 0 && (flags & SLAB_TYPESAFE_BY_RCU) === 0 && !hasCtor;
  if (flags & SLAB_RED_ZONE && size === objectSize) size += POINTER_SIZE;
  const inuse = size;
  let offset = 0;
  if (flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON) || hasCtor) {
    offset = size;
    size += POINTER_SIZE;
  }
  if (flags & SLAB_STORE_USER) size += 2 * SIZEOF_TRACK;
  let kasan = false;
  if (withKasan) {
    // kasan_cache_create()
    const origSize = size;
    const allocMetaOffset = size;
    size += SIZEOF_KASAN_ALLOC_META;
    let freeMetaOffset = 0;
    if (flags & SLAB_TYPESAFE_BY_RCU || hasCtor || objectSize < SIZEOF_KASAN_FREE_META) {
      freeMetaOffset = size;
      size += SIZEOF_KASAN_FREE_META;
    }
    const redzoneAdjust = optimalRedzone(objectSize) - (size - objectSize);
    if (redzoneAdjust > 0) size += redzoneAdjust;
    size = Math.min(KMALLOC_MAX_SIZE, Math.max(size, objectSize + optimalRedzone(objectSize)));
    if (size <= allocMetaOffset || size <= freeMetaOffset) size = origSize;
    else kasan = true;
  }
  let redLeftPad = 0;
  if (flags & SLAB_RED_ZONE) {
    size += POINTER_SIZE;
    redLeftPad = alignUp(POINTER_SIZE, align);
    size += redLeftPad;
  }
  size = alignUp(size, align);
  const order = calculateOrder(size, nrCpuIds);
  if (order < 0) return null;
  const objects = orderObjects(order, size);
  if (objects === 0) return null;
  const minOrder = getOrder(size);
  return { size, inuse, offset, redLeftPad, objectPoison, kasan, order, objects, minOrder, minObjects: orderObjects(minOrder, size) };
}

/** set_min_partial(): ilog2(size) / 2 within [MIN_PARTIAL, MAX_PARTIAL]. */
export function minPartialFor(size: number): number {
  const min = Math.floor(ilog2(size) / 2);
  return Math.min(MAX_PARTIAL, Math.max(MIN_PARTIAL, min));
}

/**
 * set_cpu_partial() of 4.17 (CONFIG_SLUB_CPU_PARTIAL): 0 without per-cpu partials (debug
 * caches), else 2, 6, 13 or 30 free objects by object size.
 */
export function cpuPartialFor(size: number, hasCpuPartial: boolean): number {
  if (!hasCpuPartial) return 0;
  if (size >= PAGE_SIZE) return 2;
  if (size >= 1024) return 6;
  if (size >= 256) return 13;
  return 30;
}

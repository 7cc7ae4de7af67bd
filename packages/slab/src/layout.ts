/**
 * The geometry of a SLAB cache (mm/slab.c and mm/slab_common.c, 4.17): calculate_alignment(),
 * __kmem_cache_create(), cache_estimate(), calculate_slab_order() and the three slab management
 * types (set_objfreelist_slab_cache(), set_off_slab_cache(), set_on_slab_cache()).
 */
import { PAGE_SIZE, SLAB_NOLEAKTRACE, SLAB_RECLAIM_ACCOUNT, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TYPESAFE_BY_RCU } from '@mmkit/core';
import {
  BYTES_PER_WORD,
  CACHE_LINE_SIZE,
  CFLGS_OBJFREELIST_SLAB,
  CFLGS_OFF_SLAB,
  FREELIST_IDX_SIZE,
  REDZONE_ALIGN,
  SLAB_OBJ_MAX_NUM,
  SLAB_OBJ_MIN_SIZE,
} from './constants.js';
import { KMALLOC_MAX_ORDER } from './kmalloc.js';

/** ALIGN(x, a) for a power-of-two a. */
export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export interface SlabEstimate {
  num: number;
  leftOver: number;
}

/**
 * cache_estimate(): objects of `bufferSize` in a slab of order `gfporder`. With the freelist in
 * an object (OBJFREELIST) or off the slab, the whole slab holds objects; on-slab, each object
 * also costs its freelist_idx_t at the end of the slab.
 */
export function cacheEstimate(gfporder: number, bufferSize: number, flags: number, out: SlabEstimate): void {
  const slabSize = PAGE_SIZE * 2 ** gfporder;
  const per = flags & (CFLGS_OBJFREELIST_SLAB | CFLGS_OFF_SLAB) ? bufferSize : bufferSize + FREELIST_IDX_SIZE;
  out.num = Math.floor(slabSize / per);
  out.leftOver = slabSize % per;
}

/** What an off-slab freelist would be allocated from: kmalloc_slab(freelist_size). */
export type FreelistCacheLookup = (size: number) => { readonly size: number; readonly offSlab: boolean } | undefined;

export interface OrderResult {
  num: number;
  gfporder: number;
  leftOver: number;
}

/**
 * calculate_slab_order(): the first order (0..KMALLOC_MAX_ORDER) giving objects, stopping at
 * SLAB_OBJ_MAX_NUM objects, for SLAB_RECLAIM_ACCOUNT caches, at slab_max_order, or once the
 * waste is at most an eighth of the slab. Off-slab candidates need a kmalloc cache for the
 * freelist that is on-slab itself and at most half the object size.
 */
export function calculateSlabOrder(size: number, flags: number, slabMaxOrder: number, freelistCache: FreelistCacheLookup): OrderResult {
  const res: OrderResult = { num: 0, gfporder: 0, leftOver: 0 };
  const est: SlabEstimate = { num: 0, leftOver: 0 };
  for (let gfporder = 0; gfporder <= KMALLOC_MAX_ORDER; gfporder++) {
    cacheEstimate(gfporder, size, flags, est);
    if (!est.num) continue;
    if (est.num > SLAB_OBJ_MAX_NUM) break;
    if (flags & CFLGS_OFF_SLAB) {
      const fc = freelistCache(est.num * FREELIST_IDX_SIZE);
      if (!fc) continue;
      if (fc.offSlab) continue; // avoids looping in cache_grow_begin()
      if (fc.size > size / 2) continue; // not enough benefit
    }
    res.num = est.num;
    res.gfporder = gfporder;
    res.leftOver = est.leftOver;
    if (flags & SLAB_RECLAIM_ACCOUNT) break;
    if (gfporder >= slabMaxOrder) break;
    if (est.leftOver * 8 <= PAGE_SIZE * 2 ** gfporder) break;
  }
  return res;
}

/** The geometry __kmem_cache_create() settles on. */
export type SlabMgmt = 'objfreelist' | 'off-slab' | 'on-slab';

export interface CacheLayout {
  /** cachep->size: the buffer of one object with its debug words, aligned. */
  readonly size: number;
  readonly align: number;
  /** Flags after __kmem_cache_create() (debug flags dropped for large alignments). */
  readonly flags: number;
  /** The slab management type (CFLGS_OBJFREELIST_SLAB, CFLGS_OFF_SLAB, or on-slab). */
  readonly mgmt: SlabMgmt;
  readonly num: number;
  readonly gfporder: number;
  readonly colour: number;
  readonly colourOff: number;
  /** obj_offset(): the red zone word before the object. */
  readonly objOffset: number;
  readonly freelistSize: number;
}

/**
 * __kmem_cache_create() for SLAB. `align` is what calculate_alignment() gave; `objectSize` what
 * the caller asked for. Returns undefined for -E2BIG (no order holds an object).
 */
export function kmemCacheLayout(objectSize: number, align: number, flags: number, hasCtor: boolean, slabMaxOrder: number, freelistCache: FreelistCacheLookup): CacheLayout | undefined {
  let ralign = BYTES_PER_WORD;
  let size = alignUp(objectSize, BYTES_PER_WORD);
  if (flags & SLAB_RED_ZONE) {
    ralign = REDZONE_ALIGN;
    size = alignUp(size, REDZONE_ALIGN);
  }
  if (ralign < align) ralign = align;
  // Debugging needs word alignment: it is turned off for larger alignments.
  if (ralign > 8) flags &= ~(SLAB_RED_ZONE | SLAB_STORE_USER);
  align = ralign;
  let colourOff = CACHE_LINE_SIZE;
  if (colourOff < align) colourOff = align;

  let objOffset = 0;
  if (flags & SLAB_RED_ZONE) {
    objOffset += 8;
    size += 2 * 8;
  }
  if (flags & SLAB_STORE_USER) size += flags & SLAB_RED_ZONE ? REDZONE_ALIGN : BYTES_PER_WORD;

  size = alignUp(size, align);
  if (size < SLAB_OBJ_MIN_SIZE) size = alignUp(SLAB_OBJ_MIN_SIZE, align);

  // set_objfreelist_slab_cache(): the freelist in an object, when no constructor or RCU needs
  // the free objects' bytes.
  if (!hasCtor && !(flags & SLAB_TYPESAFE_BY_RCU)) {
    const r = calculateSlabOrder(size, flags | CFLGS_OBJFREELIST_SLAB, slabMaxOrder, freelistCache);
    if (r.num && r.num * FREELIST_IDX_SIZE <= objectSize) {
      return done('objfreelist', r);
    }
  }
  // set_off_slab_cache(): unless SLAB_NOLEAKTRACE; moved back on-slab if the waste can hold it.
  if (!(flags & SLAB_NOLEAKTRACE)) {
    const r = calculateSlabOrder(size, flags | CFLGS_OFF_SLAB, slabMaxOrder, freelistCache);
    if (r.num && r.leftOver < r.num * FREELIST_IDX_SIZE) return done('off-slab', r);
  }
  // set_on_slab_cache().
  const r = calculateSlabOrder(size, flags, slabMaxOrder, freelistCache);
  if (r.num) return done('on-slab', r);
  return undefined;

  function done(mgmt: SlabMgmt, r: OrderResult): CacheLayout {
    return {
      size,
      align,
      flags,
      mgmt,
      num: r.num,
      gfporder: r.gfporder,
      colour: Math.floor(r.leftOver / colourOff),
      colourOff,
      objOffset,
      freelistSize: r.num * FREELIST_IDX_SIZE,
    };
  }
}

/**
 * kmalloc() of SLUB (mm/slub.c, mm/slab_common.c, 4.17): the size classes of Linux 4.17 on
 * x86-64 with SLUB (include/linux/slab.h): KMALLOC_SHIFT_LOW 3, KMALLOC_SHIFT_HIGH
 * PAGE_SHIFT + 1; the classes, their names and size_index[] come from mm/slab_common.c (core's
 * slab-common). Then __kmalloc(), kfree() and ksize() over the SLUB state.
 */
import {
  GFP_DMA,
  PAGE_SHIFT,
  PAGE_SIZE,
  SLAB_KASAN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TYPESAFE_BY_RCU,
  ZERO_SIZE_PTR,
  kmallocCreationOrder as creationOrder,
  kmallocIndex as indexFor,
  kmallocIndexSize,
  type Gfp,
  type ObjAddr,
} from '@mmkit/core';
import * as alloc from './alloc.js';
import * as free from './free.js';
import * as large from './kmalloc-large.js';
import * as slabPage from './slab-page.js';
import type { SlubState } from './state.js';

// Bound to module constants, not called through import bindings: see "Hot paths" in the README.
const { slabAlloc } = alloc;
const { reportNotAnAddress, slabFreeObject } = free;
const { freeLarge, kmallocLarge } = large;
const { hex, slabHead } = slabPage;

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

/**
 * __kmalloc(): kmalloc_slab() (size_index[] up to 192; kmalloc_dma_caches[] for GFP_DMA), or
 * kmalloc_large() above KMALLOC_MAX_CACHE_SIZE.
 */
export function __kmalloc(st: SlubState, size: number, gfp: Gfp): ObjAddr {
  if (!Number.isInteger(size) || size < 0) return 0; // no size_t holds it
  if (size > KMALLOC_MAX_CACHE_SIZE) return kmallocLarge(st, size, gfp);
  if (size === 0) return ZERO_SIZE_PTR;
  return slabAlloc(st, (gfp & GFP_DMA ? st.kmallocDmaCaches : st.kmallocCaches)[kmallocIndex(size)], gfp);
}

/** kfree(): NULL and ZERO_SIZE_PTR are no-ops; kmalloc_large blocks go back to the page allocator. */
export function kfree(st: SlubState, addr: ObjAddr): void {
  if (addr - Math.floor(addr) !== 0) return reportNotAnAddress(st, undefined, addr, 'kfree'); // a fraction, NaN or an infinity
  if (addr >= 0 && addr <= ZERO_SIZE_PTR) return; // ZERO_OR_NULL_PTR()
  const head = slabHead(st, addr);
  if (head < 0) {
    const pfn = Math.floor(addr / PAGE_SIZE);
    if (addr === pfn * PAGE_SIZE && st.largeOrders.has(pfn)) {
      freeLarge(st, pfn);
      return;
    }
    return reportKfreeInvalid(st, addr);
  }
  slabFreeObject(st, st.byId[st.pages.getMapping(head)]!, head, addr);
}

/** ksize() → __ksize(): slab_ksize() of the object's cache, PAGE_SIZE << order of a kmalloc_large block. */
/** kfree() of an address that is neither a slab object nor a kmalloc_large() block (off the hot path). */
function reportKfreeInvalid(st: SlubState, addr: ObjAddr): void {
  st.services.slabError('invalid-free', undefined, addr, `kfree: ${hex(addr)} is not a slab object nor a kmalloc_large() block`);
}

export function ksize(st: SlubState, addr: ObjAddr): number {
  if (!(addr > ZERO_SIZE_PTR)) return 0; // ZERO_OR_NULL_PTR(), and what is no address at all
  const head = slabHead(st, addr);
  if (head < 0) {
    const order = st.largeOrders.get(Math.floor(addr / PAGE_SIZE));
    return order === undefined ? 0 : PAGE_SIZE << order;
  }
  const s = st.byId[st.pages.getMapping(head)]!;
  // slab_ksize()
  if (s.flags & (SLAB_RED_ZONE | SLAB_POISON)) return s.objectSize;
  if (s.flags & SLAB_KASAN) return s.objectSize;
  if (s.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER)) return s.inuse;
  return s.size;
}

/**
 * kmalloc_large() of SLUB (mm/slub.c, 4.17; Linux: kmalloc_order()): kmalloc() above
 * KMALLOC_MAX_CACHE_SIZE takes compound pages straight from the page allocator, and kfree()
 * gives them back. `st.largeOrders` maps the head pfn of each block to its order
 * (compound_order()).
 */
import { MAX_ORDER, NO_PAGE, PAGE_SIZE, __GFP_COMP, __GFP_NOWARN, invalidGfpMaskError, isGfpT, type Gfp, type ObjAddr } from '@mmkit/core';
import { KMALLOC_MAX_SIZE, getOrder } from './sizes.js';
import type { SlubState } from './state.js';

/** kmalloc_large() → kmalloc_order(): compound pages straight from the page allocator. */
export function kmallocLarge(st: SlubState, size: number, gfp: Gfp): ObjAddr {
  // No slab_pre_alloc_hook() on this path: refuse a gfp that is no gfp_t here (the contract's rule).
  if (!isGfpT(gfp)) throw invalidGfpMaskError('kmalloc', gfp, true);
  const order = getOrder(size);
  if (order >= MAX_ORDER) {
    // __alloc_pages_slowpath(): WARN_ON_ONCE(!(gfp_mask & __GFP_NOWARN))
    if (!(gfp & __GFP_NOWARN)) st.services.log('warn', `WARNING: kmalloc(${size}): order ${order} >= MAX_ORDER (above KMALLOC_MAX_SIZE ${KMALLOC_MAX_SIZE})`);
    return 0;
  }
  const pfn = st.services.pageAllocator.allocPages(gfp | __GFP_COMP, order);
  if (pfn === NO_PAGE) return 0;
  st.largeOrders.set(pfn, order);
  return pfn * PAGE_SIZE;
}

/** kfree() of a kmalloc_large() block (Linux: __free_pages(page, compound_order(page))). */
export function freeLarge(st: SlubState, pfn: number): void {
  const order = st.largeOrders.get(pfn)!;
  st.largeOrders.delete(pfn);
  st.services.pageAllocator.freePages(pfn, order);
}

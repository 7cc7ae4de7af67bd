/**
 * @mmkit/buddy: the Linux 4.17 zoned buddy page allocator, an implementation of the
 * PageAllocator contract of @mmkit/core. Its variation points are the hooks of
 * DEFAULT_BUDDY_HOOKS; its mechanisms are in `@mmkit/buddy/internals` (unstable).
 */
export { createBuddyAllocator, type BuddyAllocatorOptions } from './create.js';
export { BuddyAllocator } from './buddy-allocator.js';
export { DEFAULT_BUDDY_HOOKS, type BuddyHooks } from './hooks.js';
export type { BuddyState, AllocContext } from './state.js';
export { PAGE_ALLOC_COSTLY_ORDER } from './page-alloc.js';
export { PAGE_FLAGS_CHECK_AT_FREE } from './free-pages.js';
export { FALLBACKS, canStealFallback } from './fallback.js';
export { zoneBatchsize, pagesetHighBatch, rounddownPowOfTwo, pcpListIndex } from './pcp.js';
export {
  intSqrt,
  computeMinFreeKbytes,
  multFrac,
  zoneWatermarks,
  recommendedMinFreeKbytes,
  MIN_FREE_KBYTES_FLOOR,
  MIN_FREE_KBYTES_CEIL,
  DEFAULT_WATERMARK_SCALE_FACTOR,
  type ZoneWatermarks,
} from './watermarks.js';
export { buildZonelists, nodeOrder, type Zonelists } from './zonelist.js';

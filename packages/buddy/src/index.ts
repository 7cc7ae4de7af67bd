/**
 * @mmkit/buddy: the Linux 4.17 zoned buddy page allocator, an implementation of the
 * PageAllocator contract of @mmkit/core.
 */
import type { PageAllocatorFactory } from '@mmkit/core';
import { BuddyAllocator } from './page-alloc.js';

export { BuddyAllocator, PAGE_ALLOC_COSTLY_ORDER } from './page-alloc.js';
export { PAGE_FLAGS_CHECK_AT_FREE } from './free-pages.js';
export { FreeAreas, NO_ZONE, freeListIndex } from './free-area.js';
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

/** The PageAllocatorFactory of the buddy allocator. */
export const createBuddyAllocator: PageAllocatorFactory = (services) => new BuddyAllocator(services);

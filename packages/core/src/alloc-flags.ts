/** Internal allocation flags of the page allocator (mm/internal.h, 4.17). */
export const ALLOC_WMARK_MIN = 0;
export const ALLOC_WMARK_LOW = 1;
export const ALLOC_WMARK_HIGH = 2;
/** Don't check watermarks at all. */
export const ALLOC_NO_WATERMARKS = 0x04;
export const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
/** Allow an OOM victim to dig deeper into reserves. */
export const ALLOC_OOM = 0x08;
/** Try to alloc harder (__GFP_ATOMIC without __GFP_NOMEMALLOC, or a realtime task). */
export const ALLOC_HARDER = 0x10;
/** __GFP_HIGH set. */
export const ALLOC_HIGH = 0x20;
/** Check for correct cpuset. */
export const ALLOC_CPUSET = 0x40;
/**
 * Allow allocations from CMA areas (4.16 and 4.17-final, the migratetype CMA policy; the seed's
 * "mm/cma: remove ALLOC_CMA" took it out, and the 4.17-rc7 revert brought it back).
 */
export const ALLOC_CMA = 0x80;

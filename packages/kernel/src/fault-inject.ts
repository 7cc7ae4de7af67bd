/**
 * Fault injection in the style of lib/fault-inject.c, with fail_page_alloc (mm/page_alloc.c)
 * and failslab (mm/failslab.c) and the knobs of their /sys/kernel/debug directories.
 */
import { __GFP_DIRECT_RECLAIM, __GFP_HIGHMEM, __GFP_NOFAIL, __GFP_RECLAIM, SLAB_FAILSLAB, type Gfp, type KmemCache, type Prng } from '@mmkit/core';

/** struct fault_attr. */
export interface FaultAttr {
  /** Percent chance a call fails once the other conditions hold (0..100). */
  probability: number;
  /** Only every interval-th eligible call may fail (1 = every call). */
  interval: number;
  /** How many more failures may happen; -1 = no limit. */
  times: number;
  /** Bytes that may pass before failures start. */
  space: number;
  /** 0 silent, 1 one line per failure, 2 with the call site. */
  verbose: number;
  /** Internal call counter for interval. */
  count: number;
}

/** fail_page_alloc: struct fault_attr plus its own filters. */
export interface FailPageAlloc extends FaultAttr {
  /** ignore-gfp-wait: allocations that may enter direct reclaim never fail (default true). */
  ignoreGfpWait: boolean;
  /** ignore-gfp-highmem: __GFP_HIGHMEM allocations never fail (default true). */
  ignoreGfpHighmem: boolean;
  /** min-order: smaller allocations never fail (default 1). */
  minOrder: number;
}

/** failslab: struct fault_attr plus its own filters. */
export interface Failslab extends FaultAttr {
  /** ignore-gfp-wait (default true). */
  ignoreGfpWait: boolean;
  /** cache-filter: only caches created with SLAB_FAILSLAB may fail (default false). */
  cacheFilter: boolean;
}

/** FAULT_ATTR_INITIALIZER. */
function faultAttrInitializer(): FaultAttr {
  return { probability: 0, interval: 1, times: 1, space: 0, verbose: 2, count: 0 };
}

export function defaultFailPageAlloc(): FailPageAlloc {
  return { ...faultAttrInitializer(), ignoreGfpWait: true, ignoreGfpHighmem: true, minOrder: 1 };
}

export function defaultFailslab(): Failslab {
  return { ...faultAttrInitializer(), ignoreGfpWait: true, cacheFilter: false };
}

/** should_fail(). */
export function shouldFail(attr: FaultAttr, size: number, prng: Prng): boolean {
  if (attr.probability === 0) return false;
  if (attr.times === 0) return false;
  if (attr.space > size) {
    attr.space -= size;
    return false;
  }
  if (attr.interval > 1) {
    attr.count++;
    if (attr.count % attr.interval) return false;
  }
  if (attr.probability <= prng.nextU32() % 100) return false;
  if (attr.times !== -1) attr.times--;
  return true;
}

/** should_fail_alloc_page(). */
export function shouldFailAllocPage(attr: FailPageAlloc, gfp: Gfp, order: number, prng: Prng): boolean {
  if (order < attr.minOrder) return false;
  if (gfp & __GFP_NOFAIL) return false;
  if (attr.ignoreGfpHighmem && gfp & __GFP_HIGHMEM) return false;
  if (attr.ignoreGfpWait && gfp & __GFP_DIRECT_RECLAIM) return false;
  return shouldFail(attr, 1 << order, prng);
}

/**
 * __should_failslab() of 4.17: ignore-gfp-wait spares every allocation with a reclaim bit
 * (__GFP_RECLAIM: direct or kswapd, so GFP_ATOMIC and GFP_NOWAIT too; 5.2 narrowed it to
 * direct reclaim, as fail_page_alloc has it).
 */
export function shouldFailslab(attr: Failslab, cache: KmemCache, gfp: Gfp, prng: Prng): boolean {
  if (gfp & __GFP_NOFAIL) return false;
  if (attr.ignoreGfpWait && gfp & __GFP_RECLAIM) return false;
  if (attr.cacheFilter && !(cache.flags & SLAB_FAILSLAB)) return false;
  return shouldFail(attr, cache.objectSize, prng);
}

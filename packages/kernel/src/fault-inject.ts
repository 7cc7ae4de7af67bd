/**
 * Fault injection in the style of lib/fault-inject.c and fail_page_alloc (mm/page_alloc.c),
 * with the knobs of /sys/kernel/debug/fail_page_alloc/.
 */
import { __GFP_DIRECT_RECLAIM, __GFP_HIGHMEM, __GFP_NOFAIL, type Gfp, type Prng } from '@mmkit/core';

export interface FaultAttr {
  /** Percent chance a call fails once the other conditions hold (0..100). */
  probability: number;
  /** Only every interval-th eligible call may fail (1 = every call). */
  interval: number;
  /** How many more failures may happen; -1 = no limit. */
  times: number;
  /** Bytes (pages << order count as 1 << order) that may pass before failures start. */
  space: number;
  /** 0 silent, 1 one line per failure, 2 with the call site (we print the gfp and order). */
  verbose: number;
  /** ignore-gfp-wait: allocations that may enter direct reclaim never fail (fail_page_alloc default true). */
  ignoreGfpWait: boolean;
  /** ignore-gfp-highmem: __GFP_HIGHMEM allocations never fail (default true). */
  ignoreGfpHighmem: boolean;
  /** min-order: smaller allocations never fail (default 1). */
  minOrder: number;
  /** Internal call counter for interval. */
  count: number;
}

/** FAULT_ATTR_INITIALIZER plus fail_page_alloc's own defaults. */
export function defaultFailPageAlloc(): FaultAttr {
  return { probability: 0, interval: 1, times: 1, space: 0, verbose: 2, ignoreGfpWait: true, ignoreGfpHighmem: true, minOrder: 1, count: 0 };
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
export function shouldFailAllocPage(attr: FaultAttr, gfp: Gfp, order: number, prng: Prng): boolean {
  if (order < attr.minOrder) return false;
  if (gfp & __GFP_NOFAIL) return false;
  if (attr.ignoreGfpHighmem && gfp & __GFP_HIGHMEM) return false;
  if (attr.ignoreGfpWait && gfp & __GFP_DIRECT_RECLAIM) return false;
  return shouldFail(attr, 1 << order, prng);
}

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

/** The fields of struct fault_attr that fail_page_alloc and failslab share. */
export const FAULT_ATTR_FIELDS = ['probability', 'interval', 'times', 'space', 'verbose', 'count'] as const;

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

/**
 * The bounds of each setting: those of its debugfs file (lib/fault-inject.c and sysctl.ts:
 * probability 0-100, interval >= 1, space and interval as u32, verbose 0-2, min-order 0-10;
 * times an atomic_t where -1 means no limit). `count` is the internal interval counter.
 */
export const FAULT_ATTR_BOUNDS: Readonly<Record<string, { min: number; max: number } | 'bool'>> = {
  probability: { min: 0, max: 100 },
  interval: { min: 1, max: 2 ** 32 - 1 },
  times: { min: -1, max: 2 ** 31 - 1 },
  space: { min: 0, max: 2 ** 32 - 1 },
  verbose: { min: 0, max: 2 },
  count: { min: 0, max: Number.MAX_SAFE_INTEGER },
  minOrder: { min: 0, max: 10 },
  ignoreGfpWait: 'bool',
  ignoreGfpHighmem: 'bool',
  cacheFilter: 'bool',
};

/** Why `value` is no valid setting `key` (a one-line message naming `what.key`), or undefined when it is. */
export function faultAttrProblem(what: string, key: string, value: unknown): string | undefined {
  const b = Object.hasOwn(FAULT_ATTR_BOUNDS, key) ? FAULT_ATTR_BOUNDS[key] : undefined;
  if (b === undefined) return `${what}: unknown field '${key}'`;
  const shown = typeof value === 'string' ? `'${value.slice(0, 60)}'` : typeof value === 'number' || typeof value === 'boolean' || value == null ? String(value) : typeof value;
  if (b === 'bool') return typeof value === 'boolean' ? undefined : `${what}.${key} must be true or false, got ${shown}`;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= b.min && value <= b.max) return undefined;
  return `${what}.${key} must be an integer in [${b.min}, ${b.max}], got ${shown}`;
}

function checked(what: string, key: string, value: unknown): void {
  const problem = faultAttrProblem(what, key, value);
  if (problem) throw new RangeError(problem);
}

/**
 * struct fault_attr whose fields check every assignment (a RangeError, leaving the value as
 * it was), so a run-time change is held to the bounds the configuration and the debugfs files
 * are: `kernel.failPageAlloc.probability = NaN` would make every call fail. Class accessors,
 * which V8 inlines on the allocation path.
 */
class CheckedFaultAttr implements FaultAttr {
  private _probability: number;
  private _interval: number;
  private _times: number;
  private _space: number;
  private _verbose: number;
  private _count: number;
  /**
   * Element 0 is 1 while should_fail() may fail a call (probability > 0 and times != 0) and 0
   * while it returns false at once, touching nothing: the hot paths test it before calling
   * should_fail() (faultAttrArmed()), so fault injection that is off costs one branch. On an
   * ArrayBuffer of its own: V8 keeps a typed array made by length alone (64 bytes or less) in
   * its heap, where the collector may move it, so code reading it loads its address on every
   * call; an ArrayBuffer's store stays put, and the allocators' fast paths that hold it read it
   * at an address compiled in.
   */
  readonly armed = new Uint8Array(new ArrayBuffer(1));
  constructor(protected readonly what: string, a: FaultAttr) {
    for (const key of FAULT_ATTR_FIELDS) checked(what, key, a[key]);
    this._probability = a.probability;
    this._interval = a.interval;
    this._times = a.times;
    this._space = a.space;
    this._verbose = a.verbose;
    this._count = a.count;
    this.rearm();
  }
  private rearm(): void {
    this.armed[0] = this._probability !== 0 && this._times !== 0 ? 1 : 0;
  }
  get probability(): number { return this._probability; }
  set probability(v: number) { checked(this.what, 'probability', v); this._probability = v; this.rearm(); }
  get interval(): number { return this._interval; }
  set interval(v: number) { checked(this.what, 'interval', v); this._interval = v; }
  get times(): number { return this._times; }
  set times(v: number) { checked(this.what, 'times', v); this._times = v; this.rearm(); }
  get space(): number { return this._space; }
  set space(v: number) { checked(this.what, 'space', v); this._space = v; }
  get verbose(): number { return this._verbose; }
  set verbose(v: number) { checked(this.what, 'verbose', v); this._verbose = v; }
  get count(): number { return this._count; }
  set count(v: number) { checked(this.what, 'count', v); this._count = v; }
}

class CheckedFailPageAlloc extends CheckedFaultAttr implements FailPageAlloc {
  private _ignoreGfpWait: boolean;
  private _ignoreGfpHighmem: boolean;
  private _minOrder: number;
  constructor(a: FailPageAlloc) {
    super('failPageAlloc', a);
    checked(this.what, 'ignoreGfpWait', a.ignoreGfpWait);
    checked(this.what, 'ignoreGfpHighmem', a.ignoreGfpHighmem);
    checked(this.what, 'minOrder', a.minOrder);
    this._ignoreGfpWait = a.ignoreGfpWait;
    this._ignoreGfpHighmem = a.ignoreGfpHighmem;
    this._minOrder = a.minOrder;
  }
  get ignoreGfpWait(): boolean { return this._ignoreGfpWait; }
  set ignoreGfpWait(v: boolean) { checked(this.what, 'ignoreGfpWait', v); this._ignoreGfpWait = v; }
  get ignoreGfpHighmem(): boolean { return this._ignoreGfpHighmem; }
  set ignoreGfpHighmem(v: boolean) { checked(this.what, 'ignoreGfpHighmem', v); this._ignoreGfpHighmem = v; }
  get minOrder(): number { return this._minOrder; }
  set minOrder(v: number) { checked(this.what, 'minOrder', v); this._minOrder = v; }
}

class CheckedFailslab extends CheckedFaultAttr implements Failslab {
  private _ignoreGfpWait: boolean;
  private _cacheFilter: boolean;
  constructor(a: Failslab) {
    super('failslab', a);
    checked(this.what, 'ignoreGfpWait', a.ignoreGfpWait);
    checked(this.what, 'cacheFilter', a.cacheFilter);
    this._ignoreGfpWait = a.ignoreGfpWait;
    this._cacheFilter = a.cacheFilter;
  }
  get ignoreGfpWait(): boolean { return this._ignoreGfpWait; }
  set ignoreGfpWait(v: boolean) { checked(this.what, 'ignoreGfpWait', v); this._ignoreGfpWait = v; }
  get cacheFilter(): boolean { return this._cacheFilter; }
  set cacheFilter(v: boolean) { checked(this.what, 'cacheFilter', v); this._cacheFilter = v; }
}

/**
 * The armed flag of settings made by checkedFailPageAlloc() or checkedFailslab() (element 0
 * nonzero while should_fail() may fail a call), or undefined for other objects.
 */
export function faultAttrArmed(attr: FaultAttr): Uint8Array | undefined {
  return attr instanceof CheckedFaultAttr ? attr.armed : undefined;
}

/** fail_page_alloc's settings, every assignment checked. */
export function checkedFailPageAlloc(a: FailPageAlloc): FailPageAlloc {
  return new CheckedFailPageAlloc(a);
}

/** failslab's settings, every assignment checked. */
export function checkedFailslab(a: Failslab): Failslab {
  return new CheckedFailslab(a);
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

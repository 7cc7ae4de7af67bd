/**
 * The page allocator as one subsystem sees it, counting the pages that subsystem holds
 * (for "nothing leaked" checks: every slab page back in the buddy allocator).
 *
 * The subsystem is handed this object, so what it counts with is out of the subsystem's reach:
 * private fields (a graded object allocator cannot set the count it is checked against, nor
 * swap the allocator or the bad-page count underneath it) on a frozen instance.
 */
import { NO_PAGE, type Gfp, type PageAllocatorApi, type Pfn } from '@mmkit/core';

export class CountingPageAllocator implements PageAllocatorApi {
  readonly #inner: PageAllocatorApi;
  /** badPages(): how many bad-page reports the kernel has, to tell a refused free from a real one. */
  readonly #badPages: () => number;
  #held = 0;

  constructor(inner: PageAllocatorApi, badPages: () => number) {
    this.#inner = inner;
    this.#badPages = badPages;
    Object.freeze(this);
  }

  /** Pages allocated through this view and not freed. */
  get held(): number {
    return this.#held;
  }

  allocPages(gfp: Gfp, order: number, preferredNid?: number): Pfn {
    const pfn = this.#inner.allocPages(gfp, order, preferredNid);
    if (pfn !== NO_PAGE) this.#held += 2 ** order;
    return pfn;
  }

  freePages(pfn: Pfn, order: number): void {
    const reports = this.#badPages();
    this.#inner.freePages(pfn, order);
    if (this.#badPages() === reports) this.#held -= 2 ** order;
  }
}

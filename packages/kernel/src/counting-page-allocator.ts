/**
 * The page allocator as one subsystem sees it, counting the pages that subsystem holds
 * (for "nothing leaked" checks: every slab page back in the buddy allocator).
 */
import { NO_PAGE, type Gfp, type PageAllocatorApi, type Pfn } from '@mmkit/core';

export class CountingPageAllocator implements PageAllocatorApi {
  /** Pages allocated through this view and not freed. */
  held = 0;

  /** badPages(): how many bad-page reports the kernel has, to tell a refused free from a real one. */
  constructor(private readonly inner: PageAllocatorApi, private readonly badPages: () => number) {}

  allocPages(gfp: Gfp, order: number, preferredNid?: number): Pfn {
    const pfn = this.inner.allocPages(gfp, order, preferredNid);
    if (pfn !== NO_PAGE) this.held += 2 ** order;
    return pfn;
  }

  freePages(pfn: Pfn, order: number): void {
    const reports = this.badPages();
    this.inner.freePages(pfn, order);
    if (this.badPages() === reports) this.held -= 2 ** order;
  }
}

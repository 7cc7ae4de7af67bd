/**
 * The page allocator as one subsystem sees it, counting the pages that subsystem holds
 * (for "nothing leaked" checks: every slab page back in the buddy allocator).
 */
import { NO_PAGE, type Gfp, type PageAllocator, type Zone } from '@mmkit/core';

export class CountingPageAllocator implements PageAllocator {
  /** Pages allocated through this view and not freed. */
  held = 0;

  /** badPages(): how many bad-page reports the kernel has, to tell a refused free from a real one. */
  constructor(private readonly inner: PageAllocator, private readonly badPages: () => number) {}

  get name(): string {
    return this.inner.name;
  }
  get supports() {
    return this.inner.supports;
  }
  get minFreeKbytes(): number {
    return this.inner.minFreeKbytes;
  }
  get watermarkScaleFactor(): number {
    return this.inner.watermarkScaleFactor;
  }
  get lowmemReserveRatio(): readonly number[] {
    return this.inner.lowmemReserveRatio;
  }

  allocPages(gfp: Gfp, order: number, preferredNid?: number): number {
    const pfn = this.inner.allocPages(gfp, order, preferredNid);
    if (pfn !== NO_PAGE) this.held += 2 ** order;
    return pfn;
  }

  freePages(pfn: number, order: number): void {
    const reports = this.badPages();
    this.inner.freePages(pfn, order);
    if (this.badPages() === reports) this.held -= 2 ** order;
  }

  freeBootmem(startPfn: number, nrPages: number): void {
    this.inner.freeBootmem(startPfn, nrPages);
  }
  initWatermarks(): void {
    this.inner.initWatermarks();
  }
  setMinFreeKbytes(kbytes: number): number {
    return this.inner.setMinFreeKbytes(kbytes);
  }
  setWatermarkScaleFactor(factor: number): number {
    return this.inner.setWatermarkScaleFactor(factor);
  }
  setLowmemReserveRatio(ratios: readonly number[]): number {
    return this.inner.setLowmemReserveRatio(ratios);
  }
  zoneWatermarkOk(zone: Zone, order: number, mark: number, classzoneIdx: number, allocFlags: number): boolean {
    return this.inner.zoneWatermarkOk(zone, order, mark, classzoneIdx, allocFlags);
  }
  drainAllPages(): void {
    this.inner.drainAllPages();
  }
  forEachFreeBlock(visit: (zone: Zone, pfn: number, order: number, migratetype: number) => void): void {
    this.inner.forEachFreeBlock(visit);
  }
  forEachPcpPage(visit: (zone: Zone, cpu: number, pfn: number) => void): void {
    this.inner.forEachPcpPage(visit);
  }
  totalreservePages(): number {
    return this.inner.totalreservePages();
  }
}

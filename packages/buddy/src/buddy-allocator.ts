/**
 * The zoned buddy page allocator of Linux 4.17 as one object implementing the PageAllocator
 * contract: its state (state.ts) and a method per contract member, each handing over to the
 * mechanism that models it. Variation goes through the hook table (hooks.ts), never through
 * subclasses.
 */
import { type Gfp, type MigrateType, type PageAllocator, type PageAllocatorFeatures, type Pfn, type Zone } from '@mmkit/core';
import * as bootmemMod from './bootmem.js';
import * as freeAreaMod from './free-area.js';
import * as freePagesMod from './free-pages.js';
import * as pageAllocMod from './page-alloc.js';
import { createPcpFastPaths, type PcpFastAlloc, type PcpFastFree } from './pcp-fast-path.js';
import * as perCpuPagesMod from './per-cpu-pages.js';
import type { BuddyState } from './state.js';
import * as watermarkSetupMod from './watermark-setup.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (measured on the hot paths, see docs/implementations.md).
const { freeBootmem, initWatermarks } = bootmemMod;
const { forEachFreeBlock } = freeAreaMod;
const { __freePages, allocatedOrder } = freePagesMod;
const { __allocPagesNodemask } = pageAllocMod;
const { drainAllPages, forEachPcpPage } = perCpuPagesMod;
const { lowmemReserveRatioSysctlHandler, minFreeKbytesSysctlHandler, watermarkScaleFactorSysctlHandler } = watermarkSetupMod;

/** The state behind each allocator (for @mmkit/buddy/internals; not part of the contract). */
const STATES = new WeakMap<BuddyAllocator, BuddyState>();

export class BuddyAllocator implements PageAllocator {
  readonly supports: PageAllocatorFeatures = { pcp: true, highatomic: true };
  /** The order-0 per-cpu fast paths (pcp-fast-path.ts). */
  private readonly allocFast: PcpFastAlloc;
  private readonly freeFast: PcpFastFree;

  constructor(
    readonly name: string,
    private readonly st: BuddyState,
  ) {
    STATES.set(this, st);
    const fast = createPcpFastPaths(st);
    this.allocFast = fast.alloc;
    this.freeFast = fast.free;
  }

  allocPages(gfp: Gfp, order: number, preferredNid?: number): Pfn {
    if (order === 0 && preferredNid === undefined) {
      const pfn = this.allocFast(gfp); // the common order-0 case, inline; NO_PAGE: the general path decides
      if (pfn !== -1) return pfn; // NO_PAGE (checked in pcp-fast-path.ts)
    }
    return __allocPagesNodemask(this.st, gfp, order, preferredNid);
  }

  freePages(pfn: Pfn, order: number): void {
    if (order === 0 && this.freeFast(pfn)) return; // inline; false: the general path
    __freePages(this.st, pfn, order);
  }

  freeBootmem(startPfn: Pfn, nrPages: number): void {
    freeBootmem(this.st, startPfn, nrPages);
  }

  initWatermarks(): void {
    initWatermarks(this.st);
  }

  drainAllPages(): void {
    drainAllPages(this.st);
  }

  get minFreeKbytes(): number {
    return this.st.minFreeKbytes;
  }

  get watermarkScaleFactor(): number {
    return this.st.watermarkScaleFactor;
  }

  get lowmemReserveRatio(): readonly number[] {
    return this.st.lowmemReserveRatio.slice();
  }

  setMinFreeKbytes(kbytes: number): number {
    return minFreeKbytesSysctlHandler(this.st, kbytes);
  }

  setWatermarkScaleFactor(factor: number): number {
    return watermarkScaleFactorSysctlHandler(this.st, factor);
  }

  setLowmemReserveRatio(ratios: readonly number[]): number {
    return lowmemReserveRatioSysctlHandler(this.st, ratios);
  }

  zoneWatermarkOk(zone: Zone, order: number, mark: number, classzoneIdx: number, allocFlags: number): boolean {
    return this.st.hooks.zoneWatermarkOk(this.st, zone, order, mark, classzoneIdx, allocFlags);
  }

  forEachFreeBlock(visit: (zone: Zone, pfn: Pfn, order: number, migratetype: MigrateType) => void): void {
    forEachFreeBlock(this.st, visit);
  }

  forEachPcpPage(visit: (zone: Zone, cpu: number, pfn: Pfn) => void): void {
    forEachPcpPage(this.st, visit);
  }

  totalreservePages(): number {
    return this.st.totalreservePages;
  }

  /** The order a page was allocated with, or -1 (page_owner's record). */
  allocatedOrder(pfn: Pfn): number {
    return allocatedOrder(this.st, pfn);
  }
}

/** The state behind an allocator made by createBuddyAllocator() (for @mmkit/buddy/internals). */
export function buddyState(allocator: BuddyAllocator): BuddyState {
  const st = STATES.get(allocator);
  if (!st) throw new TypeError('buddyState(): not an allocator made by createBuddyAllocator()');
  return st;
}

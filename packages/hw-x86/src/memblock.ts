/**
 * memblock (mm/memblock.c, 4.17): the boot-time memory allocator. memblock.memory holds the
 * RAM the firmware reported, memblock.reserved what the kernel has taken before the page
 * allocator exists. Everything here works on pfn ranges, never on single pages.
 */
import { alignDown, intersectRanges, normalizeRanges, pagesInRange, subtractRanges, type PfnRange } from '@mmkit/core';

/**
 * struct memblock: memory and reserved regions in pfns. CMA areas are kept apart from the
 * other reservations because, once the page allocator is up, their pages are handed to it
 * (cma_init_reserved_areas) while the rest stays reserved.
 */
export class Memblock {
  memory: PfnRange[] = [];
  private reservedRanges: PfnRange[] = [];
  private cmaRanges: PfnRange[] = [];

  /** memblock_add(). */
  add(start: number, end: number): void {
    this.memory = normalizeRanges([...this.memory, { start, end }]);
  }

  /** memblock_add() of many ranges at once: one sort, O(n log n), where n calls of add() are O(n^2 log n). */
  addRanges(ranges: readonly PfnRange[]): void {
    this.memory = normalizeRanges([...this.memory, ...ranges]);
  }

  /** memblock_remove(). */
  remove(start: number, end: number): void {
    this.memory = subtractRanges(this.memory, [{ start, end }]);
  }

  /** memblock_reserve(). The range may lie partly outside memory, as in Linux. */
  reserve(start: number, end: number): void {
    this.reservedRanges = normalizeRanges([...this.reservedRanges, { start, end }]);
  }

  /** A CMA area: reserved at boot, given to the page allocator later. */
  reserveCma(start: number, end: number): void {
    this.cmaRanges = normalizeRanges([...this.cmaRanges, { start, end }]);
  }

  /** memblock.reserved clipped to memory (what never reaches the page allocator). */
  get reserved(): PfnRange[] {
    return intersectRanges(this.reservedRanges, this.memory);
  }

  get cma(): PfnRange[] {
    return this.cmaRanges.map((r) => ({ ...r }));
  }

  /** Memory neither reserved nor given to CMA. */
  freeRanges(): PfnRange[] {
    return subtractRanges(subtractRanges(this.memory, this.reservedRanges), this.cmaRanges);
  }

  /** True when [start, end) is all memory (no hole). */
  isMemory(start: number, end: number): boolean {
    return pagesInRange(this.memory, start, end) === end - start;
  }

  /** absent_pages_in_range(): pages of [start, end) that are not memory. */
  absentPagesInRange(start: number, end: number): number {
    return end - start - pagesInRange(this.memory, start, end);
  }

  /**
   * memblock_find_in_range_node() in its default top-down mode: the highest `align`-aligned
   * start of `size` free pages inside [start, end) and inside one of `within` (a node's
   * ranges, or everything). Returns -1 when nothing fits.
   */
  findInRangeTopDown(size: number, align: number, start: number, end: number, within?: readonly PfnRange[]): number {
    let free = intersectRanges(this.freeRanges(), [{ start, end }]);
    if (within) free = intersectRanges(free, normalizeRanges(within));
    for (let i = free.length - 1; i >= 0; i--) {
      const cand = alignDown(free[i].end - size, align);
      if (cand >= free[i].start) return cand;
    }
    return -1;
  }
}

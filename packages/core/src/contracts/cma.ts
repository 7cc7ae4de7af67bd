/**
 * Draft: contiguous memory areas (mm/cma.c). Implemented by @mmkit/cma. An allocation isolates a
 * range (PageIsolation, from the page allocator), migrates its movable pages away
 * (PageMigration) and takes it; both are reached late-bound through services.subsystems.
 */
import type { Pfn } from '../units.js';
import type { MmServices } from './services.js';

/** One CMA area, as /sys/kernel/debug/cma/cma-N shows it. Data, not text. */
export interface CmaAreaInfo {
  readonly name: string;
  readonly basePfn: Pfn;
  readonly count: number;
  /** Pages of the area currently allocated through cma_alloc(). */
  readonly used: number;
  readonly orderPerBit: number;
}

export interface ContiguousAllocator {
  /** cma_alloc(): count pages aligned to 2^align, or NO_PAGE. */
  cmaAlloc(area: number, count: number, align: number): Pfn;
  /** cma_release(): false when the pages are not the area's. */
  cmaRelease(area: number, pfn: Pfn, count: number): boolean;
  areas(): readonly CmaAreaInfo[];
}
export type ContiguousAllocatorFactory = (services: MmServices) => ContiguousAllocator;

/**
 * How big a machine this host can simulate. Every page of the simulated machine can cost host
 * memory: its struct page (core's PageStore: typed arrays indexed by pfn, PageStore.BYTES_PER_PAGE
 * bytes, plus BYTES_PER_PAGEBLOCK per pageblock) and the allocator's per-pfn state; each zone
 * adds its free and per-cpu lists. The arrays are zero-filled on allocation, so the host maps
 * only what is written (a free block's head, reserved ranges, pages in use): this is the most
 * the machine takes, not what it takes at boot. Side storage (page->mapping, index, memcg) is
 * allocated per 2^15 pages when written and left out. A machine needing more than the host's memory (os.totalmem()) is
 * refused before anything is allocated, with the figure, rather than dying in a typed-array
 * allocation ("Invalid typed array length") or in the kernel's OOM killer.
 */
import { totalmem } from 'node:os';
import { PAGEBLOCK_NR_PAGES, PAGE_SIZE, PageStore, TOP_ORDER, type MemoryLayout } from '@mmkit/core';
import { KernelConfigError } from './config-validation.js';

/** Per pfn besides struct page: the invariant checker's scan (1 byte); the buddy allocator keeps its per-page extras in page->flags. */
export const ALLOCATOR_BYTES_PER_PAGE = 1;
/** Per zone and CPU: free-area and per-cpu list heads, counters, watermarks (an upper bound). */
export const ZONE_STATE_BYTES_PER_CPU = 4096;

/** Host bytes a machine of this layout takes to simulate, before any page is used. */
export function simulationBytes(layout: MemoryLayout, nrCpus: number): number {
  const zones = layout.nodes.length * layout.zones.nrZones;
  const pageblocks = Math.ceil(layout.maxPfn / PAGEBLOCK_NR_PAGES);
  return layout.maxPfn * (PageStore.BYTES_PER_PAGE + ALLOCATOR_BYTES_PER_PAGE) + pageblocks * PageStore.BYTES_PER_PAGEBLOCK + Math.ceil(layout.maxPfn / 2 ** TOP_ORDER) * PageStore.BYTES_PER_TOP_BLOCK + zones * nrCpus * ZONE_STATE_BYTES_PER_CPU;
}

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0)} GiB`;

/** Refuse a machine this host cannot hold (limit: os.totalmem(), or the one given). */
export function checkSimulatable(layout: MemoryLayout, nrCpus: number, limit: number = totalmem()): void {
  const machine = `a machine of ${gib(layout.maxPfn * PAGE_SIZE)} (max_pfn ${layout.maxPfn})`;
  if (layout.maxPfn > PageStore.MAX_PAGES) {
    throw new KernelConfigError(`${machine} has more pages than mmkit simulates (${PageStore.MAX_PAGES}: struct page's mapLru words fill one typed array, 5.3 TiB of memory)`);
  }
  const need = simulationBytes(layout, nrCpus);
  if (need > limit) {
    const perPage = (PageStore.BYTES_PER_PAGE + ALLOCATOR_BYTES_PER_PAGE).toFixed(0);
    throw new KernelConfigError(`${machine} needs about ${gib(need)} of host memory to simulate (${perPage} bytes of struct page and allocator state a page), more than this host's ${gib(limit)} (os.totalmem())`);
  }
}

/**
 * Drafts: reverse mapping (mm/rmap.c, implemented by @mmkit/mmap) and the LRU lists (mm/swap.c
 * and mm/vmscan.c, implemented by @mmkit/swap). Reclaim, swap-out, migration and memcg limits
 * go through these, late-bound.
 */
import type { MmId, Pfn, VirtAddr } from '../units.js';

export interface Rmap {
  /** rmap_walk(): every (mm, address) that maps the page. */
  rmapWalk(pfn: Pfn, visit: (mm: MmId, addr: VirtAddr) => void): void;
  /** try_to_unmap(): unmap the page from every address space; true when no mapping is left. */
  tryToUnmap(pfn: Pfn, flags: number): boolean;
  /** page_referenced(): how many mappings had the accessed bit set (cleared as it is read). */
  pageReferenced(pfn: Pfn): number;
}

/** The LRU lists (inactive/active, anon/file, unevictable) of each node. */
export interface Lru {
  /** lru_cache_add(). */
  lruCacheAdd(pfn: Pfn): void;
  /** isolate_lru_page(): 0 when taken off its list, -EBUSY otherwise. */
  isolateLruPage(pfn: Pfn): number;
  /** putback_lru_page(). */
  putbackLruPage(pfn: Pfn): void;
}

/**
 * How page->mapping is encoded (include/linux/page-flags.h, 4.17: PAGE_MAPPING_ANON,
 * PAGE_MAPPING_MOVABLE, PAGE_MAPPING_KSM). PageStore.getMapping() holds numbers, not pointers: an id
 * shifted left by two, with Linux's two low bits saying what the id names. Slab pages are the
 * exception, as in Linux, where a slab page keeps its cache in page->slab_cache instead: with
 * PG_slab set, mapping is the cache's id (the slab allocator's own numbering) and carries no
 * flag bits. The table of core's README says who owns each field.
 */
import { PG_slab } from './page-flags.js';
import type { PageStore } from './struct-page.js';
import type { Pfn } from './units.js';

/** The id names an anon_vma (an anonymous page). */
export const PAGE_MAPPING_ANON = 0x1;
/** The id names a movable non-LRU page's owner (balloon, zsmalloc: __SetPageMovable()). */
export const PAGE_MAPPING_MOVABLE = 0x2;
/** The id names a KSM stable node (PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE). */
export const PAGE_MAPPING_KSM = PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE;
/** The low bits that are not part of the id. With none set the id names an address_space (a file page, or swap cache). */
export const PAGE_MAPPING_FLAGS = PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE;

/** The largest id a mapping can hold (mapping is 32 bits: 30 for the id). */
export const MAPPING_ID_MAX = 2 ** 30 - 1;

/** The mapping value of an id of a kind (0 for an address_space, or one of PAGE_MAPPING_*). */
export function encodeMapping(id: number, kind: number): number {
  if (!Number.isInteger(id) || id < 1 || id > MAPPING_ID_MAX) throw new RangeError(`a mapping id is an integer in [1, ${MAPPING_ID_MAX}], got ${id}`);
  if ((kind & ~PAGE_MAPPING_FLAGS) !== 0) throw new RangeError(`a mapping kind is 0 or PAGE_MAPPING_* bits, got ${kind}`);
  return ((id << 2) | kind) >>> 0;
}

/** The id a page's mapping names (0: no mapping). Not for slab pages (their mapping is the cache id itself). */
export function mappingId(mapping: number): number {
  return mapping >>> 2;
}

/** PageAnon(): mapped anonymous memory (KSM pages included). */
export function pageAnon(pages: PageStore, pfn: Pfn): boolean {
  return !pages.testFlag(pfn, PG_slab) && (pages.getMapping(pfn) & PAGE_MAPPING_ANON) !== 0;
}

/** PageKsm(). */
export function pageKsm(pages: PageStore, pfn: Pfn): boolean {
  return !pages.testFlag(pfn, PG_slab) && (pages.getMapping(pfn) & PAGE_MAPPING_FLAGS) === PAGE_MAPPING_KSM;
}

/** __PageMovable(): a movable non-LRU page. */
export function pageMovable(pages: PageStore, pfn: Pfn): boolean {
  return !pages.testFlag(pfn, PG_slab) && (pages.getMapping(pfn) & PAGE_MAPPING_FLAGS) === PAGE_MAPPING_MOVABLE;
}

/** page_mapping() is an address_space (a file page or a swap cache page): a mapping with no flag bits. */
export function pageFileMapping(pages: PageStore, pfn: Pfn): boolean {
  const m = pages.getMapping(pfn);
  return m !== 0 && !pages.testFlag(pfn, PG_slab) && (m & PAGE_MAPPING_FLAGS) === 0;
}

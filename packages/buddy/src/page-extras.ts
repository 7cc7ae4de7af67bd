/**
 * The buddy allocator's per-page extras, folded into struct page: bits
 * PAGE_FLAGS_ALLOCATOR_SHIFT..31 of page->flags, which core's PageStore leaves to the page
 * allocator (Linux keeps the section, node and zone there, set_page_links(); mmkit derives the
 * zone from the pfn). The buddy allocator adds no byte per page. One field, read as
 * flags >>> PAGE_EXTRA_SHIFT:
 * - 0: nothing recorded (a page inside a block, a reserved page, a page never handed out);
 * - 1..MAX_ORDER: the head of an allocated block, handed out with order field - 1. This is
 *   page_owner's record (Linux: page_ext's page_owner->order, and compound_order() in page[1]
 *   for a __GFP_COMP page), which mmkit keeps to refuse frees with another order;
 * - PAGE_EXTRA_ON_LIST | mt: the migratetype of the per-cpu list the page was put on
 *   (set_pcppage_migratetype(), which Linux keeps in page->index), or the one a page taken off
 *   the buddy lists is meant for. Read only while the page is on that list. A buddy free head
 *   keeps its list's migratetype with its order in core's buddy word instead (PageStore
 *   setBuddy(pfn, order, aux), buddyAux()), so a block freed at boot writes no flags.
 * PAGE_FLAGS_CHECK_AT_FREE and PAGE_FLAGS_CHECK_AT_PREP cover the bits below NR_PAGEFLAGS only,
 * so free_pages_check() and check_new_page() never see the field.
 */
import { MAX_ORDER, NR_PAGEFLAGS, PAGE_FLAGS_ALLOCATOR_SHIFT, type MigrateType, type Pfn } from '@mmkit/core';

/** The field's first bit in page->flags. */
export const PAGE_EXTRA_SHIFT = PAGE_FLAGS_ALLOCATOR_SHIFT;
/** The field's bit that tells a list's migratetype from an allocation order. */
export const PAGE_EXTRA_ON_LIST = 0x20;
/** The page flags proper (bits 0..NR_PAGEFLAGS-1): what the field leaves alone. */
export const PAGE_FLAGS_MASK = (1 << NR_PAGEFLAGS) - 1;

if (PAGE_EXTRA_SHIFT + 6 !== 32 || MAX_ORDER >= PAGE_EXTRA_ON_LIST) throw new Error('buddy: the per-page extras need bits 26..31 of page->flags');
// The hot setters and getters write these as literals (V8 loads an imported or exported constant from its cell on every use).
if (PAGE_EXTRA_SHIFT !== 26 || PAGE_EXTRA_ON_LIST !== 0x20 || PAGE_FLAGS_MASK !== 0x3ffffff) throw new Error('buddy page-extras.ts: the literals of setListMigratetype(), listMigratetype(), allocOrderField() and clearPageExtra() are out of date');

/** set_pcppage_migratetype() / the free list a head goes on: record the list's migratetype. */
export function setListMigratetype(flags: Uint32Array, pfn: Pfn, mt: MigrateType): void {
  flags[pfn] = (flags[pfn] & 0x3ffffff) | ((0x20 | mt) << 26); // PAGE_FLAGS_MASK, PAGE_EXTRA_ON_LIST, PAGE_EXTRA_SHIFT (checked at load)
}

/** get_pcppage_migratetype() / the free list a head is on. */
export function listMigratetype(flags: Uint32Array, pfn: Pfn): MigrateType {
  return (flags[pfn] >>> 26) & 0x1f; // PAGE_EXTRA_SHIFT, PAGE_EXTRA_ON_LIST - 1 (checked at load)
}

/** The allocation order recorded for a block's head plus one, 0 when none (page_owner). */
export function allocOrderField(flags: Uint32Array, pfn: Pfn): number {
  const v = flags[pfn] >>> 26; // PAGE_EXTRA_SHIFT (checked at load)
  return v & 0x20 ? 0 : v; // PAGE_EXTRA_ON_LIST
}

/** Forget what the field records (page_owner's __reset_page_owner() for a head). */
export function clearPageExtra(flags: Uint32Array, pfn: Pfn): void {
  flags[pfn] &= 0x3ffffff; // PAGE_FLAGS_MASK
}

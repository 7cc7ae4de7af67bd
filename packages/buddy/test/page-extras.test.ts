import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, NR_PAGEFLAGS, __GFP_COMP, __GFP_MOVABLE, type PageAllocator } from '@mmkit/core';
import { BuddyAllocator } from '../src/buddy-allocator.js';
import {
  PAGE_EXTRA_SHIFT,
  PAGE_FLAGS_CHECK_AT_FREE,
  PAGE_FLAGS_CHECK_AT_PREP,
  allocOrderField,
  buddyState,
  listMigratetype,
} from '../src/internals.js';
import { createMachine } from './fixture.js';

describe("buddy's per-page extras, folded into page->flags", () => {
  it('adds no array (nor any other per-page storage) of its own', () => {
    const m = createMachine<BuddyAllocator>({ nodesMiB: [64] });
    const st = buddyState(m.allocator) as unknown as Record<string, unknown>;
    const perPage = Object.entries(st).filter(([, v]) => ArrayBuffer.isView(v) && (v as Uint8Array).length >= m.pages.maxPfn);
    expect(perPage.map(([k]) => k)).toEqual([]);
  });

  it('lives above the page flags, out of PAGE_FLAGS_CHECK_AT_FREE and PAGE_FLAGS_CHECK_AT_PREP', () => {
    expect(PAGE_EXTRA_SHIFT).toBe(NR_PAGEFLAGS);
    const field = (0x3f << PAGE_EXTRA_SHIFT) >>> 0;
    expect(field & PAGE_FLAGS_CHECK_AT_FREE).toBe(0);
    expect(field & PAGE_FLAGS_CHECK_AT_PREP).toBe(0);
  });

  it("records an allocated head's order, a free page's list, and nothing inside a block", () => {
    const m = createMachine<BuddyAllocator>({ nodesMiB: [64] });
    const a: PageAllocator & BuddyAllocator = m.allocator;
    const flags = m.pages.flags;
    const pfn = a.allocPages(GFP_KERNEL | __GFP_COMP, 3);
    expect(a.allocatedOrder(pfn)).toBe(3);
    expect(allocOrderField(flags, pfn)).toBe(4);
    expect([1, 2, 7].map((i) => flags[pfn + i] >>> PAGE_EXTRA_SHIFT)).toEqual([0, 0, 0]);
    expect(flags[pfn] & PAGE_FLAGS_CHECK_AT_FREE).toBe(0);
    a.freePages(pfn, 3);
    expect(m.badPages).toEqual([]);
    expect(a.allocatedOrder(pfn)).toBe(-1);
    // A free head says which list it is on in core's buddy word (its mapcount word), not in
    // page->flags, so freeing a block at boot writes one host page of struct page; no allocation.
    const heads: [number, number, number][] = [];
    a.forEachFreeBlock((_z, head, order, mt) => heads.push([head, order, mt]));
    expect(heads.length).toBeGreaterThan(0);
    for (const [head, order, mt] of heads.slice(0, 50)) {
      expect([m.pages.isBuddyOfOrder(head, order), m.pages.buddyAux(head)]).toEqual([true, mt]);
      expect(flags[head] >>> PAGE_EXTRA_SHIFT).toBe(0);
      expect(a.allocatedOrder(head)).toBe(-1);
    }
    // An order-0 page freed to a per-cpu list carries its pageblock's migratetype.
    const movable = a.allocPages(GFP_KERNEL | __GFP_MOVABLE, 0);
    const unmovable = a.allocPages(GFP_KERNEL, 0);
    expect(a.allocatedOrder(movable)).toBe(0);
    a.freePages(movable, 0);
    a.freePages(unmovable, 0);
    const mts = [movable, unmovable].map((p) => m.pages.getPageblockMigratetype(p));
    expect([listMigratetype(flags, movable), listMigratetype(flags, unmovable)]).toEqual(mts);
    expect(mts).toContain(MIGRATE_MOVABLE);
    expect([MIGRATE_MOVABLE, MIGRATE_UNMOVABLE]).toContain(mts[1]);
    // A second free of the same order-0 page is refused as before: it holds no allocation record.
    expect(a.allocatedOrder(movable)).toBe(-1);
  });
});

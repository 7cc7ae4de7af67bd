/** Page-allocator cases: the MIGRATE_HIGHATOMIC reserve. */
import {
  GFP_ATOMIC, GFP_KERNEL, MIGRATE_HIGHATOMIC, NO_PAGE, PAGEBLOCK_NR_PAGES, __GFP_NOWARN,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { M256, boot, zoneOf, pageblockMt, exhaustAll, checkCounters, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'highatomic: a high-order atomic allocation reserves its pageblock',
  rules: ['page-allocator.alloc.highatomic-reserve'],
  requires: 'highatomic',
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const reserved = () => k.zones.reduce((n, x) => n + x.nrReservedHighatomic, 0);
    // The fast path (ALLOC_WMARK_LOW, no ALLOC_HARDER) never reserves.
    const fast = pa.allocPages(GFP_ATOMIC, 1);
    assert.notEqual(fast, NO_PAGE, 'GFP_ATOMIC order 1 on a fresh machine');
    assert.equal(reserved(), 0, 'an atomic allocation served by the fast path reserves nothing');
    // Below the watermarks only the slow path (ALLOC_HIGH|ALLOC_HARDER) serves GFP_ATOMIC.
    exhaustAll(k, GFP_KERNEL);
    const pfn = pa.allocPages(GFP_ATOMIC, 1);
    assert.notEqual(pfn, NO_PAGE, 'GFP_ATOMIC order 1 once GFP_KERNEL is exhausted (ALLOC_HARDER digs below min)');
    const z = zoneOf(k, pfn);
    assert.equal(pageblockMt(k, pfn), MIGRATE_HIGHATOMIC, 'the pageblock of a slow-path GFP_ATOMIC order-1 page becomes MIGRATE_HIGHATOMIC');
    assert.equal(z.nrReservedHighatomic, PAGEBLOCK_NR_PAGES, 'nr_reserved_highatomic grows by one pageblock');
    assert.notEqual(pa.allocPages(GFP_ATOMIC | __GFP_NOWARN, 0), NO_PAGE, 'GFP_ATOMIC order 0');
    assert.equal(reserved(), PAGEBLOCK_NR_PAGES, 'an order-0 atomic allocation reserves nothing more');
    checkCounters(k, 'after the highatomic reservation');
  },
});

export const highatomicCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

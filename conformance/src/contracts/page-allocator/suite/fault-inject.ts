/** Page-allocator cases: fail_page_alloc. */
import {
  GFP_ATOMIC, GFP_KERNEL, GFP_NOWAIT, NO_PAGE, __GFP_HIGHMEM, __GFP_NOFAIL, __GFP_NOWARN,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import { M128, boot, totalFree, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'fail_page_alloc: one check per allocation, honoured',
  rules: ['page-allocator.fault-inject.fail-page-alloc'],
  run(ctx) {
    const k = boot(ctx, { machine: M128, pcp: false, failPageAlloc: { probability: 100, times: 2, verbose: 0 } });
    const pa = k.pageAllocator;
    const fi = k.failPageAlloc;
    const free0 = totalFree(k);
    const take = (gfp: number, order: number) => {
      const pfn = pa.allocPages(gfp | __GFP_NOWARN, order);
      if (pfn !== NO_PAGE) pa.freePages(pfn, order);
      return pfn;
    };
    assert.notEqual(take(GFP_NOWAIT, 0), NO_PAGE, 'order 0 is below min-order 1: not failed');
    assert.equal(fi.times, 2, 'times unchanged by an order-0 allocation');
    assert.equal(take(GFP_NOWAIT, 1), NO_PAGE, 'GFP_NOWAIT order 1 is failed by fail_page_alloc');
    assert.equal(fi.times, 1, 'one injected failure consumed (should_fail_alloc_page() asked once)');
    assert.equal(totalFree(k), free0, 'the injected failure took no page');
    assert.notEqual(take(GFP_KERNEL, 1), NO_PAGE, 'GFP_KERNEL may block: ignore-gfp-wait spares it');
    assert.notEqual(take(GFP_NOWAIT | __GFP_NOFAIL, 2), NO_PAGE, '__GFP_NOFAIL is never failed');
    assert.notEqual(take(GFP_NOWAIT | __GFP_HIGHMEM, 2), NO_PAGE, 'ignore-gfp-highmem spares __GFP_HIGHMEM');
    assert.equal(fi.times, 1, 'times unchanged by spared allocations');
    assert.equal(take(GFP_ATOMIC, 3), NO_PAGE, 'GFP_ATOMIC order 3 is failed');
    assert.equal(fi.times, 0, 'no injected failure left');
    assert.notEqual(take(GFP_ATOMIC, 3), NO_PAGE, 'with times exhausted allocations succeed again');
    fi.ignoreGfpWait = false;
    fi.times = 1;
    assert.equal(take(GFP_KERNEL, 2), NO_PAGE, 'with ignore-gfp-wait off GFP_KERNEL is failed too');
    assert.equal(totalFree(k), free0, 'free pages at the end');
  },
});

export const faultInjectCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

/** Page-allocator cases: per-cpu page lists. */
import {
  GFP_KERNEL,
} from '@mmkit/core';
import { type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { expectedPcp } from './model.js';
import { M256, TWO_NODES, boot, label, machineLabel, zoneOf, populated, zoneByIdx, checkCounters, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'pcp: batch and high follow zone_batchsize()',
  rules: ['page-allocator.pcp.batch-high'],
  requires: 'pcp',
  run(ctx) {
    let bigZones = 0;
    for (const m of [{ preset: 'default' }, { machine: M256 }, { machine: TWO_NODES }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      const k = boot(ctx, { ...m, nrCpus: 3, pcp: true });
      for (const z of populated(k)) {
        const want = expectedPcp(z.managedPages);
        z.pageset.forEach((p, cpu) => {
          assert.deepEqual({ batch: p.batch, high: p.high }, want, `${machineLabel(m)}: ${label(z)} (${z.managedPages} managed pages) cpu ${cpu} pageset`);
        });
        if (z.managedPages >= 128 * 1024) {
          bigZones++;
          assert.deepEqual({ batch: z.pageset[0].batch, high: z.pageset[0].high }, { batch: 31, high: 186 }, `${label(z)}: a zone of ${z.managedPages >> 8} MiB has batch 31, high 186`);
        }
      }
    }
    assert.ok(bigZones > 0, 'checked at least one zone of 512 MiB or more');
  },
});

add({
  name: 'pcp: freed pages wait on per-cpu lists, trimmed at high, drained on demand',
  rules: ['page-allocator.pcp.drain', 'page-allocator.pcp.batch-high'],
  requires: 'pcp',
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: true, nrCpus: 2 });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    const total0 = z.freePages + z.pcpPages();
    const held: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const pfn = pa.allocPages(GFP_KERNEL, 0);
      assert.equal(zoneOf(k, pfn), z, 'order-0 GFP_KERNEL pages from DMA32');
      held.push(pfn);
    }
    assert.equal(z.freePages + z.pcpPages(), total0 - 2000, 'free + per-cpu pages after 2000 allocations');
    for (const [i, pfn] of held.entries()) {
      k.sched.currentCpu = i % 2;
      pa.freePages(pfn, 0);
      const pcp = z.pageset[i % 2];
      assert.ok(pcp.count <= pcp.high, `cpu ${i % 2} list holds ${pcp.count} pages, more than high ${pcp.high}`);
    }
    k.sched.currentCpu = 0;
    assert.equal(z.freePages + z.pcpPages(), total0, 'free + per-cpu pages after freeing them all');
    assert.ok(z.pageset[0].count > 0 && z.pageset[1].count > 0, 'both CPUs hold freed pages on their lists');
    let listed = 0;
    pa.forEachPcpPage((zone, cpu, pfn) => {
      if (zone !== z) return;
      listed++;
      assert.ok(cpu === 0 || cpu === 1, `per-cpu page on cpu ${cpu}`);
      assert.ok(!k.pages.isBuddy(pfn), `per-cpu page ${pfn} is not a buddy block head`);
    });
    assert.equal(listed, z.pcpPages(), 'forEachPcpPage lists as many pages as the pagesets count');
    checkCounters(k, 'with pages on the per-cpu lists');
    pa.drainAllPages();
    assert.equal(z.pcpPages(), 0, 'drain_all_pages() empties every CPU\u2019s list');
    let after = 0;
    pa.forEachPcpPage(() => after++);
    assert.equal(after, 0, 'no page left on any per-cpu list');
    assert.equal(z.freePages, total0, 'every page back in the buddy free lists');
  },
});

export const pcpCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

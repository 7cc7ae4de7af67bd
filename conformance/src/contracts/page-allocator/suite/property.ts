/** Page-allocator cases: random sequences (a property test). */
import {
  GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, MAX_ORDER, NO_PAGE, __GFP_MOVABLE, __GFP_NOWARN, __GFP_RECLAIMABLE, __GFP_ZERO, formatGfp,
} from '@mmkit/core';
import fc from 'fast-check';
import * as assert from '../../../assert.js';
import { checkProperty, plural } from '../../../property.js';
import { M128, boot, label, freeBlockKeys, checkCounters, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

const PROPERTY_GFPS = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_DMA, GFP_DMA32 | __GFP_MOVABLE, GFP_NOWAIT | __GFP_ZERO];

const DIRT = new Uint8Array([1]);

type Op = { kind: 'alloc'; gfp: number; order: number } | { kind: 'free'; index: number } | { kind: 'cpu'; cpu: number } | { kind: 'drain' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), gfp: fc.constantFrom(...PROPERTY_GFPS), order: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: MAX_ORDER - 1 }) }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cpu' as const), cpu: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

add({
  name: 'property: random allocations and frees keep the lists consistent and end coalesced',
  rules: ['page-allocator.invariants.property', 'page-allocator.free.coalesce'],
  run(ctx) {
    let k = boot(ctx, { machine: M128, nrCpus: 2 });
    let dirty = false;
    let boot0: string[] = [];
    const fresh = () => {
      k = boot(ctx, { machine: M128, nrCpus: 2 });
      k.pageAllocator.drainAllPages();
      boot0 = freeBlockKeys(k);
      dirty = false;
    };
    fresh();
    const hex = (pfn: number) => `0x${pfn.toString(16)}`;
    checkProperty(
      fc.array(opArb, { maxLength: 80 }),
      (ops, log) => {
        if (dirty) fresh();
        dirty = true;
        const pa = k.pageAllocator;
        const held: [number, number][] = [];
        const owned = new Set<number>();
        log?.note(`a fresh 128 MiB kernel, 2 CPUs, per-cpu lists drained; ${plural(ops.length, 'operation')}:`);
        for (const op of ops) {
          if (op.kind === 'alloc') {
            const gfp = op.gfp | __GFP_NOWARN;
            const pfn = pa.allocPages(gfp, op.order);
            log?.op(`allocPages(${formatGfp(gfp)}, order ${op.order}) -> ${pfn === NO_PAGE ? 'NO_PAGE' : `pfn ${hex(pfn)}`}`);
            if (pfn === NO_PAGE) continue;
            assert.equal(pfn % 2 ** op.order, 0, `an order-${op.order} block at pfn ${hex(pfn)} is not aligned`);
            for (let p = pfn; p < pfn + 2 ** op.order; p++) {
              if (owned.has(p)) assert.fail(`pfn ${hex(p)} handed out twice`);
              owned.add(p);
            }
            if (op.gfp & __GFP_ZERO) assert.equal(k.contents.readByte(pfn, 0), 0, '__GFP_ZERO page reads zero');
            if (op.order === 0 && pfn % 8 === 0) k.contents.write(pfn, 0, DIRT);
            held.push([pfn, op.order]);
          } else if (op.kind === 'free') {
            if (!held.length) {
              log?.note('a free with nothing held: no call');
              continue;
            }
            const [pfn, order] = held.splice(op.index % held.length, 1)[0];
            for (let p = pfn; p < pfn + 2 ** order; p++) owned.delete(p);
            log?.op(`freePages(${hex(pfn)}, ${order})`);
            pa.freePages(pfn, order);
          } else if (op.kind === 'cpu') {
            log?.op(`run on CPU ${op.cpu}`);
            k.sched.currentCpu = op.cpu;
          } else {
            log?.op('drainAllPages()');
            pa.drainAllPages();
          }
        }
        log?.note(`check the counters after ${plural(ops.length, 'operation')} (${plural(held.length, 'block')} held)`);
        checkCounters(k, `after ${ops.length} operations (${held.length} blocks held)`);
        if (held.length) log?.note(`the suite frees the ${plural(held.length, 'block')} still held, on CPU 0, and drains:`);
        for (const [pfn, order] of held) {
          log?.op(`freePages(${hex(pfn)}, ${order})`);
          pa.freePages(pfn, order);
        }
        k.sched.currentCpu = 0;
        log?.op('drainAllPages()');
        pa.drainAllPages();
        log?.note('check the counters, the bad-page reports and the free blocks against boot');
        checkCounters(k, 'after freeing everything');
        assert.equal(k.badPageReports.length, 0, 'no bad page reported for correct frees');
        assert.deepEqual(freeBlockKeys(k), boot0, 'the free blocks after freeing everything, against boot');
        for (const z of k.zones) assert.equal(z.pcpPages(), 0, `${label(z)} per-cpu lists after the drain`);
        dirty = false;
      },
      { propertyRuns: ctx.propertyRuns, seed: ctx.seed, replayPath: ctx.replayPath },
    );
  },
});

export const propertyCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

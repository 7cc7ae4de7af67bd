/**
 * Property: whatever sequence of allocations, frees, CPU switches, drains and sysctl writes
 * runs, the free counters always equal what the free lists hold, and once everything is freed
 * and the per-cpu lists drained, every zone is back to its boot free count, fully coalesced
 * into the same blocks as at boot.
 *
 * MMKIT_PROPERTY_RUNS sets the number of sequences (default: core's DEFAULT_PROPERTY_RUNS).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GFP_ATOMIC,
  GFP_DMA,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_USER,
  NO_PAGE,
  __GFP_COMP,
  __GFP_MOVABLE,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
} from '@mmkit/core';
import { propertyRuns } from '@mmkit/core/testing';
import { checkCounters, createMachine, freeBlocks, uncoalescedPairs } from './fixture.js';

const RUNS = propertyRuns();
const GFPS = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_USER | __GFP_MOVABLE, GFP_ATOMIC, GFP_NOWAIT | __GFP_RECLAIMABLE, GFP_DMA, GFP_KERNEL | __GFP_COMP];

type Op =
  | { kind: 'alloc'; gfp: number; order: number }
  | { kind: 'free'; index: number }
  | { kind: 'cpu'; cpu: number }
  | { kind: 'drain' }
  | { kind: 'minFree'; kbytes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), gfp: fc.constantFrom(...GFPS), order: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 5, max: 10 }) }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cpu' as const), cpu: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('minFree' as const), kbytes: fc.constantFrom(0, 128, 724, 4096) }) },
);

describe('random alloc/free sequences', () => {
  it(`keep the counters equal to the lists and end fully coalesced (${RUNS} sequences)`, () => {
    let ops = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { minLength: 1, maxLength: 30 }), (pcp, seq) => {
        // 20 MiB: ZONE_DMA (4096 pages) and ZONE_DMA32 (1024 pages): small, so high orders run out
        const m = createMachine({ nodesMiB: [20], nrCpus: 2, config: { pcp } });
        const a = m.allocator;
        const live: [number, number][] = [];
        for (const o of seq) {
          ops++;
          switch (o.kind) {
            case 'alloc': {
              const pfn = a.allocPages(o.gfp | __GFP_NOWARN, o.order);
              if (pfn !== NO_PAGE) live.push([pfn, o.order]);
              break;
            }
            case 'free':
              if (live.length) {
                const [pfn, order] = live.splice(o.index % live.length, 1)[0];
                a.freePages(pfn, order);
              }
              break;
            case 'cpu':
              m.sched.currentCpu = o.cpu;
              break;
            case 'drain':
              a.drainAllPages();
              break;
            case 'minFree':
              a.setMinFreeKbytes(o.kbytes);
              break;
          }
          const errors = checkCounters(m, false);
          if (errors.length) expect(errors).toEqual([]);
        }
        for (const [pfn, order] of live) a.freePages(pfn, order);
        a.drainAllPages();
        // one expect per run: vitest's expect is costly at 10,000 runs
        const errors = [
          ...m.badPages.map((b) => `bad page ${b.pfn}: ${b.reason}`),
          ...checkCounters(m),
          ...m.zones.filter((z) => z.freePages !== m.bootFreePages[z.zoneNum]).map((z) => `${z.name}: ${z.freePages} free, ${m.bootFreePages[z.zoneNum]} at boot`),
          ...uncoalescedPairs(m),
        ];
        const blocks = freeBlocks(a);
        if (blocks.length !== m.bootBlocks.length || blocks.some((b, i) => b !== m.bootBlocks[i])) errors.push(`free blocks differ from boot: ${blocks.join(' ')}`);
        if (errors.length) expect(errors).toEqual([]);
      }),
      { numRuns: RUNS, seed: 0x417, endOnFailure: true },
    );
    expect(ops).toBeGreaterThanOrEqual(RUNS);
  });
});

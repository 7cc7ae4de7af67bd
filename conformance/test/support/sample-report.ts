/**
 * A GradeReport built by hand (no grading): three rules (one passing, one failing with a long
 * assertion and a detail field, one not provided), throughput and fragmentation against the
 * reference, a small pageblock map with one mixed block. The report tests format it.
 */
import type { GradeReport } from '../../src/index.js';

export const LONG_ASSERTION =
  'after freeing everything: node 0 DMA has free order-0 buddies at pfn 84 and 85 left unmerged; expected the free lists of the boot state ' +
  '(order 10: 3 blocks, order 9: 1 block), got order 0: 14 blocks, order 1: 6 blocks, order 2: 3 blocks, order 10: 2 blocks';

/** Migratetypes of the sample's 64 pageblocks: unmovable, movable, reclaimable, and one block in no zone. */
export const SAMPLE_MIGRATETYPES = [-1, ...Array.from({ length: 63 }, (_, i) => (i % 5 === 0 ? 0 : i % 7 === 0 ? 2 : 1))];

/** The failed assertion of the first failing case, as the suite records it. */
export const SAMPLE_FAILURE = {
  assertion: { operator: 'deepEqual', expected: '[ 3, 1 ]', actual: '[ 14, 6, 3, 2 ]', difference: 'first difference at index 0: expected 3, got 14' },
  property: {
    seed: 1, path: '0:1:0', propertyRuns: 100, runs: 1, shrinks: 3, reproduced: true,
    operations: ['-- a fresh 128 MiB kernel, 2 CPUs; 1 operation:', 'allocPages(GFP_KERNEL, order 0) -> pfn 0x7803', 'freePages(0x7803, 0)'],
  },
};

export function sampleReport(overrides: Partial<GradeReport> = {}): GradeReport {
  const pageblocks = {
    startPfn: 0,
    pagesPerBlock: 512,
    migratetype: SAMPLE_MIGRATETYPES,
    freePages: SAMPLE_MIGRATETYPES.map((_, i) => (i === 3 ? 512 : (i * 37) % 512)),
    mixed: SAMPLE_MIGRATETYPES.map((_, i) => (i === 10 ? 1 : 0)),
  };
  return {
    contract: 'page-allocator',
    implementation: 'student-7',
    supports: { pcp: true, highatomic: false },
    rules: [
      { id: 'page-allocator.free.double-free', text: 'A double free is caught.', source: { kind: 'source', ref: 'mm/page_alloc.c: free_pages_check()' }, status: 'pass', failures: [] },
      {
        id: 'page-allocator.free.coalesce',
        text: 'Freeing a block merges it with its free buddy.',
        source: { kind: 'source', ref: 'mm/page_alloc.c: __free_one_page()' },
        status: 'fail',
        failures: [
          { case: 'free: freeing everything restores the boot free lists', message: LONG_ASSERTION, failure: SAMPLE_FAILURE },
          { case: 'free: buddies merge across orders', message: 'expected 1 block of order 3, got 2 blocks of order 2' },
        ],
      },
      { id: 'page-allocator.alloc.atomic-reserves', text: 'High-order atomic allocations reserve a pageblock.', source: { kind: 'source', ref: 'mm/page_alloc.c: reserve_highatomic_pageblock()' }, status: 'not-provided', failures: [] },
    ],
    score: { passed: 1, failed: 1, notProvided: 1, total: 3, percent: 50 },
    cases: [
      { name: 'free: double free', rules: ['page-allocator.free.double-free'], status: 'pass', message: '', ms: 3 },
      { name: 'free: freeing everything restores the boot free lists', rules: ['page-allocator.free.coalesce'], status: 'fail', message: LONG_ASSERTION, failure: SAMPLE_FAILURE, ms: 12, notes: ['freed 262144 pages in 4 batches'] },
      { name: 'free: buddies merge across orders', rules: ['page-allocator.free.coalesce'], status: 'fail', message: 'expected 1 block of order 3, got 2 blocks of order 2', ms: 2 },
      { name: 'highatomic: reserve', rules: ['page-allocator.alloc.atomic-reserves'], status: 'not-provided', message: 'needs highatomic', ms: 0 },
    ],
    throughput: {
      machine: '1 GiB, 1 node, 1 CPU',
      order0OpsPerSec: 4_000_000,
      order3OpsPerSec: 1_000_000,
      ms: 1000,
      host: { cpuModel: 'Test CPU', cpus: 2, node: 'v20.20.0', platform: 'linux', arch: 'x64' },
      method: { warmupMs: 100, rounds: 5, roundMs: 30 },
      order0Rounds: [3_900_000, 4_000_000, 4_100_000, 3_800_000, 4_200_000],
      order3Rounds: [1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000],
      reference: { order0OpsPerSec: 8_000_000, order3OpsPerSec: 2_000_000 },
    },
    fragmentation: {
      machine: '1 GiB, 1 node, 2 CPUs',
      seed: 1,
      steps: 20000,
      allocatedPages: 100000,
      freePages: 7008 + 850 * 2 + 47 * 1024,
      largestFreeOrder: 10,
      freeBlocksPerOrder: [7008, 850, 0, 0, 0, 0, 0, 0, 0, 0, 47],
      unusableFreeIndex: { order: 9, value: 0.147 },
      allocationHash: 'a21c4cb6',
      pageblocks,
      reference: {
        freePages: 3386 + 56 * 1024,
        largestFreeOrder: 10,
        freeBlocksPerOrder: [3386, 0, 0, 0, 0, 0, 0, 0, 0, 0, 56],
        unusableFreeIndex: { order: 9, value: 0.056 },
        allocationHash: '8962168b',
        pageblocks: { ...pageblocks, mixed: pageblocks.mixed.map(() => 0) },
      },
    },
    durationMs: 4321,
    ...overrides,
  };
}

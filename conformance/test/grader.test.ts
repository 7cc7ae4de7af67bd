import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDDY_RULES, GRADE_REPORT_SCHEMA, SLAB_RULES, formatHtml, formatJson, formatJunit, formatText, grade, validateJson, type GradeReport } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * The bench's throughput in one short round a side: for the grades whose subject is not the
 * throughput figures (the fingerprints, the slab grade), about 1 s of CPU less per grade than
 * the default warm-up and rounds, which the reference grade (beforeAll) keeps and checks.
 */
const QUICK_THROUGHPUT = { warmupMs: 0, rounds: 1, roundMs: 1 } as const;

function junitTestcases(xml: string): number {
  return xml.match(/<testcase /g)?.length ?? 0;
}

describe('grade', () => {
  let reference: GradeReport;
  beforeAll(async () => {
    reference = await grade({ contract: 'buddy', propertyRuns: 10 }); // the sandboxed pipeline; reference.test.ts runs the properties in full
  }, 120_000);

  it('grades the reference in a sandbox: every rule passes, with throughput and fragmentation', () => {
    expect(reference.error).toBeUndefined();
    expect(['bwrap', 'permission']).toContain(reference.sandbox!.layer);
    expect(reference.sandbox!.violations).toEqual([]);
    expect(validateJson(JSON.parse(formatJson(reference)), GRADE_REPORT_SCHEMA)).toEqual([]);
    expect(reference.implementation).toBe('buddy');
    expect(reference.supports).toEqual({ pcp: true, highatomic: true });
    expect(reference.rules.map((r) => r.id)).toEqual(BUDDY_RULES.map((r) => r.id));
    expect(reference.rules.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(reference.score).toEqual({ passed: BUDDY_RULES.length, failed: 0, notProvided: 0, total: BUDDY_RULES.length, percent: 100 });
    expect(reference.throughput!.order0OpsPerSec).toBeGreaterThan(0);
    expect(reference.throughput!.order3OpsPerSec).toBeGreaterThan(0);
    const f = reference.fragmentation!;
    expect(f.freePages).toBeGreaterThan(0);
    expect(f.largestFreeOrder).toBeGreaterThanOrEqual(0);
    expect(f.unusableFreeIndex.order).toBe(9);
    expect(f.unusableFreeIndex.value).toBeGreaterThanOrEqual(0);
    expect(f.unusableFreeIndex.value).toBeLessThanOrEqual(1);
    expect(f.freeBlocksPerOrder.reduce((n, c, o) => n + c * 2 ** o, 0)).toBe(f.freePages);
  });

  it('measures throughput after warm-up as the median of interleaved rounds beside the reference, labelled with the host', () => {
    const t = reference.throughput!;
    expect(t.method).toEqual({ warmupMs: 100, rounds: 5, roundMs: 30 });
    expect(t.order0Rounds).toHaveLength(5);
    expect(t.order0OpsPerSec).toBe([...t.order0Rounds!].sort((a, b) => a - b)[2]);
    expect(t.order3OpsPerSec).toBe([...t.order3Rounds!].sort((a, b) => a - b)[2]);
    expect(t.reference!.order0OpsPerSec).toBeGreaterThan(0);
    expect(t.host!.node).toBe(process.version);
    expect(t.host!.cpus).toBeGreaterThan(0);
    expect(formatText(reference)).toContain(`node ${process.version}`);
    // The reference graded is the reference measured: the same seeded fragmentation run.
    const f = reference.fragmentation!;
    expect(f.reference).toEqual({
      freePages: f.freePages, largestFreeOrder: f.largestFreeOrder, freeBlocksPerOrder: f.freeBlocksPerOrder,
      unusableFreeIndex: f.unusableFreeIndex, allocationHash: f.allocationHash, pageblocks: f.pageblocks,
    });
    const pb = f.pageblocks!;
    expect(pb.migratetype).toHaveLength(512); // 1 GiB in 2 MiB pageblocks
    expect(pb.freePages.reduce((a, b) => a + b, 0)).toBe(f.freePages);
    expect(new Set(pb.migratetype)).toEqual(new Set([0, 1, 2])); // unmovable and reclaimable allocations claimed blocks
  });

  it('formats a report as text, JSON, JUnit XML and HTML', () => {
    const text = formatText(reference);
    expect(text).toContain(`score: ${BUDDY_RULES.length}/${BUDDY_RULES.length} rules (100%)`);
    expect(text).toMatch(/^PASS +page-allocator\.gfp-zone\.movable-needs-highmem/m);
    expect(text).toMatch(/throughput .*order-0 [\d,]+ alloc\+free\/s/);
    expect(text).toMatch(/unusable free space index \(order 9\) \d\.\d{3}/);
    const json = JSON.parse(formatJson(reference)) as unknown;
    expect(json).toEqual({ schemaVersion: 1, ...JSON.parse(JSON.stringify(reference)) });
    expect(validateJson(json, GRADE_REPORT_SCHEMA)).toEqual([]);
    const xml = formatJunit(reference);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(junitTestcases(xml)).toBe(BUDDY_RULES.length);
    expect(xml).not.toContain('<failure');
    const html = formatHtml(reference);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html).toContain('page-allocator.free.coalesce');
  });

  it('fails a mutant on the rule it breaks and reports it in every format', async () => {
    const r = await grade({ contract: 'page-allocator', mutant: 'lowmem-reserve-ratio-short-array', bench: false, filter: 'lowmem' });
    expect(r.mutant).toBe('lowmem-reserve-ratio-short-array');
    const rule = r.rules.find((x) => x.id === 'page-allocator.lowmem-reserve.ratio-defaults')!;
    expect(rule.status).toBe('fail');
    expect(rule.failures[0].message).toContain('expected [ 256, 256, 32, 0, 0 ], got [ 256, 256, 32, 1 ]');
    expect(r.score.failed).toBeGreaterThan(0);
    expect(r.score.percent).toBeLessThan(100);
    expect(formatText(r)).toMatch(/^FAIL +page-allocator\.lowmem-reserve\.ratio-defaults +x86-64 lowmemReserveRatio/m);
    expect(r.rules.map((x) => x.id)).not.toContain('page-allocator.free.coalesce'); // filtered out: not graded
    const xml = formatJunit(r);
    expect(xml).toMatch(/<testcase [^>]*name="page-allocator.lowmem-reserve.ratio-defaults"[^>]*>\s*<failure message="x86-64 lowmemReserveRatio/);
    expect(formatHtml(r)).toContain('class="fail"');
    expect(validateJson(JSON.parse(formatJson(r)), GRADE_REPORT_SCHEMA)).toEqual([]);
  });

  it('grades a module by path and reports its failures case by case', async () => {
    // On the permission layer by default (unwritten.test.ts grades a failing module under bwrap), the default layer with MMKIT_HOSTILE=full.
    const layer = process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' as const };
    const r = await grade({ contract: 'buddy', module: fixture('throwing-allocator.ts'), bench: false, filter: 'free\\.', ...layer });
    expect(r.error).toBeUndefined();
    expect(r.implementation).toBe('throwing');
    const coalesce = r.rules.find((x) => x.id === 'page-allocator.free.coalesce')!;
    expect(coalesce.status).toBe('fail');
    expect(coalesce.failures[0].message).toContain('freePages is not implemented');
  });

  it('times out a hanging implementation: every unfinished rule fails with the timeout', async () => {
    // 5 s from the first case: loading (under bwrap the submission's thread loads the module, about 1 s at load 7, over 5 s at load 15 on 2 cores) has an allowance of its own.
    const r = await grade({ contract: 'buddy', module: fixture('hanging-allocator.ts'), bench: false, timeoutMs: 5000 });
    // The hang is named: the phase or case, and (under bwrap, whose watchdog thread reads it) the call it is in.
    expect(r.error).toMatch(/^timeout: the run did not finish within 5000 ms in case \(booting the implementation to identify it\)/);
    if (r.sandbox!.layer === 'bwrap') expect(r.error).toMatch(/waiting on allocPages\(0x[0-9a-f]+, 0\)/);
    expect(r.score.passed).toBeLessThan(r.score.total);
    const unfinished = r.rules.filter((x) => x.status === 'fail' && x.failures.some((f) => f.message.startsWith('timeout')));
    expect(unfinished.length).toBeGreaterThan(BUDDY_RULES.length / 2);
    expect(formatText(r)).toContain('error: timeout');
  });

  it('stops a module whose top level never ends once the loading allowance and the limit are spent', async () => {
    // The run's limit counts from the first case; before it, loading has an allowance of its own (30 s by default).
    const r = await grade({ contract: 'buddy', module: fixture('hanging-load.ts'), bench: false, timeoutMs: 1000, loadAllowanceMs: 3000 });
    expect(r.error).toMatch(/^timeout: the implementation did not load within 4000 ms/);
    expect(r.score.passed).toBe(0);
    for (const bad of [0, 1.5, 600_001, Number.NaN]) {
      await expect(grade({ contract: 'buddy', loadAllowanceMs: bad })).rejects.toThrow(/loadAllowanceMs must be an integer from 1 to 600000/);
    }
    await expect(grade({ contract: 'buddy', throughputMethod: { rounds: 0 } })).rejects.toThrow(/throughputMethod.rounds must be an integer from 1 to 99, got 0/);
    await expect(grade({ contract: 'buddy', throughputMethod: { warmupMs: -1 } })).rejects.toThrow(/throughputMethod.warmupMs must be an integer from 0 to 10000/);
    await expect(grade({ contract: 'buddy', throughputMethod: { roundMs: 2.5 } })).rejects.toThrow(/throughputMethod.roundMs must be an integer from 1 to 10000, got 2.5/);
    await expect(grade({ contract: 'buddy', throughputMethod: null as never })).rejects.toThrow(/throughputMethod must be an object \(\{ warmupMs, rounds, roundMs \}\), got null/);
    await expect(grade({ contract: 'buddy', throughputMethod: 5 as never })).rejects.toThrow(/throughputMethod must be an object .*got number/);
  });

  it('survives an implementation that crashes its worker', async () => {
    const r = await grade({ contract: 'buddy', module: fixture('exploding-allocator.ts'), bench: false, memoryMb: 64, timeoutMs: 60_000 });
    expect(r.error).toMatch(/^crash: /);
    expect(r.rules.every((x) => x.status === 'fail')).toBe(true);
    expect(r.rules[0].failures[0].message).toMatch(/^crash: /);
  });

  it('fingerprints a module that delegates to the reference, and not one that decides otherwise', async () => {
    // The fragmentation workload makes about 250,000 allocator calls: under bwrap each crosses to
    // the submission's thread, seconds of CPU per grade. The delegating module is graded on the
    // default layer (the figures measured across threads); the other, whose subject is only that
    // its fingerprint differs, on the permission layer by default, on the default layer with
    // MMKIT_HOSTILE=full.
    const otherLayer = process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' as const };
    const [same, other] = await Promise.all([
      grade({ contract: 'buddy', module: fixture('delegating-allocator.ts'), filter: 'wrong-order', throughputMethod: QUICK_THROUGHPUT }),
      grade({ contract: 'buddy', module: fixture('hostile/null-allocator.ts'), filter: 'wrong-order', throughputMethod: QUICK_THROUGHPUT, ...otherLayer }),
    ]);
    expect(same.fingerprint).toEqual({ allocationHash: same.fragmentation!.allocationHash, referenceAllocationHash: same.fragmentation!.reference!.allocationHash, reference: '@mmkit/buddy', sameAsReference: true });
    expect(formatText(same)).toMatch(/^fingerprint: the same allocation decisions and free lists as the reference/m);
    expect(other.fingerprint!.sameAsReference).toBe(false);
    expect(other.fingerprint!.allocationHash).not.toBe(other.fingerprint!.referenceAllocationHash);
    expect(reference.fingerprint).toBeUndefined(); // the reference itself: nothing to flag
  }, 120_000);

  it('reports a module without a factory as an error, not an exception', async () => {
    // On the permission layer by default: load.test.ts grades a module without a factory under bwrap (the submission's thread's load error).
    const r = await grade({ contract: 'buddy', module: fixture('no-factory.ts'), bench: false, ...(process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' as const }) });
    expect(r.error).toMatch(/exports no PageAllocatorFactory/);
    expect(r.score.passed).toBe(0);
  });

  it('refuses an unknown contract', async () => {
    await expect(grade({ contract: 'slab' })).rejects.toThrow(/unknown contract 'slab'/);
  });
});

describe('grade slab-allocator', () => {
  // Under bwrap a module's object allocator runs in a thread of its own (grader/isolate/): each such
  // grade costs a second isolate and a crossing per call. The default run grades SLAB there (its
  // cache_reap work crossing to the kernel's queues, and the bench's batches); the grades whose
  // subject is not the isolation run under the permission layer, and under both with MMKIT_HOSTILE=full.
  const layer = process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' as const };
  it('grades SLUB by default and SLAB as a package, with kmalloc throughput', async () => {
    // The sandboxed pipeline with the bench, on the rules that tell SLUB from SLAB (reference.test.ts runs every rule in-process).
    const slub = await grade({ contract: 'slab-allocator', filter: 'double-free-hardened|cache-reap|kmalloc', throughputMethod: QUICK_THROUGHPUT });
    expect(slub.error).toBeUndefined();
    expect(slub.contract).toBe('slab-allocator');
    expect(slub.implementation).toBe('slub');
    expect(slub.rules.map((r) => r.id)).toEqual(SLAB_RULES.map((r) => r.id).filter((id) => slub.rules.some((r) => r.id === id))); // the suite's order
    expect(slub.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['slab-allocator.misuse.double-free-hardened', 'slab-allocator.cache-reap.every-cpu', 'slab-allocator.cache-reap.drains']));
    expect(slub.rules.length).toBeGreaterThan(3);
    expect(slub.rules.filter((r) => r.status === 'fail')).toEqual([]);
    expect(slub.score.notProvided).toBe(2); // SLUB has no cache_reap
    expect(slub.slabThroughput!.cacheOpsPerSec).toBeGreaterThan(0);
    expect(slub.slabThroughput!.method).toEqual(QUICK_THROUGHPUT);
    expect(slub.slabThroughput!.cacheRounds).toHaveLength(1);
    expect(formatText(slub)).toMatch(/kmem_cache [\d,]+ alloc\+free\/s/);
    // SLAB passes every rule in-process (reference.test.ts); here the package loads and grades, its rules chosen by a filter.
    const slab = await grade({ contract: 'slab-allocator', module: '@mmkit/slab', bench: false, filter: 'double-free-hardened|cache-reap' });
    expect(slab.error).toBeUndefined();
    expect(slab.implementation).toBe('slab');
    expect(slab.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['slab-allocator.misuse.double-free-hardened', 'slab-allocator.cache-reap.every-cpu', 'slab-allocator.cache-reap.drains']));
    expect(slab.score).toMatchObject({ failed: 0, notProvided: 1, passed: slab.rules.length - 1 }); // 4.17's SLAB has no hardened free pointer check
  }, 120_000);

  it('fails the cache_reap mutant on the rule it breaks', async () => {
    const r = await grade({ contract: 'slab-allocator', mutant: 'slab-cache-reap-unbound', bench: false, filter: 'cache-reap' });
    expect(r.rules.find((x) => x.id === 'slab-allocator.cache-reap.every-cpu')!.status).toBe('fail');
  });

  it('refuses a mutant of another contract', async () => {
    const r = await grade({ contract: 'slab-allocator', mutant: 'buddy-never-coalesces', bench: false });
    expect(r.error).toMatch(/mutant of the page-allocator contract/);
  });

  it('grades a module by path and names the rule it breaks', async () => {
    const r = await grade({ contract: 'slab-allocator', module: fixture('never-shrinks-slab.ts'), bench: false, filter: 'shrink', ...layer });
    expect(r.error).toBeUndefined();
    expect(r.implementation).toBe('never-shrinks');
    const shrink = r.rules.find((x) => x.id === 'slab-allocator.reclaim.shrink')!;
    expect(shrink.status).toBe('fail');
    expect(shrink.failures[0].message).toMatch(/slabs left after freeing every object and shrinking/);
  });

  it('fingerprints a module that delegates to SLUB or SLAB, and not one that decides otherwise', async () => {
    const [slub, slab, other] = await Promise.all(
      [fixture('delegating-slab.ts'), '@mmkit/slab', fixture('never-shrinks-slab.ts')].map((module) => grade({ contract: 'slab-allocator', module, filter: 'object alignment', throughputMethod: QUICK_THROUGHPUT, ...(module === '@mmkit/slab' ? {} : layer) })),
    );
    for (const r of [slub, slab, other]) expect(validateJson(JSON.parse(formatJson(r)), GRADE_REPORT_SCHEMA)).toEqual([]);
    const f = slub.slabFragmentation!;
    expect(f.references!.map((r) => r.implementation)).toEqual(['@mmkit/slub', '@mmkit/slab']);
    expect(f.numObjs).toBeGreaterThanOrEqual(f.activeObjs);
    expect(f.slabPages).toBeGreaterThan(0);
    expect(slub.fingerprint).toEqual({ allocationHash: f.allocationHash, referenceAllocationHash: f.references![0].allocationHash, reference: '@mmkit/slub', sameAsReference: true });
    expect(slab.fingerprint).toMatchObject({ reference: '@mmkit/slab', sameAsReference: true });
    expect(slab.fingerprint!.allocationHash).not.toBe(slub.fingerprint!.allocationHash);
    expect(formatText(slab)).toMatch(/^fingerprint: the same allocation decisions and slabinfo as the reference @mmkit\/slab/m);
    expect(formatText(slub)).toMatch(/^object workload \(256 MiB, 1 node, 2 CPUs, 6000 random steps, seed 1\): [\d,]+ of [\d,]+ objects in use/m);
    // kmem_cache_shrink() that keeps its slabs: the same allocations, another slabinfo after the shrink.
    expect(other.fingerprint).toMatchObject({ allocationHash: f.allocationHash, reference: '@mmkit/slub', sameAsReference: false });
  }, 120_000);

  it('names the factory it expects of a module without one', async () => {
    const r = await grade({ contract: 'slab-allocator', module: fixture('no-factory.ts'), bench: false, ...layer });
    expect(r.error).toMatch(/exports no SlabAllocatorFactory/);
  });
});

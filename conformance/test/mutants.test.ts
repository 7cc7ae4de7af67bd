import { createSlabAllocator } from '@mmkit/slab';
import { describe, expect, it } from 'vitest';
import {
  BUDDY_RULES, MUTANTS, SLAB_RULES, aggregateRules, mutantById, pageAllocatorSuite, ruleById, runSuite, slabAllocatorSuite,
  type Mutant,
} from '../src/index.js';

describe('mutants', () => {
  it('the reference page allocator passes every rule', async () => {
    const results = await runSuite(pageAllocatorSuite, undefined, { propertyRuns: 50 });
    const verdicts = aggregateRules(BUDDY_RULES, results, { pcp: true, highatomic: true });
    const failing = verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.id}: ${v.failures[0]?.message ?? v.status}`);
    expect(failing).toEqual([]);
  });

  it.each([
    ['SLUB', undefined, { bulk: true, kasan: true, cacheReap: false }, ['slab-allocator.cache-reap.every-cpu', 'slab-allocator.cache-reap.drains']],
    ['SLAB', createSlabAllocator, { bulk: true, kasan: true, cacheReap: true }, []],
  ] as const)('%s passes every slab-allocator rule it provides', async (_name, factory, supports, notProvided) => {
    const results = await runSuite(slabAllocatorSuite, factory, { propertyRuns: 50 });
    const verdicts = aggregateRules(SLAB_RULES, results, supports);
    const failing = verdicts.filter((v) => v.status === 'fail').map((v) => `${v.id}: ${v.failures[0]?.message ?? v.status}`);
    expect(failing).toEqual([]);
    expect(verdicts.filter((v) => v.status === 'not-provided').map((v) => v.id)).toEqual(notProvided);
  });

  it('each names an existing rule of its contract, a source and a description', () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
    for (const m of MUTANTS) {
      const rule = ruleById(m.breaks);
      expect(rule, `${m.id} breaks ${m.breaks}`).toBeDefined();
      expect(rule!.subsystem).toBe(m.contract);
      expect(m.source.length).toBeGreaterThan(10);
      expect(m.description.length).toBeGreaterThan(20);
      expect(mutantById(m.id)).toBe(m);
    }
    expect(mutantById('no-such-mutant')).toBeUndefined();
    for (const id of [
      'khugepaged-min-free-counts-movable', 'lowmem-reserve-ratio-short-array', 'gfp-zone-movable-without-highmem', 'watermark-ignores-lowmem-reserve',
      'buddy-never-coalesces', 'slub-kasan-hook-ignored', 'slab-cache-reap-unbound',
    ]) {
      expect(mutantById(id), id).toBeDefined();
    }
  });

  async function verdictOf(m: Mutant) {
    if (m.contract === 'page-allocator') {
      const results = await runSuite(pageAllocatorSuite, m.factory, { filter: [m.breaks], propertyRuns: 20 });
      return { results, verdict: aggregateRules(BUDDY_RULES, results, { pcp: true, highatomic: true }).find((v) => v.id === m.breaks)! };
    }
    const results = await runSuite(slabAllocatorSuite, m.factory, { filter: [m.breaks], propertyRuns: 20 });
    return { results, verdict: aggregateRules(SLAB_RULES, results, { bulk: true, kasan: true, cacheReap: true }).find((v) => v.id === m.breaks)! };
  }

  for (const m of MUTANTS) {
    it(`${m.id} fails ${m.breaks}`, async () => {
      const { results, verdict } = await verdictOf(m);
      expect(results.length).toBeGreaterThan(0);
      expect(verdict.status, `${m.id} must fail ${m.breaks}`).toBe('fail');
    });
  }
});

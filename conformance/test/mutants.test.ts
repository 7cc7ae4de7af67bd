import { describe, expect, it } from 'vitest';
import { BUDDY_RULES, MUTANTS, aggregateRules, mutantById, pageAllocatorSuite, ruleById, runSuite } from '../src/index.js';

describe('mutants', () => {
  it('the reference implementation passes every rule', async () => {
    const results = await runSuite(pageAllocatorSuite, undefined, { propertyRuns: 50 });
    const verdicts = aggregateRules(BUDDY_RULES, results, { pcp: true, highatomic: true });
    const failing = verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.id}: ${v.failures[0]?.message ?? v.status}`);
    expect(failing).toEqual([]);
  });

  it('each names an existing rule, a source and a description', () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
    for (const m of MUTANTS) {
      expect(ruleById(m.breaks), `${m.id} breaks ${m.breaks}`).toBeDefined();
      expect(m.source.length).toBeGreaterThan(10);
      expect(m.description.length).toBeGreaterThan(20);
      expect(mutantById(m.id)).toBe(m);
    }
    expect(mutantById('no-such-mutant')).toBeUndefined();
    for (const id of ['khugepaged-min-free-counts-movable', 'lowmem-reserve-ratio-short-array', 'gfp-zone-movable-without-highmem', 'watermark-ignores-lowmem-reserve', 'buddy-never-coalesces']) {
      expect(mutantById(id), id).toBeDefined();
    }
  });

  for (const m of MUTANTS) {
    it(`${m.id} fails ${m.breaks}`, async () => {
      const results = await runSuite(pageAllocatorSuite, m.factory, { filter: [m.breaks], propertyRuns: 20 });
      expect(results.length).toBeGreaterThan(0);
      const verdict = aggregateRules(BUDDY_RULES, results, { pcp: true, highatomic: true }).find((v) => v.id === m.breaks)!;
      expect(verdict.status, `${m.id} must fail ${m.breaks}`).toBe('fail');
    });
  }
});

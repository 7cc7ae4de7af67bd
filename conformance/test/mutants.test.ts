import { createSlabAllocator } from '@mmkit/slab';
import { describe, expect, it } from 'vitest';
import {
  MMAP_RULES, SLAB_RULES, aggregateRules, contractByName, mmapSuite, mutantById, sourceLinks, ruleById, runSuite, slabAllocatorSuite,
} from '../src/index.js';
import { MUTANTS, type MutantOf } from '../src/mutants/index.js';

describe('mutants', () => {
  // The reference page allocator passing every case is reference.test.ts (the vitest adapter);
  // SLUB and SLAB are run here for their per-rule verdicts, not-provided ones included.
  it.each([
    ['SLUB', undefined, { bulk: true, kasan: true, hardenedFreelist: true, cacheReap: false }, ['slab-allocator.cache-reap.every-cpu', 'slab-allocator.cache-reap.drains']],
    ['SLAB', createSlabAllocator, { bulk: true, kasan: true, hardenedFreelist: false, cacheReap: true }, ['slab-allocator.misuse.double-free-hardened']],
  ] as const)('%s passes every slab-allocator rule it provides', async (_name, factory, supports, notProvided) => {
    // Which rules pass and which are not provided; the property runs in full are reference.test.ts's.
    const results = await runSuite(slabAllocatorSuite, factory, { propertyRuns: 5 });
    const verdicts = aggregateRules(SLAB_RULES, results, supports);
    const failing = verdicts.filter((v) => v.status === 'fail').map((v) => `${v.id}: ${v.failures[0]?.message ?? v.status}`);
    expect(failing).toEqual([]);
    expect(verdicts.filter((v) => v.status === 'not-provided').map((v) => v.id)).toEqual(notProvided);
  });

  it('the reference address spaces (@mmkit/mmap) pass every mmap rule', async () => {
    const results = await runSuite(mmapSuite, undefined, {});
    const verdicts = aggregateRules(MMAP_RULES, results, { mremap: true, madvise: true, faults: true });
    expect(verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.id}: ${v.failures[0]?.message ?? v.status}`)).toEqual([]);
  });

  it('each names an existing rule of its contract, a source and a description', async () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
    for (const m of MUTANTS) {
      const rule = ruleById(m.breaks);
      expect(rule, `${m.id} breaks ${m.breaks}`).toBeDefined();
      expect(rule!.contract).toBe(m.contract);
      expect(sourceLinks(m.source).length, `${m.id} cites a public source`).toBeGreaterThan(0);
      expect(m.description.length).toBeGreaterThan(20);
      expect(await mutantById(m.id)).toBe(m);
    }
    expect(await mutantById('no-such-mutant')).toBeUndefined();
    for (const id of [
      'khugepaged-min-free-counts-movable', 'lowmem-reserve-ratio-short-array', 'cma-activated-after-wmark-init', 'cma-alloc-cma-honoured', 'cma-alloc-cma-ignored', 'watermark-ignores-lowmem-reserve',
      'buddy-never-coalesces', 'slub-kasan-hook-ignored', 'slab-cache-reap-unbound',
    ]) {
      expect(MUTANTS.find((m) => m.id === id), id).toBeDefined();
    }
  });

  /** The mutant's verdict on the rule it breaks, through its contract's descriptor (every optional feature counted as provided). */
  async function verdictOf(m: MutantOf<unknown>) {
    const contract = contractByName(m.contract)!;
    const results = await runSuite(contract.suite, m.factory, { filter: [m.breaks], propertyRuns: 20 });
    const supports = Object.fromEntries(contract.rules.flatMap((r) => (r.optional ? [[r.optional, true]] : [])));
    return { results, verdict: aggregateRules(contract.rules, results, supports).find((v) => v.id === m.breaks)! };
  }

  for (const m of MUTANTS) {
    it(`${m.id} fails ${m.breaks}`, async () => {
      const { results, verdict } = await verdictOf(m);
      expect(results.length).toBeGreaterThan(0);
      expect(verdict.status, `${m.id} must fail ${m.breaks}`).toBe('fail');
    });
  }
});

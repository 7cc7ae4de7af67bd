/**
 * A student's allocator as `mmkit new` writes it (every member throws "not written yet: <name>")
 * and as it is partly written: graded rule by rule. Each case fails with the member it reached,
 * never with one run-level boot failure, and what is written passes its rules.
 */
import { createBuddyAllocator } from '@mmkit/buddy';
import type { PageAllocator, PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';
import { fileURLToPath } from 'node:url';
import { createSlubAllocator } from '@mmkit/slub';
import { describe, expect, it } from 'vitest';
import { grade, pageAllocatorSuite, runSuite, slabAllocatorSuite } from '../src/index.js';
import PAGE_ALLOCATOR from '../src/contracts/page-allocator/index.js';
import SLAB_ALLOCATOR from '../src/contracts/slab-allocator/index.js';
import { skeletonOf } from '../src/skeleton/index.js';

const notWritten = (member: string): never => {
  throw new Error(`not written yet: ${member}`);
};

/** The skeleton's behaviour, from the same member list `mmkit new` writes it from. */
const skeleton: PageAllocatorFactory = () => {
  const o: Record<string, unknown> = { name: 'skeleton' };
  for (const m of skeletonOf('page-allocator')!.members) {
    if (m.name === 'name') continue;
    if (m.flags) o[m.name] = Object.fromEntries(m.flags.map((f) => [f, false]));
    else if (m.kind === 'method') o[m.name] = () => notWritten(m.name);
    else Object.defineProperty(o, m.name, { get: () => notWritten(m.name) });
  }
  return o as unknown as PageAllocator;
};

/** Boot, allocation and freeing written (the reference's), the sysctl writes and zone_watermark_ok() not yet. */
const UNWRITTEN = ['setMinFreeKbytes', 'zoneWatermarkOk'];
const partial: PageAllocatorFactory = (services) => {
  const a = createBuddyAllocator(services);
  for (const m of UNWRITTEN) Object.defineProperty(a, m, { value: () => notWritten(m) });
  return a;
};

describe('an allocator not written yet', () => {
  it('is identified by what its factory returned, though its boot fails', () => {
    expect(PAGE_ALLOCATOR.identify(skeleton)).toEqual({ implementation: 'skeleton', supports: { pcp: false, highatomic: false } });
    // A factory that returns no allocator has declared nothing: that stays an error.
    expect(() => PAGE_ALLOCATOR.identify(() => ({}) as PageAllocator)).toThrow(/lacks allocPages/);
  });

  it('fails each case with the member it reached, not one boot failure', async () => {
    const results = await runSuite(pageAllocatorSuite, skeleton, { filter: /^page-allocator\.(free\.coalesce|sysctl|pcp\.drain)/, propertyRuns: 2 });
    expect(results.length).toBeGreaterThan(2);
    for (const r of results) {
      if (r.status === 'not-provided') continue;
      expect(r.status, r.name).toBe('fail');
      expect(r.message, r.name).toMatch(/^Error: not written yet: freeBootmem \(at /);
    }
  });
});

describe('an allocator partly written', () => {
  it('passes the rules it can and fails the others naming what they needed', async () => {
    const results = await runSuite(pageAllocatorSuite, partial, {
      filter: ['page-allocator.free.coalesce', 'page-allocator.sysctl.min-free-kbytes-recompute', 'page-allocator.watermark-ok.high-order'],
    });
    const by = (rule: string) => results.filter((r) => r.rules.includes(rule));
    expect(by('page-allocator.free.coalesce').length).toBeGreaterThan(0);
    for (const r of by('page-allocator.free.coalesce')) expect(r.status, r.name).toBe('pass');
    expect(by('page-allocator.sysctl.min-free-kbytes-recompute')[0].message).toMatch(/^Error: not written yet: setMinFreeKbytes /);
    expect(by('page-allocator.watermark-ok.high-order')[0].message).toMatch(/^Error: not written yet: zoneWatermarkOk /);
  });

  it('graded with the bench, keeps its verdicts and says the benchmark failed after every case ran', async () => {
    const module = fileURLToPath(new URL('./fixtures/batch/page-allocator/throws-on-free/index.ts', import.meta.url));
    const r = await grade({ contract: 'buddy', module, filter: 'page-allocator.free.coalesce', timeoutMs: 60_000 });
    expect(r.error).toMatch(/^no throughput or fragmentation figures: every case ran, then the benchmark failed: Error: freePages is not written yet \(at .*index\.ts:\d+:\d+\)/);
    expect(r.rules.find((x) => x.id === 'page-allocator.free.coalesce')?.failures[0]?.message).toContain('freePages is not written yet');
  }, 60_000);
});

describe('an object allocator whose boot reaches what is not written yet', () => {
  // SLUB, with a kmem_cache_init() (bootstrap) that stops at a member not written yet.
  const halfBooting: SlabAllocatorFactory = (services) => {
    const slub = createSlubAllocator(services);
    return Object.assign(Object.create(slub) as typeof slub, { name: 'half-booting', bootstrap: () => notWritten('kmemCacheCreate') });
  };

  it('is identified by what its factory returned, and each case fails on what it reached', async () => {
    expect(SLAB_ALLOCATOR.identify(halfBooting)).toMatchObject({ implementation: 'half-booting', supports: { bulk: true } });
    const results = await runSuite(slabAllocatorSuite, halfBooting, { filter: /^slab-allocator\.reclaim\./ });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.message, r.name).toMatch(/^Error: not written yet: kmemCacheCreate \(at /);
  });
});

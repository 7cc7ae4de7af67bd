/** Issue 10, item 10: every configuration field and kernel API argument is validated, with a one-line message. */
import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, NO_PAGE } from '@mmkit/core';
import { checkSimulatable, createKernel, resolveLayout, simulationBytes, type KernelConfig } from '../src/index.js';

const MEM = { machine: { mem: 64 * 2 ** 20 } };
const HOSTILE_NUMBERS = [NaN, Infinity, -Infinity, -1, 1.5, 2 ** 53, '1', null, {}, true];

function refused(config: KernelConfig, pattern: RegExp): void {
  let error: unknown;
  try {
    createKernel({ ...MEM, ...config });
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(config)).toBeInstanceOf(Error);
  const e = error as Error;
  expect(['KernelConfigError', 'MachineSpecError']).toContain(e.name);
  expect(e.message).toMatch(pattern);
  expect(e.message.split('\n')).toHaveLength(1);
}

const cfg = (c: unknown) => c as KernelConfig;

describe('createKernel refuses bad values of every field', () => {
  it('kasan.quarantineBytes', () => {
    for (const v of [NaN, Infinity, -1, 1.5, '1', null]) refused(cfg({ kasan: { quarantineBytes: v } }), /kasan.quarantineBytes must be a non-negative integer/);
    refused(cfg({ kasan: 'yes' }), /kasan must be true, false or \{ quarantineBytes \}/);
    refused(cfg({ kasan: { quarantinebytes: 1 } }), /kasan: unknown field 'quarantinebytes'/);
    expect(createKernel({ ...MEM, kasan: { quarantineBytes: 0 } }).kasan?.quarantineMaxBytes).toBe(0);
  });

  it('failPageAlloc and failslab, with the bounds of their debugfs files', () => {
    for (const attr of ['failPageAlloc', 'failslab']) {
      for (const v of [NaN, Infinity, -1, 1.5, 101, '5']) refused(cfg({ [attr]: { probability: v } }), new RegExp(`${attr}.probability must be an integer in \\[0, 100\\]`));
      for (const v of [0, NaN, 2 ** 32, 1.5]) refused(cfg({ [attr]: { interval: v } }), new RegExp(`${attr}.interval must be an integer in \\[1, 4294967295\\]`));
      for (const v of [-2, NaN, 1.5, Infinity]) refused(cfg({ [attr]: { times: v } }), new RegExp(`${attr}.times must be an integer`));
      for (const v of [-1, NaN, 2 ** 32]) refused(cfg({ [attr]: { space: v } }), new RegExp(`${attr}.space must be`));
      for (const v of [-1, 3, 0.5]) refused(cfg({ [attr]: { verbose: v } }), new RegExp(`${attr}.verbose must be an integer in \\[0, 2\\]`));
      for (const v of ['yes', 1, null]) refused(cfg({ [attr]: { ignoreGfpWait: v } }), new RegExp(`${attr}.ignoreGfpWait must be true or false`));
      refused(cfg({ [attr]: { probabilty: 5 } }), new RegExp(`${attr}: unknown field 'probabilty'`));
      refused(cfg({ [attr]: 5 }), new RegExp(`${attr} must be an object`));
    }
    for (const v of [-1, 11, 1.5, NaN]) refused(cfg({ failPageAlloc: { minOrder: v } }), /failPageAlloc.minOrder must be an integer in \[0, 10\]/);
    refused(cfg({ failPageAlloc: { ignoreGfpHighmem: 0 } }), /ignoreGfpHighmem must be true or false/);
    refused(cfg({ failslab: { cacheFilter: 'y' } }), /failslab.cacheFilter must be true or false/);
    refused(cfg({ failslab: { minOrder: 1 } }), /failslab: unknown field 'minOrder'/);
    const k = createKernel({ ...MEM, failPageAlloc: { probability: 100, times: -1, interval: 1 } });
    expect(k.failPageAlloc.times).toBe(-1);
  });

  it('nrCpus, thp, pcp, seed, debugForceRrCpu, unboundCpumask', () => {
    for (const v of [...HOSTILE_NUMBERS, 0, 257]) refused(cfg({ nrCpus: v }), /nrCpus must be an integer in \[1, 256\]/);
    for (const v of ['constructor', 1, 'Always']) refused(cfg({ thp: v }), /thp must be 'always', 'madvise', 'never'/);
    for (const v of ['yes', 1, null]) refused(cfg({ pcp: v }), /pcp must be true or false/);
    for (const v of [...HOSTILE_NUMBERS, 2 ** 32]) refused(cfg({ seed: v }), /seed must be an integer in \[0, 4294967295\]/);
    for (const v of ['yes', 0]) refused(cfg({ debugForceRrCpu: v }), /debugForceRrCpu must be true or false/);
    for (const v of [[1.5], [-1], [2], [], 'x', [NaN]]) refused(cfg({ unboundCpumask: v }), /unboundCpumask must list at least one CPU in \[0, 1\]/);
  });

  it('sysctl: an object of names to integers or strings', () => {
    for (const v of ['vm.min_free_kbytes=1', [], 5, null]) refused(cfg({ sysctl: v }), /sysctl must be an object/);
    for (const v of [NaN, Infinity, 1.5, {}, true]) refused(cfg({ sysctl: { 'vm.min_free_kbytes': v } }), /sysctl vm.min_free_kbytes: the value must be an integer or a string/);
  });

  it('preset, likeZoneinfo, machine, pageAllocator, slab, kasanHooks, and unknown fields', () => {
    refused(cfg({ machine: undefined, preset: 7 }), /preset must be a string/);
    refused(cfg({ machine: undefined, likeZoneinfo: 7 }), /likeZoneinfo must be the text of a \/proc\/zoneinfo \(a string\)/);
    for (const v of [NaN, 1.5, -1, Infinity, '4G']) refused(cfg({ machine: { mem: v } }), /mem must be a whole number of bytes|mem must not be negative/);
    refused(cfg({ machine: { mem: 2 ** 26, memory: 1 } }), /machine: unknown option 'memory'/);
    refused(cfg({ machine: { mem: 2 ** 26, nodes: 1.5 } }), /nodes/);
    refused(cfg({ pageAllocator: 'buddy' }), /pageAllocator must be a factory function/);
    refused(cfg({ slab: 7 }), /slab must be 'slub', 'slab' or a factory/);
    refused(cfg({ kasanHooks: 7 }), /kasanHooks must be an object/);
    refused(cfg({ nrcpus: 4 }), /unknown field 'nrcpus'/);
    expect(() => createKernel(cfg(5))).toThrow(/the kernel configuration must be an object/);
  });
});

describe('the kernel API refuses a gfp that is no gfp mask', () => {
  const k = createKernel(MEM);
  it.each([1.5, -1, NaN, Infinity, 2 ** 25, 2 ** 32, '208' as unknown as number])('allocPages(%s, 0)', (gfp) => {
    expect(() => k.allocPages(gfp, 0)).toThrow(RangeError);
    expect(() => k.allocPages(gfp, 0)).toThrow(/alloc_pages: gfp .* is not a gfp mask \(an integer in \[0, 0x1ffffff\]\)/);
  });
  it.each([-1, 1.5, 11, NaN])('allocPages(GFP_KERNEL, %s) fails as an order >= MAX_ORDER does (order is unsigned in C)', (order) => {
    expect(k.allocPages(GFP_KERNEL, order)).toBe(NO_PAGE);
  });
  it('a valid mask still allocates', () => {
    const pfn = k.allocPages(GFP_KERNEL, 0);
    expect(pfn).not.toBe(NO_PAGE);
    k.freePages(pfn, 0);
    expect(k.checkInvariants()).toEqual([]);
  });
});

describe('sched.onCpu() takes a CPU that exists', () => {
  const k = createKernel(MEM);
  it.each([-1, 1.5, 99, 2, NaN])('onCpu(%s)', (cpu) => {
    expect(() => k.sched.onCpu(cpu, () => k.allocPages(GFP_KERNEL, 0))).toThrow(new RangeError(`onCpu: CPU ${cpu} does not exist (CPUs 0-1)`));
    expect(k.sched.currentCpu).toBe(0);
    expect(k.checkInvariants()).toEqual([]);
  });
});

describe('a machine larger than the host can simulate (issue 10 item 9)', () => {
  it('is refused before anything is allocated, saying how much memory it needs', () => {
    expect(() => createKernel({ machine: { mem: 64 * 2 ** 40 } })).toThrow(
      /^a machine of 65536 GiB \(max_pfn 17179869184\) has more pages than mmkit simulates \(1431655765: struct page's mapLru words fill one typed array, 5.3 TiB of memory\)$/,
    );
    // 4 TiB: 2^30 pages of 25 bytes (24 of struct page, 1 of allocator state), against a host of 16 GiB.
    const layout = resolveLayout({ machine: { mem: 4 * 2 ** 40 } });
    expect(simulationBytes(layout, 2)).toBeGreaterThan(25 * 2 ** 30);
    expect(() => checkSimulatable(layout, 2, 16 * 2 ** 30)).toThrow(
      /^a machine of 4097 GiB \(max_pfn 1074003968\) needs about 25 GiB of host memory to simulate \(25 bytes of struct page and allocator state a page\), more than this host's 16 GiB \(os.totalmem\(\)\)$/,
    );
    expect(() => checkSimulatable(layout, 2, 32 * 2 ** 30)).not.toThrow();
  });
});

describe('the object allocator refuses a gfp that is no gfp_t (issue 10 item 10)', () => {
  it.each(['slub', 'slab'] as const)('%s: kmalloc, kmem_cache_alloc and kmem_cache_alloc_bulk throw a RangeError and take nothing', (slab) => {
    const k = createKernel({ ...MEM, slab });
    const cache = k.slab.kmemCacheCreate('fuzz', 64, 8, 0)!;
    const pages = k.slabPages();
    for (const gfp of [1.5, -1, NaN, Infinity, 2 ** 32, '208' as unknown as number]) {
      expect(() => k.slab.kmalloc(64, gfp), String(gfp)).toThrow(/: gfp .* is not a gfp_t \(an integer in \[0, 0xffffffff\]\)/);
      expect(() => k.slab.kmalloc(16384, gfp), String(gfp)).toThrow(RangeError);
      expect(() => k.slab.kmemCacheAlloc(cache, gfp)).toThrow(RangeError);
      expect(() => k.slab.kmemCacheAllocBulk(cache, gfp, 2, new Float64Array(2))).toThrow(RangeError);
    }
    expect(k.slabPages()).toBe(pages);
    const obj = k.slab.kmalloc(64, GFP_KERNEL | 2 ** 26); // a bit above __GFP_BITS_MASK: GFP_SLAB_BUG_MASK, warned and stripped
    expect(obj).not.toBe(0);
    k.slab.kfree(obj);
    expect(k.checkInvariants()).toEqual([]);
  });
});

describe('fault injection settings changed at run time are checked as at boot', () => {
  it('failPageAlloc and failslab fields refuse NaN, fractions, out-of-range values and non-booleans', () => {
    const k = createKernel(MEM);
    const set = (o: object, key: string, v: unknown) => () => {
      (o as Record<string, unknown>)[key] = v;
    };
    for (const [attr, name] of [[k.failPageAlloc, 'failPageAlloc'], [k.failslab, 'failslab']] as const) {
      expect(set(attr, 'probability', NaN)).toThrow(new RangeError(`${name}.probability must be an integer in [0, 100], got NaN`));
      expect(set(attr, 'probability', 101)).toThrow(RangeError);
      expect(set(attr, 'interval', 0)).toThrow(RangeError);
      expect(set(attr, 'times', 1.5)).toThrow(RangeError);
      expect(set(attr, 'verbose', Infinity)).toThrow(RangeError);
      expect(set(attr, 'ignoreGfpWait', 'yes')).toThrow(`${name}.ignoreGfpWait must be true or false, got 'yes'`);
      expect(attr.probability).toBe(0);
      attr.probability = 100;
      attr.times = -1;
      expect(attr.probability).toBe(100);
      attr.probability = 0;
    }
    expect(set(k.failPageAlloc, 'minOrder', -1)).toThrow(RangeError);
    const pfn = k.allocPages(GFP_KERNEL, 0);
    expect(pfn).not.toBe(NO_PAGE);
    k.freePages(pfn, 0);
  });
});

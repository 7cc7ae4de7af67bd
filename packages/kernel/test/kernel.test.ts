import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, NO_PAGE, __GFP_DIRECT_RECLAIM } from '@mmkit/core';
import { KernelConfigError, createKernel } from '../src/index.js';
import { faultAttrArmed } from '../src/fault-inject.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The lines of one zone's block in a zoneinfo text, by "Node N, zone NAME". */
function zoneBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^Node (\d+), zone\s+(\S+)/.exec(line);
    if (m) {
      current = [];
      blocks.set(`${m[1]}/${m[2]}`, current);
    } else current?.push(line.trim().replace(/\s+/g, ' '));
  }
  return blocks;
}

const wmarkLines = (lines: string[]) => lines.filter((l) => /^(min|low|high|spanned|present|managed|protection:) /.test(l));

describe('boot', () => {
  it('boots the default 4 GiB machine with every page accounted for', () => {
    const k = createKernel();
    const managed = k.zones.reduce((n, z) => n + z.managedPages, 0);
    k.pageAllocator.drainAllPages();
    const free = k.zones.reduce((n, z) => n + z.freePages, 0);
    expect(managed).toBeGreaterThan(900_000);
    expect(k.slabPages()).toBeGreaterThan(0); // kmem_cache_init(): the slabs of kmem_cache and kmem_cache_node
    expect(free + k.slabPages()).toBe(managed); // nothing else allocated yet
    expect(k.readFile('/proc/meminfo')).toMatch(new RegExp(`^MemTotal:\\s+${managed * 4} kB\\n`));
    expect(k.checkInvariants()).toEqual([]);
    expect(k.dmesg().some((l) => l.includes('Memory:'))).toBe(true);
  });

  it('refuses contradictory or impossible configurations with a clear error', () => {
    expect(() => createKernel({ preset: 'no-such-machine' })).toThrow(/unknown preset 'no-such-machine'/);
    expect(() => createKernel({ preset: 'default', machine: { mem: 2 ** 30 } })).toThrow(KernelConfigError);
    expect(() => createKernel({ nrCpus: 0 })).toThrow(/nrCpus/);
    expect(() => createKernel({ likeZoneinfo: 'this is not a zoneinfo file' })).toThrow();
    expect(() => createKernel({ sysctl: { 'vm.min_free_kbytes': 'lots' } })).toThrow(/vm.min_free_kbytes/);
    expect(() => createKernel({ sysctl: { 'vm.no_such_knob': 1 } })).toThrow(/no such sysctl/);
    expect(() => createKernel({ cma: { policy: 'zone-cma' as never } })).toThrow("cma.policy must be 'zone-movable', 'migratetype', got 'zone-cma'");
    expect(() => createKernel({ cma: JSON.parse('{"constructor": 1}') as never })).toThrow("cma: unknown field 'constructor' (known: policy)");
    expect(() => createKernel({ cma: 'migratetype' as never })).toThrow('cma must be an object');
  });

  it('counts the CMA pages: NR_FREE_CMA_PAGES follows the MIGRATE_CMA lists through allocation and free, under either policy', () => {
    for (const policy of ['zone-movable', 'migratetype'] as const) {
      const k = createKernel({ machine: { mem: 2 ** 30, cma: [{ size: 32 * 2 ** 20 }] }, cma: { policy }, thp: 'never' });
      const area = k.layout.cma[0];
      const cmaFree = () => k.zones.reduce((n, z) => n + z.freeCmaPages, 0);
      expect(cmaFree()).toBe(area.end - area.start);
      expect(k.readFile('/proc/zoneinfo')).toMatch(new RegExp(`nr_free_cma\\s+${area.end - area.start}\\n`));
      const got: number[] = [];
      let pfn = k.allocPages(GFP_HIGHUSER_MOVABLE, 4);
      while (pfn !== NO_PAGE && !(pfn >= area.start && pfn < area.end)) {
        got.push(pfn);
        pfn = k.allocPages(GFP_HIGHUSER_MOVABLE, 4);
      }
      expect(pfn).not.toBe(NO_PAGE);
      expect(cmaFree()).toBe(area.end - area.start - 16);
      k.assertInvariants();
      k.freePages(pfn, 4);
      for (const p of got) k.freePages(p, 4);
      expect(cmaFree()).toBe(area.end - area.start);
    }
  });
});

describe('the seed changelog 22 GB machine', () => {
  it('gets min_free_kbytes 90112 and the per-zone min watermarks of the changelog', () => {
    const k = createKernel({ preset: 'seed-22g' });
    expect(k.sysctl('vm.min_free_kbytes')).toBe('90112');
    const mins = Object.fromEntries([...zoneBlocks(k.readFile('/proc/zoneinfo'))].map(([key, lines]) => [key, Number(/^min (\d+)/.exec(lines.find((l) => l.startsWith('min '))!)![1])]));
    expect(mins).toEqual({
      '0/DMA': 15, '0/DMA32': 3022, '0/Normal': 8152, '0/Movable': 0, '0/Device': 0,
      '1/DMA': 0, '1/DMA32': 0, '1/Normal': 11234, '1/Movable': 102, '1/Device': 0,
    });
  });
});

describe('a machine like a real /proc/zoneinfo', () => {
  it('reproduces the watermark and protection lines of this machine (Linux 6.18, same formulas as 4.17)', () => {
    const real = fixture('zoneinfo-6.18-2cpu.txt');
    const k = createKernel({ likeZoneinfo: real, sysctl: { 'vm.min_free_kbytes': 67584 } });
    expect(k.sched.nrCpus).toBe(2);
    const want = zoneBlocks(real);
    const got = zoneBlocks(k.readFile('/proc/zoneinfo'));
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [key, lines] of want) {
      const spanned = Number(/spanned (\d+)/.exec(lines.join('\n'))![1]);
      if (spanned === 0) continue; // 6.x gives empty ZONE_MOVABLE a min of 32; 4.17 gives 0
      expect(wmarkLines(got.get(key)!), key).toEqual(wmarkLines(lines).filter((l) => !l.startsWith('promo')));
    }
  });

  it('round-trips its own zoneinfo: a machine like the 22 GB preset has the same watermarks', () => {
    const a = createKernel({ preset: 'seed-22g', thp: 'never' });
    const b = createKernel({ likeZoneinfo: a.readFile('/proc/zoneinfo'), thp: 'never', sysctl: { 'vm.min_free_kbytes': a.sysctl('vm.min_free_kbytes') } });
    const wa = zoneBlocks(a.readFile('/proc/zoneinfo'));
    const wb = zoneBlocks(b.readFile('/proc/zoneinfo'));
    for (const [key, lines] of wa) expect(wmarkLines(wb.get(key)!), key).toEqual(wmarkLines(lines));
  });
});

describe('/proc views', () => {
  it('buddyinfo lists populated zones with 11 orders', () => {
    const k = createKernel({ machine: { mem: 512 * 2 ** 20 } });
    const lines = k.readFile('/proc/buddyinfo').split('\n').filter(Boolean);
    expect(lines.length).toBe(2); // DMA and DMA32
    expect(lines[0]).toMatch(/^Node 0, zone {6}DMA( +\d+){11} $/);
    expect(lines[1]).toMatch(/^Node 0, zone {4}DMA32( +\d+){11} $/);
  });

  it('meminfo has Linux labels, 16-column padding and kB units', () => {
    const text = createKernel().readFile('/proc/meminfo');
    for (const label of ['MemTotal', 'MemFree', 'MemAvailable', 'Cached', 'SwapTotal', 'CommitLimit', 'VmallocTotal', 'HugePages_Total', 'Hugepagesize', 'DirectMap4k', 'DirectMap2M', 'DirectMap1G']) {
      expect(text).toMatch(new RegExp(`^${label.replace(/[()]/g, '\\$&')}:`, 'm'));
    }
    expect(text).toMatch(/^MemFree: {8}\s*\d+ kB$/m);
    const dm = ['DirectMap4k', 'DirectMap2M', 'DirectMap1G'].map((l) => Number(new RegExp(`^${l}:\\s+(\\d+)`, 'm').exec(text)![1]));
    const k = createKernel();
    const memory = k.layout.memory.reduce((n, r) => n + r.end - r.start, 0) * 4;
    expect(dm[0] + dm[1] + dm[2]).toBe(memory);
  });

  it('a missing file is ENOENT', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 } });
    expect(() => k.readFile('/proc/nonexistent')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(k.writeFile('/proc/sys/vm/nonexistent', '1')).toBe(-2);
    expect(k.writeFile('/proc/zoneinfo', '1')).toBe(-13);
  });
});

describe('vm sysctls', () => {
  it('min_free_kbytes: a write recomputes the watermarks; bad values are EINVAL', () => {
    const k = createKernel({ machine: { mem: 2 * 2 ** 30 }, thp: 'never' });
    const dma32 = k.zones.find((z) => z.name === 'DMA32')!;
    const before = dma32.minWmarkPages();
    expect(k.sysctl('vm.min_free_kbytes', 4 * Number(k.sysctl('vm.min_free_kbytes')))).toBe(0);
    expect(dma32.minWmarkPages()).toBeGreaterThan(3 * before);
    expect(k.writeFile('/proc/sys/vm/min_free_kbytes', 'abc')).toBe(-22);
    expect(k.writeFile('/proc/sys/vm/min_free_kbytes', '-5')).toBe(-22);
    // proc_dointvec takes as many values as the sysctl holds and ignores the rest
    expect(k.writeFile('/proc/sys/vm/min_free_kbytes', '1 2')).toBe(0);
    expect(k.sysctl('vm.min_free_kbytes')).toBe('1');
  });

  it('watermark_scale_factor accepts 1..1000', () => {
    const k = createKernel({ machine: { mem: 2 * 2 ** 30 } });
    expect(k.sysctl('vm.watermark_scale_factor')).toBe('10');
    expect(k.sysctl('vm.watermark_scale_factor', 0)).toBe(-22);
    expect(k.sysctl('vm.watermark_scale_factor', 1001)).toBe(-22);
    const z = k.zones.find((x) => x.name === 'DMA32')!;
    expect(k.sysctl('vm.watermark_scale_factor', 1000)).toBe(0);
    expect(z.lowWmarkPages() - z.minWmarkPages()).toBe(Math.floor((z.managedPages * 1000) / 10000));
  });

  it('lowmem_reserve_ratio has MAX_NR_ZONES entries and partial writes update the first ones', () => {
    const k = createKernel({ machine: { mem: 8 * 2 ** 30 } });
    expect(k.readFile('/proc/sys/vm/lowmem_reserve_ratio')).toBe('256\t256\t32\t0\t0\n');
    expect(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '128')).toBe(0);
    expect(k.readFile('/proc/sys/vm/lowmem_reserve_ratio')).toBe('128\t256\t32\t0\t0\n');
    const dma = k.zones.find((x) => x.name === 'DMA')!;
    const dma32 = k.zones.find((x) => x.name === 'DMA32')!;
    expect(dma.lowmemReserve[1]).toBe(Math.floor(dma32.managedPages / 128));
    expect(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '-3')).toBe(0); // < 1 is stored as 0: no reserve
    expect(k.readFile('/proc/sys/vm/lowmem_reserve_ratio')).toBe('0\t256\t32\t0\t0\n');
    expect(dma.lowmemReserve[1]).toBe(0);
    // lowmem_reserve_ratio_sysctl_handler() returns 0 whatever proc_dointvec_minmax() said.
    expect(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '1 2 3 4 5 6')).toBe(0);
    expect(k.readFile('/proc/sys/vm/lowmem_reserve_ratio')).toBe('1\t2\t3\t4\t5\n');
    expect(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', 'x')).toBe(0);
    expect(k.readFile('/proc/sys/vm/lowmem_reserve_ratio')).toBe('1\t2\t3\t4\t5\n');
  });
});

describe('fail_page_alloc', () => {
  it('fails as many allocations as times allows, honouring min-order and ignore-gfp-wait', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 }, failPageAlloc: { probability: 100, times: 2 } });
    // Defaults: min-order 1, ignore-gfp-wait Y.
    expect(k.allocPages(GFP_NOWAIT, 0)).not.toBe(NO_PAGE);
    expect(k.allocPages(GFP_KERNEL, 1)).not.toBe(NO_PAGE);
    expect(k.allocPages(GFP_ATOMIC, 1)).toBe(NO_PAGE);
    expect(k.writeFile('/sys/kernel/debug/fail_page_alloc/min-order', '0')).toBe(0);
    expect(k.writeFile('/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait', 'N')).toBe(0);
    expect(k.allocPages(GFP_KERNEL, 0)).toBe(NO_PAGE);
    expect(k.readFile('/sys/kernel/debug/fail_page_alloc/times')).toBe('0\n');
    expect(k.allocPages(GFP_KERNEL & ~__GFP_DIRECT_RECLAIM, 0)).not.toBe(NO_PAGE);
    expect(k.dmesg().filter((l) => l.includes('FAULT_INJECTION')).length).toBe(2);
    expect(k.writeFile('/sys/kernel/debug/fail_page_alloc/probability', '101')).toBe(-22);
    expect(k.writeFile('/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait', 'maybe')).toBe(-22);
  });

  it('interval lets only every Nth eligible call fail', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 }, failPageAlloc: { probability: 100, times: -1, interval: 3, minOrder: 0, ignoreGfpWait: false } });
    const results = Array.from({ length: 6 }, () => k.allocPages(GFP_KERNEL, 0) === NO_PAGE);
    expect(results).toEqual([false, false, true, false, false, true]);
  });

  it('is armed exactly while probability > 0 and times != 0, and the allocator then asks it again', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 }, failPageAlloc: { minOrder: 0, ignoreGfpWait: false } });
    const armed = faultAttrArmed(k.failPageAlloc);
    expect(armed?.[0]).toBe(0); // probability 0 by default: one branch per allocation
    expect(k.allocPages(GFP_KERNEL, 0)).not.toBe(NO_PAGE);
    expect(k.writeFile('/sys/kernel/debug/fail_page_alloc/probability', '100')).toBe(0);
    expect(armed?.[0]).toBe(1);
    expect(k.allocPages(GFP_KERNEL, 0)).toBe(NO_PAGE); // times 1: this one fails and uses it up
    expect(armed?.[0]).toBe(0);
    expect(k.allocPages(GFP_KERNEL, 0)).not.toBe(NO_PAGE);
    k.failPageAlloc.times = -1;
    expect(armed?.[0]).toBe(1);
    expect(k.allocPages(GFP_KERNEL, 0)).toBe(NO_PAGE);
    k.failPageAlloc.probability = 0;
    expect(armed?.[0]).toBe(0);
    expect(k.allocPages(GFP_KERNEL, 0)).not.toBe(NO_PAGE);
  });
});

describe('invariant checker', () => {
  it('holds through allocations and frees, and catches a corrupted counter', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 } });
    const blocks: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      const order = i % 4;
      const pfn = k.allocPages(GFP_KERNEL, order);
      expect(pfn).not.toBe(NO_PAGE);
      blocks.push([pfn, order]);
    }
    expect(k.checkInvariants()).toEqual([]);
    for (const [pfn, order] of blocks) k.freePages(pfn, order);
    expect(k.checkInvariants()).toEqual([]);
    const zone = k.zones.find((z) => z.populated && z.freePages > 0)!;
    zone.freePages += 1;
    expect(k.checkInvariants().map((v) => v.invariant)).toContain('free-counters');
    expect(() => k.assertInvariants()).toThrow(/NR_FREE_PAGES/);
    zone.freePages -= 1;
  });

  it('with CONFIG_DEBUG_VM reports a double free as a bad page and keeps the lists intact', () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 }, debug: { vm: true } });
    const pfn = k.allocPages(GFP_KERNEL, 2);
    k.freePages(pfn, 2);
    const free = k.zones.map((z) => z.freePages);
    k.freePages(pfn, 2);
    expect(k.badPageReports.length).toBe(1);
    expect(k.dmesg().some((l) => l.includes('BUG: Bad page state'))).toBe(true);
    expect(k.zones.map((z) => z.freePages)).toEqual(free);
    expect(k.checkInvariants()).toEqual([]);
  });

  it("under 4.17's defaults takes a double-freed page's count below zero, which the checker accepts and check_new_page() reports", () => {
    const k = createKernel({ machine: { mem: 256 * 2 ** 20 } });
    const pfn = k.allocPages(GFP_KERNEL, 2);
    k.freePages(pfn, 2);
    const free = k.zones.map((z) => z.freePages);
    k.freePages(pfn, 2);
    expect(k.badPageReports.length).toBe(0);
    expect(k.pages.refcount[pfn]).toBe(-1);
    expect(k.zones.map((z) => z.freePages)).toEqual(free);
    expect(k.checkInvariants()).toEqual([]);
    // a page both free and referenced is still a violation
    k.pages.refcount[pfn] = 1;
    expect(k.checkInvariants().map((v) => v.invariant)).toContain('free-page-state');
    k.pages.refcount[pfn] = -1;
    for (let i = 0; i < 16 && k.badPageReports.length === 0; i++) k.allocPages(GFP_KERNEL, 2);
    expect(k.badPageReports[0]).toEqual({ pfn, reason: expect.stringMatching(/^nonzero _refcount/) as unknown });
    expect(k.checkInvariants()).toEqual([]);
  });
});

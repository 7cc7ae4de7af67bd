import { describe, expect, it } from 'vitest';
import {
  ALLOC_HARDER,
  ALLOC_HIGH,
  ALLOC_OOM,
  ALLOC_WMARK_MIN,
  ERRNO,
  GFP_KERNEL,
  I386_ZONES,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_TYPES,
  type Zone,
} from '@mmkit/core';
import { createBuddyAllocator, type BuddyAllocator, computeMinFreeKbytes, intSqrt, multFrac, recommendedMinFreeKbytes, zoneWatermarks } from '../src/index.js';
import { buddyState, setRecommendedMinFreeKbytes } from '../src/internals.js';
import { createMachine, MIB_PAGES } from './fixture.js';

describe('formulas', () => {
  it('int_sqrt is the floor of the square root, exact around perfect squares', () => {
    expect([0, 1, 2, 3, 4, 15, 16, 17, 99, 100, 4194304].map(intSqrt)).toEqual([0, 1, 1, 1, 2, 3, 4, 4, 9, 10, 2048]);
    const big = 94906265; // floor(sqrt(2^53)) neighbourhood
    expect(intSqrt(big * big)).toBe(big);
    expect(intSqrt(big * big - 1)).toBe(big - 1);
    expect(() => intSqrt(-1)).toThrow(RangeError);
  });

  it('min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to [128, 65536]', () => {
    expect(computeMinFreeKbytes(262144)).toBe(2048); // 256 MiB
    expect(computeMinFreeKbytes(16 * 1024 * 1024)).toBe(16384); // 16 GiB
    expect(computeMinFreeKbytes(512)).toBe(128); // sqrt(8192) = 90 -> floor of 128
    expect(computeMinFreeKbytes(1024 * 1024 * 1024)).toBe(65536); // 1 TiB -> ceiling
  });

  it('mult_frac is floor(x * n / d)', () => {
    expect(multFrac(61440, 10, 10000)).toBe(61);
    expect(multFrac(9999, 7, 10000)).toBe(6);
  });

  it('zone watermarks: share of pages_min, gap max(tmp/4, managed*wsf/10000)', () => {
    expect(zoneWatermarks(61440, 2048, 65536, false, 10)).toEqual({ min: 480, low: 600, high: 720 });
    expect(zoneWatermarks(4096, 2048, 65536, false, 10)).toEqual({ min: 32, low: 40, high: 48 });
    // watermark_scale_factor dominates on a big zone with a small min
    expect(zoneWatermarks(1 << 20, 1024, 1 << 20, false, 1000)).toEqual({ min: 256, low: 256 + 104857, high: 256 + 2 * 104857 });
    // highmem: min = clamp(managed/1024, SWAP_CLUSTER_MAX, 128)
    expect(zoneWatermarks(10000, 4096, 200000, true, 10).min).toBe(32);
    expect(zoneWatermarks(100000, 4096, 200000, true, 10).min).toBe(97);
    expect(zoneWatermarks(1 << 20, 4096, 200000, true, 10).min).toBe(128);
  });

  it('khugepaged: 2 + MIGRATE_PCPTYPES^2 pageblocks per zone, at most 5% of nr_free_buffer_pages', () => {
    expect(recommendedMinFreeKbytes(4, 1 << 20)).toBe(90112);
    expect(recommendedMinFreeKbytes(1, 1 << 20)).toBe(22528);
    expect(recommendedMinFreeKbytes(4, 100000)).toBe(Math.floor(100000 / 20) * 4);
  });
});

describe('init_per_zone_wmark_min on a 256 MiB machine', () => {
  const m = createMachine({ nodesMiB: [256] });
  const [dma, dma32] = m.zones;

  it('computes min_free_kbytes from the lowmem pages', () => {
    expect(m.allocator.minFreeKbytes).toBe(intSqrt(65536 * 4 * 16));
    expect(m.allocator.minFreeKbytes).toBe(2048);
  });

  it('sets per-zone watermarks (hand-computed)', () => {
    expect([...dma.watermark]).toEqual([32, 40, 48]);
    expect([...dma32.watermark]).toEqual([480, 600, 720]);
  });

  it('sets lowmem_reserve from the 4.17 ratios (256, 256, 32, 0, 0)', () => {
    expect(m.allocator.lowmemReserveRatio).toEqual([256, 256, 32, 0, 0]);
    expect([...dma.lowmemReserve]).toEqual([0, 240, 240, 240, 240]);
    expect([...dma32.lowmemReserve]).toEqual([0, 0, 0, 0, 0]);
  });

  it('totalreserve_pages = sum of max(lowmem_reserve) + high, capped at managed', () => {
    expect(m.allocator.totalreservePages()).toBe(240 + 48 + 720);
  });
});

describe('lowmem_reserve on a three-zone node', () => {
  // 4 GiB + 512 MiB: DMA 4096, DMA32 1044480, Normal 131072 pages
  const m = createMachine({ nodesMiB: [4096 + 512], movableMiB: 256 });
  const [dma, dma32, normal, movable] = m.zones;

  it('accumulates the managed pages of every zone above', () => {
    expect([dma.managedPages, dma32.managedPages, normal.managedPages, movable.managedPages]).toEqual([4096, 1044480, 65536, 65536]);
    expect(dma.lowmemReserve[1]).toBe(Math.floor(1044480 / 256));
    expect(dma.lowmemReserve[2]).toBe(Math.floor((1044480 + 65536) / 256));
    expect(dma.lowmemReserve[3]).toBe(Math.floor((1044480 + 65536 + 65536) / 256));
    expect(dma32.lowmemReserve[2]).toBe(Math.floor(65536 / 256));
    expect(dma32.lowmemReserve[3]).toBe(Math.floor(131072 / 256));
    expect(normal.lowmemReserve[3]).toBe(Math.floor(65536 / 32));
    expect(normal.lowmemReserve[2]).toBe(0);
    expect(movable.lowmemReserve[4]).toBe(0); // ratio 0: no reserve
  });

  it('a ratio of 0 means no reserve and reads back as 0 (4.17, not clamped to 1)', () => {
    expect(m.allocator.setLowmemReserveRatio([0, 256, 32, 0, 0])).toBe(0);
    expect(dma.lowmemReserve[1]).toBe(0);
    expect(dma.lowmemReserve[3]).toBe(0);
    expect(m.allocator.lowmemReserveRatio).toEqual([0, 256, 32, 0, 0]);
    expect(m.allocator.setLowmemReserveRatio([1, 256, 32, 0, 0])).toBe(0);
    expect(dma.lowmemReserve[1]).toBe(1044480);
    m.allocator.setLowmemReserveRatio([256, 256, 32, 0, 0]);
  });

  it('rejects a wrong count or non-integer ratios with -EINVAL and keeps the old ones', () => {
    expect(m.allocator.setLowmemReserveRatio([256, 256, 32, 0])).toBe(-ERRNO.EINVAL);
    expect(m.allocator.setLowmemReserveRatio([256, 256, 32, 0, 0, 0])).toBe(-ERRNO.EINVAL);
    expect(m.allocator.setLowmemReserveRatio([256, 1.5, 32, 0, 0])).toBe(-ERRNO.EINVAL);
    expect(m.allocator.lowmemReserveRatio).toEqual([256, 256, 32, 0, 0]);
  });

  it('stores a ratio below 1 as 0, meaning no reserve (4.17 setup_per_zone_lowmem_reserve)', () => {
    expect(m.allocator.setLowmemReserveRatio([256, -1, 32, 0, 0])).toBe(0);
    expect(m.allocator.lowmemReserveRatio).toEqual([256, 0, 32, 0, 0]);
    const dma32 = m.zones.find((z) => z.name === 'DMA32')!;
    expect(Array.from(dma32.lowmemReserve).slice(2)).toEqual([0, 0, 0]);
    expect(m.allocator.setLowmemReserveRatio([256, 256, 32, 0, 0])).toBe(0);
  });

  it('ZONE_MOVABLE counts as lowmem on x86-64 for the watermarks', () => {
    const lowmem = 4096 + 1044480 + 65536 + 65536;
    const pagesMin = m.allocator.minFreeKbytes >> 2;
    expect(movable.watermark[0]).toBe(Math.floor((pagesMin * 65536) / lowmem));
  });
});

describe('i386 highmem watermarks', () => {
  it('a highmem zone gets min = clamp(managed / 1024, 32, 128) and is left out of lowmem_pages', () => {
    expect(I386_ZONES.HIGHMEM).toBe(2);
    const m = createMachine({ arch: 'i386', nodesMiB: [1024] });
    const [dma, normal, high] = m.zones;
    expect(high.managedPages).toBe(128 * MIB_PAGES);
    expect(high.watermark[0]).toBe(32);
    const lowmem = dma.managedPages + normal.managedPages;
    const pagesMin = m.allocator.minFreeKbytes >> 2;
    expect(normal.watermark[0]).toBe(Math.floor((pagesMin * normal.managedPages) / lowmem));
    // high zone's gap still uses its (unused) share
    const tmp = Math.floor((pagesMin * high.managedPages) / lowmem);
    const gap = Math.max(Math.floor(tmp / 4), Math.floor((high.managedPages * 10) / 10000));
    expect([...high.watermark]).toEqual([32, 32 + gap, 32 + 2 * gap]);
    expect(m.allocator.lowmemReserveRatio).toEqual([256, 32, 0, 0]);
  });
});

describe('sysctls', () => {
  it('min_free_kbytes: recomputes the watermarks, rejects negatives and fractions', () => {
    const m = createMachine({ nodesMiB: [256] });
    expect(m.allocator.setMinFreeKbytes(4096)).toBe(0);
    expect(m.allocator.minFreeKbytes).toBe(4096);
    expect([...m.zones[1].watermark]).toEqual([960, 1200, 1440]);
    expect(m.allocator.setMinFreeKbytes(-1)).toBe(-ERRNO.EINVAL);
    expect(m.allocator.setMinFreeKbytes(1.5)).toBe(-ERRNO.EINVAL);
    expect(m.allocator.minFreeKbytes).toBe(4096);
    expect(m.allocator.setMinFreeKbytes(0)).toBe(0);
    expect(m.zones[1].watermark[0]).toBe(0);
  });

  it('watermark_scale_factor: [1, 1000]', () => {
    const m = createMachine({ nodesMiB: [256] });
    expect(m.allocator.setWatermarkScaleFactor(0)).toBe(-ERRNO.EINVAL);
    expect(m.allocator.setWatermarkScaleFactor(1001)).toBe(-ERRNO.EINVAL);
    expect(m.allocator.setWatermarkScaleFactor(1000)).toBe(0);
    expect(m.allocator.watermarkScaleFactor).toBe(1000);
    // gap = max(480/4, 61440*1000/10000)
    expect([...m.zones[1].watermark]).toEqual([480, 480 + 6144, 480 + 2 * 6144]);
  });

  it('boot config: a user min_free_kbytes is kept even when smaller than the computed one', () => {
    const m = createMachine({ nodesMiB: [256], config: { minFreeKbytes: 200, thp: true } });
    expect(m.allocator.minFreeKbytes).toBe(200);
    expect(m.zones[1].watermark[0]).toBe(Math.floor((50 * 61440) / 65536));
    const w = createMachine({ nodesMiB: [256], config: { watermarkScaleFactor: 100, lowmemReserveRatio: [128, 128, 32, 0, 0] } });
    expect(w.allocator.watermarkScaleFactor).toBe(100);
    expect(w.zones[0].lowmemReserve[1]).toBe(61440 / 128);
    expect(() => createMachine({ nodesMiB: [64], config: { watermarkScaleFactor: 0 } })).toThrow(RangeError);
    expect(() => createMachine({ nodesMiB: [64], config: { lowmemReserveRatio: [1, 2] } })).toThrow(RangeError);
  });
});

describe("khugepaged's set_recommended_min_free_kbytes", () => {
  // node 0: DMA, DMA32 (4 GiB - 16 MiB), Normal 64 MiB; node 1: Normal 64 MiB (+ Movable 64 MiB)
  it('4 populated non-movable zones -> 90112 kB', () => {
    const m = createMachine({ nodesMiB: [4096 + 64, 64], config: { thp: true } });
    expect(m.zones.filter((z) => z.populated).length).toBe(4);
    expect(m.allocator.minFreeKbytes).toBe(90112);
    const off = createMachine({ nodesMiB: [4096 + 64, 64], config: { thp: false } });
    expect(off.allocator.minFreeKbytes).toBe(intSqrt((4096 + 128) * MIB_PAGES * 4 * 16));
  });

  it('ZONE_MOVABLE does not count (4.17); the old rule counts it (one-method override)', () => {
    const m = createMachine({ nodesMiB: [4096 + 64, 128], movableMiB: [0, 64], config: { thp: true } });
    expect(m.zones.filter((z) => z.populated).length).toBe(5);
    expect(m.allocator.minFreeKbytes).toBe(90112);

    const old = createMachine({
      nodesMiB: [4096 + 64, 128], movableMiB: [0, 64], config: { thp: true },
      factory: (s) => createBuddyAllocator(s, { hooks: { recommendedMinFreeZone: () => true } }),
    });
    expect(old.allocator.minFreeKbytes).toBe(512 * 5 * 11 * 4);
  });

  it('is capped at 5% of nr_free_buffer_pages and only ever raises min_free_kbytes', () => {
    const m = createMachine({ nodesMiB: [256], config: { thp: true } });
    // 2 zones -> 11264 pages wanted; nr_free_buffer_pages = 65536 - 48 - 720 (after the
    // watermarks of init_per_zone_wmark_min) -> 5% = 3238 pages
    expect(m.allocator.minFreeKbytes).toBe(Math.floor((65536 - 48 - 720) / 20) * 4);
    const small = createMachine({ nodesMiB: [32], config: { thp: true } });
    const off = createMachine({ nodesMiB: [32], config: { thp: false } });
    const highs = off.zones.reduce((n, z) => n + z.watermark[2], 0);
    expect(small.allocator.minFreeKbytes).toBe(Math.floor((8192 - highs) / 20) * 4);
    expect(small.allocator.minFreeKbytes).toBeGreaterThan(off.allocator.minFreeKbytes);

    const big = createMachine<BuddyAllocator>({ nodesMiB: [256], config: { thp: true } });
    const rerun = () => setRecommendedMinFreeKbytes(buddyState(big.allocator));
    big.allocator.setMinFreeKbytes(100000);
    rerun();
    expect(big.allocator.minFreeKbytes).toBe(100000);
    big.allocator.setMinFreeKbytes(1000);
    const before = 65536 - big.zones[0].watermark[2] - big.zones[1].watermark[2];
    rerun();
    expect(big.allocator.minFreeKbytes).toBe(Math.floor(before / 20) * 4);
    expect(big.logs.some((l) => l.message.startsWith('raising min_free_kbytes from 1000 to'))).toBe(true);
  });
});

describe('zone_watermark_ok', () => {
  const m = createMachine({ nodesMiB: [256], config: { pcp: false } });
  const a = m.allocator;
  const [dma, dma32] = m.zones;
  const withFree = <T>(zone: Zone, free: number, fn: () => T): T => {
    const saved = zone.freePages;
    zone.freePages = free;
    try {
      return fn();
    } finally {
      zone.freePages = saved;
    }
  };

  it('order 0: free pages must stay above the mark', () => {
    expect(withFree(dma32, 601, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_WMARK_MIN))).toBe(true);
    expect(withFree(dma32, 600, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_WMARK_MIN))).toBe(false);
  });

  it('ALLOC_HIGH halves the mark, ALLOC_HARDER takes a quarter more, ALLOC_OOM half more', () => {
    expect(withFree(dma32, 301, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH))).toBe(true);
    expect(withFree(dma32, 300, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH))).toBe(false);
    expect(withFree(dma32, 451, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HARDER))).toBe(true);
    expect(withFree(dma32, 450, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HARDER))).toBe(false);
    expect(withFree(dma32, 226, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH | ALLOC_HARDER))).toBe(true);
    expect(withFree(dma32, 225, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH | ALLOC_HARDER))).toBe(false);
    expect(withFree(dma32, 150, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH | ALLOC_OOM))).toBe(false);
    expect(withFree(dma32, 151, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HIGH | ALLOC_OOM))).toBe(true);
  });

  it('the highatomic reserve counts as used unless ALLOC_HARDER', () => {
    dma32.nrReservedHighatomic = 100;
    try {
      expect(withFree(dma32, 700, () => a.zoneWatermarkOk(dma32, 0, 600, 1, 0))).toBe(false);
      expect(withFree(dma32, 701, () => a.zoneWatermarkOk(dma32, 0, 600, 1, 0))).toBe(true);
      expect(withFree(dma32, 500, () => a.zoneWatermarkOk(dma32, 0, 600, 1, ALLOC_HARDER))).toBe(true);
    } finally {
      dma32.nrReservedHighatomic = 0;
    }
  });

  it('the lowmem reserve of the classzone is added to the mark', () => {
    // DMA serving an allocation that could have used DMA32: reserve 240
    expect(withFree(dma, 281, () => a.zoneWatermarkOk(dma, 0, 40, 1, 0))).toBe(true);
    expect(withFree(dma, 280, () => a.zoneWatermarkOk(dma, 0, 40, 1, 0))).toBe(false);
    expect(withFree(dma, 41, () => a.zoneWatermarkOk(dma, 0, 40, 0, 0))).toBe(true);
  });

  it('order > 0: 2^order - 1 pages come off, and a block of that order must exist on a usable list', () => {
    // the whole zone is free in order-10 blocks
    expect(a.zoneWatermarkOk(dma32, 10, 600, 1, 0)).toBe(true);
    expect(withFree(dma32, 600 + 1023, () => a.zoneWatermarkOk(dma32, 10, 600, 1, 0))).toBe(false);
    expect(withFree(dma32, 600 + 1024, () => a.zoneWatermarkOk(dma32, 10, 600, 1, 0))).toBe(true);
    // pretend every free block of order >= 3 is highatomic
    const saved = dma32.nrFreeByType.slice();
    try {
      for (let o = 3; o < 11; o++) {
        const n = dma32.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_MOVABLE];
        dma32.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_MOVABLE] = 0;
        dma32.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_HIGHATOMIC] += n;
      }
      expect(a.zoneWatermarkOk(dma32, 3, 600, 1, 0)).toBe(false);
      expect(a.zoneWatermarkOk(dma32, 3, 600, 1, ALLOC_HARDER)).toBe(true);
    } finally {
      dma32.nrFreeByType.set(saved);
    }
  });

  it('the allocator checks the watermark through zoneWatermarkFast, which leaves all but the order-0 shortcut to zoneWatermarkOk', () => {
    const r = createMachine({ nodesMiB: [64], factory: (s) => createBuddyAllocator(s, { hooks: { zoneWatermarkOk: () => false } }) });
    expect(r.allocator.allocPages(GFP_KERNEL, 1)).toBe(-1);
    expect(r.logs.some((l) => l.message.includes('page allocation failure: order:1'))).toBe(true);
    // zone_watermark_fast(): free > low + lowmem_reserve on a fresh zone, so order 0 passes without __zone_watermark_ok().
    expect(r.allocator.allocPages(GFP_KERNEL, 0)).not.toBe(-1);
    const f = createMachine({ nodesMiB: [64], factory: (s) => createBuddyAllocator(s, { hooks: { zoneWatermarkFast: () => false } }) });
    expect(f.allocator.allocPages(GFP_KERNEL, 0)).toBe(-1);
    expect(f.logs.some((l) => l.message.includes('page allocation failure: order:0'))).toBe(true);
  });
});

/** Page-allocator cases: the vm sysctls: writes, recomputation, -EINVAL. */
import * as assert from '../../../assert.js';
import { expectedTotalreserve } from './model.js';
import { EINVAL, boot, checkWatermarks, checkReserves, snapshotReserves, snapshotWatermarks, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'sysctl: lowmem_reserve_ratio writes recompute, bad writes are -EINVAL',
  rules: ['page-allocator.sysctl.lowmem-reserve-ratio-einval', 'page-allocator.lowmem-reserve.formula', 'page-allocator.lowmem-reserve.totalreserve'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default' });
    const pa = k.pageAllocator;
    const nr = k.zoneConfig.nrZones;
    assert.equal(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '100 50 10 0 0\n'), 0, "write '100 50 10 0 0'");
    assert.deepEqual([...pa.lowmemReserveRatio], [100, 50, 10, 0, 0], 'lowmemReserveRatio after the write');
    checkReserves(k, [100, 50, 10, 0, 0], 'after writing 100 50 10 0 0');
    assert.equal(pa.totalreservePages(), expectedTotalreserve(k.zones), 'totalreserve_pages after the write');
    assert.equal(pa.setLowmemReserveRatio([0, 256, 32, 0, 0]), 0, 'a ratio of 0 is accepted');
    checkReserves(k, [0, 256, 32, 0, 0], 'after a 0 ratio for DMA');
    assert.deepEqual(Array.from(k.zones[0].lowmemReserve), new Array<number>(nr).fill(0), 'DMA with ratio 0 reserves nothing');

    const ratios = [...pa.lowmemReserveRatio];
    const reserves = snapshotReserves(k);
    const refused: [string, () => number][] = [
      ['setLowmemReserveRatio with MAX_NR_ZONES - 1 entries', () => pa.setLowmemReserveRatio([256, 256, 32, 0])],
      ['setLowmemReserveRatio with MAX_NR_ZONES + 1 entries', () => pa.setLowmemReserveRatio([256, 256, 32, 0, 0, 0])],
      ['setLowmemReserveRatio with a non-integer ratio', () => pa.setLowmemReserveRatio([256, 1.5, 32, 0, 0])],
      ["write 'abc'", () => k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', 'abc\n')],
      ['write six values', () => k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '1 2 3 4 5 6\n')],
    ];
    for (const [what, write] of refused) {
      assert.equal(write(), EINVAL, `${what} fails with -EINVAL`);
      assert.deepEqual([...pa.lowmemReserveRatio], ratios, `${what}: ratios unchanged`);
      assert.deepEqual(snapshotReserves(k), reserves, `${what}: reserves unchanged`);
    }
    // A ratio below 1 is stored as 0 and means no reserve (setup_per_zone_lowmem_reserve()).
    assert.equal(k.writeFile('/proc/sys/vm/lowmem_reserve_ratio', '256 -1 32 0 0\n'), 0, "write '256 -1 32 0 0'");
    assert.deepEqual([...pa.lowmemReserveRatio], [256, 0, 32, 0, 0], 'a negative ratio reads back as 0');
    checkReserves(k, [256, 0, 32, 0, 0], 'after a negative ratio for DMA32');
  },
});

add({
  name: 'sysctl: min_free_kbytes writes recompute every watermark',
  rules: ['page-allocator.sysctl.min-free-kbytes-recompute', 'page-allocator.lowmem-reserve.totalreserve'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default' });
    const pa = k.pageAllocator;
    for (const v of [16384, 128, 0, 262144]) {
      assert.equal(k.writeFile('/proc/sys/vm/min_free_kbytes', `${v}\n`), 0, `write min_free_kbytes ${v}`);
      assert.equal(pa.minFreeKbytes, v, `minFreeKbytes after writing ${v}`);
      assert.equal(k.readFile('/proc/sys/vm/min_free_kbytes').trim(), String(v), `/proc/sys/vm/min_free_kbytes after writing ${v}`);
      checkWatermarks(k, v, pa.watermarkScaleFactor, `after min_free_kbytes=${v}`, 'min');
      assert.equal(pa.totalreservePages(), expectedTotalreserve(k.zones), `totalreserve_pages after min_free_kbytes=${v}`);
    }
    const marks = snapshotWatermarks(k);
    for (const [what, write] of [
      ['write -1', () => k.writeFile('/proc/sys/vm/min_free_kbytes', '-1\n')],
      ["write 'lots'", () => k.writeFile('/proc/sys/vm/min_free_kbytes', 'lots\n')],
      ['setMinFreeKbytes(-5)', () => pa.setMinFreeKbytes(-5)],
      ['setMinFreeKbytes(1.5)', () => pa.setMinFreeKbytes(1.5)],
    ] as [string, () => number][]) {
      assert.equal(write(), EINVAL, `${what} fails with -EINVAL`);
      assert.equal(pa.minFreeKbytes, 262144, `${what}: min_free_kbytes unchanged`);
      assert.deepEqual(snapshotWatermarks(k), marks, `${what}: watermarks unchanged`);
    }
  },
});

add({
  name: 'sysctl: watermark_scale_factor accepts 1..1000',
  rules: ['page-allocator.sysctl.watermark-scale-factor-range'],
  run(ctx) {
    const k = boot(ctx, { preset: 'movable-4g' });
    const pa = k.pageAllocator;
    assert.equal(pa.watermarkScaleFactor, 10, 'default watermark_scale_factor');
    assert.equal(k.readFile('/proc/sys/vm/watermark_scale_factor').trim(), '10', '/proc/sys/vm/watermark_scale_factor');
    for (const v of [1000, 1, 200]) {
      assert.equal(k.writeFile('/proc/sys/vm/watermark_scale_factor', `${v}\n`), 0, `write watermark_scale_factor ${v}`);
      assert.equal(pa.watermarkScaleFactor, v, `watermarkScaleFactor after writing ${v}`);
      checkWatermarks(k, pa.minFreeKbytes, v, `after watermark_scale_factor=${v}`, 'gap');
    }
    const marks = snapshotWatermarks(k);
    for (const v of [0, 1001, -3]) {
      assert.equal(pa.setWatermarkScaleFactor(v), EINVAL, `setWatermarkScaleFactor(${v}) fails with -EINVAL`);
      assert.equal(pa.watermarkScaleFactor, 200, `after refusing ${v}: unchanged`);
      assert.deepEqual(snapshotWatermarks(k), marks, `after refusing ${v}: watermarks unchanged`);
    }
    assert.equal(k.writeFile('/proc/sys/vm/watermark_scale_factor', '0\n'), EINVAL, 'write 0 through /proc/sys');
  },
});

export const sysctlCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

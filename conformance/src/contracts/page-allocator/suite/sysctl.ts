/** Page-allocator cases: the vm sysctls: writes, recomputation, -EINVAL. */
import * as assert from '../../../assert.js';
import { expectedTotalreserve } from './model.js';
import { EINVAL, boot, checkWatermarks, checkReserves, snapshotWatermarks, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'sysctl: lowmem_reserve_ratio writes never fail, store what parsed and recompute',
  rules: ['page-allocator.sysctl.lowmem-reserve-ratio-write', 'page-allocator.lowmem-reserve.formula', 'page-allocator.lowmem-reserve.totalreserve'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default' });
    const pa = k.pageAllocator;
    const nr = k.zoneConfig.nrZones;
    const path = '/proc/sys/vm/lowmem_reserve_ratio';
    const ratios = () => [...pa.lowmemReserveRatio];
    assert.equal(k.writeFile(path, '100 50 10 0 0\n'), 0, "write '100 50 10 0 0'");
    assert.deepEqual(ratios(), [100, 50, 10, 0, 0], 'lowmemReserveRatio after the write');
    checkReserves(k, [100, 50, 10, 0, 0], 'after writing 100 50 10 0 0');
    assert.equal(pa.totalreservePages(), expectedTotalreserve(k.zones), 'totalreserve_pages after the write');
    assert.equal(pa.setLowmemReserveRatio([0, 256, 32, 0, 0]), 0, 'a ratio of 0 is accepted');
    checkReserves(k, [0, 256, 32, 0, 0], 'after a 0 ratio for DMA');
    assert.deepEqual(Array.from(k.zones[0].lowmemReserve), new Array<number>(nr).fill(0), 'DMA with ratio 0 reserves nothing');

    // lowmem_reserve_ratio_sysctl_handler() returns 0 whatever proc_dointvec_minmax() said.
    const writes: [string, number[]][] = [
      // a malformed first value: nothing stored
      ['abc\n', [0, 256, 32, 0, 0]],
      // fewer values: the rest kept
      ['64 128\n', [64, 128, 32, 0, 0]],
      // junk in the middle: the values before it stored, the rest kept
      ['200 300 junk 7\n', [200, 300, 32, 0, 0]],
      // a number running into junk is not stored
      ['256 256x 16\n', [256, 300, 32, 0, 0]],
      // more values than MAX_NR_ZONES: the first five stored, the rest ignored
      ['1 2 3 4 5 6 7\n', [1, 2, 3, 4, 5]],
      // C notation (simple_strtoul base 0): hex and octal
      ['0x100 0400 32 0 0\n', [256, 256, 32, 0, 0]],
      // a value out of int range converts modulo 2^32 (no bounds): 4294967328 is 32
      ['256 256 4294967328\n', [256, 256, 32, 0, 0]],
      // '+' is not a number in proc_get_long()
      ['+64\n', [256, 256, 32, 0, 0]],
    ];
    for (const [text, expected] of writes) {
      assert.equal(k.writeFile(path, text), 0, `write ${JSON.stringify(text)} succeeds`);
      assert.deepEqual(ratios(), expected, `lowmemReserveRatio after writing ${JSON.stringify(text)}`);
      checkReserves(k, expected, `after writing ${JSON.stringify(text)}`);
    }
    // Negative values are taken (no extra1) and stored as 0 by setup_per_zone_lowmem_reserve().
    assert.equal(k.writeFile(path, '256 -1 32 0 0\n'), 0, "write '256 -1 32 0 0'");
    assert.deepEqual(ratios(), [256, 0, 32, 0, 0], 'a negative ratio reads back as 0');
    checkReserves(k, [256, 0, 32, 0, 0], 'after a negative ratio for DMA32');
    assert.equal(k.readFile(path), '256\t0\t32\t0\t0\n', `${path} reads back with tabs`);
  },
});

add({
  name: 'sysctl: writes parse as proc_dointvec does',
  rules: ['page-allocator.sysctl.dointvec-parse', 'page-allocator.sysctl.min-free-kbytes-recompute', 'page-allocator.sysctl.watermark-scale-factor-range'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default' });
    const pa = k.pageAllocator;
    const cases: [string, string, number, number][] = [
      // file, text, result, value after
      ['min_free_kbytes', '4096 99\n', 0, 4096],
      ['min_free_kbytes', '  8192\t', 0, 8192],
      ['min_free_kbytes', '0x2000', 0, 8192],
      ['min_free_kbytes', '010000\n', 0, 4096],
      ['min_free_kbytes', '5000x\n', EINVAL, 4096],
      ['min_free_kbytes', '08\n', EINVAL, 4096],
      ['min_free_kbytes', '+5000\n', EINVAL, 4096],
      ['min_free_kbytes', '5000\r\n', EINVAL, 4096],
      ['min_free_kbytes', '\n', EINVAL, 4096],
      // 21 characters are refused (TMPBUFLEN), 20 taken (octal here: 010000 is 4096)
      ['min_free_kbytes', '6000', 0, 6000],
      ['min_free_kbytes', '000000000000000010000', EINVAL, 6000],
      ['min_free_kbytes', '00000000000000010000', 0, 4096],
      // 4.17's minmax conversion: int first (modulo 2^32), then the bounds
      ['min_free_kbytes', '4294971392\n', 0, 4096],
      ['min_free_kbytes', '2147483648\n', EINVAL, 4096],
      ['watermark_scale_factor', '4294967396\n', 0, 100],
      ['watermark_scale_factor', '1001 5\n', EINVAL, 100],
      ['watermark_scale_factor', '20 abc\n', 0, 20],
    ];
    for (const [file, text, rc, after] of cases) {
      const what = `write ${JSON.stringify(text)} to ${file}`;
      assert.equal(k.writeFile(`/proc/sys/vm/${file}`, text), rc, what);
      const value = file === 'min_free_kbytes' ? pa.minFreeKbytes : pa.watermarkScaleFactor;
      assert.equal(value, after, `${file} after: ${what}`);
      if (file === 'min_free_kbytes') checkWatermarks(k, pa.minFreeKbytes, pa.watermarkScaleFactor, `after ${what}`, 'min');
    }
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

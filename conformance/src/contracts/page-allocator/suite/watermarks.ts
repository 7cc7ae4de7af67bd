/** Page-allocator cases: __setup_per_zone_wmarks(): min, low and high of each zone. */
import { type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { M128, M256, TWO_NODES, boot, label, machineLabel, populated, zoneByIdx, parseZoneinfo, checkWatermarks, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: "watermarks: min is each lowmem zone's share of min_free_kbytes",
  rules: ['page-allocator.watermarks.proportional-min'],
  run(ctx) {
    for (const m of [{ preset: 'default' }, { preset: 'movable-4g' }, { machine: TWO_NODES }, { machine: M256 }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      for (const thp of ['never', 'always'] as const) {
        const k = boot(ctx, { ...m, thp });
        const mfk = k.pageAllocator.minFreeKbytes;
        checkWatermarks(k, mfk, 10, `${machineLabel(m)}, thp ${thp}`, 'min');
        const zi = parseZoneinfo(k.readFile('/proc/zoneinfo'));
        for (const z of populated(k)) {
          const row = zi.get(`${z.nid}:${z.name}`);
          assert.ok(row, `/proc/zoneinfo lists node ${z.nid} zone ${z.name}`);
          assert.deepEqual([row.min, row.low, row.high].map(Number), [z.minWmarkPages(), z.lowWmarkPages(), z.highWmarkPages()], `/proc/zoneinfo watermarks of ${label(z)} against the zone`);
        }
      }
    }
    // ZONE_MOVABLE is lowmem on x86-64: it takes a share (the seed's node 1 Movable min 102).
    const k = boot(ctx, { preset: 'movable-4g' });
    const mov = zoneByIdx(k, 0, k.zoneConfig.MOVABLE);
    assert.ok(mov.minWmarkPages() > 128, `x86-64 ZONE_MOVABLE (${mov.managedPages} pages) gets a proportional min, not a highmem clamp: ${mov.minWmarkPages()}`);
  },
});

add({
  name: 'watermarks: low and high sit max(share/4, managed * watermark_scale_factor / 10000) above min',
  rules: ['page-allocator.watermarks.scale-factor'],
  run(ctx) {
    for (const m of [{ preset: 'default' }, { preset: 'movable-4g' }, { machine: TWO_NODES }, { preset: 'i386-highmem-2g' }, { machine: M128 }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      const k = boot(ctx, m);
      const pa = k.pageAllocator;
      checkWatermarks(k, pa.minFreeKbytes, 10, `${machineLabel(m)}, default watermark_scale_factor`, 'gap');
      // Large factors make managed * wsf / 10000 win over share/4 for every zone.
      assert.equal(pa.setWatermarkScaleFactor(300), 0, 'watermark_scale_factor 300');
      checkWatermarks(k, pa.minFreeKbytes, 300, `${machineLabel(m)}, watermark_scale_factor 300`, 'gap');
    }
  },
});

add({
  name: 'watermarks: highmem zones get clamp(managed / 1024, 32, 128) (32-bit)',
  rules: ['page-allocator.watermarks.highmem-min'],
  run(ctx) {
    const k = boot(ctx, { preset: 'i386-highmem-2g' });
    const zc = k.zoneConfig;
    checkWatermarks(k, k.pageAllocator.minFreeKbytes, 10, 'i386-highmem-2g', 'min');
    for (const idx of [zc.HIGHMEM, zc.MOVABLE]) {
      const z = zoneByIdx(k, 0, idx);
      const want = Math.min(128, Math.max(32, Math.floor(z.managedPages / 1024)));
      assert.equal(z.minWmarkPages(), want, `${z.name} (${z.managedPages} managed pages) min`);
    }
    // Lowmem shares are computed over DMA and Normal only.
    const low = [zoneByIdx(k, 0, zc.DMA), zoneByIdx(k, 0, zc.NORMAL)];
    const lowmem = low.reduce((n, z) => n + z.managedPages, 0);
    const pagesMin = Math.floor(k.pageAllocator.minFreeKbytes / 4);
    for (const z of low) assert.equal(z.minWmarkPages(), Math.floor((pagesMin * z.managedPages) / lowmem), `${z.name} share of ${pagesMin} pages over ${lowmem} lowmem pages`);
    assert.equal(k.pageAllocator.setMinFreeKbytes(8192), 0, 'write min_free_kbytes 8192');
    checkWatermarks(k, 8192, 10, 'i386 after min_free_kbytes=8192', 'min');
  },
});

add({
  name: 'watermarks: a 32-bit ZONE_MOVABLE taken from ZONE_NORMAL is lowmem',
  rules: ['page-allocator.highmem.movable-zone', 'page-allocator.watermarks.proportional-min', 'page-allocator.watermarks.highmem-min'],
  run(ctx) {
    // 512 MiB is below max_low_pfn (896 MiB): no highmem, movable_zone is ZONE_NORMAL.
    const k = boot(ctx, { machine: { arch: 'i386', mem: 512 * 2 ** 20, movablecore: 128 * 2 ** 20 } });
    const zc = k.zoneConfig;
    const dma = zoneByIdx(k, 0, zc.DMA);
    const normal = zoneByIdx(k, 0, zc.NORMAL);
    const mov = zoneByIdx(k, 0, zc.MOVABLE);
    assert.ok(k.zones.every((z) => z.idx !== zc.HIGHMEM || z.spannedPages === 0), 'no HighMem below 896 MiB');
    assert.ok(mov.managedPages > 30000, `ZONE_MOVABLE holds the 128 MiB (${mov.managedPages} managed pages)`);
    checkWatermarks(k, k.pageAllocator.minFreeKbytes, 10, 'i386 512M movablecore=128M', 'min');
    const pagesMin = Math.floor(k.pageAllocator.minFreeKbytes / 4);
    const lowmem = dma.managedPages + normal.managedPages + mov.managedPages;
    for (const z of [dma, normal, mov]) {
      assert.equal(z.minWmarkPages(), Math.floor((pagesMin * z.managedPages) / lowmem), `${z.name}: its share of ${pagesMin} pages over ${lowmem} lowmem pages (Movable counted)`);
    }
    assert.ok(mov.minWmarkPages() > 128, `Movable min ${mov.minWmarkPages()} is a share, not the highmem clamp`);
    // totalhigh_pages counts is_highmem() zones only: none here.
    const meminfo = k.readFile('/proc/meminfo');
    assert.match(meminfo, /^HighTotal: +0 kB$/m, '/proc/meminfo HighTotal');
    assert.match(meminfo, /^HighFree: +0 kB$/m, '/proc/meminfo HighFree');
  },
});

export const watermarkCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

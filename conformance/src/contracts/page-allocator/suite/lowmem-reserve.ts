/** Page-allocator cases: lowmem_reserve_ratio and setup_per_zone_lowmem_reserve(). */
import {
  GFP_HIGHUSER_MOVABLE,
} from '@mmkit/core';
import { type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { expectedTotalreserve } from './model.js';
import { M128, M256, TWO_NODES, boot, label, machineLabel, zoneByIdx, exhaustAll, parseZoneinfo, readInts, checkReserves, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'lowmem_reserve_ratio: MAX_NR_ZONES entries with the 4.17 defaults',
  rules: ['page-allocator.lowmem-reserve.ratio-defaults'],
  run(ctx) {
    const k64 = boot(ctx, { machine: M128 });
    assert.deepEqual([...k64.pageAllocator.lowmemReserveRatio], [256, 256, 32, 0, 0], 'x86-64 lowmemReserveRatio (DMA DMA32 Normal Movable Device)');
    assert.deepEqual(readInts(k64, '/proc/sys/vm/lowmem_reserve_ratio'), [256, 256, 32, 0, 0], 'x86-64 /proc/sys/vm/lowmem_reserve_ratio');
    const k32 = boot(ctx, { preset: 'i386-highmem-2g' });
    assert.deepEqual([...k32.pageAllocator.lowmemReserveRatio], [256, 32, 0, 0], '32-bit lowmemReserveRatio (DMA Normal HighMem Movable)');
    assert.deepEqual(readInts(k32, '/proc/sys/vm/lowmem_reserve_ratio'), [256, 32, 0, 0], '32-bit /proc/sys/vm/lowmem_reserve_ratio');
  },
});

add({
  name: 'lowmem_reserve: ZONE_HIGHMEM keeps nothing back for ZONE_MOVABLE (32-bit)',
  rules: ['page-allocator.lowmem-reserve.highmem-zero', 'page-allocator.lowmem-reserve.formula'],
  run(ctx) {
    const k = boot(ctx, { preset: 'i386-highmem-2g', pcp: false });
    const zc = k.zoneConfig;
    const high = zoneByIdx(k, 0, zc.HIGHMEM);
    const movable = zoneByIdx(k, 0, zc.MOVABLE);
    assert.ok(movable.managedPages >= 32, 'ZONE_MOVABLE is large enough for a 1/32 reserve to show');
    assert.equal(high.lowmemReserve[zc.MOVABLE], 0, 'HighMem protection against Movable allocations');
    checkReserves(k, [256, 32, 0, 0], 'i386-highmem-2g');
    const zi = parseZoneinfo(k.readFile('/proc/zoneinfo'));
    const prot = zi.get(`0:${high.name}`)?.protection ?? '';
    assert.match(prot, /^\(\s*\d+,\s*\d+,\s*\d+,\s*0\)$/, '/proc/zoneinfo HighMem protection ends with 0 for Movable');
    // GFP_HIGHUSER_MOVABLE may use HighMem down to its min (no reserve once Movable is exhausted).
    exhaustAll(k, GFP_HIGHUSER_MOVABLE);
    assert.equal(high.freePages, high.minWmarkPages(), 'HighMem free pages after exhausting GFP_HIGHUSER_MOVABLE: down to min, nothing reserved');
  },
});

add({
  name: 'lowmem_reserve: protection is the higher zones\u2019 managed pages over the ratio',
  rules: ['page-allocator.lowmem-reserve.formula', 'page-allocator.lowmem-reserve.totalreserve'],
  run(ctx) {
    for (const m of [{ preset: 'default' }, { preset: 'movable-4g' }, { machine: TWO_NODES }, { machine: M256 }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      const k = boot(ctx, m);
      const ratio = [...k.pageAllocator.lowmemReserveRatio];
      checkReserves(k, ratio, machineLabel(m));
      const zi = parseZoneinfo(k.readFile('/proc/zoneinfo'));
      for (const z of k.zones) {
        assert.equal(zi.get(`${z.nid}:${z.name}`)?.protection, `(${Array.from(z.lowmemReserve).join(', ')})`, `/proc/zoneinfo protection of ${label(z)}`);
      }
      assert.equal(k.pageAllocator.totalreservePages(), expectedTotalreserve(k.zones), `${machineLabel(m)}: totalreserve_pages`);
    }
  },
});

export const lowmemReserveCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

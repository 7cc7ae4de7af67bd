/** Page-allocator cases: min_free_kbytes: init_per_zone_wmark_min() and khugepaged. */
import { type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { bootMinFreeKbytes, initMinFreeKbytes, nrFreeBufferPages, thpZoneCount } from './model.js';
import { MiB, M128, M256, M512, TWO_NODES, boot, machineLabel, parseZoneinfo, type PageAllocatorUnderTest } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'min_free_kbytes: int_sqrt(lowmem_kbytes * 16) without THP',
  rules: ['page-allocator.min-free-kbytes.int-sqrt'],
  run(ctx) {
    const machines: Omit<KernelConfig, 'pageAllocator'>[] = [
      { machine: M128 },
      { machine: M512 },
      { preset: 'default' },
      { machine: TWO_NODES },
      { preset: 'movable-4g' },
      { preset: 'i386-highmem-2g' },
    ];
    for (const m of machines) {
      const k = boot(ctx, { ...m, thp: 'never' });
      const expected = initMinFreeKbytes(k.zones, k.zoneConfig);
      const lowmem = nrFreeBufferPages(k.zones, k.zoneConfig);
      assert.equal(k.pageAllocator.minFreeKbytes, expected, `${machineLabel(m)}: min_free_kbytes for ${lowmem} lowmem pages (int_sqrt(${lowmem * 4} * 16))`);
      assert.equal(k.readFile('/proc/sys/vm/min_free_kbytes').trim(), String(expected), `${machineLabel(m)}: /proc/sys/vm/min_free_kbytes`);
    }
  },
});

add({
  name: 'seed: the 22 GB two-node machine gets min_free_kbytes 90112 with THP',
  rules: ['page-allocator.min-free-kbytes.thp-excludes-movable'],
  run(ctx) {
    const k = boot(ctx, { preset: 'seed-22g', thp: 'always' });
    assert.equal(k.pageAllocator.minFreeKbytes, 90112, 'min_free_kbytes of the seed machine (112640 when ZONE_MOVABLE is counted)');
    assert.equal(k.readFile('/proc/sys/vm/min_free_kbytes').trim(), '90112', '/proc/sys/vm/min_free_kbytes');
  },
});

add({
  name: "seed: min_free_kbytes 90112 gives the changelog's per-zone min table",
  rules: ['page-allocator.watermarks.proportional-min'],
  run(ctx) {
    const k = boot(ctx, { preset: 'seed-22g', thp: 'never', sysctl: { 'vm.min_free_kbytes': 90112 } });
    const table: Record<string, number> = {
      '0:DMA': 15, '0:DMA32': 3022, '0:Normal': 8152, '0:Movable': 0, '0:Device': 0,
      '1:DMA': 0, '1:DMA32': 0, '1:Normal': 11234, '1:Movable': 102, '1:Device': 0,
    };
    const zoneinfo = parseZoneinfo(k.readFile('/proc/zoneinfo'));
    for (const [key, min] of Object.entries(table)) {
      const [nid, name] = key.split(':');
      const z = k.zones.find((x) => x.nid === Number(nid) && x.name === name);
      assert.ok(z, `the seed machine has node ${nid} zone ${name}`);
      assert.equal(z.minWmarkPages(), min, `node ${nid} ${name} min watermark (seed table)`);
      assert.equal(zoneinfo.get(key)?.min, String(min), `/proc/zoneinfo node ${nid} zone ${name} min`);
    }
  },
});

add({
  name: 'min_free_kbytes: khugepaged counts only zones at or below gfp_zone(GFP_USER)',
  rules: ['page-allocator.min-free-kbytes.thp-excludes-movable', 'page-allocator.min-free-kbytes.thp-cap'],
  run(ctx) {
    for (const m of [{ preset: 'movable-4g' }, { preset: 'default' }, { machine: TWO_NODES }, { preset: 'i386-highmem-2g' }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      const k = boot(ctx, { ...m, thp: 'always' });
      const expected = bootMinFreeKbytes(k.zones, k.zoneConfig, true);
      assert.equal(
        k.pageAllocator.minFreeKbytes,
        expected,
        `${machineLabel(m)}: khugepaged's min_free_kbytes with ${thpZoneCount(k.zones, k.zoneConfig)} zones at or below gfp_zone(GFP_USER)`,
      );
    }
  },
});

add({
  name: "min_free_kbytes: khugepaged's recommendation is capped at 5% of lowmem",
  rules: ['page-allocator.min-free-kbytes.thp-cap'],
  run(ctx) {
    for (const machine of [M128, M256, M512]) {
      const k = boot(ctx, { machine, thp: 'always' });
      const initial = initMinFreeKbytes(k.zones, k.zoneConfig);
      const expected = bootMinFreeKbytes(k.zones, k.zoneConfig, true);
      const uncapped = 512 * 11 * thpZoneCount(k.zones, k.zoneConfig) * 4;
      assert.ok(expected < uncapped && expected > initial, `model: on ${machine.mem! / MiB} MiB the cap applies and raises min_free_kbytes`);
      assert.equal(k.pageAllocator.minFreeKbytes, expected, `${machine.mem! / MiB} MiB with THP: min(recommendation ${uncapped} kB, 5% of nr_free_buffer_pages())`);
      const plain = boot(ctx, { machine, thp: 'never' });
      assert.equal(plain.pageAllocator.minFreeKbytes, initial, `${machine.mem! / MiB} MiB without THP keeps int_sqrt's value`);
    }
  },
});

export const minFreeKbytesCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

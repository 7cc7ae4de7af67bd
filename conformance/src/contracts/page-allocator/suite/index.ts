/**
 * The page-allocator ("buddy") suite: cases written against the PageAllocator contract and the
 * kernel API only. Each case boots small kernels around the implementation under test and
 * checks what Linux 4.17 does, with expected values computed from the formulas
 * (page-allocator-model.ts) except where the seed changelog gives the number.
 */
import {
  ALLOC_HARDER, ALLOC_HIGH, ALLOC_OOM, ERRNO, GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, GFP_USER, MAX_ORDER, MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_TYPES, MIGRATE_UNMOVABLE, NO_PAGE,
  PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, PAGE_SIZE, Prng, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM,
  __GFP_MOVABLE, __GFP_NOFAIL, __GFP_NOMEMALLOC, __GFP_NOWARN, __GFP_RECLAIMABLE, __GFP_THISNODE,
  __GFP_ZERO, formatGfp, gfpZone, type PageAllocatorFactory, type Zone,
} from '@mmkit/core';
import { createKernel, type Kernel, type KernelConfig } from '@mmkit/kernel';
import fc from 'fast-check';
import * as assert from '../../../assert.js';
import type { CaseContext, FeatureSet, Suite, SuiteCase } from '../../../suite.js';
import {
  bootMinFreeKbytes, effectiveMin, expectedLowmemReserve, expectedPcp, expectedTotalreserve,
  expectedWatermarks, initMinFreeKbytes, modelWatermarkOk, nrFreeBufferPages, thpZoneCount,
} from './model.js';

/** The implementation under test; undefined runs the kernel's default. */
export type PageAllocatorUnderTest = PageAllocatorFactory | undefined;
type Ctx = CaseContext<PageAllocatorUnderTest>;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const EINVAL = -ERRNO.EINVAL;

type MachineSpec = NonNullable<KernelConfig['machine']>;
const M128: MachineSpec = { mem: 128 * MiB };
const M256: MachineSpec = { mem: 256 * MiB };
const M512: MachineSpec = { mem: 512 * MiB };
const TWO_NODES: MachineSpec = { mem: 1 * GiB, nodes: 2 };

/** Boot a kernel around the implementation under test (THP off, 2 CPUs unless told). */
function boot(ctx: Ctx, config: Omit<KernelConfig, 'pageAllocator'>): Kernel {
  return createKernel({ nrCpus: 2, thp: 'never', ...config, pageAllocator: ctx.factory });
}

function label(z: Zone): string {
  return `node ${z.nid} ${z.name}`;
}

function machineLabel(config: Omit<KernelConfig, 'pageAllocator'>): string {
  if (config.preset) return `preset ${config.preset}`;
  const m = config.machine;
  if (!m) return 'default machine';
  const parts = [`${(m.mem ?? 4 * GiB) / MiB} MiB`];
  if (m.nodes) parts.push(`${m.nodes} nodes`);
  if (m.movablecore !== undefined) parts.push('movablecore');
  if (m.arch) parts.push(m.arch);
  return parts.join(', ');
}

function zoneOf(k: Kernel, pfn: number): Zone {
  const z = k.pageZone(pfn);
  if (!z) assert.fail(`allocated pfn ${pfn} belongs to no zone`);
  return z;
}

function populated(k: Kernel): Zone[] {
  return k.zones.filter((z) => z.managedPages > 0);
}

function zoneByIdx(k: Kernel, nid: number, idx: number): Zone {
  const z = k.zones[nid * k.zoneConfig.nrZones + idx];
  if (!z || z.managedPages === 0) assert.fail(`the machine has no managed ${k.zoneConfig.names[idx] ?? idx} zone on node ${nid}`);
  return z;
}

/** A 512 MiB machine without pcp lists, its DMA and DMA32 zones, and DMA's reserve R against DMA32 allocations. */
function bootDmaZones(ctx: Ctx) {
  const k = boot(ctx, { machine: M512, pcp: false });
  const zc = k.zoneConfig;
  return { k, zc, dma: zoneByIdx(k, 0, zc.DMA), dma32: zoneByIdx(k, 0, zc.DMA32), R: zoneByIdx(k, 0, zc.DMA).lowmemReserve[zc.DMA32] };
}

function pageblockMt(k: Kernel, pfn: number): number {
  return k.pages.getPageblockMigratetype(pfn);
}

/** Allocate with gfp/order until it fails; a limit guards against an allocator that never fails. */
function exhaust(k: Kernel, gfp: number, order: number, nid?: number): number[] {
  const got: number[] = [];
  const limit = Math.ceil(k.zones.reduce((n, z) => n + z.managedPages, 0) / 2 ** order) + 64;
  for (let i = 0; i <= limit; i++) {
    const pfn = k.pageAllocator.allocPages(gfp | __GFP_NOWARN, order, nid);
    if (pfn === NO_PAGE) return got;
    got.push(pfn);
  }
  return assert.fail(`${formatGfp(gfp)} order-${order} allocations never failed (${got.length} blocks, more than the machine has)`);
}

/** Exhaust with order-9 blocks, then order-0 pages: the same end state as order 0 alone, faster. */
function exhaustAll(k: Kernel, gfp: number, nid?: number): number[] {
  return [...exhaust(k, gfp, PAGEBLOCK_ORDER, nid), ...exhaust(k, gfp, 0, nid)];
}

interface FreeBlock {
  zone: Zone;
  pfn: number;
  order: number;
  mt: number;
}

function freeBlocks(k: Kernel, zone?: Zone): FreeBlock[] {
  const out: FreeBlock[] = [];
  k.pageAllocator.forEachFreeBlock((z, pfn, order, mt) => {
    if (!zone || z === zone) out.push({ zone: z, pfn, order, mt });
  });
  return out;
}

/** The free blocks as sorted "zone:pfn:order" keys (migratetypes aside). */
function freeBlockKeys(k: Kernel): string[] {
  return freeBlocks(k)
    .map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}`)
    .sort();
}

/** Counters against lists, on top of the kernel's own invariant checker. */
function checkCounters(k: Kernel, when: string): void {
  const byZone = new Map<Zone, { pages: number; perOrder: number[]; perType: number[] }>();
  for (const z of k.zones) byZone.set(z, { pages: 0, perOrder: new Array<number>(MAX_ORDER).fill(0), perType: new Array<number>(MAX_ORDER * MIGRATE_TYPES).fill(0) });
  for (const b of freeBlocks(k)) {
    const s = byZone.get(b.zone);
    if (!s) assert.fail(`${when}: a free block at pfn ${b.pfn} belongs to no zone of the kernel`);
    s.pages += 2 ** b.order;
    s.perOrder[b.order]++;
    s.perType[b.order * MIGRATE_TYPES + b.mt]++;
  }
  for (const [z, s] of byZone) {
    assert.equal(z.freePages, s.pages, `${when}: ${label(z)} NR_FREE_PAGES against its free lists`);
    assert.deepEqual(Array.from(z.nrFree), s.perOrder, `${when}: ${label(z)} free_area[].nr_free against its free lists`);
    assert.deepEqual(Array.from(z.nrFreeByType), s.perType, `${when}: ${label(z)} free blocks per order and migratetype`);
  }
  const violations = k.checkInvariants();
  if (violations.length) assert.fail(`${when}: ${violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ')}`);
}

/** No two free buddies of the same order below MAX_ORDER - 1 are left unmerged. */
function checkFullyCoalesced(k: Kernel, when: string): void {
  const keys = new Set(freeBlocks(k).map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}`));
  for (const b of freeBlocks(k)) {
    if (b.order >= MAX_ORDER - 1) continue;
    const buddy = b.pfn ^ (1 << b.order);
    if (keys.has(`${b.zone.zoneNum}:${buddy}:${b.order}`)) {
      assert.fail(`${when}: ${label(b.zone)} has free order-${b.order} buddies at pfn ${Math.min(b.pfn, buddy)} and ${Math.max(b.pfn, buddy)} left unmerged`);
    }
  }
}

function totalFree(k: Kernel): number {
  return k.zones.reduce((n, z) => n + z.freePages, 0);
}

function pcpTotal(k: Kernel): number {
  return k.zones.reduce((n, z) => n + z.pcpPages(), 0);
}

/** /proc/zoneinfo: "Node N, zone NAME" -> the value of a field (min, low, high, managed, protection). */
function parseZoneinfo(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const head = /^Node (\d+), zone\s+(\S+)/.exec(line);
    if (head) {
      current = {};
      out.set(`${head[1]}:${head[2]}`, current);
      continue;
    }
    if (!current) continue;
    const m = /^\s+(pages free|min|low|high|spanned|present|managed|protection:)\s+(.*)$/.exec(line);
    if (m) current[m[1] === 'pages free' ? 'free' : m[1].replace(':', '')] = m[2].trim();
  }
  return out;
}

function readInts(k: Kernel, path: string): number[] {
  return k
    .readFile(path)
    .trim()
    .split(/\s+/)
    .map((s) => Number(s));
}

/**
 * Check the watermarks against __setup_per_zone_wmarks(): 'min' the min of every zone, 'gap'
 * the distance of low and high above min, 'all' both.
 */
function checkWatermarks(k: Kernel, minFreeKbytes: number, wsf: number, when: string, part: 'min' | 'gap' | 'all' = 'all'): void {
  const expected = expectedWatermarks(k.zones, k.zoneConfig, minFreeKbytes, wsf);
  k.zones.forEach((z, i) => {
    if (z.managedPages === 0) return;
    const what = `${when}: ${label(z)} (managed ${z.managedPages}) with min_free_kbytes ${minFreeKbytes}, watermark_scale_factor ${wsf}`;
    const e = expected[i];
    if (part !== 'gap') assert.equal(z.minWmarkPages(), e.min, `${what}: min`);
    if (part !== 'min') {
      assert.deepEqual([z.lowWmarkPages() - z.minWmarkPages(), z.highWmarkPages() - z.minWmarkPages()], [e.low - e.min, e.high - e.min], `${what}: low and high above min`);
    }
  });
}

function checkReserves(k: Kernel, ratio: readonly number[], when: string): void {
  const expected = expectedLowmemReserve(k.zones, k.zoneConfig, ratio);
  k.zones.forEach((z, i) => {
    assert.deepEqual(Array.from(z.lowmemReserve), expected[i], `${when}: ${label(z)} lowmem_reserve (protection) with ratios ${ratio.join(' ')}`);
  });
}

function snapshotReserves(k: Kernel): number[][] {
  return k.zones.map((z) => Array.from(z.lowmemReserve));
}

function snapshotWatermarks(k: Kernel): number[][] {
  return k.zones.map((z) => [z.minWmarkPages(), z.lowWmarkPages(), z.highWmarkPages()]);
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

add({
  name: 'gfp_zone: only __GFP_HIGHMEM|__GFP_MOVABLE reaches ZONE_MOVABLE (x86-64, movablecore)',
  rules: ['page-allocator.gfp-zone.movable-needs-highmem', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'movable-4g', pcp: false });
    const zc = k.zoneConfig;
    assert.ok(k.zones.some((z) => z.idx === zc.MOVABLE && z.managedPages > 0), 'preset movable-4g has a managed ZONE_MOVABLE');
    const pa = k.pageAllocator;
    const got = (gfp: number, order: number) => {
      const pfn = pa.allocPages(gfp, order);
      assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} order ${order} on a fresh 4 GiB machine`);
      return zoneOf(k, pfn);
    };
    assert.equal(got(GFP_HIGHUSER_MOVABLE, 0).idx, zc.MOVABLE, 'GFP_HIGHUSER_MOVABLE is served from ZONE_MOVABLE first');
    assert.equal(got(GFP_HIGHUSER_MOVABLE, 9).idx, zc.MOVABLE, 'an order-9 GFP_HIGHUSER_MOVABLE block comes from ZONE_MOVABLE');
    for (const [gfp, order] of [[GFP_USER | __GFP_MOVABLE, 0], [GFP_KERNEL | __GFP_MOVABLE, 3], [__GFP_MOVABLE, 9]] as const) {
      const z = got(gfp, order);
      assert.ok(z.idx <= zc.NORMAL, `${formatGfp(gfp)} (no __GFP_HIGHMEM) must not use ${z.name}: gfp_zone() is ZONE_NORMAL`);
    }
    const z32 = got(__GFP_MOVABLE | __GFP_DMA32, 0);
    assert.ok(z32.idx <= zc.DMA32, `__GFP_MOVABLE|__GFP_DMA32 must stay at or below DMA32, got ${z32.name}`);
    assert.equal(gfpZone(GFP_HIGHUSER_MOVABLE, zc), zc.MOVABLE, 'the core GFP_ZONE_TABLE');
    // Exhaust what __GFP_MOVABLE alone may take: never a page of ZONE_MOVABLE.
    const movable = zoneByIdx(k, 0, zc.MOVABLE);
    const before = movable.freePages;
    const pfns = exhaust(k, GFP_USER | __GFP_MOVABLE, 9);
    for (const pfn of pfns) assert.ok(zoneOf(k, pfn).idx <= zc.NORMAL, `GFP_USER|__GFP_MOVABLE got pfn ${pfn} of ${zoneOf(k, pfn).name}`);
    assert.equal(movable.freePages, before, 'ZONE_MOVABLE free pages after exhausting GFP_USER|__GFP_MOVABLE');
    assert.ok(new Set(pfns.map((p) => zoneOf(k, p).idx)).size >= 2, 'exhausting ZONE_NORMAL falls back to DMA32 (more than one zone used)');
    checkCounters(k, 'after the allocations');
  },
});

add({
  name: 'gfp_zone: HighMem and ZONE_MOVABLE on a 32-bit kernel',
  rules: ['page-allocator.gfp-zone.movable-needs-highmem', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'i386-highmem-2g', pcp: false });
    const zc = k.zoneConfig;
    assert.equal(zc.arch, 'i386', 'preset i386-highmem-2g is 32-bit');
    const pa = k.pageAllocator;
    const zoneFor = (gfp: number) => {
      const pfn = pa.allocPages(gfp, 0);
      assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} on a fresh 2 GiB 32-bit machine`);
      return zoneOf(k, pfn).idx;
    };
    assert.equal(zoneFor(GFP_HIGHUSER_MOVABLE), zc.MOVABLE, 'GFP_HIGHUSER_MOVABLE uses ZONE_MOVABLE first');
    assert.equal(zoneFor(GFP_HIGHUSER), zc.HIGHMEM, 'GFP_HIGHUSER uses ZONE_HIGHMEM first');
    const zm = zoneFor(GFP_USER | __GFP_MOVABLE);
    assert.ok(zm <= zc.NORMAL, `GFP_USER|__GFP_MOVABLE must stay in lowmem, got ${zc.names[zm]}`);
    const zk = zoneFor(GFP_KERNEL);
    assert.ok(zk <= zc.NORMAL, `GFP_KERNEL must stay in lowmem, got ${zc.names[zk]}`);
    assert.equal(zoneFor(GFP_DMA), zc.DMA, 'GFP_DMA uses ZONE_DMA');
  },
});

add({
  name: 'gfp_zone: GFP_ZONE_BAD combinations are a kernel bug',
  rules: ['page-allocator.gfp-zone.bad-combination'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const bad = [
      __GFP_DMA | __GFP_HIGHMEM,
      __GFP_DMA | __GFP_DMA32,
      __GFP_DMA32 | __GFP_HIGHMEM,
      __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM,
      __GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM,
      __GFP_MOVABLE | __GFP_DMA32 | __GFP_HIGHMEM,
    ];
    const free0 = totalFree(k) + pcpTotal(k);
    for (const zoneBits of bad) {
      const gfp = GFP_KERNEL | zoneBits;
      assert.throws(
        () => k.pageAllocator.allocPages(gfp, 0),
        (e) => e instanceof Error && e.name === 'InvalidGfpError',
        `allocPages(${formatGfp(gfp)}) must throw InvalidGfpError`,
      );
    }
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'free pages after the refused allocations');
    checkCounters(k, 'after the refused allocations');
  },
});

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

add({
  name: 'zone_watermark_ok: free pages must exceed mark + lowmem_reserve[classzone_idx]',
  rules: ['page-allocator.watermark-ok.lowmem-reserve'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default', pcp: false });
    const pa = k.pageAllocator;
    let checked = 0;
    for (const z of populated(k)) {
      for (let cz = z.idx; cz < k.zoneConfig.nrZones; cz++) {
        const R = z.lowmemReserve[cz];
        const F = z.freePages;
        if (F - R - 1 < 0) {
          assert.equal(pa.zoneWatermarkOk(z, 0, 0, cz, 0), false, `${label(z)}: ${F} free pages, reserve ${R} for classzone ${cz}: even mark 0 fails`);
          continue;
        }
        assert.equal(pa.zoneWatermarkOk(z, 0, F - R - 1, cz, 0), true, `${label(z)} classzone ${cz}: free ${F} > mark ${F - R - 1} + reserve ${R}`);
        assert.equal(pa.zoneWatermarkOk(z, 0, F - R, cz, 0), false, `${label(z)} classzone ${cz}: free ${F} <= mark ${F - R} + reserve ${R}`);
        if (R > 0) checked++;
      }
    }
    assert.ok(checked > 0, 'at least one zone had a nonzero reserve to check');
  },
});

add({
  name: 'allocation: GFP_KERNEL stops at min + lowmem_reserve, GFP_ATOMIC digs deeper',
  rules: ['page-allocator.watermark-ok.lowmem-reserve', 'page-allocator.alloc.atomic-reserves'],
  run(ctx) {
    const { k, zc, dma, dma32, R } = bootDmaZones(ctx);
    assert.ok(R > 0 && R + dma.minWmarkPages() < dma.freePages, `model: DMA keeps a reserve of ${R} pages against DMA32 allocations and has more free`);
    const kernel = exhaustAll(k, GFP_KERNEL);
    for (const pfn of kernel) assert.ok(zoneOf(k, pfn).idx <= zc.DMA32, 'GFP_KERNEL pages come from DMA32 or DMA');
    assert.equal(dma32.freePages, dma32.minWmarkPages(), 'DMA32 (the classzone) free pages after exhausting GFP_KERNEL: exactly min');
    assert.equal(dma.freePages, dma.minWmarkPages() + R, `DMA free pages after exhausting GFP_KERNEL: min + lowmem_reserve[DMA32] = ${dma.minWmarkPages()} + ${R}`);

    const high = (m: number) => effectiveMin(m, ALLOC_HIGH);
    exhaust(k, GFP_ATOMIC | __GFP_NOMEMALLOC, 0);
    assert.equal(dma32.freePages, high(dma32.minWmarkPages()), 'DMA32 after GFP_ATOMIC|__GFP_NOMEMALLOC (ALLOC_HIGH): min - min/2');
    assert.equal(dma.freePages, high(dma.minWmarkPages()) + R, 'DMA after GFP_ATOMIC|__GFP_NOMEMALLOC: min - min/2 + reserve');

    const harder = (m: number) => effectiveMin(m, ALLOC_HIGH | ALLOC_HARDER);
    exhaust(k, GFP_ATOMIC, 0);
    assert.equal(dma32.freePages, harder(dma32.minWmarkPages()), 'DMA32 after GFP_ATOMIC (ALLOC_HIGH|ALLOC_HARDER): a further quarter off');
    assert.equal(dma.freePages, harder(dma.minWmarkPages()) + R, 'DMA after GFP_ATOMIC: a further quarter off, reserve kept');
    checkCounters(k, 'after exhausting memory');
  },
});

add({
  name: 'zone_watermark_ok: ALLOC_HIGH, ALLOC_HARDER, ALLOC_OOM and the highatomic reserve',
  rules: ['page-allocator.watermark-ok.alloc-high', 'page-allocator.watermark-ok.alloc-harder'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    const F = z.freePages;
    const flagsList = [0, ALLOC_HIGH, ALLOC_HARDER, ALLOC_HIGH | ALLOC_HARDER, ALLOC_OOM, ALLOC_HIGH | ALLOC_OOM];
    const saved = z.nrReservedHighatomic;
    try {
      for (const highatomic of [0, PAGEBLOCK_NR_PAGES]) {
        z.nrReservedHighatomic = highatomic;
        for (const flags of flagsList) {
          // The largest mark that passes, from the model; check around it.
          let boundary = 0;
          for (let m = 0; m < 8 * F; m++) {
            if (!modelWatermarkOk({ free: F, reserve: 0, highatomic }, 0, m, flags, () => true)) break;
            boundary = m;
          }
          for (const mark of [boundary - 2, boundary - 1, boundary, boundary + 1, boundary + 2, boundary + 5]) {
            if (mark < 0) continue;
            const want = modelWatermarkOk({ free: F, reserve: 0, highatomic }, 0, mark, flags, () => true);
            assert.equal(pa.zoneWatermarkOk(z, 0, mark, z.idx, flags), want, `zone_watermark_ok(free ${F}, mark ${mark}, alloc_flags 0x${flags.toString(16)}, nr_reserved_highatomic ${highatomic}); effective min ${effectiveMin(mark, flags)}`);
          }
        }
      }
    } finally {
      z.nrReservedHighatomic = saved;
    }
  },
});

add({
  name: 'zone_watermark_ok: high orders subtract 2^order - 1 and need a free block that large',
  rules: ['page-allocator.watermark-ok.high-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    let F = z.freePages;
    for (const order of [1, 3, 9, 10]) {
      const sub = 2 ** order - 1;
      assert.equal(pa.zoneWatermarkOk(z, order, F - sub - 1, z.idx, 0), true, `order ${order}: free ${F} - ${sub} > mark ${F - sub - 1}`);
      assert.equal(pa.zoneWatermarkOk(z, order, F - sub, z.idx, 0), false, `order ${order}: free ${F} - ${sub} <= mark ${F - sub}`);
    }
    // Fragment DMA32: take every page (min_free_kbytes 0), free every other one.
    assert.equal(pa.setMinFreeKbytes(0), 0, 'min_free_kbytes 0');
    const pfns = exhaust(k, GFP_KERNEL, 0).filter((p) => zoneOf(k, p) === z);
    assert.equal(z.freePages, 0, 'DMA32 free pages after taking everything with min 0');
    for (const p of pfns) if (p % 2 === 0) pa.freePages(p, 0);
    pa.drainAllPages();
    F = z.freePages;
    const maxFreeOrder = Math.max(...freeBlocks(k, z).map((b) => b.order));
    assert.equal(maxFreeOrder, 0, 'every other page freed leaves only order-0 blocks');
    assert.ok(F > 1000, `DMA32 has ${F} free order-0 pages`);
    assert.equal(pa.zoneWatermarkOk(z, 0, 0, z.idx, 0), true, `order 0 with ${F} free pages and mark 0`);
    for (const order of [1, 2, 5]) {
      assert.equal(pa.zoneWatermarkOk(z, order, 0, z.idx, 0), false, `order ${order}: ${F} free pages but no free block of order >= ${order}`);
      assert.equal(pa.zoneWatermarkOk(z, order, 0, z.idx, ALLOC_HARDER | ALLOC_HIGH), false, `order ${order} with ALLOC_HARDER: no block in any list`);
    }
    checkCounters(k, 'after fragmenting DMA32');
  },
});

add({
  name: 'allocation: order >= MAX_ORDER fails, MAX_ORDER - 1 is served',
  rules: ['page-allocator.alloc.order-limit'],
  run(ctx) {
    const k = boot(ctx, { machine: M256 });
    const pa = k.pageAllocator;
    const free0 = totalFree(k) + pcpTotal(k);
    const log0 = k.dmesg().length;
    assert.equal(pa.allocPages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER), NO_PAGE, `order ${MAX_ORDER} with __GFP_NOWARN`);
    assert.equal(k.dmesg().length, log0, 'no warning with __GFP_NOWARN');
    assert.equal(pa.allocPages(GFP_KERNEL, MAX_ORDER), NO_PAGE, `order ${MAX_ORDER}`);
    assert.ok(k.dmesg().length > log0, `order ${MAX_ORDER} without __GFP_NOWARN warns`);
    assert.equal(pa.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, MAX_ORDER + 3), NO_PAGE, `order ${MAX_ORDER + 3}`);
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'no page taken by the refused allocations');
    const pfn = pa.allocPages(GFP_KERNEL, MAX_ORDER - 1);
    assert.notEqual(pfn, NO_PAGE, `order ${MAX_ORDER - 1} on a fresh machine`);
    assert.equal(pfn % 2 ** (MAX_ORDER - 1), 0, `an order-${MAX_ORDER - 1} block is naturally aligned`);
    assert.equal(totalFree(k) + pcpTotal(k), free0 - 2 ** (MAX_ORDER - 1), 'free pages after the order-10 allocation');
    pa.freePages(pfn, MAX_ORDER - 1);
    assert.equal(totalFree(k) + pcpTotal(k), free0, 'free pages after freeing it');
  },
});

add({
  name: 'allocation: the zonelist is walked down, never up',
  rules: ['page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const k = boot(ctx, { preset: 'default', pcp: false });
    const zc = k.zoneConfig;
    const cases = [
      [GFP_DMA, zc.DMA],
      [GFP_DMA32, zc.DMA32],
      [GFP_KERNEL, zc.NORMAL],
    ] as const;
    for (const [gfp, top] of cases) {
      const pfns = exhaust(k, gfp, 9);
      const zones = new Set(pfns.map((p) => zoneOf(k, p).idx));
      for (const idx of zones) assert.ok(idx <= top, `${formatGfp(gfp)} got a page of ${zc.names[idx]}, above ${zc.names[top]}`);
      assert.ok(zones.has(top) || pfns.length === 0, `${formatGfp(gfp)} starts with ${zc.names[top]}`);
      if (top === zc.NORMAL) assert.ok(zones.has(zc.DMA32), 'GFP_KERNEL falls back to DMA32 when Normal is exhausted');
      for (const p of pfns) k.pageAllocator.freePages(p, 9);
    }
    checkCounters(k, 'after the fallbacks');
  },
});

add({
  name: 'allocation: the fast path moves on at the low watermark',
  rules: ['page-allocator.alloc.watermark-low-fastpath', 'page-allocator.alloc.zone-fallback'],
  run(ctx) {
    const { k, dma, dma32, R } = bootDmaZones(ctx);
    const pa = k.pageAllocator;
    const limit = dma32.managedPages + dma.managedPages;
    let i = 0;
    let pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.equal(zoneOf(k, pfn), dma32, 'the first GFP_KERNEL page comes from DMA32, the preferred zone');
    for (; i < limit && zoneOf(k, pfn) === dma32; i++) pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.equal(zoneOf(k, pfn), dma, 'after DMA32 the allocations move to DMA');
    assert.equal(dma32.freePages, dma32.lowWmarkPages(), `DMA32 free pages when the first DMA page is taken: its low watermark (min is ${dma32.minWmarkPages()})`);
    for (; i < limit && zoneOf(k, pfn) === dma; i++) pfn = pa.allocPages(GFP_KERNEL, 0);
    assert.notEqual(pfn, NO_PAGE, 'allocations go on below the low watermarks');
    assert.equal(zoneOf(k, pfn), dma32, 'once DMA is at its low mark (+ reserve), the slow path goes back to DMA32');
    assert.equal(dma.freePages, dma.lowWmarkPages() + R, 'DMA free pages when the fast path gives up: low + lowmem_reserve[DMA32]');
  },
});

add({
  name: 'allocation: __GFP_THISNODE stays on its node, otherwise fall back to other nodes',
  rules: ['page-allocator.alloc.thisnode', 'page-allocator.alloc.node-fallback'],
  run(ctx) {
    const k = boot(ctx, { machine: TWO_NODES, pcp: false });
    assert.equal(k.layout.nodes.length, 2, 'two nodes');
    const pa = k.pageAllocator;
    const node1 = exhaust(k, GFP_KERNEL | __GFP_THISNODE, 0, 1);
    assert.ok(node1.length > 1000, 'node 1 served __GFP_THISNODE allocations');
    for (const p of node1) assert.equal(zoneOf(k, p).nid, 1, `__GFP_THISNODE for node 1 got pfn ${p} of node ${zoneOf(k, p).nid}`);
    const node0Free = k.zones.filter((z) => z.nid === 0).reduce((n, z) => n + z.freePages, 0);
    assert.ok(node0Free > 10000, `node 0 still has ${node0Free} free pages`);
    assert.equal(pa.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 3, 1), NO_PAGE, '__GFP_THISNODE order 3 on the exhausted node 1 fails');
    const fallback = pa.allocPages(GFP_KERNEL, 0, 1);
    assert.notEqual(fallback, NO_PAGE, 'without __GFP_THISNODE node 1 falls back');
    assert.equal(zoneOf(k, fallback).nid, 0, 'the fallback page is on node 0');
    const big = pa.allocPages(GFP_HIGHUSER_MOVABLE, 9, 1);
    assert.notEqual(big, NO_PAGE, 'an order-9 fallback for node 1');
    assert.equal(zoneOf(k, big).nid, 0, 'the order-9 fallback comes from node 0');
    const local = pa.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, 0);
    assert.equal(zoneOf(k, local).nid, 0, '__GFP_THISNODE for node 0 is served by node 0');
  },
});

add({
  name: 'allocation: __GFP_ZERO pages read as zeros',
  rules: ['page-allocator.alloc.gfp-zero'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const pa = k.pageAllocator;
    const pattern = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const dirty = new Set<number>();
    const blocks: [number, number][] = [];
    for (let i = 0; i < 1500; i++) {
      const order = i % 10 === 0 ? 2 : 0;
      const pfn = pa.allocPages(GFP_KERNEL, order);
      assert.notEqual(pfn, NO_PAGE, 'allocation on a fresh machine');
      blocks.push([pfn, order]);
      for (let p = pfn; p < pfn + 2 ** order; p++) {
        k.contents.write(p, 0, pattern);
        k.contents.write(p, PAGE_SIZE - 4, pattern);
        dirty.add(p);
      }
    }
    for (const [pfn, order] of blocks.reverse()) pa.freePages(pfn, order);
    let reused = 0;
    for (let i = 0; i < 1500; i++) {
      const order = i % 10 === 0 ? 2 : 0;
      const pfn = pa.allocPages(GFP_KERNEL | __GFP_ZERO, order);
      assert.notEqual(pfn, NO_PAGE, '__GFP_ZERO allocation');
      for (let p = pfn; p < pfn + 2 ** order; p++) {
        if (dirty.has(p)) reused++;
        assert.equal(k.contents.readByte(p, 0), 0, `__GFP_ZERO page ${p} byte 0`);
        assert.equal(k.contents.readByte(p, PAGE_SIZE - 1), 0, `__GFP_ZERO page ${p} last byte`);
      }
    }
    ctx.note(`${reused} of the zeroed pages had been written before`);
    assert.ok(reused > 0, 'the allocator reused freed pages (needed for this case to mean anything)');
  },
});

add({
  name: 'free: freeing everything restores the boot free lists',
  rules: ['page-allocator.free.coalesce'],
  run(ctx) {
    const k = boot(ctx, { machine: M256 });
    const pa = k.pageAllocator;
    pa.drainAllPages();
    const boot0 = freeBlockKeys(k);
    const free0 = k.zones.map((z) => z.freePages);
    checkFullyCoalesced(k, 'at boot');
    const prng = new Prng(ctx.seed);
    const held: [number, number][] = [];
    const mix = [[GFP_KERNEL, 0, 3000], [GFP_HIGHUSER_MOVABLE, 0, 3000], [GFP_KERNEL | __GFP_RECLAIMABLE, 1, 400], [GFP_HIGHUSER_MOVABLE, 3, 300], [GFP_KERNEL, 5, 40], [GFP_DMA, 0, 200], [GFP_HIGHUSER_MOVABLE, 9, 20]] as const;
    for (const [gfp, order, n] of mix) {
      for (let i = 0; i < n; i++) {
        const pfn = pa.allocPages(gfp, order);
        assert.notEqual(pfn, NO_PAGE, `${formatGfp(gfp)} order ${order} on a 256 MiB machine`);
        held.push([pfn, order]);
      }
    }
    for (let i = held.length - 1; i > 0; i--) {
      const j = prng.nextInt(i + 1);
      [held[i], held[j]] = [held[j], held[i]];
    }
    for (const [pfn, order] of held) pa.freePages(pfn, order);
    pa.drainAllPages();
    checkCounters(k, 'after freeing everything');
    assert.deepEqual(k.zones.map((z) => z.freePages), free0, 'free pages per zone after freeing everything');
    checkFullyCoalesced(k, 'after freeing everything');
    assert.deepEqual(freeBlockKeys(k), boot0, 'the free blocks (zone, pfn, order) after freeing everything, against boot');
  },
});

function freeState(k: Kernel): unknown {
  return { blocks: freeBlocks(k).map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}:${b.mt}`).sort(), pcp: k.zones.map((z) => z.pageset.map((p) => p.count)), free: k.zones.map((z) => z.freePages) };
}

add({
  name: 'free: a double free is reported and changes nothing',
  rules: ['page-allocator.free.double-free'],
  run(ctx) {
    for (const pcp of [true, false]) {
      const k = boot(ctx, { machine: M128, pcp });
      const pa = k.pageAllocator;
      for (const order of [0, 3]) {
        const keep = pa.allocPages(GFP_KERNEL, order);
        const pfn = pa.allocPages(GFP_KERNEL, order);
        assert.ok(keep !== NO_PAGE && pfn !== NO_PAGE, 'allocations on a fresh machine');
        pa.freePages(pfn, order);
        const state = freeState(k);
        const reports = k.badPageReports.length;
        pa.freePages(pfn, order);
        assert.equal(k.badPageReports.length, reports + 1, `pcp ${pcp}: freeing order-${order} pfn ${pfn} twice is reported once`);
        assert.equal(k.badPageReports[reports].pfn, pfn, 'the report names the page');
        assert.deepEqual(freeState(k), state, `pcp ${pcp}: free lists, per-cpu lists and counters after the double free of order ${order}`);
        checkCounters(k, `pcp ${pcp}: after an order-${order} double free`);
        pa.freePages(keep, order);
      }
      // A page that was never allocated: the head of a free block.
      pa.drainAllPages();
      const head = freeBlocks(k).find((b) => b.order === MAX_ORDER - 1);
      assert.ok(head, 'a free order-10 block on a fresh machine');
      const state = freeState(k);
      const reports = k.badPageReports.length;
      pa.freePages(head.pfn, 0);
      assert.equal(k.badPageReports.length, reports + 1, 'freeing a free page is reported');
      assert.deepEqual(freeState(k), state, 'freeing a free page changes nothing');
      checkCounters(k, `pcp ${pcp}: after freeing a free page`);
    }
  },
});

add({
  name: 'free: the wrong order is reported and changes nothing',
  rules: ['page-allocator.free.wrong-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M128 });
    const pa = k.pageAllocator;
    pa.drainAllPages();
    const free0 = totalFree(k);
    for (const [order, wrong] of [[2, 3], [2, 1], [0, 1], [4, 0]] as const) {
      const pfn = pa.allocPages(GFP_KERNEL, order);
      assert.notEqual(pfn, NO_PAGE, `order-${order} allocation`);
      const state = freeState(k);
      const reports = k.badPageReports.length;
      pa.freePages(pfn, wrong);
      assert.equal(k.badPageReports.length, reports + 1, `freeing an order-${order} block as order ${wrong} is reported`);
      assert.deepEqual(freeState(k), state, `freeing an order-${order} block as order ${wrong} changes nothing`);
      pa.freePages(pfn, order);
      assert.equal(k.badPageReports.length, reports + 1, `then freeing it as order ${order} is fine`);
    }
    pa.drainAllPages();
    checkCounters(k, 'after the wrong-order frees');
    assert.equal(totalFree(k), free0, 'every block freed with the right order is free again');
  },
});

add({
  name: 'fallback: steal the largest block, in fallbacks[] order, and claim its pageblocks',
  rules: ['page-allocator.fallback.steal-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    const blocks0 = freeBlocks(k, z);
    assert.ok(blocks0.every((b) => b.mt === MIGRATE_MOVABLE), 'a fresh zone has only MIGRATE_MOVABLE free blocks (memmap_init_zone marks every pageblock movable)');
    const maxOrder = Math.max(...blocks0.map((b) => b.order));
    assert.equal(maxOrder, MAX_ORDER - 1, 'DMA32 has free order-10 blocks');

    // A reclaimable page with no reclaimable free page: steal the largest movable block.
    const r = pa.allocPages(GFP_KERNEL | __GFP_RECLAIMABLE, 0);
    assert.equal(zoneOf(k, r), z, 'the reclaimable page comes from DMA32');
    const base = r - (r % 2 ** (MAX_ORDER - 1));
    assert.ok(blocks0.some((b) => b.pfn === base && b.order === MAX_ORDER - 1), `the reclaimable page ${r} was cut from a free order-10 block (largest first), not a smaller one`);
    assert.equal(pageblockMt(k, base), MIGRATE_RECLAIMABLE, 'the stolen order-10 block\u2019s first pageblock is now reclaimable');
    assert.equal(pageblockMt(k, base + PAGEBLOCK_NR_PAGES), MIGRATE_RECLAIMABLE, 'and its second pageblock too (change_pageblock_range)');
    assert.ok(
      freeBlocks(k, z).filter((b) => b.pfn >= base && b.pfn < base + 1024).every((b) => b.mt === MIGRATE_RECLAIMABLE),
      'the rest of the stolen block is on the reclaimable lists',
    );
    pa.freePages(r, 0);
    const back = freeBlocks(k, z).find((b) => b.pfn === base);
    assert.deepEqual(back && [back.order, back.mt], [MAX_ORDER - 1, MIGRATE_RECLAIMABLE], 'freed, the block merges back into an order-10 reclaimable block');

    // An unmovable page: fallbacks[UNMOVABLE] = RECLAIMABLE before MOVABLE at the same order.
    const u = pa.allocPages(GFP_KERNEL, 0);
    assert.ok(u >= base && u < base + 1024, `the unmovable page ${u} comes from the reclaimable order-10 block at ${base} (fallbacks[] tries RECLAIMABLE before MOVABLE)`);
    assert.equal(pageblockMt(k, base), MIGRATE_UNMOVABLE, 'the block\u2019s pageblocks are claimed for MIGRATE_UNMOVABLE');
    assert.equal(pageblockMt(k, base + PAGEBLOCK_NR_PAGES), MIGRATE_UNMOVABLE, 'both of them');

    // A movable allocation with movable pages free never touches other types.
    const m = pa.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    assert.equal(pageblockMt(k, m), MIGRATE_MOVABLE, 'a movable page comes from a movable pageblock');
    assert.ok(m < base || m >= base + 1024, 'not from the unmovable block');
    checkCounters(k, 'after the steals');
  },
});

add({
  name: 'fallback: a movable allocation that cannot claim a pageblock takes the smallest block',
  rules: ['page-allocator.fallback.steal-order'],
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const dma = zoneByIdx(k, 0, k.zoneConfig.DMA);
    assert.equal(pa.setMinFreeKbytes(0), 0, 'min_free_kbytes 0 (so DMA can be emptied)');
    const count = (order: number, mt: number) => dma.nrFreeByType[order * MIGRATE_TYPES + mt];
    assert.ok(count(MAX_ORDER - 1, MIGRATE_MOVABLE) > 0, 'ZONE_DMA has a free order-10 movable block');
    // ZONE_DMA starts at pfn 1, so memmap_init_zone() never marks its first pageblock movable:
    // take its unmovable free blocks first, smallest order first.
    for (let o = 0; o < MAX_ORDER; o++) {
      for (let guard = 0; count(o, MIGRATE_UNMOVABLE) > 0 && guard < 4096; guard++) assert.notEqual(pa.allocPages(GFP_DMA, o), NO_PAGE, `GFP_DMA order ${o}`);
      assert.equal(count(o, MIGRATE_UNMOVABLE), 0, `no unmovable order-${o} block left`);
    }
    // An unmovable page steals an order-10 block: unmovable pieces of orders 0..9 remain.
    const u = pa.allocPages(GFP_DMA, 0);
    assert.equal(zoneOf(k, u), dma, 'GFP_DMA is served by ZONE_DMA');
    for (let o = 0; o < MAX_ORDER - 1; o++) assert.equal(count(o, MIGRATE_UNMOVABLE), 1, `one unmovable order-${o} piece after splitting the stolen block`);
    // Keep unmovable pieces of order 0..3 only.
    for (let o = MAX_ORDER - 2; o >= 4; o--) assert.notEqual(pa.allocPages(GFP_DMA, o), NO_PAGE, `GFP_DMA order ${o}`);
    // Empty every movable free list of ZONE_DMA.
    for (let o = MAX_ORDER - 1; o >= 0; o--) {
      for (let guard = 0; count(o, MIGRATE_MOVABLE) > 0 && guard < 4096; guard++) {
        assert.notEqual(pa.allocPages(GFP_DMA | __GFP_MOVABLE, o), NO_PAGE, `GFP_DMA|__GFP_MOVABLE order ${o} while movable order-${o} blocks are free`);
      }
      assert.equal(count(o, MIGRATE_MOVABLE), 0, `no movable order-${o} block left`);
    }
    const pieces = freeBlocks(k, dma).filter((b) => b.mt === MIGRATE_UNMOVABLE);
    assert.deepEqual(pieces.map((b) => b.order).sort(), [0, 1, 2, 3], 'ZONE_DMA holds unmovable pieces of orders 0, 1, 2, 3 only');
    const smallest = pieces.find((b) => b.order === 0)!;
    // Order 3 < pageblock_order / 2: a movable allocation may not claim the pageblock, so 4.17
    // splits the smallest fallback block rather than the largest.
    const m = pa.allocPages(GFP_DMA | __GFP_MOVABLE, 0);
    assert.equal(m, smallest.pfn, `the movable page comes from the smallest unmovable block (pfn ${smallest.pfn}), not from the order-3 one`);
    assert.equal(pageblockMt(k, m), MIGRATE_UNMOVABLE, 'the pageblock stays unmovable (only the page was taken)');
    checkCounters(k, 'after the movable fallback');
  },
});

add({
  name: 'highatomic: a high-order atomic allocation reserves its pageblock',
  rules: ['page-allocator.alloc.highatomic-reserve'],
  requires: 'highatomic',
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: false });
    const pa = k.pageAllocator;
    const reserved = () => k.zones.reduce((n, x) => n + x.nrReservedHighatomic, 0);
    // The fast path (ALLOC_WMARK_LOW, no ALLOC_HARDER) never reserves.
    const fast = pa.allocPages(GFP_ATOMIC, 1);
    assert.notEqual(fast, NO_PAGE, 'GFP_ATOMIC order 1 on a fresh machine');
    assert.equal(reserved(), 0, 'an atomic allocation served by the fast path reserves nothing');
    // Below the watermarks only the slow path (ALLOC_HIGH|ALLOC_HARDER) serves GFP_ATOMIC.
    exhaustAll(k, GFP_KERNEL);
    const pfn = pa.allocPages(GFP_ATOMIC, 1);
    assert.notEqual(pfn, NO_PAGE, 'GFP_ATOMIC order 1 once GFP_KERNEL is exhausted (ALLOC_HARDER digs below min)');
    const z = zoneOf(k, pfn);
    assert.equal(pageblockMt(k, pfn), MIGRATE_HIGHATOMIC, 'the pageblock of a slow-path GFP_ATOMIC order-1 page becomes MIGRATE_HIGHATOMIC');
    assert.equal(z.nrReservedHighatomic, PAGEBLOCK_NR_PAGES, 'nr_reserved_highatomic grows by one pageblock');
    assert.notEqual(pa.allocPages(GFP_ATOMIC | __GFP_NOWARN, 0), NO_PAGE, 'GFP_ATOMIC order 0');
    assert.equal(reserved(), PAGEBLOCK_NR_PAGES, 'an order-0 atomic allocation reserves nothing more');
    checkCounters(k, 'after the highatomic reservation');
  },
});

add({
  name: 'pcp: batch and high follow zone_batchsize()',
  rules: ['page-allocator.pcp.batch-high'],
  requires: 'pcp',
  run(ctx) {
    let bigZones = 0;
    for (const m of [{ preset: 'default' }, { machine: M256 }, { machine: TWO_NODES }] as Omit<KernelConfig, 'pageAllocator'>[]) {
      const k = boot(ctx, { ...m, nrCpus: 3, pcp: true });
      for (const z of populated(k)) {
        const want = expectedPcp(z.managedPages);
        z.pageset.forEach((p, cpu) => {
          assert.deepEqual({ batch: p.batch, high: p.high }, want, `${machineLabel(m)}: ${label(z)} (${z.managedPages} managed pages) cpu ${cpu} pageset`);
        });
        if (z.managedPages >= 128 * 1024) {
          bigZones++;
          assert.deepEqual({ batch: z.pageset[0].batch, high: z.pageset[0].high }, { batch: 31, high: 186 }, `${label(z)}: a zone of ${z.managedPages >> 8} MiB has batch 31, high 186`);
        }
      }
    }
    assert.ok(bigZones > 0, 'checked at least one zone of 512 MiB or more');
  },
});

add({
  name: 'pcp: freed pages wait on per-cpu lists, trimmed at high, drained on demand',
  rules: ['page-allocator.pcp.drain', 'page-allocator.pcp.batch-high'],
  requires: 'pcp',
  run(ctx) {
    const k = boot(ctx, { machine: M256, pcp: true, nrCpus: 2 });
    const pa = k.pageAllocator;
    const z = zoneByIdx(k, 0, k.zoneConfig.DMA32);
    const total0 = z.freePages + z.pcpPages();
    const held: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const pfn = pa.allocPages(GFP_KERNEL, 0);
      assert.equal(zoneOf(k, pfn), z, 'order-0 GFP_KERNEL pages from DMA32');
      held.push(pfn);
    }
    assert.equal(z.freePages + z.pcpPages(), total0 - 2000, 'free + per-cpu pages after 2000 allocations');
    for (const [i, pfn] of held.entries()) {
      k.sched.currentCpu = i % 2;
      pa.freePages(pfn, 0);
      const pcp = z.pageset[i % 2];
      assert.ok(pcp.count <= pcp.high, `cpu ${i % 2} list holds ${pcp.count} pages, more than high ${pcp.high}`);
    }
    k.sched.currentCpu = 0;
    assert.equal(z.freePages + z.pcpPages(), total0, 'free + per-cpu pages after freeing them all');
    assert.ok(z.pageset[0].count > 0 && z.pageset[1].count > 0, 'both CPUs hold freed pages on their lists');
    let listed = 0;
    pa.forEachPcpPage((zone, cpu, pfn) => {
      if (zone !== z) return;
      listed++;
      assert.ok(cpu === 0 || cpu === 1, `per-cpu page on cpu ${cpu}`);
      assert.ok(!k.pages.isBuddy(pfn), `per-cpu page ${pfn} is not a buddy block head`);
    });
    assert.equal(listed, z.pcpPages(), 'forEachPcpPage lists as many pages as the pagesets count');
    checkCounters(k, 'with pages on the per-cpu lists');
    pa.drainAllPages();
    assert.equal(z.pcpPages(), 0, 'drain_all_pages() empties every CPU\u2019s list');
    let after = 0;
    pa.forEachPcpPage(() => after++);
    assert.equal(after, 0, 'no page left on any per-cpu list');
    assert.equal(z.freePages, total0, 'every page back in the buddy free lists');
  },
});

add({
  name: 'fail_page_alloc: one check per allocation, honoured',
  rules: ['page-allocator.fault-inject.fail-page-alloc'],
  run(ctx) {
    const k = boot(ctx, { machine: M128, pcp: false, failPageAlloc: { probability: 100, times: 2, verbose: 0 } });
    const pa = k.pageAllocator;
    const fi = k.failPageAlloc;
    const free0 = totalFree(k);
    const take = (gfp: number, order: number) => {
      const pfn = pa.allocPages(gfp | __GFP_NOWARN, order);
      if (pfn !== NO_PAGE) pa.freePages(pfn, order);
      return pfn;
    };
    assert.notEqual(take(GFP_NOWAIT, 0), NO_PAGE, 'order 0 is below min-order 1: not failed');
    assert.equal(fi.times, 2, 'times unchanged by an order-0 allocation');
    assert.equal(take(GFP_NOWAIT, 1), NO_PAGE, 'GFP_NOWAIT order 1 is failed by fail_page_alloc');
    assert.equal(fi.times, 1, 'one injected failure consumed (should_fail_alloc_page() asked once)');
    assert.equal(totalFree(k), free0, 'the injected failure took no page');
    assert.notEqual(take(GFP_KERNEL, 1), NO_PAGE, 'GFP_KERNEL may block: ignore-gfp-wait spares it');
    assert.notEqual(take(GFP_NOWAIT | __GFP_NOFAIL, 2), NO_PAGE, '__GFP_NOFAIL is never failed');
    assert.notEqual(take(GFP_NOWAIT | __GFP_HIGHMEM, 2), NO_PAGE, 'ignore-gfp-highmem spares __GFP_HIGHMEM');
    assert.equal(fi.times, 1, 'times unchanged by spared allocations');
    assert.equal(take(GFP_ATOMIC, 3), NO_PAGE, 'GFP_ATOMIC order 3 is failed');
    assert.equal(fi.times, 0, 'no injected failure left');
    assert.notEqual(take(GFP_ATOMIC, 3), NO_PAGE, 'with times exhausted allocations succeed again');
    fi.ignoreGfpWait = false;
    fi.times = 1;
    assert.equal(take(GFP_KERNEL, 2), NO_PAGE, 'with ignore-gfp-wait off GFP_KERNEL is failed too');
    assert.equal(totalFree(k), free0, 'free pages at the end');
  },
});

const PROPERTY_GFPS = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_DMA, GFP_DMA32 | __GFP_MOVABLE, GFP_NOWAIT | __GFP_ZERO];

const DIRT = new Uint8Array([1]);

type Op = { kind: 'alloc'; gfp: number; order: number } | { kind: 'free'; index: number } | { kind: 'cpu'; cpu: number } | { kind: 'drain' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), gfp: fc.constantFrom(...PROPERTY_GFPS), order: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: MAX_ORDER - 1 }) }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cpu' as const), cpu: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

add({
  name: 'property: random allocations and frees keep the lists consistent and end coalesced',
  rules: ['page-allocator.invariants.property', 'page-allocator.free.coalesce'],
  run(ctx) {
    let k = boot(ctx, { machine: M128, nrCpus: 2 });
    let dirty = false;
    let boot0: string[] = [];
    const fresh = () => {
      k = boot(ctx, { machine: M128, nrCpus: 2 });
      k.pageAllocator.drainAllPages();
      boot0 = freeBlockKeys(k);
      dirty = false;
    };
    fresh();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        if (dirty) fresh();
        dirty = true;
        const pa = k.pageAllocator;
        const held: [number, number][] = [];
        const owned = new Set<number>();
        for (const op of ops) {
          if (op.kind === 'alloc') {
            const pfn = pa.allocPages(op.gfp | __GFP_NOWARN, op.order);
            if (pfn === NO_PAGE) continue;
            assert.equal(pfn % 2 ** op.order, 0, `an order-${op.order} block at pfn ${pfn} is not aligned`);
            for (let p = pfn; p < pfn + 2 ** op.order; p++) {
              if (owned.has(p)) assert.fail(`pfn ${p} handed out twice`);
              owned.add(p);
            }
            if (op.gfp & __GFP_ZERO) assert.equal(k.contents.readByte(pfn, 0), 0, '__GFP_ZERO page reads zero');
            if (op.order === 0 && pfn % 8 === 0) k.contents.write(pfn, 0, DIRT);
            held.push([pfn, op.order]);
          } else if (op.kind === 'free') {
            if (!held.length) continue;
            const [pfn, order] = held.splice(op.index % held.length, 1)[0];
            for (let p = pfn; p < pfn + 2 ** order; p++) owned.delete(p);
            pa.freePages(pfn, order);
          } else if (op.kind === 'cpu') {
            k.sched.currentCpu = op.cpu;
          } else {
            pa.drainAllPages();
          }
        }
        checkCounters(k, `after ${ops.length} operations (${held.length} blocks held)`);
        for (const [pfn, order] of held) pa.freePages(pfn, order);
        k.sched.currentCpu = 0;
        pa.drainAllPages();
        checkCounters(k, 'after freeing everything');
        assert.equal(k.badPageReports.length, 0, 'no bad page reported for correct frees');
        assert.deepEqual(freeBlockKeys(k), boot0, 'the free blocks after freeing everything, against boot');
        for (const z of k.zones) assert.equal(z.pcpPages(), 0, `${label(z)} per-cpu lists after the drain`);
        dirty = false;
      }),
      { numRuns: ctx.propertyRuns, seed: ctx.seed, endOnFailure: true },
    );
  },
});

export const pageAllocatorSuite: Suite<PageAllocatorUnderTest> = {
  contract: 'page-allocator',
  cases,
  probe(factory: PageAllocatorUnderTest): FeatureSet {
    const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pageAllocator: factory });
    const s = k.pageAllocator.supports;
    return { pcp: Boolean(s.pcp), highatomic: Boolean(s.highatomic) };
  },
};

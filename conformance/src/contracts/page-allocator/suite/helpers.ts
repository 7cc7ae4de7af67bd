/**
 * What the page-allocator cases share: booting a kernel around the implementation under test,
 * walking its zones and free lists, and the checks several cases make.
 */
import {
  ERRNO, MAX_ORDER, MIGRATE_TYPES, NO_PAGE, PAGEBLOCK_ORDER, __GFP_NOWARN, formatGfp, type PageAllocatorFactory, type Zone,
} from '@mmkit/core';
import { createKernel, type Kernel, type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { CaseContext } from '../../../suite.js';
import { expectedLowmemReserve, expectedWatermarks } from './model.js';

export type PageAllocatorUnderTest = PageAllocatorFactory | undefined;
export type Ctx = CaseContext<PageAllocatorUnderTest>;

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const EINVAL = -ERRNO.EINVAL;

export type MachineSpec = NonNullable<KernelConfig['machine']>;
export const M128: MachineSpec = { mem: 128 * MiB };
export const M256: MachineSpec = { mem: 256 * MiB };
export const M512: MachineSpec = { mem: 512 * MiB };
export const TWO_NODES: MachineSpec = { mem: 1 * GiB, nodes: 2 };

/**
 * Boot a kernel around the implementation under test (THP off, 2 CPUs unless told), with the
 * debugging configuration of the case's rules (ctx.debug).
 */
export function boot(ctx: Ctx, config: Omit<KernelConfig, 'pageAllocator'>): Kernel {
  return createKernel({ nrCpus: 2, thp: 'never', ...(ctx.debug ? { debug: ctx.debug } : {}), ...config, pageAllocator: ctx.factory });
}

export function label(z: Zone): string {
  return `node ${z.nid} ${z.name}`;
}

export function machineLabel(config: Omit<KernelConfig, 'pageAllocator'>): string {
  if (config.preset) return `preset ${config.preset}`;
  const m = config.machine;
  if (!m) return 'default machine';
  const parts = [`${(m.mem ?? 4 * GiB) / MiB} MiB`];
  if (m.nodes) parts.push(`${m.nodes} nodes`);
  if (m.movablecore !== undefined) parts.push('movablecore');
  if (m.arch) parts.push(m.arch);
  return parts.join(', ');
}

export function zoneOf(k: Kernel, pfn: number): Zone {
  const z = k.pageZone(pfn);
  if (!z) assert.fail(`allocated pfn ${pfn} belongs to no zone`);
  return z;
}

export function populated(k: Kernel): Zone[] {
  return k.zones.filter((z) => z.managedPages > 0);
}

export function zoneByIdx(k: Kernel, nid: number, idx: number): Zone {
  const z = k.zones[nid * k.zoneConfig.nrZones + idx];
  if (!z || z.managedPages === 0) assert.fail(`the machine has no managed ${k.zoneConfig.names[idx] ?? idx} zone on node ${nid}`);
  return z;
}

/** A 512 MiB machine without pcp lists, its DMA and DMA32 zones, and DMA's reserve R against DMA32 allocations. */
export function bootDmaZones(ctx: Ctx) {
  const k = boot(ctx, { machine: M512, pcp: false });
  const zc = k.zoneConfig;
  return { k, zc, dma: zoneByIdx(k, 0, zc.DMA), dma32: zoneByIdx(k, 0, zc.DMA32), R: zoneByIdx(k, 0, zc.DMA).lowmemReserve[zc.DMA32] };
}

export function pageblockMt(k: Kernel, pfn: number): number {
  return k.pages.getPageblockMigratetype(pfn);
}

/** Allocate with gfp/order until it fails; a limit guards against an allocator that never fails. */
export function exhaust(k: Kernel, gfp: number, order: number, nid?: number): number[] {
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
export function exhaustAll(k: Kernel, gfp: number, nid?: number): number[] {
  return [...exhaust(k, gfp, PAGEBLOCK_ORDER, nid), ...exhaust(k, gfp, 0, nid)];
}

export interface FreeBlock {
  zone: Zone;
  pfn: number;
  order: number;
  mt: number;
}

export function freeBlocks(k: Kernel, zone?: Zone): FreeBlock[] {
  const out: FreeBlock[] = [];
  k.pageAllocator.forEachFreeBlock((z, pfn, order, mt) => {
    if (!zone || z === zone) out.push({ zone: z, pfn, order, mt });
  });
  return out;
}

/** The free blocks as sorted "zone:pfn:order" keys (migratetypes aside). */
export function freeBlockKeys(k: Kernel): string[] {
  return freeBlocks(k)
    .map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}`)
    .sort();
}

/** Counters against lists, on top of the kernel's own invariant checker. */
export function checkCounters(k: Kernel, when: string): void {
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
export function checkFullyCoalesced(k: Kernel, when: string): void {
  const keys = new Set(freeBlocks(k).map((b) => `${b.zone.zoneNum}:${b.pfn}:${b.order}`));
  for (const b of freeBlocks(k)) {
    if (b.order >= MAX_ORDER - 1) continue;
    const buddy = b.pfn ^ (1 << b.order);
    if (keys.has(`${b.zone.zoneNum}:${buddy}:${b.order}`)) {
      assert.fail(`${when}: ${label(b.zone)} has free order-${b.order} buddies at pfn ${Math.min(b.pfn, buddy)} and ${Math.max(b.pfn, buddy)} left unmerged`);
    }
  }
}

export function totalFree(k: Kernel): number {
  return k.zones.reduce((n, z) => n + z.freePages, 0);
}

export function pcpTotal(k: Kernel): number {
  return k.zones.reduce((n, z) => n + z.pcpPages(), 0);
}

/** /proc/zoneinfo: "Node N, zone NAME" -> the value of a field (min, low, high, managed, protection). */
export function parseZoneinfo(text: string): Map<string, Record<string, string>> {
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

export function readInts(k: Kernel, path: string): number[] {
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
export function checkWatermarks(k: Kernel, minFreeKbytes: number, wsf: number, when: string, part: 'min' | 'gap' | 'all' = 'all'): void {
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

export function checkReserves(k: Kernel, ratio: readonly number[], when: string): void {
  const expected = expectedLowmemReserve(k.zones, k.zoneConfig, ratio);
  k.zones.forEach((z, i) => {
    assert.deepEqual(Array.from(z.lowmemReserve), expected[i], `${when}: ${label(z)} lowmem_reserve (protection) with ratios ${ratio.join(' ')}`);
  });
}

export function snapshotReserves(k: Kernel): number[][] {
  return k.zones.map((z) => Array.from(z.lowmemReserve));
}

export function snapshotWatermarks(k: Kernel): number[][] {
  return k.zones.map((z) => [z.minWmarkPages(), z.lowWmarkPages(), z.highWmarkPages()]);
}

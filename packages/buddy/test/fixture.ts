/**
 * The buddy allocator's test machines: core's zoned test machine (@mmkit/core/testing) booted
 * with createBuddyAllocator() or a variant, plus the counter checks the tests share.
 */
import { MAX_ORDER, MIGRATE_TYPES, type PageAllocator, type PageAllocatorFactory } from '@mmkit/core';
import { bootPageAllocator, createZonedTestMachine, type ZonedMachineSpec, type ZonedTestMachine } from '@mmkit/core/testing';
import { createBuddyAllocator } from '../src/index.js';

export { MIB_PAGES, GIB_PAGES } from '@mmkit/core/testing';

export interface MachineSpec extends ZonedMachineSpec {
  /** Another implementation or a variant (createBuddyAllocator with hooks, for instance). */
  readonly factory?: PageAllocatorFactory;
  /** Skip initWatermarks() (to look at the state before it). */
  readonly noWatermarks?: boolean;
}

export interface Machine<A extends PageAllocator = PageAllocator> extends ZonedTestMachine {
  readonly allocator: A;
  /** NR_FREE_PAGES of each zone right after boot. */
  readonly bootFreePages: number[];
  /** The free blocks right after boot, "zoneNum:pfn:order" sorted. */
  readonly bootBlocks: string[];
}

/** Build and boot a machine. */
export function createMachine<A extends PageAllocator = PageAllocator>(spec: MachineSpec): Machine<A> {
  const machine = createZonedTestMachine(spec);
  const allocator = (spec.factory ?? createBuddyAllocator)(machine.services) as A;
  bootPageAllocator(machine, allocator, { watermarks: !spec.noWatermarks });
  return Object.assign(machine, {
    allocator,
    bootFreePages: machine.zones.map((z) => z.freePages),
    bootBlocks: freeBlocks(allocator),
  });
}

/** The free blocks, "zoneNum:pfn:order", sorted. */
export function freeBlocks(allocator: PageAllocator): string[] {
  const out: string[] = [];
  allocator.forEachFreeBlock((zone, pfn, order) => out.push(`${zone.zoneNum}:${pfn}:${order}`));
  return out.sort();
}

/**
 * Walk the free lists and the per-cpu lists and compare every counter with what they hold.
 * Returns the differences (empty when consistent). With `perPage` (the default) every page of
 * every free block is also checked (free once, refcount 0, inside its zone); without, only the
 * counters, which is cheap enough to run after every step of a property test.
 */
export function checkCounters(m: Machine, perPage = true): string[] {
  const errors: string[] = [];
  const { pages, zones, allocator } = m;
  const orders = MAX_ORDER;
  const types = MIGRATE_TYPES;
  // per zone: [freePages, nrFree[orders], nrFreeByType[orders * types]]
  const stride = 1 + orders + orders * types;
  const acc = new Float64Array(zones.length * stride);
  const seen = perPage ? new Uint8Array(pages.maxPfn) : undefined;
  allocator.forEachFreeBlock((zone, pfn, order, mt) => {
    const base = zone.zoneNum * stride;
    const size = 2 ** order;
    acc[base] += size;
    acc[base + 1 + order]++;
    acc[base + 1 + orders + order * types + mt]++;
    if (!seen) return;
    if (!pages.isBuddy(pfn) || pages.buddyOrder(pfn) !== order) errors.push(`block ${pfn} order ${order} is not marked buddy`);
    if (pfn % size !== 0) errors.push(`block ${pfn} order ${order} is misaligned`);
    if (pfn < zone.zoneStartPfn || pfn + size > zone.zoneEndPfn) errors.push(`block ${pfn} order ${order} is outside zone ${zone.name}`);
    for (let p = pfn; p < pfn + size; p++) {
      if (seen[p]) errors.push(`pfn ${p} is free twice`);
      seen[p] = 1;
      // a negative count is a double free under 4.17's default configuration (put_page_testzero() underflowed)
      if (pages.refcount[p] > 0) errors.push(`free pfn ${p} has refcount ${pages.refcount[p]}`);
    }
  });
  const nrCpus = m.sched.nrCpus;
  const pcp = new Uint32Array(zones.length * nrCpus);
  allocator.forEachPcpPage((zone, cpu, pfn) => {
    if (seen) {
      if (seen[pfn]) errors.push(`pcp pfn ${pfn} is also free or on another pcp list`);
      seen[pfn] = 2;
    }
    pcp[zone.zoneNum * nrCpus + cpu]++;
  });
  for (const zone of zones) {
    const z = zone.zoneNum;
    const base = z * stride;
    if (zone.freePages !== acc[base]) errors.push(`zone ${z}: freePages ${zone.freePages} but lists hold ${acc[base]}`);
    for (let o = 0; o < orders; o++) {
      if (zone.nrFree[o] !== acc[base + 1 + o]) errors.push(`zone ${z} order ${o}: nrFree ${zone.nrFree[o]} but lists hold ${acc[base + 1 + o]}`);
      for (let mt = 0; mt < types; mt++) {
        const i = o * types + mt;
        if (zone.nrFreeByType[i] !== acc[base + 1 + orders + i]) errors.push(`zone ${z} order ${o} type ${mt}: ${zone.nrFreeByType[i]} but lists hold ${acc[base + 1 + orders + i]}`);
      }
    }
    for (let cpu = 0; cpu < nrCpus; cpu++) {
      const count = zone.pageset[cpu].count;
      if (count !== pcp[z * nrCpus + cpu]) errors.push(`zone ${z} cpu ${cpu}: pcp count ${count} but lists hold ${pcp[z * nrCpus + cpu]}`);
    }
  }
  return errors;
}

/** Free blocks whose buddy of the same order is free too (in the same zone): not coalesced. */
export function uncoalescedPairs(m: Machine): string[] {
  const out: string[] = [];
  const { pages } = m;
  m.allocator.forEachFreeBlock((zone, pfn, order) => {
    if (order >= MAX_ORDER - 1) return;
    const buddy = pfn ^ (1 << order);
    if (buddy < pages.maxPfn && pages.isBuddyOfOrder(buddy, order) && pages.zoneNumOf(buddy) === zone.zoneNum && buddy > pfn) {
      const mtA = pages.getPageblockMigratetype(pfn);
      const mtB = pages.getPageblockMigratetype(buddy);
      if (order < 9 || (mtA !== 5 && mtB !== 5) || mtA === mtB) out.push(`${zone.name}: ${pfn} and ${buddy} (order ${order})`);
    }
  });
  return out;
}

import { describe, expect, it } from 'vitest';
import { PG_reserved } from '@mmkit/core';
import { bootPageAllocator, createZonedTestMachine } from '@mmkit/core/testing';
import { createBuddyAllocator } from '../src/index.js';
import { checkCounters, createMachine } from './fixture.js';

describe('boot handover (memblock_free_all) without per-page work', () => {
  it('writes only the heads of the free blocks: every other page of free memory stays zero', () => {
    const m = createMachine({ nodesMiB: [64], noWatermarks: true });
    const pages = m.pages;
    let heads = 0;
    let nonzeroTails = 0;
    m.allocator.forEachFreeBlock((_zone, pfn, order) => {
      heads++;
      for (let p = pfn + 1; p < pfn + 2 ** order; p++) {
        if (pages.flags[p] | pages.refcount[p] | pages.mapLru[3 * p] | pages.mapLru[3 * p + 1] | pages.mapLru[3 * p + 2] | pages.private[p]) nonzeroTails++;
      }
    });
    expect(heads).toBeGreaterThan(0);
    expect(nonzeroTails).toBe(0);
    expect(pages.pendingHandover()).toEqual([]);
  });

  it('refuses a range handed over twice, whole: a refused call frees nothing', () => {
    const machine = createZonedTestMachine({ nodesMiB: [64], reserved: [{ start: 9000, end: 9010 }] });
    const allocator = createBuddyAllocator(machine.services);
    allocator.freeBootmem(10000, 10);
    const free = machine.zones.map((z) => z.freePages);
    expect(() => allocator.freeBootmem(10005, 1)).toThrow(/0x2715 was already handed/);
    // 9500..9999 awaits handover, 10000 does not: the whole call is refused before anything is freed
    expect(() => allocator.freeBootmem(9500, 600)).toThrow(/0x2710 was already handed/);
    expect(machine.zones.map((z) => z.freePages)).toEqual(free);
    expect(machine.pages.handoverEndAt(9500)).toBe(10000);
    expect(machine.pages.refcount[9500]).toBe(0);
  });

  it('still hands over memory boot reserved (refcount 1, PG_reserved), checked page by page', () => {
    const m = createMachine({ nodesMiB: [64], reserved: [{ start: 9000, end: 9010 }] });
    expect(m.pages.testFlag(9005, PG_reserved)).toBe(true);
    expect(m.pages.refcount[9005]).toBe(1);
    m.allocator.freeBootmem(9000, 10);
    expect(m.pages.testFlag(9005, PG_reserved)).toBe(false);
    expect(() => m.allocator.freeBootmem(9005, 1)).toThrow(/already handed/);
    expect(checkCounters(m)).toEqual([]);
  });

  it('boots the same free lists whether memmap init left free memory zero or wrote every page', () => {
    const lazy = createMachine({ nodesMiB: [64, 32], reserved: [{ start: 0, end: 3 }, { start: 5000, end: 5100 }], holes: [{ start: 8192, end: 8704 }] });
    const eager = createZonedTestMachine({ nodesMiB: [64, 32], reserved: [{ start: 0, end: 3 }, { start: 5000, end: 5100 }], holes: [{ start: 8192, end: 8704 }] });
    // an eager memmap: every page reserved, as memmap_init_zone() writes it in Linux
    for (const r of eager.pages.pendingHandover()) {
      eager.pages.takeHandover(r.start, r.end);
      eager.pages.refcount.fill(1, r.start, r.end);
      for (let p = r.start; p < r.end; p++) eager.pages.setFlag(p, PG_reserved);
    }
    const allocator = createBuddyAllocator(eager.services);
    bootPageAllocator(eager, allocator);
    const blocks = (a: typeof allocator) => {
      const out: string[] = [];
      a.forEachFreeBlock((z, pfn, order, mt) => out.push(`${z.zoneNum}:${pfn}:${order}:${mt}`));
      return out;
    };
    expect(blocks(allocator)).toEqual(blocks(lazy.allocator as typeof allocator));
    expect(eager.zones.map((z) => [z.managedPages, z.freePages])).toEqual(lazy.zones.map((z) => [z.managedPages, z.freePages]));
  });
});

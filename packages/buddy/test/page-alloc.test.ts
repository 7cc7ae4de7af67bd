import { describe, expect, it } from 'vitest';
import {
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_USER,
  InvalidGfpError,
  NO_PAGE,
  PG_head,
  PG_lru,
  PG_reserved,
  PG_tail,
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NOWARN,
  __GFP_THISNODE,
  __GFP_ZERO,
} from '@mmkit/core';
import { BuddyAllocator, createBuddyAllocator } from '../src/index.js';
import { checkCounters, createMachine, freeBlocks, type Machine, MIB_PAGES, uncoalescedPairs } from './fixture.js';

const zoneOf = (m: Machine, pfn: number) => m.zones[m.pages.zoneNum[pfn]];

describe('boot: memmap init and memblock_free_all', () => {
  it('hands every present page to its zone in max-order blocks', () => {
    const m = createMachine({ nodesMiB: [64] });
    const [dma, dma32] = m.zones;
    expect([dma.managedPages, dma32.managedPages]).toEqual([4096, 12288]);
    expect([dma.freePages, dma32.freePages]).toEqual([4096, 12288]);
    expect([...dma.nrFree]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect([...dma32.nrFree]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12]);
    expect(m.pages.zoneNum[0]).toBe(0);
    expect(m.pages.zoneNum[4096]).toBe(1);
    expect(m.pages.getPageblockMigratetype(5000)).toBe(1); // MIGRATE_MOVABLE
    expect(checkCounters(m)).toEqual([]);
    expect(m.allocator.name).toBe('buddy');
    expect(m.allocator.supports).toEqual({ pcp: true, highatomic: true });
  });

  it('frees an unaligned range in the largest aligned blocks that fit, keeping reserved pages out', () => {
    const m = createMachine({ nodesMiB: [64], reserved: [{ start: 0, end: 1 }, { start: 5000, end: 5003 }], holes: [{ start: 8192, end: 8192 + 512 }] });
    const [dma, dma32] = m.zones;
    expect(dma.managedPages).toBe(4095);
    expect(dma32.managedPages).toBe(12288 - 3 - 512);
    expect(dma32.presentPages).toBe(12288 - 512);
    expect(m.pages.testFlag(5001, PG_reserved)).toBe(true);
    expect(m.pages.refcount[5001]).toBe(1);
    // pfn 1..4095: orders 0,1,2,...,10 once each
    expect([...dma.nrFree]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
    expect(uncoalescedPairs(m)).toEqual([]);
    expect(checkCounters(m)).toEqual([]);
  });

  it('refuses pages outside every zone, in holes, or handed over twice', () => {
    const m = createMachine({ nodesMiB: [64], holes: [{ start: 8192, end: 8704 }], reserved: [{ start: 9000, end: 9010 }] });
    expect(() => m.allocator.freeBootmem(8192, 1)).toThrow(/not present/);
    expect(() => m.allocator.freeBootmem(16384, 1)).toThrow(RangeError);
    expect(() => m.allocator.freeBootmem(100, 1)).toThrow(/already/);
    m.pages.clearFlag(9000, PG_reserved);
    m.allocator.freeBootmem(9000, 10);
    expect(m.zones[1].managedPages).toBe(12288 - 512);
    expect(checkCounters(m)).toEqual([]);
  });

  it('boots a 22 GiB machine (5.8 M pages)', () => {
    const m = createMachine({ nodesMiB: [22 * 1024], config: { thp: true } });
    expect(m.zones.reduce((n, z) => n + z.managedPages, 0)).toBe(22 * 1024 * MIB_PAGES);
    // computed int_sqrt(22 GiB in kB * 16) = 75963 -> clamped to 65536; khugepaged wants
    // 3 zones * 11 pageblocks = 67584 kB, which is more
    expect(m.allocator.minFreeKbytes).toBe(67584);
  });
});

describe('split and coalesce', () => {
  it('an order-0 allocation splits a max-order block; freeing merges it back', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const before = freeBlocks(m.allocator);
    const pfn = m.allocator.allocPages(GFP_KERNEL, 0);
    expect(pfn).not.toBe(NO_PAGE);
    const zone = zoneOf(m, pfn);
    expect([...zone.nrFree]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, zone.managedPages / 1024 - 1]);
    expect(checkCounters(m)).toEqual([]);
    m.allocator.freePages(pfn, 0);
    expect(freeBlocks(m.allocator)).toEqual(before);
  });

  it('after freeing everything in any order every zone is back to its boot state, fully coalesced', () => {
    const m = createMachine({ nodesMiB: [128], nrCpus: 3 });
    const got: [number, number][] = [];
    for (let i = 0; i < 3000; i++) {
      m.sched.currentCpu = i % 3;
      const order = [0, 0, 0, 1, 2, 3, 5, 9][i % 8];
      const gfp = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_USER, GFP_DMA][i % 4];
      const pfn = m.allocator.allocPages(gfp | __GFP_NOWARN, order);
      if (pfn !== NO_PAGE) got.push([pfn, order]);
    }
    expect(got.length).toBeGreaterThan(2000);
    expect(checkCounters(m)).toEqual([]);
    // free in a scrambled order on other CPUs
    for (let i = 0; i < got.length; i++) {
      const [pfn, order] = got[(i * 7919) % got.length];
      m.sched.currentCpu = (i * 5) % 3;
      m.allocator.freePages(pfn, order);
    }
    expect(m.badPages).toEqual([]);
    m.allocator.drainAllPages();
    expect(m.zones.map((z) => z.freePages)).toEqual(m.bootFreePages);
    expect(uncoalescedPairs(m)).toEqual([]);
    expect(freeBlocks(m.allocator)).toEqual(m.bootBlocks);
    expect(checkCounters(m)).toEqual([]);
  });

  it('puts a freed block at the tail when its next-higher buddy is free (4.17), else at the head', () => {
    const m = createMachine({ nodesMiB: [32], config: { pcp: false, minFreeKbytes: 0 } });
    const a = m.allocator;
    // take all of ZONE_DMA page by page
    const pfns: number[] = [];
    for (;;) {
      const p = a.allocPages(GFP_DMA | __GFP_NOWARN, 0);
      if (p === NO_PAGE) break;
      pfns.push(p);
    }
    expect(pfns.length).toBe(4096);
    const list = () => {
      const out: number[] = [];
      a.forEachFreeBlock((_z, pfn, order) => order === 0 && out.push(pfn));
      return out;
    };
    a.freePages(100, 0); // buddy 101 busy, order-1 buddy 102 busy: head
    a.freePages(0, 0);
    a.freePages(1, 0); // merges with 0 into order 1 at 0
    a.freePages(2, 0); // buddy 3 busy, but the order-1 buddy of [2,3] is free: tail
    expect(list()).toEqual([100, 2]);
    a.freePages(200, 0); // head
    expect(list()).toEqual([200, 100, 2]);
  });
});

describe('gfp -> zone routing', () => {
  const m = createMachine({ nodesMiB: [256], movableMiB: 64 });
  const a = m.allocator;
  const zoneName = (gfp: number) => {
    const pfn = a.allocPages(gfp, 0);
    expect(pfn).not.toBe(NO_PAGE);
    const name = zoneOf(m, pfn).name;
    a.freePages(pfn, 0);
    return name;
  };

  it('routes each zone modifier combination', () => {
    expect(zoneName(GFP_KERNEL)).toBe('DMA32');
    expect(zoneName(GFP_DMA)).toBe('DMA');
    expect(zoneName(GFP_KERNEL | __GFP_DMA32)).toBe('DMA32');
    expect(zoneName(GFP_HIGHUSER_MOVABLE)).toBe('Movable');
    expect(zoneName(GFP_HIGHUSER)).toBe('DMA32');
  });

  it('GFP_USER | __GFP_MOVABLE never lands in ZONE_MOVABLE (4.17)', () => {
    const got: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const pfn = a.allocPages(GFP_USER | __GFP_MOVABLE | __GFP_NOWARN, 3);
      if (pfn === NO_PAGE) break;
      got.push(pfn);
    }
    expect(got.length).toBeGreaterThan(1000);
    expect(got.every((p) => zoneOf(m, p).name !== 'Movable')).toBe(true);
    for (const p of got) a.freePages(p, 3);
  });

  it('GFP_HIGHUSER_MOVABLE prefers ZONE_MOVABLE and falls back to lower zones when it is full', () => {
    const got: number[] = [];
    for (let i = 0; i < 40; i++) got.push(a.allocPages(GFP_HIGHUSER_MOVABLE, 10));
    expect(got.every((p) => p !== NO_PAGE)).toBe(true);
    expect(zoneOf(m, got[0]).name).toBe('Movable');
    expect(got.some((p) => zoneOf(m, p).name === 'DMA32')).toBe(true);
    for (const p of got) a.freePages(p, 10);
  });

  it('an invalid zone combination is a kernel bug (InvalidGfpError) and changes nothing', () => {
    const before = freeBlocks(a);
    expect(() => a.allocPages(GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM, 0)).toThrow(InvalidGfpError);
    expect(() => a.allocPages(GFP_KERNEL | __GFP_DMA | __GFP_DMA32, 0)).toThrow(InvalidGfpError);
    expect(freeBlocks(a)).toEqual(before);
  });
});

describe('NUMA zonelists', () => {
  it('allocates on the preferred node, falls back by distance, and __GFP_THISNODE stays on the node', () => {
    // node 0: DMA + DMA32 [0,128M); node 1: DMA32 [128M,192M); node 2: DMA32 [192M,256M)
    const distance = [10, 30, 20, 30, 10, 20, 20, 20, 10];
    const m = createMachine({ nodesMiB: [128, 64, 64], nrCpus: 3, config: { pcp: false }, distance });
    const a = m.allocator;
    const nid = (pfn: number) => zoneOf(m, pfn).nid;
    expect(nid(a.allocPages(GFP_KERNEL, 0, 1))).toBe(1);
    expect(nid(a.allocPages(GFP_KERNEL, 0, 2))).toBe(2);
    // the current CPU picks the node: cpu 1 -> node 1
    m.sched.currentCpu = 1;
    expect(nid(a.allocPages(GFP_KERNEL, 0))).toBe(1);
    m.sched.currentCpu = 0;
    // exhaust node 1 with __GFP_THISNODE
    let n = 0;
    while (a.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0, 1) !== NO_PAGE) n++;
    expect(n).toBeGreaterThan(15000);
    expect(a.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0, 1)).toBe(NO_PAGE);
    // without it, node 1 falls back to node 2 (distance 20) before node 0 (distance 30)
    expect(nid(a.allocPages(GFP_KERNEL, 0, 1))).toBe(2);
    expect(() => a.allocPages(GFP_KERNEL, 0, 3)).toThrow(RangeError);
    expect(checkCounters(m)).toEqual([]);
  });
});

describe('page state on allocation', () => {
  it('the head holds one reference, compound pages get PG_head/PG_tail, freeing clears them', () => {
    const m = createMachine({ nodesMiB: [64] });
    const a = m.allocator;
    const pfn = a.allocPages(GFP_KERNEL | __GFP_COMP, 2);
    expect(m.pages.refcount[pfn]).toBe(1);
    expect(m.pages.refcount[pfn + 1]).toBe(0);
    expect(m.pages.mapcount[pfn]).toBe(-1);
    expect(m.pages.testFlag(pfn, PG_head)).toBe(true);
    expect([1, 2, 3].every((i) => m.pages.testFlag(pfn + i, PG_tail))).toBe(true);
    a.freePages(pfn, 2);
    expect([0, 1, 2, 3].some((i) => m.pages.flags[pfn + i] !== 0)).toBe(false);
    expect(m.badPages).toEqual([]);
    const plain = a.allocPages(GFP_KERNEL, 2);
    expect(m.pages.testFlag(plain, PG_head)).toBe(false);
    a.freePages(plain, 2);
  });

  it('__GFP_ZERO clears the contents of every page', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const a = m.allocator;
    const pfn = a.allocPages(GFP_KERNEL, 1);
    m.contents.write(pfn, 0, new Uint8Array([1, 2, 3]));
    m.contents.write(pfn + 1, 10, new Uint8Array([9]));
    a.freePages(pfn, 1);
    const again = a.allocPages(GFP_KERNEL, 1);
    expect(again).toBe(pfn);
    expect(m.contents.readByte(pfn, 1)).toBe(2); // freeing does not clear
    a.freePages(again, 1);
    const zeroed = a.allocPages(GFP_KERNEL | __GFP_ZERO, 1);
    expect(zeroed).toBe(pfn);
    expect(m.contents.readByte(pfn, 1)).toBe(0);
    expect(m.contents.readByte(pfn + 1, 10)).toBe(0);
  });

  it('freePages drops a reference; the page is freed when the last one goes', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const a = m.allocator;
    const pfn = a.allocPages(GFP_KERNEL, 0);
    const free = m.zones[1].freePages;
    m.pages.refcount[pfn] = 2; // get_page()
    a.freePages(pfn, 0);
    expect(m.pages.refcount[pfn]).toBe(1);
    expect(m.zones[1].freePages).toBe(free);
    a.freePages(pfn, 0);
    expect(m.zones[1].freePages).toBe(free + 1);
    expect(m.badPages).toEqual([]);
  });
});

describe('bad input', () => {
  const setup = () => {
    const m = createMachine({ nodesMiB: [64], reserved: [{ start: 8000, end: 8001 }] });
    const a = m.allocator;
    const p0 = a.allocPages(GFP_KERNEL, 0);
    const p3 = a.allocPages(GFP_KERNEL | __GFP_COMP, 3);
    const snapshot = () => JSON.stringify([freeBlocks(a), m.zones.map((z) => [z.freePages, [...z.nrFree], [...z.nrFreeByType], z.pcpPages()])]);
    return { m, a, p0, p3, before: snapshot(), snapshot };
  };

  it('order >= MAX_ORDER fails with a warning (none with __GFP_NOWARN)', () => {
    const { m, a, before, snapshot } = setup();
    expect(a.allocPages(GFP_KERNEL, 11)).toBe(NO_PAGE);
    expect(m.logs.filter((l) => l.level === 'warn').length).toBe(1);
    expect(a.allocPages(GFP_KERNEL | __GFP_NOWARN, 11)).toBe(NO_PAGE);
    expect(a.allocPages(GFP_KERNEL | __GFP_NOWARN, -1)).toBe(NO_PAGE);
    expect(m.logs.filter((l) => l.level === 'warn').length).toBe(1);
    expect(snapshot()).toBe(before);
  });

  it('double free', () => {
    const { m, a, p0, before, snapshot } = setup();
    a.freePages(p0, 0);
    const after = snapshot();
    a.freePages(p0, 0);
    expect(m.badPages).toHaveLength(1);
    expect(m.badPages[0].pfn).toBe(p0);
    expect(m.badPages[0].reason).toMatch(/already free/);
    expect(snapshot()).toBe(after);
    expect(after).not.toBe(before);
    a.drainAllPages();
    a.freePages(p0, 0); // now a buddy page
    expect(m.badPages).toHaveLength(2);
  });

  it('wrong order', () => {
    const { m, a, p3, before, snapshot } = setup();
    a.freePages(p3, 2);
    expect(m.badPages[0].reason).toBe('freed with order 2, allocated with order 3');
    a.freePages(p3, 12);
    expect(m.badPages[1].reason).toMatch(/not an order/);
    a.freePages(p3, 1.5);
    expect(m.badPages).toHaveLength(3);
    expect(snapshot()).toBe(before);
    expect(m.pages.refcount[p3]).toBe(1);
  });

  it('tail page', () => {
    const { m, a, p3, before, snapshot } = setup();
    a.freePages(p3 + 1, 0);
    expect(m.badPages[0]).toEqual({ pfn: p3 + 1, reason: expect.stringMatching(/tail page/) as unknown });
    expect(snapshot()).toBe(before);
  });

  it('reserved page, pfn out of range, flags still set', () => {
    const { m, a, p0, before, snapshot } = setup();
    a.freePages(8000, 0);
    expect(m.badPages[0].reason).toBe('PAGE_FLAGS_CHECK_AT_FREE flag(s) set');
    a.freePages(1 << 30, 0);
    a.freePages(-5, 0);
    expect(m.badPages).toHaveLength(3);
    m.pages.setFlag(p0, PG_lru);
    a.freePages(p0, 0);
    expect(m.badPages[3].reason).toBe('PAGE_FLAGS_CHECK_AT_FREE flag(s) set');
    m.pages.clearFlag(p0, PG_lru);
    m.pages.mapcount[p0] = 0;
    a.freePages(p0, 0);
    expect(m.badPages[4].reason).toBe('nonzero mapcount');
    m.pages.mapcount[p0] = -1;
    m.pages.mapping[p0] = 7;
    a.freePages(p0, 0);
    expect(m.badPages[5].reason).toBe('non-NULL mapping');
    m.pages.mapping[p0] = 0;
    expect(m.pages.refcount[p0]).toBe(1);
    expect(snapshot()).toBe(before);
    a.freePages(p0, 0);
    expect(m.badPages).toHaveLength(6);
    expect(checkCounters(m)).toEqual([]);
  });
});

describe('slow path', () => {
  it('should_fail_alloc_page fails the allocation without touching the lists', () => {
    const m = createMachine({ nodesMiB: [64] });
    const before = freeBlocks(m.allocator);
    const seen: [number, number][] = [];
    m.failAlloc = (gfp, order) => (seen.push([gfp, order]), true);
    expect(m.allocator.allocPages(GFP_KERNEL, 2)).toBe(NO_PAGE);
    expect(seen).toEqual([[GFP_KERNEL, 2]]);
    expect(freeBlocks(m.allocator)).toEqual(before);
  });

  it('fails below the min watermark with a warning; __GFP_MEMALLOC ignores the watermarks', () => {
    const m = createMachine({ nodesMiB: [64], config: { pcp: false } });
    const a = m.allocator;
    while (a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0) !== NO_PAGE);
    const [dma, dma32] = m.zones;
    // GFP_KERNEL stopped at the min watermark (plus DMA's lowmem reserve)
    expect(dma32.freePages).toBe(dma32.watermark[0]);
    expect(dma.freePages).toBe(dma.watermark[0] + dma.lowmemReserve[1]);
    expect(a.allocPages(GFP_KERNEL, 0)).toBe(NO_PAGE);
    expect(m.logs.at(-1)!.message).toBe('page allocation failure: order:0, mode:0x14000c0(GFP_KERNEL), nodemask=(null)');
    // GFP_ATOMIC digs deeper (ALLOC_HIGH | ALLOC_HARDER)
    let atomic = 0;
    while (a.allocPages(GFP_ATOMIC | __GFP_NOWARN, 0) !== NO_PAGE) atomic++;
    expect(dma32.freePages).toBe(dma32.watermark[0] - Math.trunc(dma32.watermark[0] / 2) - Math.trunc((dma32.watermark[0] - Math.trunc(dma32.watermark[0] / 2)) / 4));
    expect(atomic).toBeGreaterThan(0);
    expect(a.allocPages(GFP_KERNEL | __GFP_MEMALLOC, 0)).not.toBe(NO_PAGE);
    expect(checkCounters(m)).toEqual([]);
  });

  it('__GFP_NOFAIL that cannot be satisfied is a kernel bug (Linux would loop forever)', () => {
    const m = createMachine({ nodesMiB: [32], config: { pcp: false } });
    const a = m.allocator;
    while (a.allocPages(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN, 0) !== NO_PAGE);
    expect(() => a.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toThrow(/__GFP_NOFAIL/);
    // without the right to sleep, Linux warns and fails
    expect(a.allocPages(GFP_NOWAIT | __GFP_NOFAIL, 0)).toBe(NO_PAGE);
  });

  it('drains the per-cpu lists before failing a sleeping allocation', () => {
    const m = createMachine({ nodesMiB: [256], nrCpus: 2, config: { minFreeKbytes: 0 } });
    expect(m.zones[1].pageset[1]).toEqual({ count: 0, high: 90, batch: 15 });
    const a = m.allocator;
    // CPU 1 frees a batch of pages onto its lists, then CPU 0 runs out
    const got: number[] = [];
    for (;;) {
      const p = a.allocPages(GFP_DMA32 | __GFP_NOWARN, 0);
      if (p === NO_PAGE) break;
      got.push(p);
    }
    m.sched.currentCpu = 1;
    for (const p of got.slice(0, 10)) a.freePages(p, 0);
    expect(m.zones[1].pageset[1].count).toBe(10);
    m.sched.currentCpu = 0;
    expect(a.allocPages(GFP_DMA32 | GFP_NOWAIT | __GFP_NOWARN, 0)).toBe(NO_PAGE);
    expect(a.allocPages(GFP_DMA32 | GFP_KERNEL, 0)).not.toBe(NO_PAGE);
    expect(m.zones[1].pageset[1].count).toBe(0);
    expect(checkCounters(m)).toEqual([]);
  });
});

describe('factory', () => {
  it('createBuddyAllocator builds a BuddyAllocator', () => {
    const m = createMachine({ nodesMiB: [32], factory: createBuddyAllocator });
    expect(m.allocator).toBeInstanceOf(BuddyAllocator);
  });
});

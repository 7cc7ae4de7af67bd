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
import { PAGE_FLAGS_CHECK_AT_PREP } from '../src/page-checks.js';
import { BuddyAllocator, createBuddyAllocator } from '../src/index.js';
import { checkCounters, createMachine, freeBlocks, type Machine, MIB_PAGES, uncoalescedPairs } from './fixture.js';

const zoneOf = (m: Machine, pfn: number) => m.zones[m.pages.zoneNumOf(pfn)];

describe('boot: memmap init and memblock_free_all', () => {
  it('hands every present page to its zone in max-order blocks', () => {
    const m = createMachine({ nodesMiB: [64] });
    const [dma, dma32] = m.zones;
    expect([dma.managedPages, dma32.managedPages]).toEqual([4096, 12288]);
    expect([dma.freePages, dma32.freePages]).toEqual([4096, 12288]);
    expect([...dma.nrFree]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect([...dma32.nrFree]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12]);
    expect(m.pages.zoneNumOf(0)).toBe(0);
    expect(m.pages.zoneNumOf(4096)).toBe(1);
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
    expect(m.pages.getMapcount(pfn)).toBe(-1);
    expect(m.pages.testFlag(pfn, PG_head)).toBe(true);
    expect([1, 2, 3].every((i) => m.pages.testFlag(pfn + i, PG_tail))).toBe(true);
    a.freePages(pfn, 2);
    expect([0, 1, 2, 3].some((i) => (m.pages.flags[pfn + i] & PAGE_FLAGS_CHECK_AT_PREP) !== 0)).toBe(false);
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
  const setup = (vm: boolean, pcp = true) => {
    const m = createMachine({ nodesMiB: [64], reserved: [{ start: 8000, end: 8001 }], debug: { vm }, config: { pcp } });
    const a = m.allocator;
    const p0 = a.allocPages(GFP_KERNEL, 0);
    const p3 = a.allocPages(GFP_KERNEL | __GFP_COMP, 3);
    const snapshot = () => JSON.stringify([freeBlocks(a), m.zones.map((z) => [z.freePages, [...z.nrFree], [...z.nrFreeByType], z.pcpPages()])]);
    return { m, a, p0, p3, before: snapshot(), snapshot };
  };

  it('order >= MAX_ORDER fails with a warning (none with __GFP_NOWARN)', () => {
    const { m, a, before, snapshot } = setup(false);
    expect(a.allocPages(GFP_KERNEL, 11)).toBe(NO_PAGE);
    expect(m.logs.filter((l) => l.level === 'warn').length).toBe(1);
    expect(a.allocPages(GFP_KERNEL | __GFP_NOWARN, 11)).toBe(NO_PAGE);
    expect(a.allocPages(GFP_KERNEL | __GFP_NOWARN, -1)).toBe(NO_PAGE);
    expect(m.logs.filter((l) => l.level === 'warn').length).toBe(1);
    expect(snapshot()).toBe(before);
  });

  it('CONFIG_DEBUG_VM: a double free is caught when it happens (VM_BUG_ON_PAGE) and changes nothing', () => {
    const { m, a, p0, before, snapshot } = setup(true);
    a.freePages(p0, 0);
    const after = snapshot();
    a.freePages(p0, 0);
    expect(m.badPages).toHaveLength(1);
    expect(m.badPages[0].pfn).toBe(p0);
    expect(m.badPages[0].reason).toMatch(/^VM_BUG_ON_PAGE\(page_ref_count\(page\) == 0\)/);
    expect(snapshot()).toBe(after);
    expect(after).not.toBe(before);
    a.drainAllPages();
    a.freePages(p0, 0); // now a buddy page
    expect(m.badPages).toHaveLength(2);
    expect(m.pages.refcount[p0]).toBe(0);
  });

  it('4.17 default: a double free underflows the refcount, frees nothing, and the next allocation of the page reports it', () => {
    for (const pcp of [true, false]) {
      const { m, a, p0, snapshot } = setup(false, pcp);
      a.freePages(p0, 0);
      if (pcp) a.drainAllPages();
      const after = snapshot();
      a.freePages(p0, 0);
      expect(m.badPages, `pcp ${pcp}`).toHaveLength(0);
      expect(m.pages.refcount[p0]).toBe(-1);
      expect(snapshot()).toBe(after);
      expect(checkCounters(m)).toEqual([]);
      // allocate until the page comes off the free lists: reported, never handed out
      const got: number[] = [];
      while (m.badPages.length === 0) {
        const pfn = a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0);
        expect(pfn).not.toBe(NO_PAGE);
        got.push(pfn);
      }
      expect(m.badPages[0].pfn).toBe(p0);
      expect(m.badPages[0].reason).toMatch(/^nonzero _refcount/);
      expect(got).not.toContain(p0);
      for (let i = 0; i < 64; i++) got.push(a.allocPages(GFP_KERNEL | __GFP_NOWARN, 0));
      expect(got).not.toContain(p0);
      expect(checkCounters(m)).toEqual([]);
    }
  });

  it('4.17 default: a page freed twice while on a per-cpu list is handed out again unchecked (check_new_pcp() is CONFIG_DEBUG_VM)', () => {
    const { m, a, p0 } = setup(false);
    a.freePages(p0, 0);
    a.freePages(p0, 0);
    expect(m.pages.refcount[p0]).toBe(-1);
    expect(a.allocPages(GFP_KERNEL, 0)).toBe(p0); // the head of the per-cpu list
    expect(m.pages.refcount[p0]).toBe(1);
    expect(m.badPages).toHaveLength(0);
  });

  it('4.17 default: a page freed twice on a per-cpu list is reported when the list is drained (bulkfree_pcp_prepare())', () => {
    const { m, a, p0 } = setup(false);
    a.freePages(p0, 0);
    a.freePages(p0, 0);
    const z = zoneOf(m, p0);
    const free = z.freePages;
    const onLists = z.pcpPages();
    a.drainAllPages();
    expect(m.badPages).toEqual([{ pfn: p0, reason: expect.stringMatching(/^nonzero _refcount/) as unknown }]);
    expect(z.freePages).toBe(free + onLists - 1); // the page is lost: off the list, not on the free lists
    expect(freeBlocks(a).some((blk) => Number(blk.split(':')[1]) === p0)).toBe(false);
    expect(checkCounters(m)).toEqual([]);
  });

  it('CONFIG_DEBUG_VM: a compound page freed with another order is caught (VM_BUG_ON_PAGE) and changes nothing', () => {
    const { m, a, p3, before, snapshot } = setup(true);
    a.freePages(p3, 2);
    expect(m.badPages[0].reason).toMatch(/^VM_BUG_ON_PAGE\(compound && compound_order\(page\) != order\): freed with order 2, compound order 3/);
    a.freePages(p3, 12);
    expect(m.badPages[1].reason).toMatch(/not an order/);
    a.freePages(p3, 1.5);
    expect(m.badPages).toHaveLength(3);
    expect(snapshot()).toBe(before);
    expect(m.pages.refcount[p3]).toBe(1);
    a.freePages(p3, 3);
    expect(m.badPages).toHaveLength(3);
  });

  it('4.17 default: a smaller order frees the head of the block and loses the rest, unreported', () => {
    const { m, a, p3 } = setup(false, false);
    const free = zoneOf(m, p3).freePages;
    a.freePages(p3, 1);
    expect(m.badPages).toHaveLength(0);
    expect(zoneOf(m, p3).freePages).toBe(free + 2);
    expect(checkCounters(m)).toEqual([]);
    a.freePages(p3, 3); // the right order now: the head's count is 0, it underflows
    expect(m.badPages).toHaveLength(0);
    expect(m.pages.refcount[p3]).toBe(-1);
  });

  it('4.17 default: a larger order over another allocated block is a bad page and the block is lost', () => {
    const { m, a, snapshot } = setup(false, false);
    let prev = -1;
    let lo = -1;
    while (lo < 0) {
      const p = a.allocPages(GFP_KERNEL, 2);
      if (p === prev + 4 && (prev & 7) === 0) lo = prev; // two neighbours making an order-3 block
      prev = p;
    }
    const before = snapshot();
    a.freePages(lo, 3);
    expect(m.badPages).toEqual([{ pfn: lo + 4, reason: 'nonzero _refcount (page 4 of the block)' }]);
    expect(snapshot()).toBe(before);
    expect(m.pages.refcount[lo]).toBe(0); // lost
    a.freePages(lo + 4, 2);
    expect(m.badPages).toHaveLength(1);
  });

  it('a larger order over pages on a per-cpu list or a misaligned block is refused, whatever the configuration', () => {
    for (const vm of [false, true]) {
      const { m, a, snapshot } = setup(vm);
      // two neighbouring order-0 pages, the first of the given parity
      const pair = (parity: number): number => {
        let prev = -2;
        for (;;) {
          const p = a.allocPages(GFP_KERNEL, 0);
          expect(p).not.toBe(NO_PAGE);
          if (p === prev + 1 && (prev & 1) === parity) return prev;
          prev = p;
        }
      };
      const even = pair(0);
      a.freePages(even + 1, 0); // onto a per-cpu list
      let before = snapshot();
      a.freePages(even, 1);
      expect(m.badPages.at(-1)!.reason).toMatch(/pfn \d+ of the block is on a per-cpu list; mmkit refuses it/);
      expect(snapshot()).toBe(before);
      const odd = pair(1);
      a.freePages(odd + 1, 0);
      before = snapshot();
      a.freePages(odd, 1);
      expect(m.badPages.at(-1)!.reason).toMatch(vm ? /VM_BUG_ON_PAGE\(pfn & \(\(1 << order\) - 1\)\)/ : /not aligned to order 1; mmkit refuses it/);
      expect(snapshot()).toBe(before);
      expect(m.badPages).toHaveLength(2);
      expect(checkCounters(m)).toEqual([]);
    }
  });

  it('a tail page: VM_BUG_ON_PAGE with CONFIG_DEBUG_VM, an underflow without', () => {
    const d = setup(true);
    d.a.freePages(d.p3 + 1, 0);
    expect(d.m.badPages[0]).toEqual({ pfn: d.p3 + 1, reason: expect.stringMatching(/^VM_BUG_ON_PAGE\(page_ref_count\(page\) == 0\)/) as unknown });
    expect(d.snapshot()).toBe(d.before);
    const n = setup(false);
    n.a.freePages(n.p3 + 1, 0);
    expect(n.m.badPages).toHaveLength(0);
    expect(n.m.pages.refcount[n.p3 + 1]).toBe(-1);
    n.a.freePages(n.p3, 3); // free_pages_check() of the tail page now fails: the block is lost
    expect(n.m.badPages).toEqual([{ pfn: n.p3 + 1, reason: 'nonzero _refcount (page 1 of the block)' }]);
  });

  it('reserved page, pfn out of range, flags still set', () => {
    for (const vm of [true, false]) {
      const m = createMachine({ nodesMiB: [64], reserved: [{ start: 8000, end: 8001 }], debug: { vm }, config: { pcp: false } });
      const a = m.allocator;
      a.freePages(8000, 0);
      expect(m.badPages[0].reason).toBe('PAGE_FLAGS_CHECK_AT_FREE flag(s) set');
      a.freePages(1 << 30, 0);
      a.freePages(-5, 0);
      expect(m.badPages).toHaveLength(3);
      const bad: [(p: number) => void, string][] = [
        [(p) => m.pages.setFlag(p, PG_lru), 'PAGE_FLAGS_CHECK_AT_FREE flag(s) set'],
        [(p) => (m.pages.setMapcount(p, 0)), 'nonzero mapcount'],
        [(p) => (m.pages.setMapping(p, 7)), 'non-NULL mapping'],
      ];
      for (const [spoil, reason] of bad) {
        const p = a.allocPages(GFP_KERNEL, 0);
        spoil(p);
        const free = zoneOf(m, p).freePages;
        a.freePages(p, 0);
        expect(m.badPages.at(-1)).toEqual({ pfn: p, reason });
        expect(zoneOf(m, p).freePages).toBe(free); // not freed: lost
        expect(m.pages.refcount[p]).toBe(0);
      }
      expect(checkCounters(m)).toEqual([]);
    }
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
    const { count, high, batch } = m.zones[1].pageset[1];
    expect({ count, high, batch }).toEqual({ count: 0, high: 90, batch: 15 });
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

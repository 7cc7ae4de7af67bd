/**
 * Variants are hook tables: a researcher's policy written as a class with its own fields boots
 * and runs, because its fields exist before the allocator calls any hook (with the class chain
 * of before, the base constructor called the override before the subclass's fields were set,
 * and this very variant crashed at boot with "this.oldDefaults is not iterable").
 */
import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, NO_PAGE, type Zone } from '@mmkit/core';
import { DEFAULT_BUDDY_HOOKS, createBuddyAllocator, type BuddyHooks } from '../src/index.js';
import { checkCounters, createMachine } from './fixture.js';

/** lowmem_reserve_ratio of Linux 2.6: 256 for DMA, 32 above, kept in a field of the variant. */
class OldRatios {
  private readonly oldDefaults = [256, 32, 32, 0, 0];
  readonly calls: string[] = [];
  readonly hooks: Partial<BuddyHooks> = {
    lowmemReserveRatioDefaults: () => {
      this.calls.push('lowmemReserveRatioDefaults');
      return [...this.oldDefaults];
    },
    zoneWatermarkOk: (st, zone: Zone, order, mark, classzoneIdx, allocFlags) => {
      this.calls.push('zoneWatermarkOk');
      return DEFAULT_BUDDY_HOOKS.zoneWatermarkOk(st, zone, order, mark, classzoneIdx, allocFlags);
    },
  };
}

describe('a variant with its own fields and overridden hooks', () => {
  it('boots, uses its fields, and allocates and frees like the reference', () => {
    const variant = new OldRatios();
    const m = createMachine({ nodesMiB: [256], factory: (s) => createBuddyAllocator(s, { name: 'buddy (old ratios)', hooks: variant.hooks }) });
    expect(m.allocator.name).toBe('buddy (old ratios)');
    expect(m.allocator.lowmemReserveRatio).toEqual([256, 32, 32, 0, 0]);
    // DMA32 keeps managed(Normal + ...) / 32 from Normal allocations: here only DMA32 and DMA exist.
    const dma = m.zones[0];
    const dma32 = m.zones[1];
    expect(dma.lowmemReserve[1]).toBe(Math.floor(dma32.managedPages / 256));
    const pfns: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const pfn = m.allocator.allocPages(GFP_KERNEL, i % 4);
      expect(pfn).not.toBe(NO_PAGE);
      pfns.push(pfn);
    }
    expect(variant.calls).toContain('zoneWatermarkOk');
    pfns.forEach((pfn, i) => m.allocator.freePages(pfn, i % 4));
    m.allocator.drainAllPages();
    expect(m.badPages).toEqual([]);
    expect(checkCounters(m)).toEqual([]);
    expect(m.zones.map((z) => z.freePages)).toEqual(m.bootFreePages);
  });

  it('refuses a hook that is not one, naming the hooks there are', () => {
    expect(() => createMachine({ nodesMiB: [32], factory: (s) => createBuddyAllocator(s, { hooks: { gfpzone: () => 0 } as Partial<BuddyHooks> }) })).toThrow(
      /no hook named 'gfpzone' \(hooks: gfpZone, /,
    );
    expect(() => createMachine({ nodesMiB: [32], factory: (s) => createBuddyAllocator(s, { hooks: { constructor: () => 0 } as Partial<BuddyHooks> }) })).toThrow(/no hook named 'constructor'/);
  });
});

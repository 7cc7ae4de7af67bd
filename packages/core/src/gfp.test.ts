import { describe, expect, it } from 'vitest';
import {
  GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, GFP_USER,
  __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_RECLAIMABLE,
  InvalidGfpError, formatGfp, gfpMigratetype, gfpZone, gfpZoneValid, gfpflagsAllowBlocking, parseGfp,
} from './gfp.js';
import { I386_ZONES, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, X86_64_ZONES } from './mmzone.js';

describe('gfp flags (4.17 values)', () => {
  it('composites have the 4.17 bit values', () => {
    expect(GFP_KERNEL).toBe(0x14000c0);
    expect(GFP_ATOMIC).toBe(0x1080020);
    expect(GFP_NOWAIT).toBe(0x1000000);
    expect(GFP_USER).toBe(0x14200c0);
    expect(GFP_HIGHUSER).toBe(0x14200c2);
    expect(GFP_HIGHUSER_MOVABLE).toBe(0x14200ca);
  });

  it('parses and formats names', () => {
    expect(parseGfp('GFP_KERNEL|__GFP_ZERO')).toBe(GFP_KERNEL | 0x8000);
    expect(parseGfp('0x14200ca')).toBe(GFP_HIGHUSER_MOVABLE);
    expect(parseGfp('GFP_BOGUS')).toBeUndefined();
    expect(formatGfp(GFP_HIGHUSER_MOVABLE)).toBe('GFP_HIGHUSER_MOVABLE');
    expect(formatGfp(GFP_KERNEL | 0x8000)).toBe('GFP_KERNEL|__GFP_ZERO');
  });
});

describe('gfp_zone (GFP_ZONE_TABLE of 4.17)', () => {
  const z = X86_64_ZONES;
  it('only __GFP_HIGHMEM|__GFP_MOVABLE reaches ZONE_MOVABLE', () => {
    expect(gfpZone(__GFP_MOVABLE | __GFP_HIGHMEM, z)).toBe(z.MOVABLE);
    expect(gfpZone(__GFP_MOVABLE, z)).toBe(z.NORMAL);
    expect(gfpZone(GFP_HIGHUSER_MOVABLE, z)).toBe(z.MOVABLE);
    expect(gfpZone(GFP_KERNEL, z)).toBe(z.NORMAL);
    expect(gfpZone(GFP_HIGHUSER, z)).toBe(z.NORMAL); // no HIGHMEM on x86-64
    expect(gfpZone(GFP_DMA, z)).toBe(z.DMA);
    expect(gfpZone(GFP_DMA32, z)).toBe(z.DMA32);
    expect(gfpZone(__GFP_MOVABLE | __GFP_DMA32, z)).toBe(z.DMA32);
  });

  it('uses ZONE_HIGHMEM on a 32-bit highmem configuration', () => {
    expect(gfpZone(GFP_HIGHUSER, I386_ZONES)).toBe(I386_ZONES.HIGHMEM);
    expect(gfpZone(GFP_DMA32, I386_ZONES)).toBe(I386_ZONES.NORMAL);
    expect(gfpZone(GFP_HIGHUSER_MOVABLE, I386_ZONES)).toBe(I386_ZONES.MOVABLE);
  });

  it('refuses every GFP_ZONE_BAD combination', () => {
    const bad = [__GFP_DMA | __GFP_HIGHMEM, __GFP_DMA | __GFP_DMA32, __GFP_DMA32 | __GFP_HIGHMEM, __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM];
    for (const b of [...bad, ...bad.map((x) => x | __GFP_MOVABLE)]) {
      expect(gfpZoneValid(b, z)).toBe(false);
      expect(() => gfpZone(b, z)).toThrow(InvalidGfpError);
    }
    let valid = 0;
    for (let m = 0; m < 16; m++) if (gfpZoneValid(m, z)) valid++;
    expect(valid).toBe(8);
  });
});

describe('gfp helpers', () => {
  it('gfpflags_to_migratetype', () => {
    expect(gfpMigratetype(GFP_KERNEL)).toBe(MIGRATE_UNMOVABLE);
    expect(gfpMigratetype(GFP_HIGHUSER_MOVABLE)).toBe(MIGRATE_MOVABLE);
    expect(gfpMigratetype(GFP_KERNEL | __GFP_RECLAIMABLE)).toBe(MIGRATE_RECLAIMABLE);
  });
  it('gfpflags_allow_blocking is __GFP_DIRECT_RECLAIM', () => {
    expect(gfpflagsAllowBlocking(GFP_KERNEL)).toBe(true);
    expect(gfpflagsAllowBlocking(GFP_ATOMIC)).toBe(false);
    expect(gfpflagsAllowBlocking(GFP_NOWAIT)).toBe(false);
  });
});

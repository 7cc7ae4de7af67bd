import { X86_64_ZONES, I386_ZONES, isHighmemIdx, type MemoryLayout } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { PRESETS, presetNames, setupMemory } from './index.js';
import { managedPages } from './managed.js';
import { seed22gSpec, SEED_22G_KERNEL_IMAGE, SEED_22G_NODE0_BOOT } from './presets.js';

const Z = X86_64_ZONES;

/**
 * __setup_per_zone_wmarks() of 4.17 for the min watermark: pages_min = min_free_kbytes >> 2
 * shared out by managed pages among the lowmem zones (ZONE_MOVABLE is lowmem on x86-64).
 */
function minWatermarks(l: MemoryLayout, minFreeKbytes: number): Map<string, number> {
  const pagesMin = minFreeKbytes >> 2;
  let lowmemPages = 0;
  for (const n of l.nodes) for (const z of n.zones) if (z.present > 0 && !isHighmemIdx(l.zones, z.zoneIdx, l.movableZone)) lowmemPages += managedPages(l, n.nid, z.zoneIdx);
  const out = new Map<string, number>();
  for (const n of l.nodes) {
    for (const z of n.zones) {
      if (z.present === 0) continue;
      out.set(`Node ${n.nid} ${l.zones.names[z.zoneIdx]}`, Math.floor((pagesMin * managedPages(l, n.nid, z.zoneIdx)) / lowmemPages));
    }
  }
  return out;
}

describe('seed-22g: the changelog machine (22GB ram, fakenuma, 2 nodes, 5 zones)', () => {
  const l = setupMemory(PRESETS['seed-22g'].spec);

  it('has the five populated zones of the changelog', () => {
    const populated = l.nodes.flatMap((n) => n.zones.filter((z) => z.present > 0).map((z) => `Node ${n.nid} ${l.zones.names[z.zoneIdx]}`));
    expect(populated).toEqual(['Node 0 DMA', 'Node 0 DMA32', 'Node 0 Normal', 'Node 1 Normal', 'Node 1 Movable']);
    expect(l.cma).toHaveLength(1);
    expect(l.nodes[1].zones[Z.MOVABLE]).toMatchObject({ startPfn: l.cma[0].start, spanned: l.cma[0].end - l.cma[0].start });
  });

  it('gives the min watermarks of min_free_kbytes 112640 (before the change)', () => {
    expect(Object.fromEntries(minWatermarks(l, 112640))).toEqual({
      'Node 0 DMA': 19, 'Node 0 DMA32': 3778, 'Node 0 Normal': 10191, 'Node 1 Normal': 14043, 'Node 1 Movable': 127,
    });
  });

  it('gives the min watermarks of min_free_kbytes 90112 (after the change)', () => {
    expect(Object.fromEntries(minWatermarks(l, 90112))).toEqual({
      'Node 0 DMA': 15, 'Node 0 DMA32': 3022, 'Node 0 Normal': 8152, 'Node 1 Normal': 11234, 'Node 1 Movable': 102,
    });
  });

  it('keeps both tables within a few pages of its reservation sizes (not a knife edge)', () => {
    for (const dk of [-16, 16]) {
      for (const dn of [-16, 16]) {
        const m = setupMemory(seed22gSpec(SEED_22G_KERNEL_IMAGE + dk * 4096, SEED_22G_NODE0_BOOT + dn * 4096));
        expect(minWatermarks(m, 112640).get('Node 0 Normal')).toBe(10191);
        expect(minWatermarks(m, 90112).get('Node 0 DMA32')).toBe(3022);
      }
    }
  });

  it('is the e820ForMemSize(22 GiB) machine split at 12 GiB', () => {
    expect(l.maxPfn).toBe((23 * 2 ** 30) / 4096);
    expect(l.nodes[1].startPfn).toBe((12 * 2 ** 30) / 4096);
  });
});

describe('the other presets', () => {
  it('are all listed and all lay out', () => {
    expect(presetNames()).toEqual(expect.arrayContaining(['default', 'seed-22g', 'numa-2x8g', 'i386-highmem-2g', 'movable-4g']));
    for (const name of presetNames()) {
      expect(PRESETS[name].description.length).toBeGreaterThan(40);
      expect(() => setupMemory(PRESETS[name].spec)).not.toThrow();
    }
  });

  it('default: 4 GiB, one node, DMA/DMA32/Normal', () => {
    const l = setupMemory(PRESETS.default.spec);
    expect(l.nodes).toHaveLength(1);
    expect(l.nodes[0].zones.map((z) => z.present > 0)).toEqual([true, true, true, false, false]);
    expect(l.nodes[0].present * 4096).toBeGreaterThan(4 * 2 ** 30 - 2 ** 20);
  });

  it('numa-2x8g: two nodes of 8 GiB', () => {
    const l = setupMemory(PRESETS['numa-2x8g'].spec);
    expect(l.nodes.map((n) => Math.round((n.present * 4096) / 2 ** 30))).toEqual([8, 8]);
  });

  it('i386-highmem-2g: ZONE_MOVABLE comes out of HighMem', () => {
    const l = setupMemory(PRESETS['i386-highmem-2g'].spec);
    const zs = l.nodes[0].zones;
    expect(l.zones).toBe(I386_ZONES);
    expect(zs[I386_ZONES.HIGHMEM].present).toBeGreaterThan(0);
    expect(zs[I386_ZONES.MOVABLE].present).toBeGreaterThan(0);
    expect(zs[I386_ZONES.MOVABLE].startPfn).toBeGreaterThanOrEqual(zs[I386_ZONES.HIGHMEM].startPfn + zs[I386_ZONES.HIGHMEM].spanned);
    expect(l.movableZone).toBe(I386_ZONES.HIGHMEM);
    expect(isHighmemIdx(l.zones, I386_ZONES.MOVABLE, l.movableZone)).toBe(true);
  });

  it('movable-4g: the 1 GiB above 4 GiB is ZONE_MOVABLE', () => {
    const l = setupMemory(PRESETS['movable-4g'].spec);
    expect(l.nodes[0].zones[Z.NORMAL].spanned).toBe(0);
    expect(l.nodes[0].zones[Z.MOVABLE].present).toBe(2 ** 30 / 4096);
  });
});

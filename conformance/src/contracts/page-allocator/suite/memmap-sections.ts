/**
 * Page-allocator cases: the memmap exists by section (SPARSEMEM on x86-64), and the views that
 * walk pfns skip the sections without one (pfn_valid()).
 */
import { MIGRATETYPE_NAMES, PAGEBLOCK_NR_PAGES, type PfnRange } from '@mmkit/core';
import { type Kernel } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import { boot, populated } from './helpers.js';
import type { SuiteCase } from '../../../suite.js';
import type { PageAllocatorUnderTest } from './helpers.js';

const cases: SuiteCase<PageAllocatorUnderTest>[] = [];
const add = (c: SuiteCase<PageAllocatorUnderTest>) => cases.push(c);

/** PFN_SECTION_SHIFT on x86-64: SECTION_SIZE_BITS 27 (128 MiB) - PAGE_SHIFT. */
const PFN_SECTION_SHIFT = 27 - 12;
const MiB = 2 ** 20;

/** memory_present(): a section has a memmap when some of memblock.memory lies in it. */
function sectionPresent(memory: readonly PfnRange[], pfn: number): boolean {
  const start = (pfn >>> PFN_SECTION_SHIFT) << PFN_SECTION_SHIFT;
  const end = start + (1 << PFN_SECTION_SHIFT);
  return memory.some((r) => r.start < end && r.end > start);
}

/** The "Number of blocks type" rows of /proc/pagetypeinfo: zone name -> counts by migratetype. */
function blockCounts(k: Kernel): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const lines = k.readFile('/proc/pagetypeinfo').split('\n');
  const at = lines.findIndex((l) => l.startsWith('Number of blocks type'));
  assert.ok(at >= 0, '/proc/pagetypeinfo has the block counts');
  const header = lines[at].slice('Number of blocks type'.length).trim().split(/\s+/);
  for (const l of lines.slice(at + 1)) {
    const m = /^Node (\d+), zone\s+(\S+)\s+(.*)$/.exec(l);
    if (!m) break;
    const counts = m[3].trim().split(/\s+/).map(Number);
    out.set(`${m[1]}:${m[2]}`, MIGRATETYPE_NAMES.map((name) => counts[header.indexOf(name)] ?? 0));
  }
  return out;
}

add({
  name: 'pagetypeinfo: pageblocks in memory sections without a memmap are not counted',
  rules: ['page-allocator.pagetypeinfo.valid-sections'],
  run(ctx) {
    // The default machine: DMA32 spans 16 MiB to 4 GiB, with RAM only up to 3 GiB; the 8 sections
    // of the PCI hole have no memmap (this figure is what Linux shows for the same e820 map).
    const k = boot(ctx, { preset: 'default' });
    const dma32 = k.zones.find((z) => z.name === 'DMA32')!;
    assert.equal(dma32.spannedPages, 1044480, 'DMA32 spans 16 MiB to 4 GiB');
    const counts = blockCounts(k);
    assert.equal(counts.get('0:DMA32')!.reduce((a, b) => a + b, 0), 1528, 'DMA32 blocks counted: those below 3 GiB');
    assert.equal(counts.get('0:DMA')!.reduce((a, b) => a + b, 0), 8, 'DMA blocks counted: all 8, the ISA hole lying in section 0');

    // Holes inside a section with memory keep their struct pages (memmap_init_zone() initialises
    // every pfn of a valid section, each pageblock MIGRATE_MOVABLE) and are counted; whole
    // sections without memory are not.
    const e820 = [
      { addr: 0, size: 640 * 1024, type: 'usable' as const },
      { addr: 1 * MiB, size: 99 * MiB, type: 'usable' as const }, // up to 100 MiB: 100-128 MiB is a hole in section 0
      { addr: 200 * MiB, size: 824 * MiB, type: 'usable' as const }, // 128-200 MiB is a hole in section 1
      { addr: 1536 * MiB, size: 512 * MiB, type: 'usable' as const }, // sections 8-11 (1-1.5 GiB) have no memory
    ];
    const h = boot(ctx, { machine: { e820 } });
    const memory = h.layout.memory;
    const rows = blockCounts(h);
    for (const z of populated(h)) {
      const want = new Array<number>(MIGRATETYPE_NAMES.length).fill(0);
      let inHole = 0;
      for (let pfn = z.zoneStartPfn; pfn < z.zoneStartPfn + z.spannedPages; pfn += PAGEBLOCK_NR_PAGES) {
        if (!sectionPresent(memory, pfn)) continue;
        if (!memory.some((r) => r.start <= pfn && pfn < r.end)) inHole++;
        want[h.pages.getPageblockMigratetype(pfn)]++;
      }
      assert.deepEqual(rows.get(`${z.nid}:${z.name}`), want, `${z.name} block counts: every pageblock of a section with memory, none of the others`);
      if (z.name === 'DMA32') {
        assert.ok(inHole >= (100 - 28) / 2, `DMA32 counts the ${inHole} pageblocks starting in holes of sections with memory`);
        const spannedBlocks = Math.ceil(z.spannedPages / PAGEBLOCK_NR_PAGES);
        assert.equal(want.reduce((a, b) => a + b, 0), spannedBlocks - (512 * MiB) / (2 * MiB), 'DMA32 leaves out the 256 pageblocks of the 4 sections without memory');
      }
    }
  },
});

export const memmapSectionCases: readonly SuiteCase<PageAllocatorUnderTest>[] = cases;

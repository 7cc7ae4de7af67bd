/**
 * Named machines for the kernel, the CLI and the conformance suites.
 */
import type { MachineSpec } from './setup.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The machine of the 4.17 changelog entry that stops counting ZONE_MOVABLE when THP sets
 * min_free_kbytes ("22GB ram, fakenuma, 2 nodes. 5 zones are used"): a 22 GiB QEMU pc guest with numa=fake=2 and a 100 MiB CMA
 * area at the top of node 1, which 4.17 manages with ZONE_MOVABLE.
 *
 * The e820 map is e820ForMemSize(22 GiB): 3 GiB below 4 GiB, 19 GiB above. numa=fake=2
 * splits it at 12 GiB, so node 0 has DMA, DMA32 and 8 GiB of Normal, node 1 11 GiB of Normal
 * of which the top 100 MiB is the CMA area (ZONE_MOVABLE). memblock reserves:
 *  - the firmware areas below 1 MiB (DMA keeps 3977 of its 3998 pages, as on any QEMU guest);
 *  - a 35.75 MiB kernel image at 16 MiB (DMA32);
 *  - the 64 MiB swiotlb bounce buffer just below the top of RAM under 4 GiB (pci_swiotlb_detect_4gb:
 *    a machine with memory above 4 GiB and no IOMMU gets one) (DMA32);
 *  - 42 MiB at the top of node 0 (Normal) for node 0's other boot-time allocations (direct-map
 *    page tables, per-cpu areas, NODE_DATA, log buffer, ...), the one size chosen to match the
 *    changelog's figures;
 *  - the struct pages, 176 MiB per node (88 present sections of 2 MiB each), top-down.
 * Managed pages: DMA 3977, DMA32 756767, Node 0 Normal 2041344, Node 1 Normal 2812928, Movable
 * 25600. With pages_min = min_free_kbytes / 4 shared out by managed pages (ZONE_MOVABLE is
 * lowmem on x86-64) they give the changelog's tables exactly: min_free_kbytes 112640 ->
 * 19, 3778, 10191, 14043, 127; 90112 -> 15, 3022, 8152, 11234, 102.
 * scripts/seed-22g-search.ts searches the reservation sizes that do.
 */
export const SEED_22G_KERNEL_IMAGE = 9152 * 4096; // 35.75 MiB
export const SEED_22G_NODE0_BOOT = 42 * MiB;
export const SEED_22G_SWIOTLB = 64 * MiB;

export function seed22gSpec(kernelImage = SEED_22G_KERNEL_IMAGE, node0Boot = SEED_22G_NODE0_BOOT): MachineSpec {
  return {
    arch: 'x86_64',
    mem: 22 * GiB,
    nodes: 2,
    cma: [{ size: 100 * MiB, node: 1 }],
    reserve: {
      firmware: true,
      kernelImage,
      memmap: true,
      extra: [
        // swiotlb: 64 MiB, top-down below the end of RAM under 4 GiB (0xbffdf000).
        { addr: 0xbffdf000 - SEED_22G_SWIOTLB, size: SEED_22G_SWIOTLB },
        // node 0's other boot-time allocations, at the top of node 0 (which ends at 12 GiB).
        ...(node0Boot > 0 ? [{ addr: 12 * GiB - node0Boot, size: node0Boot }] : []),
      ],
    },
  };
}

export const PRESETS: Record<string, { description: string; spec: MachineSpec }> = {
  default: {
    description:
      'A 4 GiB QEMU pc guest, one node: DMA (below 16 MiB), DMA32 (up to the 3 GiB of RAM below the PCI hole) and 1 GiB of Normal above 4 GiB.',
    spec: { mem: 4 * GiB },
  },
  'seed-22g': {
    description:
      'The 4.17 changelog machine: 22 GiB, numa=fake=2, a 100 MiB CMA area managed by ZONE_MOVABLE at the top of node 1; five populated zones (Node 0 DMA, DMA32, Normal; Node 1 Normal, Movable) whose min watermarks match the changelog for min_free_kbytes 90112 and 112640.',
    spec: seed22gSpec(),
  },
  'numa-2x8g': {
    description:
      'A 16 GiB guest split by numa=fake=2 into two 8 GiB nodes: node 0 has DMA, DMA32 and some Normal, node 1 only Normal; shows node-local allocation and fallback at distance 20.',
    spec: { mem: 16 * GiB, nodes: 2 },
  },
  'i386-highmem-2g': {
    description:
      'A 32-bit (CONFIG_HIGHMEM, PAE) kernel on 2 GiB: DMA below 16 MiB, Normal up to 896 MiB (max_low_pfn), HighMem above; movablecore=512M takes ZONE_MOVABLE out of HighMem, so Movable is highmem too.',
    spec: { arch: 'i386', mem: 2 * GiB, movablecore: 512 * MiB },
  },
  'movable-4g': {
    description:
      'A 4 GiB guest with movablecore=1G: the 1 GiB above 4 GiB (all of ZONE_NORMAL) becomes ZONE_MOVABLE, leaving DMA and DMA32 for kernel allocations.',
    spec: { mem: 4 * GiB, movablecore: 1 * GiB },
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The preset of this name, looked up as an own property ('constructor' is no preset), or undefined. */
export function presetByName(name: string): { description: string; spec: MachineSpec } | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}

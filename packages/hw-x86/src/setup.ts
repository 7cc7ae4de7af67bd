/**
 * setup_arch() for memory (arch/x86/kernel/setup.c, 4.17): from the firmware's e820 map to
 * the layout the page allocator is built from. In boot order:
 *   e820__memblock_setup()        usable e820 ranges, page-rounded inward -> memblock.memory
 *   trim_bios_range()             page 0 and 640 KiB - 1 MiB are not RAM
 *   memblock_reserve(kernel)      the kernel image at CONFIG_PHYSICAL_START (16 MiB)
 *   reserve_bios_regions()        EBDA and BIOS area up to 1 MiB
 *   reserve_real_mode()           the real-mode trampoline, top-down below 1 MiB
 *   trim_low_memory_range()       the first 64 KiB (CONFIG_X86_RESERVE_LOW)
 *   initmem_init()                NUMA nodes (numa=fake=N)
 *   dma_contiguous_reserve()      CMA areas, top-down in their node
 *   paging_init() -> sparse_init  struct pages: 64 bytes per page of each present section
 *   zone_sizes_init()             zones, ZONE_MOVABLE
 */
import {
  PAGE_SHIFT,
  PAGE_SIZE,
  alignDown,
  alignUp,
  intersectRanges,
  normalizeRanges,
  pagesInRange,
  splitRangesAt,
  totalPages,
  zoneConfigFor,
  type CmaPolicy,
  type MemoryLayout,
  type PfnRange,
} from '@mmkit/core';
import { e820ForMemSize, isRam, parseE820, validateE820, type E820Entry } from './e820.js';
import { MachineSpecError, showValue, checkByteCount, formatBytes } from './errors.js';
import { Memblock } from './memblock.js';
import { MAX_NUMNODES, splitNodesInterleave } from './numa-emulation.js';
import { MAX_ORDER_NR_PAGES, freeAreaInitNodes, zoneSizesInit, type MovableOptions } from './zones.js';

export interface MemblockReservationSpec {
  /** Bytes of kernel image (text, data, bss, brk) at 16 MiB (CONFIG_PHYSICAL_START). */
  kernelImage?: number;
  /**
   * Reserve the struct pages (vmemmap): 64 bytes per page of each present 128 MiB section
   * (32 bytes per page of the node's span on i386's flat mem_map), top-down in each node.
   */
  memmap?: boolean;
  /** More reservations, in bytes (rounded outward to pages, as free_low_memory_core_early does). */
  extra?: { addr: number; size: number }[];
  /** Page 0 (trim_bios_range), the first 64 KiB, the EBDA/BIOS area and the real-mode trampoline below 1 MiB. */
  firmware?: boolean;
}

export interface MachineSpec {
  /** Default x86_64. i386 = 32-bit with CONFIG_HIGHMEM and PAE (memory above 64 GiB is ignored). */
  arch?: 'x86_64' | 'i386';
  /** Bytes of RAM, laid out by e820ForMemSize() when e820 is absent. Default 4 GiB. */
  mem?: number;
  /** The firmware map: entries or dmesg text. */
  e820?: E820Entry[] | string;
  /** numa=fake=N: N emulated nodes of equal size (x86_64 only). Default 1. */
  nodes?: number;
  /** kernelcore=: bytes or percent of memory usable for any allocation; the rest is ZONE_MOVABLE. */
  kernelcore?: number | { percent: number };
  /** movablecore=: bytes or percent of memory for ZONE_MOVABLE. */
  movablecore?: number | { percent: number };
  /** movable_node, with these nodes hotpluggable: all of their memory is ZONE_MOVABLE. */
  movableNodes?: number[];
  /**
   * CMA areas (4 MiB aligned), at the top of their node (default: the last). Under the
   * zone-movable CMA policy (the seed's, the default) ZONE_MOVABLE manages them; under the
   * migratetype policy the zone their pfns belong to does (SetupOptions.cmaPolicy).
   */
  cma?: { size: number; node?: number }[];
  /** What memblock reserves at boot. Fields left out take their defaults. */
  reserve?: MemblockReservationSpec;
}

/** Every field of MachineSpec: one added to the type must be added here (and checked). */
const MACHINE_SPEC_FIELDS: Record<keyof MachineSpec, true> = {
  arch: true, mem: true, e820: true, nodes: true, kernelcore: true, movablecore: true, movableNodes: true, cma: true, reserve: true,
};

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Defaults: a 30 MiB kernel image, struct pages and the firmware areas reserved. */
export const DEFAULT_RESERVE: Readonly<Required<Omit<MemblockReservationSpec, 'extra'>>> = Object.freeze({
  kernelImage: 30 * MiB,
  memmap: true,
  firmware: true,
});

/** CONFIG_PHYSICAL_START. */
export const KERNEL_PHYSICAL_START = 16 * MiB;
/** CONFIG_X86_RESERVE_LOW: 64 KiB. */
const RESERVE_LOW = 64 * KiB;
/** ISA hole removed from RAM by trim_bios_range(). */
const BIOS_BEGIN = 0xa0000;
const BIOS_END = 0x100000;
/** reserve_bios_regions(): BIOS_START_MIN / BIOS_START_MAX. */
const BIOS_START_MIN = 0x20000;
const BIOS_START_MAX = 0x9f000;
/** Size of the real-mode trampoline (dmesg: "Base memory trampoline at [...] 99000 size 24576"). */
const REAL_MODE_SIZE = 24 * KiB;
/** PAGES_PER_SECTION on x86-64 (SECTION_SIZE_BITS 27: 128 MiB). */
const PAGES_PER_SECTION = (128 * MiB) >> PAGE_SHIFT;
/** PMD_SIZE in pages: vmemmap blocks are 2 MiB aligned. */
const PMD_PAGES = (2 * MiB) >> PAGE_SHIFT;
/** i386 lowmem ends at 896 MiB (MAXMEM with the default 128 MiB vmalloc area). */
const I386_MAXMEM_PFN = (896 * MiB) >> PAGE_SHIFT;
/** i386 with PAE addresses 64 GiB (MAX_ARCH_PFN); x86-64 with 4-level paging 64 TiB. */
const MAX_ARCH_PFN = { i386: (64 * GiB) / PAGE_SIZE, x86_64: 2 ** (46 - PAGE_SHIFT) } as const;
/** pageblock and MAX_ORDER alignment of a CMA area (cma_declare_contiguous), in pages. */
const CMA_ALIGN_PAGES = MAX_ORDER_NR_PAGES;

function pfnUp(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}
function pfnDown(bytes: number): number {
  return Math.floor(bytes / PAGE_SIZE);
}

function checkOptionalKeys(obj: object, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new MachineSpecError(`${what}: unknown option '${k}' (known: ${allowed.join(', ')})`);
  }
}

function parseCoreOption(name: string, v: number | { percent: number } | undefined): { pages?: number; percent?: number } {
  if (v === undefined) return {};
  if (typeof v === 'number') return { pages: Math.floor(checkByteCount(name, v) / PAGE_SIZE) };
  if (typeof v === 'object' && v !== null && 'percent' in v) {
    const p = v.percent;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 100) {
      throw new MachineSpecError(`${name} percent must be a whole number from 0 to 100, got ${showValue(p)}`);
    }
    return { percent: p };
  }
  throw new MachineSpecError(`${name} must be a number of bytes or { percent }`);
}

/** What setup_arch() depends on besides the machine. */
export interface SetupOptions {
  /** How CMA areas are managed (default 'zone-movable'): only that policy makes ZONE_MOVABLE start at an area. */
  cmaPolicy?: CmaPolicy;
}

/**
 * Lay out the machine's memory as x86 and memblock set it up at boot: memblock.memory and
 * memblock.reserved, the NUMA nodes, each node's zones (DMA below 16 MiB, DMA32 below
 * 4 GiB, Normal above, HighMem above 896 MiB on i386, Movable per the options) and the
 * distances (10 local, 20 remote). Works on ranges: milliseconds for any machine size.
 */
export function setupMemory(spec: MachineSpec = {}, setup: SetupOptions = {}): MemoryLayout {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new MachineSpecError('machine spec must be an object');
  checkOptionalKeys(spec, Object.keys(MACHINE_SPEC_FIELDS), 'machine');
  const arch = spec.arch ?? 'x86_64';
  if (arch !== 'x86_64' && arch !== 'i386') throw new MachineSpecError(`unknown arch '${showValue(arch)}' (x86_64 or i386)`);
  const zones = zoneConfigFor(arch);
  const given = spec.reserve ?? {};
  if (typeof given !== 'object' || given === null) throw new MachineSpecError('reserve must be an object');
  checkOptionalKeys(given, ['kernelImage', 'memmap', 'extra', 'firmware'], 'reserve');
  const reserve = {
    kernelImage: given.kernelImage ?? DEFAULT_RESERVE.kernelImage,
    memmap: given.memmap ?? DEFAULT_RESERVE.memmap,
    firmware: given.firmware ?? DEFAULT_RESERVE.firmware,
    extra: given.extra ?? [],
  };
  const kernelImage = checkByteCount('reserve.kernelImage', reserve.kernelImage);

  // The firmware map.
  if (spec.e820 !== undefined && spec.mem !== undefined) {
    throw new MachineSpecError('give either mem (a QEMU-like map is built for it) or e820, not both');
  }
  let e820: E820Entry[];
  if (spec.e820 === undefined) e820 = e820ForMemSize(spec.mem ?? 4 * GiB, arch);
  else if (typeof spec.e820 === 'string') e820 = parseE820(spec.e820);
  else e820 = validateE820(spec.e820);

  // e820__memblock_setup(): RAM, rounded inward to pages (memblock_trim_memory()).
  const mb = new Memblock();
  const ram: PfnRange[] = [];
  for (const e of e820) {
    if (!isRam(e.type)) continue;
    const start = pfnUp(e.addr);
    const end = pfnDown(e.addr + e.size);
    if (end > start) ram.push({ start, end });
  }
  mb.addRanges(ram);
  if (reserve.firmware) {
    // trim_bios_range(): page 0 becomes reserved in e820, the ISA hole is never RAM.
    mb.remove(0, 1);
    mb.remove(BIOS_BEGIN >> PAGE_SHIFT, BIOS_END >> PAGE_SHIFT);
  }
  const maxArchPfn = MAX_ARCH_PFN[arch];
  mb.remove(maxArchPfn, Number.MAX_SAFE_INTEGER);
  if (mb.memory.length === 0) throw new MachineSpecError('the e820 map has no usable RAM');
  // e820__end_of_ram_pfn(); on x86-64 init_mem_mapping() then raises max_low_pfn to max_pfn.
  const maxPfn = mb.memory[mb.memory.length - 1].end;
  const maxLowPfn = arch === 'i386' ? Math.min(maxPfn, I386_MAXMEM_PFN) : maxPfn;
  const totalBytes = totalPages(mb.memory) * PAGE_SIZE;

  // Fixed reservations (memblock_reserve), in setup_arch() order.
  const fixed: { what: string; start: number; end: number }[] = [];
  if (kernelImage > 0) {
    const start = KERNEL_PHYSICAL_START >> PAGE_SHIFT;
    const end = pfnUp(KERNEL_PHYSICAL_START + kernelImage);
    if (!mb.isMemory(start, end)) {
      throw new MachineSpecError(
        `the kernel image (reserve.kernelImage ${formatBytes(kernelImage)} at 16 MiB) needs usable RAM from 16 MiB to ${formatBytes(end * PAGE_SIZE)}, which this machine (${formatBytes(totalBytes)} usable) does not have: give more memory or a smaller reserve.kernelImage (0 for none)`,
      );
    }
    mb.reserve(start, end);
    fixed.push({ what: 'the kernel image', start, end });
  }
  if (reserve.firmware) {
    // reserve_bios_regions(): from the EBDA (end of conventional memory) up to 1 MiB.
    const conventional = e820.find((e) => e.addr === 0 && isRam(e.type));
    let biosStart = conventional ? conventional.size : BIOS_START_MAX;
    if (biosStart < BIOS_START_MIN || biosStart > BIOS_START_MAX) biosStart = BIOS_START_MAX;
    biosStart = alignDown(biosStart, PAGE_SIZE);
    mb.reserve(biosStart >> PAGE_SHIFT, BIOS_END >> PAGE_SHIFT);
    // reserve_real_mode(): the trampoline, top-down below 1 MiB.
    const rmPages = REAL_MODE_SIZE >> PAGE_SHIFT;
    const rm = mb.findInRangeTopDown(rmPages, 1, 0, BIOS_END >> PAGE_SHIFT);
    if (rm < 0) {
      throw new MachineSpecError(
        'no room below 1 MiB for the real-mode trampoline (reserve_real_mode): the map needs usable RAM below 640 KiB, or set reserve.firmware to false',
      );
    }
    mb.reserve(rm, rm + rmPages);
    // trim_low_memory_range(): CONFIG_X86_RESERVE_LOW.
    mb.reserve(0, RESERVE_LOW >> PAGE_SHIFT);
    fixed.push({ what: 'the firmware areas below 1 MiB', start: 0, end: BIOS_END >> PAGE_SHIFT });
  }
  if (!Array.isArray(reserve.extra)) throw new MachineSpecError('reserve.extra must be an array of { addr, size }');
  reserve.extra.forEach((r, i) => {
    const addr = checkByteCount(`reserve.extra[${i}].addr`, r?.addr);
    const size = checkByteCount(`reserve.extra[${i}].size`, r?.size, { positive: true });
    const start = pfnDown(addr);
    const end = pfnUp(addr + size);
    mb.reserve(start, end);
    fixed.push({ what: `reserve.extra[${i}]`, start, end });
  });

  // initmem_init(): nodes.
  const fakeNodes = spec.nodes ?? 1;
  if (typeof fakeNodes !== 'number' || !Number.isInteger(fakeNodes) || fakeNodes < 1) {
    throw new MachineSpecError(`nodes (numa=fake=) must be a whole number >= 1, got ${showValue(fakeNodes)}`);
  }
  if (fakeNodes > MAX_NUMNODES) throw new MachineSpecError(`nodes (numa=fake=${fakeNodes}) is more than MAX_NUMNODES (${MAX_NUMNODES})`);
  if (fakeNodes > 1 && arch !== 'x86_64') {
    throw new MachineSpecError('nodes > 1 needs NUMA emulation (CONFIG_NUMA_EMU), which only x86_64 has');
  }
  const nodeSpans: PfnRange[] = fakeNodes === 1 ? [{ start: 0, end: maxPfn }] : splitNodesInterleave(mb.memory, maxPfn, fakeNodes);
  const nrNodes = nodeSpans.length;
  const nodeOf = (pfn: number) => nodeSpans.findIndex((n) => pfn >= n.start && pfn < n.end);
  const nodeMemoryOf = (nid: number) => intersectRanges(mb.memory, [nodeSpans[nid]]);

  // movable_node: which nodes are hotpluggable.
  const movableNodes = spec.movableNodes ?? [];
  if (!Array.isArray(movableNodes)) throw new MachineSpecError('movableNodes must be an array of node ids');
  for (const nid of movableNodes) {
    if (!Number.isInteger(nid) || nid < 0 || nid >= nrNodes) {
      throw new MachineSpecError(`movableNodes: node ${showValue(nid)} does not exist (the machine has ${nrNodes} node${nrNodes > 1 ? 's' : ''})`);
    }
    // numa_clear_kernel_node_hotplug(): a node holding boot-time reservations stays unmovable.
    for (const f of fixed) {
      if (pagesInRange(nodeMemoryOf(nid), f.start, f.end) > 0) {
        throw new MachineSpecError(
          `movableNodes: node ${nid} holds ${f.what}, reserved at boot, so it cannot be hotpluggable (numa_clear_kernel_node_hotplug)`,
        );
      }
    }
  }
  if (movableNodes.length > 0 && (spec.kernelcore !== undefined || spec.movablecore !== undefined)) {
    throw new MachineSpecError('with movableNodes (movable_node) Linux ignores kernelcore= and movablecore=: give one or the other');
  }
  const unmovable = nodeSpans.map((_, nid) => nid).filter((nid) => !movableNodes.includes(nid));
  const unmovableMemory = normalizeRanges(unmovable.flatMap((nid) => nodeMemoryOf(nid)));

  // dma_contiguous_reserve() / cma_declare_contiguous(): top-down, 4 MiB aligned.
  const cmaStart = new Map<number, number>();
  const cmaSpecs = spec.cma ?? [];
  if (!Array.isArray(cmaSpecs)) throw new MachineSpecError('cma must be an array of { size, node? }');
  cmaSpecs.forEach((c, i) => {
    const size = checkByteCount(`cma[${i}].size`, c?.size, { positive: true });
    const nid = c.node ?? nrNodes - 1;
    if (!Number.isInteger(nid) || nid < 0 || nid >= nrNodes) {
      throw new MachineSpecError(`cma[${i}].node ${showValue(nid)} does not exist (the machine has ${nrNodes} node${nrNodes > 1 ? 's' : ''})`);
    }
    if (movableNodes.includes(nid)) {
      throw new MachineSpecError(`cma[${i}]: node ${nid} is hotpluggable (movableNodes), and memblock does not allocate there`);
    }
    const pages = alignUp(pfnUp(size), CMA_ALIGN_PAGES);
    const base = mb.findInRangeTopDown(pages, CMA_ALIGN_PAGES, 0, maxPfn, nodeMemoryOf(nid));
    if (base < 0) {
      throw new MachineSpecError(`cma[${i}]: no free, 4 MiB aligned ${formatBytes(pages * PAGE_SIZE)} on node ${nid}`);
    }
    mb.reserveCma(base, base + pages);
    cmaStart.set(nid, Math.min(cmaStart.get(nid) ?? Infinity, base));
  });

  // sparse_init(): struct pages, top-down in their node (hotpluggable nodes' in the others).
  if (reserve.memmap) {
    if (arch === 'x86_64') {
      // memory_present(): a section is present when it holds any memory; it belongs to the
      // node of its first present page.
      const sectionsPerNode = new Array<number>(nrNodes).fill(0);
      let lastSection = -1;
      for (const r of mb.memory) {
        const first = Math.floor(r.start / PAGES_PER_SECTION);
        const last = Math.floor((r.end - 1) / PAGES_PER_SECTION);
        for (let s = Math.max(first, lastSection + 1); s <= last; s++) {
          sectionsPerNode[nodeOf(Math.max(s * PAGES_PER_SECTION, r.start))]++;
        }
        lastSection = Math.max(lastSection, last);
      }
      for (let nid = 0; nid < nrNodes; nid++) {
        if (sectionsPerNode[nid] === 0) continue;
        const pages = sectionsPerNode[nid] * ((PAGES_PER_SECTION * 64) >> PAGE_SHIFT);
        allocMemmap(mb, nid, pages, PMD_PAGES, movableNodes.includes(nid) ? unmovableMemory : nodeMemoryOf(nid), maxPfn);
      }
    } else {
      // i386: one flat mem_map per node, 32-byte struct pages, in lowmem.
      for (let nid = 0; nid < nrNodes; nid++) {
        const mem = nodeMemoryOf(nid);
        if (mem.length === 0) continue;
        const spanned = mem[mem.length - 1].end - mem[0].start;
        const pages = pfnUp(spanned * 32);
        allocMemmap(mb, nid, pages, 1, intersectRanges(mem, [{ start: 0, end: maxLowPfn }]), maxLowPfn);
      }
    }
  }

  // zone_sizes_init() -> free_area_init_nodes().
  const kc = parseCoreOption('kernelcore', spec.kernelcore);
  const mc = parseCoreOption('movablecore', spec.movablecore);
  if (mc.pages !== undefined && mc.pages * PAGE_SIZE > totalBytes) {
    throw new MachineSpecError(
      `movablecore ${formatBytes(mc.pages * PAGE_SIZE)} is more than the machine's ${formatBytes(totalBytes)} of memory`,
    );
  }
  const options: MovableOptions = {
    kernelcorePages: kc.pages,
    kernelcorePercent: kc.percent,
    movablecorePages: mc.pages,
    movablecorePercent: mc.percent,
    movableNodes,
    // The seed's cma_init_reserved_areas() gives each node's areas to its ZONE_MOVABLE; 4.16 and
    // 4.17-final leave them in the zones their pfns belong to.
    cmaStart: (setup.cmaPolicy ?? 'zone-movable') === 'zone-movable' ? cmaStart : undefined,
  };
  const memoryByNode = nodeSpans.map((_, nid) => nodeMemoryOf(nid));
  const { nodes, movableZone } = freeAreaInitNodes(zones, zoneSizesInit(zones, maxLowPfn, maxPfn), memoryByNode, options);

  const distance: number[] = [];
  for (let a = 0; a < nrNodes; a++) for (let b = 0; b < nrNodes; b++) distance.push(a === b ? 10 : 20);

  return {
    zones,
    nodes,
    maxPfn,
    memory: splitRangesAt(mb.memory, nodeSpans.map((n) => n.start)),
    reserved: mb.reserved,
    distance,
    cma: mb.cma,
    movableZone,
  };
}

function allocMemmap(mb: Memblock, nid: number, pages: number, align: number, within: readonly PfnRange[], limit: number): void {
  const base = mb.findInRangeTopDown(pages, align, 0, limit, within);
  if (base < 0) {
    throw new MachineSpecError(`not enough free memory on node ${nid} for its struct pages (${formatBytes(pages * PAGE_SIZE)} of memmap)`);
  }
  mb.reserve(base, base + pages);
}

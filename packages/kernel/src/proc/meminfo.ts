/**
 * /proc/meminfo in 4.17's format (fs/proc/meminfo.c, arch/x86/mm/pageattr.c for DirectMap).
 * Counters of subsystems this kernel does not run yet (page cache, swap...) read 0.
 */
import { WMARK_LOW, isHighmemIdx, type MemoryLayout, type Zone, type ZoneLayoutConfig } from '@mmkit/core';

export interface MeminfoSource {
  readonly zones: readonly Zone[];
  readonly zoneConfig: ZoneLayoutConfig;
  readonly layout: MemoryLayout;
  totalreservePages(): number;
  /** vm.overcommit_ratio (default 50). */
  readonly overcommitRatio: number;
  /** NR_SLAB_RECLAIMABLE and NR_SLAB_UNRECLAIMABLE: pages of slabs, by whether their cache has SLAB_RECLAIM_ACCOUNT. */
  slabPages(): { reclaimable: number; unreclaimable: number };
}

const KB_PER_PAGE = 4;

/** show_val_kb(): a 16-column label, the value in kB right-aligned in 8 columns. */
function line(label: string, pages: number): string {
  return `${(label + ':').padEnd(16)}${String(pages * KB_PER_PAGE).padStart(8)} kB\n`;
}

/**
 * vm_commit_limit() in kB as meminfo prints it: (totalram - hugetlb) * overcommit_ratio / 100
 * + total_swap_pages, in unsigned long arithmetic (the int ratio converted to unsigned long, so
 * a negative ratio, which proc_dointvec accepts, wraps as it does in C), then << (PAGE_SHIFT - 10).
 */
export function commitLimitKb(pages: number, ratio: number, swapPages: number, bitsPerLong: number): string {
  const ul = (v: bigint) => BigInt.asUintN(bitsPerLong, v);
  const allowed = ul(ul(ul(BigInt(pages) * ul(BigInt(ratio))) / 100n) + BigInt(swapPages));
  return String(ul(allowed * BigInt(KB_PER_PAGE)));
}

/** si_mem_available() of 4.17 (no page cache yet: that term is 0). */
export function siMemAvailable(src: MeminfoSource): number {
  let wmarkLow = 0;
  let free = 0;
  for (const zone of src.zones) {
    wmarkLow += zone.watermark[WMARK_LOW];
    free += zone.freePages;
  }
  let available = free - src.totalreservePages();
  const pagecache = 0;
  available += pagecache - Math.min(Math.floor(pagecache / 2), wmarkLow);
  const slabReclaimable = src.slabPages().reclaimable;
  available += slabReclaimable - Math.min(Math.floor(slabReclaimable / 2), wmarkLow);
  return Math.max(0, available);
}

/**
 * The direct mapping's page sizes (DirectMap4k/2M/1G): each memblock memory range is mapped
 * the way split_mem_range() does: 4k up to a 2 MiB boundary, 2 MiB pages up to a 1 GiB
 * boundary, 1 GiB pages, then 2 MiB and 4k tails. The first 1 MiB (ISA) is always 4k.
 */
export function directMapPages(layout: MemoryLayout): { k4: number; m2: number; g1: number } {
  const P2M = 512;
  const P1G = 512 * 512;
  let k4 = 0;
  let m2 = 0;
  let g1 = 0;
  for (const r of layout.memory) {
    let start = r.start;
    const end = r.end;
    if (start < 256) {
      const isaEnd = Math.min(end, 256);
      k4 += isaEnd - start;
      start = isaEnd;
    }
    if (start >= end) continue;
    const up2m = Math.min(end, Math.ceil(start / P2M) * P2M);
    k4 += up2m - start;
    start = up2m;
    const up1g = Math.min(Math.floor(end / P2M) * P2M, Math.ceil(start / P1G) * P1G);
    if (up1g > start) {
      m2 += up1g - start;
      start = up1g;
    }
    const g1End = Math.floor(end / P1G) * P1G;
    if (g1End > start) {
      g1 += g1End - start;
      start = g1End;
    }
    const m2End = Math.floor(end / P2M) * P2M;
    if (m2End > start) {
      m2 += m2End - start;
      start = m2End;
    }
    k4 += end - start;
  }
  return { k4, m2, g1 };
}

export function renderMeminfo(src: MeminfoSource): string {
  let total = 0;
  let free = 0;
  let highTotal = 0;
  let highFree = 0;
  for (const zone of src.zones) {
    total += zone.managedPages;
    free += zone.freePages;
    if (isHighmemIdx(src.zoneConfig, zone.idx, src.layout.movableZone)) {
      highTotal += zone.managedPages;
      highFree += zone.freePages;
    }
  }
  const swapTotal = 0;
  const hugetlb = 0;
  let out = '';
  out += line('MemTotal', total);
  out += line('MemFree', free);
  out += line('MemAvailable', siMemAvailable(src));
  for (const label of ['Buffers', 'Cached', 'SwapCached', 'Active', 'Inactive', 'Active(anon)', 'Inactive(anon)', 'Active(file)', 'Inactive(file)', 'Unevictable', 'Mlocked']) {
    out += line(label, 0);
  }
  if (src.zoneConfig.HIGHMEM >= 0) {
    out += line('HighTotal', highTotal);
    out += line('HighFree', highFree);
    out += line('LowTotal', total - highTotal);
    out += line('LowFree', free - highFree);
  }
  out += line('SwapTotal', swapTotal);
  out += line('SwapFree', 0);
  for (const label of ['Dirty', 'Writeback', 'AnonPages', 'Mapped', 'Shmem']) out += line(label, 0);
  const slab = src.slabPages();
  out += line('Slab', slab.reclaimable + slab.unreclaimable);
  out += line('SReclaimable', slab.reclaimable);
  out += line('SUnreclaim', slab.unreclaimable);
  out += `${'KernelStack:'.padEnd(16)}${String(0).padStart(8)} kB\n`;
  // global_zone_page_state(NR_PAGETABLE): PTE tables only in 4.17 (pgtable_page_ctor()).
  out += line('PageTables', src.zones.reduce((n, z) => n + z.nrPagetable, 0));
  for (const label of ['NFS_Unstable', 'Bounce', 'WritebackTmp']) out += line(label, 0);
  out += `${'CommitLimit:'.padEnd(16)}${commitLimitKb(total - hugetlb, src.overcommitRatio, swapTotal, src.zoneConfig.arch === 'i386' ? 32 : 64).padStart(8)} kB\n`;
  out += line('Committed_AS', 0);
  // VMALLOC_TOTAL >> PAGE_SHIFT: 32 TiB on x86-64 (4-level paging), 128 MiB window on i386 by default.
  const vmallocTotalKb = src.zoneConfig.arch === 'x86_64' ? 34359738367 : 122880;
  out += `${'VmallocTotal:'.padEnd(16)}${String(vmallocTotalKb).padStart(8)} kB\n`;
  out += line('VmallocUsed', 0);
  out += line('VmallocChunk', 0);
  out += `${'HardwareCorrupted:'.padEnd(18)} ${String(0).padStart(5)} kB\n`;
  for (const label of ['AnonHugePages', 'ShmemHugePages', 'ShmemPmdMapped']) out += line(label, 0);
  // totalcma_pages (every area's pages) and NR_FREE_CMA_PAGES.
  out += line('CmaTotal', src.layout.cma.reduce((n, r) => n + r.end - r.start, 0));
  out += line('CmaFree', src.zones.reduce((n, z) => n + z.freeCmaPages, 0));
  out += 'HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n';
  out += `Hugepagesize:       2048 kB\n`;
  out += line('Hugetlb', hugetlb);
  if (src.zoneConfig.arch === 'x86_64') {
    const dm = directMapPages(src.layout);
    out += line('DirectMap4k', dm.k4);
    out += line('DirectMap2M', dm.m2);
    out += line('DirectMap1G', dm.g1);
  }
  return out;
}

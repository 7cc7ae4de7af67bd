/**
 * What the mechanisms of this package share: the late-bound services, the hooks (the variation
 * points a mutant or a variant overrides, 4.17's behaviour by default) and the identities that
 * are global in Linux (anon_vma, shmem inodes).
 */
import type { ArchPageTables, MmServices } from '@mmkit/core';
import type { VmaTable } from './vma-tree.js';

/** The hooks: 4.17's functions where a variant may differ. */
export interface MmapHooks {
  /**
   * do_mmap()'s MAP_FIXED_NOREPLACE handling once get_unmapped_area() has chosen addr: -EEXIST
   * when a VMA overlaps [addr, addr + len) ("mm: introduce MAP_FIXED_NOREPLACE"), else 0. The
   * flag also forces MAP_FIXED's exact placement (noreplaceIsFixed). addr and len come as their
   * vaHigh()/vaLow() halves (core's units.ts; vaJoin() puts one back together), as every
   * address and page offset that crosses a hook: V8 boxes a double passed to a call it has not
   * inlined.
   */
  fixedNoreplaceCheck(vmas: VmaTable, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number): number;
  /** Whether MAP_FIXED_NOREPLACE implies MAP_FIXED (4.17: yes; kernels that do not know the flag take it as a hint). */
  noreplaceIsFixed: boolean;
  /** is_mergeable_anon_vma(). */
  isMergeableAnonVma(vmas: VmaTable, anonVma1: number, anonVma2: number, vma: number): boolean;
  /** can_vma_merge_before(): may [.., vma->vm_start) with these properties, the range's end at file page vm_pgoff (as halves), merge in front of vma? */
  canVmaMergeBefore(vmas: VmaTable, vma: number, vmFlags: number, anonVma: number, file: number, pgoffHigh: number, pgoffLow: number): boolean;
  /** can_vma_merge_after(): may [vma->vm_end, ..) with these properties, starting at file page vm_pgoff (as halves), merge behind vma? */
  canVmaMergeAfter(vmas: VmaTable, vma: number, vmFlags: number, anonVma: number, file: number, pgoffHigh: number, pgoffLow: number): boolean;
  /** stack_guard_gap as get_unmapped_area, brk and stack growth see it (bytes). */
  stackGuardGap(configured: number): number;
  /**
   * do_anonymous_page(): a read fault maps the shared zero page (true: 4.17, since 2.6.32's "mm:
   * reinstate ZERO_PAGE"), or allocates a zeroed page as a write fault does (false: 2.6.24 to
   * 2.6.31, and mm_forbids_zeropage() architectures).
   */
  readFaultZeroPage: boolean;
  /** mm_populate() runs (true: 4.17); false: MAP_POPULATE and MAP_LOCKED fault nothing in. */
  populate: boolean;
  /**
   * SPLIT_RSS_COUNTING (true: 4.17 on x86-64 SMP, where USE_SPLIT_PTE_PTLOCKS holds): a task's
   * faults count in its own cache, added to the mm's counters every 66 faults, at a zap and at
   * exit (rss.ts); false: every change goes to the mm's counters at once (a kernel with NR_CPUS
   * below CONFIG_SPLIT_PTLOCK_CPUS).
   */
  splitRssCounting: boolean;
}

export interface MmapContext {
  readonly services: MmServices;
  readonly hooks: MmapHooks;
  /** totalram_pages + total_swap_pages for __vm_enough_memory()'s heuristic. */
  readonly commitLimitPages: () => number;
  /** anon_vma identities (anon_vma_alloc()). */
  nextAnonVma: number;
  /** get_next_ino() for shmem files (MAP_SHARED|MAP_ANONYMOUS). */
  nextShmemIno: number;
  /** my_zero_pfn(): the pfn of empty_zero_page, found on first use (-1 before). */
  zeroPfn: number;
}

/**
 * my_zero_pfn(): empty_zero_page lives in the kernel image's bss, which memblock reserves: the
 * first reserved page of the machine here (never handed to the page allocator, never written).
 */
export function zeroPfnOf(ctx: MmapContext): number {
  if (ctx.zeroPfn >= 0) return ctx.zeroPfn;
  const reserved = ctx.services.layout.reserved;
  // The kernel image at CONFIG_PHYSICAL_START (16 MiB, pfn 4096), else any reserved page.
  const r = reserved.find((x) => x.start <= 4096 && x.end > 4096) ?? reserved.find((x) => x.end > x.start);
  if (!r) throw new Error('mmap: this machine reserves no memory (no kernel image), so it has no empty_zero_page for read faults: give it a kernel image (reserve.kernelImage)');
  ctx.zeroPfn = r.start <= 4096 && r.end > 4096 ? 4096 : r.start;
  return ctx.zeroPfn;
}

/** The arch's page tables, or a clear error when the machine has none. */
export function archOf(ctx: MmapContext): ArchPageTables {
  const arch = ctx.services.subsystems.archPageTables;
  if (!arch) throw new Error('mmap: this machine has no page-table service (subsystems.archPageTables): address spaces need an x86_64 machine');
  return arch;
}

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
   * flag also forces MAP_FIXED's exact placement (noreplaceIsFixed).
   */
  fixedNoreplaceCheck(vmas: VmaTable, addr: number, len: number): number;
  /** Whether MAP_FIXED_NOREPLACE implies MAP_FIXED (4.17: yes; kernels that do not know the flag take it as a hint). */
  noreplaceIsFixed: boolean;
  /** is_mergeable_anon_vma(). */
  isMergeableAnonVma(vmas: VmaTable, anonVma1: number, anonVma2: number, vma: number): boolean;
  /** can_vma_merge_before(): may [.., vma->vm_start) with these properties merge in front of vma? */
  canVmaMergeBefore(vmas: VmaTable, vma: number, vmFlags: number, anonVma: number, file: number, pgoff: number): boolean;
  /** can_vma_merge_after(): may [vma->vm_end, ..) merge behind vma? */
  canVmaMergeAfter(vmas: VmaTable, vma: number, vmFlags: number, anonVma: number, file: number, pgoff: number): boolean;
  /** stack_guard_gap as get_unmapped_area and brk see it (bytes). */
  stackGuardGap(configured: number): number;
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
}

/** The arch's page tables, or a clear error when the machine has none. */
export function archOf(ctx: MmapContext): ArchPageTables {
  const arch = ctx.services.subsystems.archPageTables;
  if (!arch) throw new Error('mmap: this machine has no page-table service (subsystems.archPageTables): address spaces need an x86_64 machine');
  return arch;
}

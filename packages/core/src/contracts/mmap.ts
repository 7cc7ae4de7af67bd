/**
 * Draft: address spaces (mm/mmap.c, mm/memory.c, mm/mprotect.c, mm/mremap.c, mm/mmu_notifier.c).
 * Implemented by @mmkit/mmap, on the arch's page tables (ArchPageTables, late-bound). Syscalls
 * return a value or -errno and accept bigint so every 64-bit argument is judged, not rounded.
 */
import type { MmId, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

export interface AddressSpaces {
  mmap(mm: MmId, addr: number | bigint, len: number | bigint, prot: number, flags: number, fd: number, off: number | bigint): number;
  munmap(mm: MmId, addr: number | bigint, len: number | bigint): number;
  /** handle_mm_fault(): VM_FAULT_* bits. */
  handleMmFault(mm: MmId, addr: VirtAddr, flags: number): number;
}
export type AddressSpacesFactory = (services: MmServices) => AddressSpaces;

/** A VMA as other subsystems see it (struct vm_area_struct). */
export interface VmaInfo {
  readonly start: VirtAddr;
  readonly end: VirtAddr;
  /** VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_GROWSDOWN, VM_LOCKED, ... (4.17 values). */
  readonly flags: number;
  /** vm_pgoff. */
  readonly pgoff: number;
  /** vma_is_anonymous(). */
  readonly anonymous: boolean;
}

/** find_vma() and friends, for gup, hmm, migrate and memcg. Implemented by @mmkit/mmap. */
export interface VmaLookup {
  /** find_vma(): the first VMA ending above addr, or undefined. */
  findVma(mm: MmId, addr: VirtAddr): VmaInfo | undefined;
  /** Every VMA of mm overlapping [start, end), in address order. */
  forEachVma(mm: MmId, start: VirtAddr, end: VirtAddr, visit: (vma: VmaInfo) => void): void;
}

/** current->mm: the address space of the task running on the current CPU. Implemented by @mmkit/mmap with the kernel's processes. */
export interface CurrentMm {
  /** 0 for a kernel thread. */
  current(): MmId;
}

/** struct mmu_notifier_ops: what a listener (hmm, a device driver) is told. */
export interface MmuNotifierOps {
  invalidateRangeStart?(mm: MmId, start: VirtAddr, end: VirtAddr): void;
  invalidateRangeEnd?(mm: MmId, start: VirtAddr, end: VirtAddr): void;
  release?(mm: MmId): void;
}

/** mmu_notifier_register(): implemented by @mmkit/mmap, which calls the listeners around every change of a page table. */
export interface MmuNotifiers {
  /** A registration id, or -errno. */
  register(mm: MmId, ops: MmuNotifierOps): number;
  unregister(id: number): void;
}

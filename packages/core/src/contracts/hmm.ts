/**
 * Draft: heterogeneous memory management (mm/hmm.c). Implemented by @mmkit/hmm: it mirrors a
 * process's page table for a device and listens to MmuNotifiers (late-bound) to invalidate it.
 */
import type { MmId, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

export interface HeterogeneousMemory {
  /** hmm_vma_get_pfns(): snapshot [start, end) into pfns (HMM_PFN_* encoded); 0 or -errno. */
  vmaGetPfns(mm: MmId, start: VirtAddr, end: VirtAddr, pfns: Float64Array): number;
  /** hmm_vma_fault(): fault the range in first; 0 or -errno (-EAGAIN when !block and it would sleep). */
  vmaFault(mm: MmId, start: VirtAddr, end: VirtAddr, pfns: Float64Array, block: boolean): number;
}
export type HeterogeneousMemoryFactory = (services: MmServices) => HeterogeneousMemory;

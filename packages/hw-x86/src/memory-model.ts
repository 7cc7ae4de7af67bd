/**
 * The memory model of each architecture's default configuration (arch/x86/Kconfig and
 * arch/x86/include/asm/sparsemem.h, 4.17): x86-64 is SPARSEMEM (SPARSEMEM_VMEMMAP) with
 * SECTION_SIZE_BITS 27, sections of 128 MiB, of which only those with memory have a memmap;
 * a 32-bit kernel without NUMA is FLATMEM (ARCH_FLATMEM_ENABLE), one memmap up to max_pfn.
 */
import { PAGE_SHIFT } from '@mmkit/core';

/** SECTION_SIZE_BITS of x86-64. */
export const X86_64_SECTION_SIZE_BITS = 27;

/** PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT) of the architecture, undefined for FLATMEM. */
export function pfnSectionShift(arch: 'x86_64' | 'i386'): number | undefined {
  return arch === 'x86_64' ? X86_64_SECTION_SIZE_BITS - PAGE_SHIFT : undefined;
}

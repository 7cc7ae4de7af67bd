/**
 * @mmkit/mmap: address spaces of Linux 4.17 (mm/mmap.c, mm/mremap.c, mm/mprotect.c,
 * mm/madvise.c): the AddressSpaces and VmaLookup contracts of @mmkit/core.
 */
export { createAddressSpaces, DEFAULT_MMAP_HOOKS, NR_OPEN, type AddressSpacesOptions, type MmapImplementation } from './address-spaces.js';
export type { MmapHooks } from './context.js';
export { MmStruct, FileTable, type MmLimits } from './mm.js';
export { VmaTable } from './vma-tree.js';
export { fixedNoreplaceCheck, fixedNoreplaceCheckShipped } from './mmap.js';

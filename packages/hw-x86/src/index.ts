/**
 * @mmkit/hw-x86: the machine's memory as x86 and memblock set it up at boot (Linux 4.17):
 * the e820 map, memblock.memory and memblock.reserved, NUMA emulation, zones and
 * ZONE_MOVABLE, and /proc/zoneinfo as a machine description; and the x86-64 page tables
 * (entries, swap entries, walks, allocation and free_pgd_range) and user address-space layout.
 */
export { MachineSpecError } from './errors.js';
export { parseE820, formatE820, e820ForMemSize, type E820Type, type E820Entry } from './e820.js';
export { setupMemory, type MachineSpec, type MemblockReservationSpec, type SetupOptions } from './setup.js';
export { parseZoneinfo, layoutFromZoneinfo, type ZoneinfoZone, type ZoneinfoFile } from './zoneinfo.js';
export { PRESETS, presetByName, presetNames } from './presets.js';
export { X86_64_SECTION_SIZE_BITS, pfnSectionShift } from './memory-model.js';
export * from './pgtable-types.js';
export * from './swap-entry.js';
export * from './mm-layout.js';
export { createX86PageTables, type X86PageTablesOptions } from './pgtable.js';

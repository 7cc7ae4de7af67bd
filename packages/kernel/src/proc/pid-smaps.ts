/**
 * /proc/PID/smaps of 4.17 (fs/proc/task_mmu.c: show_smap()): for each VMA its maps line, then
 * the fields of struct mem_size_stats in 4.17's order ("%8lu kB", Private_Hugetlb "%7lu kB"),
 * and show_smap_vma_flags()'s VmFlags. As 4.17 shipped it, Locked shows the Pss of every VMA
 * (mss->pss, not mss->pss_locked), locked or not. The gate area ([vsyscall]) comes last, with
 * nothing resident. ProtectionKey is not shown (no protection keys: X86_FEATURE_OSPKE off).
 */
import { formatMaps, type MapsEntry, type SmapsEntry } from '@mmkit/core';

/** PSS_SHIFT. */
const PSS_SHIFT = 12;

/** show_smap_vma_flags()'s mnemonics, by vm_flags bit (0..31; the high arch bits are not modelled). */
const MNEMONICS = [
  'rd', 'wr', 'ex', 'sh', 'mr', 'mw', 'me', 'ms', 'gd', 'um', 'pf', 'dw', 'uw', 'lo', 'io', 'sr',
  'rr', 'dc', 'de', '', 'ac', 'nr', 'ht', 'sf', 'ar', 'wf', 'dd', 'sd', 'mm', 'hg', 'nh', 'mg',
];

function kb(bytes: number): string {
  return String(Math.floor(bytes / 1024)).padStart(8, ' ');
}

export function vmFlagsMnemonics(flags: number): string {
  let s = '';
  for (let i = 0; i < 32; i++) if (MNEMONICS[i] && (flags >>> i) & 1) s += `${MNEMONICS[i]} `;
  return s;
}

function renderOne(maps: MapsEntry, vmFlags: number, e: Omit<SmapsEntry, 'maps' | 'vmFlags'>): string {
  const pss = Math.floor(e.pss / 2 ** PSS_SHIFT);
  return (
    formatMaps([maps])
    + `Size:           ${kb(maps.end - maps.start)} kB\n`
    + `KernelPageSize: ${kb(4096)} kB\n`
    + `MMUPageSize:    ${kb(4096)} kB\n`
    + `Rss:            ${kb(e.resident)} kB\n`
    + `Pss:            ${kb(pss)} kB\n`
    + `Shared_Clean:   ${kb(e.sharedClean)} kB\n`
    + `Shared_Dirty:   ${kb(e.sharedDirty)} kB\n`
    + `Private_Clean:  ${kb(e.privateClean)} kB\n`
    + `Private_Dirty:  ${kb(e.privateDirty)} kB\n`
    + `Referenced:     ${kb(e.referenced)} kB\n`
    + `Anonymous:      ${kb(e.anonymous)} kB\n`
    + `LazyFree:       ${kb(e.lazyFree)} kB\n`
    + `AnonHugePages:  ${kb(0)} kB\n`
    + `ShmemPmdMapped: ${kb(0)} kB\n`
    + `Shared_Hugetlb: ${kb(0)} kB\n`
    + `Private_Hugetlb: ${String(0).padStart(7, ' ')} kB\n`
    + `Swap:           ${kb(e.swap)} kB\n`
    + `SwapPss:        ${kb(Math.floor(e.swapPss / 2 ** PSS_SHIFT))} kB\n`
    + `Locked:         ${kb(pss)} kB\n` // 4.17: mss->pss
    + `VmFlags: ${vmFlagsMnemonics(vmFlags)}\n`
  );
}

const EMPTY = { resident: 0, pss: 0, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0, referenced: 0, anonymous: 0, lazyFree: 0, swap: 0, swapPss: 0 };

/** The text of /proc/PID/smaps: the VMAs, then the gate area of maps (an entry above the user half) if any. */
export function renderSmaps(entries: readonly SmapsEntry[], maps: readonly MapsEntry[]): string {
  let text = '';
  for (const e of entries) text += renderOne(e.maps, e.vmFlags, e);
  const gate = maps.length > 0 ? maps[maps.length - 1] : undefined;
  // get_gate_vma(): vm_flags VM_READ | VM_EXEC.
  if (gate && gate.start >= 2 ** 47) text += renderOne(gate, (gate.read ? 1 : 0) | (gate.exec ? 4 : 0), EMPTY);
  return text;
}

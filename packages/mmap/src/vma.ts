/**
 * VMA merging, splitting and accounting of mm/mmap.c (4.17): vma_merge() with its eight cases,
 * can_vma_merge_before/after(), is_mergeable_vma(), is_mergeable_anon_vma(), __split_vma(),
 * split_vma(), vm_stat_account(), may_expand_vm(). __vma_adjust()'s effect on the VMA list is
 * done directly (bounds, removed VMAs, and which VMA imports the other's anon_vma).
 */
import { VM_EXEC, VM_GROWSDOWN, VM_READ, VM_SHARED, VM_SOFTDIRTY, VM_SPECIAL, VM_WRITE, ERRNO, vaHigh, vaJoin, vaLow } from '@mmkit/core';
import type { MmapContext, MmapHooks } from './context.js';
import type { MmStruct } from './mm.js';
import type { VmaTable } from './vma-tree.js';

const PAGE_SHIFT_DIV = 4096;

/** vma_pages(). */
export function vmaPages(t: VmaTable, v: number): number {
  return (t.vmEnd[v] - t.vmStart[v]) / PAGE_SHIFT_DIV;
}

/** is_vm_hugetlb_page() etc. are not modelled; these are mm/internal.h's. */
export function isExecMapping(flags: number): boolean {
  return (flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) === VM_EXEC;
}
export function isStackMapping(flags: number): boolean {
  return (flags & VM_GROWSDOWN) === VM_GROWSDOWN;
}
export function isDataMapping(flags: number): boolean {
  return (flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE;
}

/** vm_stat_account(). */
export function vmStatAccount(mm: MmStruct, flags: number, npages: number): void {
  mm.totalVm += npages;
  if (isExecMapping(flags)) mm.execVm += npages;
  else if (isStackMapping(flags)) mm.stackVm += npages;
  else if (isDataMapping(flags)) mm.dataVm += npages;
}

/** may_expand_vm(): RLIMIT_AS, and RLIMIT_DATA for data mappings (ignore_rlimit_data off; the Valgrind case of RLIMIT_DATA 0 needs the hard limit, which is RLIM_INFINITY here). */
export function mayExpandVm(mm: MmStruct, flags: number, npages: number): boolean {
  const l = mm.limits;
  if (mm.totalVm + npages > Math.floor(l.rlimitAs / 4096)) return false;
  if (isDataMapping(flags) && mm.dataVm + npages > Math.floor(l.rlimitData / 4096)) {
    if (l.rlimitData === 0) return true; // rlimit_max(RLIMIT_DATA) is RLIM_INFINITY
    return false;
  }
  return true;
}

/** is_mergeable_vma(): the same flags but VM_SOFTDIRTY, the same struct file, no vm_ops->close (special mappings have one). */
function isMergeableVma(t: VmaTable, v: number, file: number, vmFlags: number): boolean {
  if (((t.vmFlags[v] ^ vmFlags) & ~VM_SOFTDIRTY) !== 0) return false;
  if (t.vmFile[v] !== file) return false;
  if (t.special[v] !== 0) return false;
  return true;
}

/** The 4.17 hooks of vma_merge(). */
export const DEFAULT_MERGE_HOOKS: Pick<MmapHooks, 'isMergeableAnonVma' | 'canVmaMergeBefore' | 'canVmaMergeAfter'> = {
  isMergeableAnonVma(t, anonVma1, anonVma2, vma) {
    // list_is_singular(&vma->anon_vma_chain): avoid merging VMAs cloned from a parent.
    if ((anonVma1 === 0 || anonVma2 === 0) && (vma === 0 || t.anonChain[vma] === 1)) return true;
    return anonVma1 === anonVma2;
  },
  canVmaMergeBefore(t, vma, vmFlags, anonVma, file, pgoffHigh, pgoffLow) {
    return isMergeableVma(t, vma, file, vmFlags) && this.isMergeableAnonVma(t, anonVma, t.anonVma[vma], vma) && t.vmPgoff[vma] === vaJoin(pgoffHigh, pgoffLow);
  },
  canVmaMergeAfter(t, vma, vmFlags, anonVma, file, pgoffHigh, pgoffLow) {
    return isMergeableVma(t, vma, file, vmFlags) && this.isMergeableAnonVma(t, anonVma, t.anonVma[vma], vma) && t.vmPgoff[vma] + vmaPages(t, vma) === vaJoin(pgoffHigh, pgoffLow);
  },
};

/** __vma_adjust()'s "importer->anon_vma = exporter->anon_vma" and anon_vma_clone(). */
function importAnonVma(t: VmaTable, importer: number, exporter: number): void {
  if (exporter !== 0 && t.anonVma[exporter] !== 0 && t.anonVma[importer] === 0) {
    t.anonVma[importer] = t.anonVma[exporter];
    t.anonChain[importer] = t.anonChain[exporter];
  }
}

/** remove_vma() of a VMA __vma_adjust() removed: unlinked, its file put, its slot freed. */
function removeMerged(mm: MmStruct, v: number): void {
  const t = mm.vmas;
  t.unlink(v);
  if (t.vmFile[v] !== 0) mm.files.put(t.vmFile[v]);
  t.free(v);
}

/**
 * vma_merge(): can [addr, end) with these properties merge with prev, next or both? Returns the
 * VMA that now covers it, or 0. The cases of mm/mmap.c (AAAA the range, PPPP prev, NNNN next):
 * 1 PPPP.AAAA.NNNN all three become one; 2 prev grows over AAAA; 3 next grows down over AAAA;
 * 4 mprotect of prev's tail, next grows down; 5 mprotect of next's head, prev grows up;
 * 6 mprotect of a whole VMA between prev and next, all one; 7 prev grows over that VMA;
 * 8 next grows down over that VMA. addr, end and pgoff come as their vaHigh()/vaLow() halves (core's
 * units.ts), and pgoff goes to the hooks so: V8 boxes a double passed to a call it has not inlined.
 */
export function vmaMerge(ctx: MmapContext, mm: MmStruct, prev: number, addrHigh: number, addrLow: number, endHigh: number, endLow: number, vmFlags: number, anonVma: number, file: number, pgoffHigh: number, pgoffLow: number): number {
  const t = mm.vmas;
  const hooks = ctx.hooks;
  const addr = addrHigh * 4294967296 + (addrLow >>> 0);
  const end = endHigh * 4294967296 + (endLow >>> 0);
  const pglen = (end - addr) / PAGE_SHIFT_DIV;
  // can_vma_merge_before()'s pgoff + pglen.
  const nextPgoff = (pgoffHigh * 4294967296 + (pgoffLow >>> 0)) + pglen;
  const nextPgoffHigh = ((nextPgoff * 2.3283064365386963e-10) | 0);
  const nextPgoffLow = nextPgoff | 0;
  if (vmFlags & VM_SPECIAL) return 0;
  let next = prev !== 0 ? t.vmNext[prev] : t.head;
  const area = next;
  if (area !== 0 && t.vmEnd[area] === end) next = t.vmNext[next]; // cases 6, 7, 8

  if (prev !== 0 && t.vmEnd[prev] === addr && hooks.canVmaMergeAfter(t, prev, vmFlags, anonVma, file, pgoffHigh, pgoffLow)) {
    if (next !== 0 && end === t.vmStart[next] && hooks.canVmaMergeBefore(t, next, vmFlags, anonVma, file, nextPgoffHigh, nextPgoffLow)
      && hooks.isMergeableAnonVma(t, t.anonVma[prev], t.anonVma[next], 0)) {
      // Cases 1, 6: prev grows to next's end; area (case 6) and next go.
      const newEnd = t.vmEnd[next];
      importAnonVma(t, prev, area !== next && t.anonVma[area] !== 0 ? area : next);
      if (area !== next) removeMerged(mm, area);
      removeMerged(mm, next);
      t.vmEnd[prev] = newEnd;
      t.boundsChanged(prev);
    } else {
      // Cases 2, 5, 7: prev grows to end; area loses its head (5) or goes (7).
      let shrunk = 0;
      if (area !== 0 && t.vmStart[area] < end) {
        importAnonVma(t, prev, area);
        if (t.vmEnd[area] === end) {
          removeMerged(mm, area);
        } else {
          t.vmPgoff[area] += (end - t.vmStart[area]) / PAGE_SHIFT_DIV;
          t.vmStart[area] = end;
          shrunk = area;
        }
      }
      t.vmEnd[prev] = end;
      t.boundsChanged(prev);
      if (shrunk !== 0) t.boundsChanged(shrunk);
    }
    return prev;
  }

  if (next !== 0 && end === t.vmStart[next] && hooks.canVmaMergeBefore(t, next, vmFlags, anonVma, file, nextPgoffHigh, nextPgoffLow)) {
    if (prev !== 0 && addr < t.vmEnd[prev]) {
      // Case 4: prev shrinks to addr, next grows down to addr.
      importAnonVma(t, next, prev);
      t.vmEnd[prev] = addr;
      t.vmStart[next] = addr;
      t.vmPgoff[next] -= pglen;
      t.boundsChanged(prev);
      t.boundsChanged(next);
    } else {
      // Cases 3, 8: next grows down to addr; area (case 8) goes.
      if (area !== next) {
        importAnonVma(t, next, area);
        removeMerged(mm, area);
      }
      t.vmStart[next] = addr;
      t.vmPgoff[next] -= pglen;
      t.boundsChanged(next);
    }
    return next;
  }
  return 0;
}

/**
 * __split_vma(): split v at addr (its vaHigh()/vaLow() halves: munmap splits on every call that
 * leaves part of a VMA); the new VMA takes the part below addr (newBelow) or from addr on. 0, or
 * -ENOMEM. Bypasses vm.max_map_count (split_vma() checks it).
 */
export function __splitVma(mm: MmStruct, v: number, addrHigh: number, addrLow: number, newBelow: boolean): number {
  const t = mm.vmas;
  const addr = addrHigh * 4294967296 + (addrLow >>> 0);
  const n = t.alloc();
  t.copyFields(n, v);
  if (t.vmFile[n] !== 0) mm.files.get(t.vmFile[n]);
  if (newBelow) {
    t.vmEnd[n] = addr;
    t.vmPgoff[v] += (addr - t.vmStart[v]) / PAGE_SHIFT_DIV;
    t.vmStart[v] = addr;
    t.link(n, t.vmPrev[v]);
  } else {
    t.vmStart[n] = addr;
    t.vmPgoff[n] += (addr - t.vmStart[v]) / PAGE_SHIFT_DIV;
    t.vmEnd[v] = addr;
    t.link(n, v);
  }
  return 0;
}

/** split_vma(): -ENOMEM at vm.max_map_count, else __split_vma(). addr as halves. */
export function splitVma(mm: MmStruct, v: number, addrHigh: number, addrLow: number, newBelow: boolean): number {
  if (mm.vmas.mapCount >= mm.limits.maxMapCount) return -ERRNO.ENOMEM;
  return __splitVma(mm, v, addrHigh, addrLow, newBelow);
}

/**
 * The step mprotect_fixup() and mlock_fixup() share: vma_merge() of [start, end) of vma (prev
 * before it) with newflags, else split_vma() at start and at end. The VMA that now covers
 * [start, end), or -errno. (madvise_behavior() splits in its own way: ENOMEM is EAGAIN there.)
 */
export function vmaMergeOrSplit(ctx: MmapContext, mm: MmStruct, prev: number, vma: number, start: number, end: number, newflags: number): number {
  const t = mm.vmas;
  const pgoff = t.vmPgoff[vma] + (start - t.vmStart[vma]) / PAGE_SHIFT_DIV;
  const merged = vmaMerge(ctx, mm, prev, vaHigh(start), vaLow(start), vaHigh(end), vaLow(end), newflags, t.anonVma[vma], t.vmFile[vma], vaHigh(pgoff), vaLow(pgoff));
  if (merged !== 0) return merged;
  if (start !== t.vmStart[vma]) {
    const error = splitVma(mm, vma, vaHigh(start), vaLow(start), true);
    if (error) return error;
  }
  if (end !== t.vmEnd[vma]) {
    const error = splitVma(mm, vma, vaHigh(end), vaLow(end), false);
    if (error) return error;
  }
  return vma;
}

/** reusable_anon_vma() via anon_vma_compatible(): the anon_vma of old (a neighbour) when a and b (adjacent, a first) may share it. */
function reusableAnonVma(t: VmaTable, old: number, a: number, b: number): number {
  const compatible = t.vmEnd[a] === t.vmStart[b] && t.vmFile[a] === t.vmFile[b]
    && ((t.vmFlags[a] ^ t.vmFlags[b]) & ~(VM_READ | VM_WRITE | VM_EXEC | VM_SOFTDIRTY)) === 0
    && t.vmPgoff[b] === t.vmPgoff[a] + (t.vmStart[b] - t.vmStart[a]) / PAGE_SHIFT_DIV;
  if (compatible && t.anonVma[old] !== 0 && t.anonChain[old] === 1) return t.anonVma[old];
  return 0;
}

/** anon_vma_prepare() of v: find_mergeable_anon_vma() (the next VMA's, then the previous one's), else a new anon_vma. Returns v's anon_vma. */
export function anonVmaPrepare(ctx: MmapContext, mm: MmStruct, v: number): number {
  const t = mm.vmas;
  if (t.anonVma[v] !== 0) return t.anonVma[v];
  let anon = 0;
  if (t.vmNext[v] !== 0) anon = reusableAnonVma(t, t.vmNext[v], v, t.vmNext[v]);
  if (anon === 0 && t.vmPrev[v] !== 0) anon = reusableAnonVma(t, t.vmPrev[v], t.vmPrev[v], v);
  t.anonVma[v] = anon !== 0 ? anon : ctx.nextAnonVma++;
  t.anonChain[v] = 1;
  return t.anonVma[v];
}

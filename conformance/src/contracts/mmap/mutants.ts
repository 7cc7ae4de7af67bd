/**
 * Mutants of the reference address spaces (@mmkit/mmap): each brings back an old behaviour or a
 * plausible bug by overriding hooks of createAddressSpaces() and nothing else. The mmap suite
 * must fail each on the rule it names in `breaks`.
 */
import { VM_SOFTDIRTY, type AddressSpacesFactory } from '@mmkit/core';
import { DEFAULT_MMAP_HOOKS, createAddressSpaces, fixedNoreplaceCheckShipped, type MmapHooks } from '@mmkit/mmap';
import type { Mutant } from '../../mutants/types.js';
import { changelogSource } from '../../rules/links.js';

const withHooks = (hooks: Partial<MmapHooks>): AddressSpacesFactory => (services) => createAddressSpaces(services, { hooks });

export const MMAP_MUTANTS: readonly Mutant[] = [
  {
    id: 'mmap-noreplace-clobbers',
    contract: 'mmap',
    breaks: 'mmap.fixed-noreplace.eexist',
    description: 'MAP_FIXED_NOREPLACE acts as MAP_FIXED: a mapped range is replaced instead of refused with EEXIST (the check after get_unmapped_area() missing).',
    source: { kind: 'source', ref: 'mm/mmap.c: do_mmap()' },
    factory: withHooks({ fixedNoreplaceCheck: () => 0 }),
  },
  {
    id: 'mmap-noreplace-shipped-check',
    contract: 'mmap',
    breaks: 'mmap.fixed-noreplace.eexist',
    description: 'MAP_FIXED_NOREPLACE as 4.17 shipped it: only a mapping that covers addr itself is EEXIST; one that starts inside the range is clobbered (fixed in 4.19 by "mm: don\'t clobber partially overlapping VMA with MAP_FIXED_NOREPLACE").',
    source: { kind: 'source', ref: "mm/mmap.c: do_mmap() of 4.17, find_vma(addr)'s vm_start <= addr" },
    factory: withHooks({ fixedNoreplaceCheck: fixedNoreplaceCheckShipped }),
  },
  {
    id: 'mmap-noreplace-ignored',
    contract: 'mmap',
    breaks: 'mmap.fixed-noreplace.exact',
    description: 'A kernel before MAP_FIXED_NOREPLACE: the unknown flag is ignored and addr is only a hint, taken when free and elsewhere not.',
    source: changelogSource('map-fixed-noreplace'),
    factory: withHooks({ noreplaceIsFixed: false }),
  },
  {
    id: 'mmap-merge-ignores-pgoff',
    contract: 'mmap',
    breaks: 'mmap.merge.file-offset',
    description: 'vma_merge() without the file-offset test of can_vma_merge_before/after(): mappings of one file merge whatever their offsets.',
    source: { kind: 'source', ref: 'mm/mmap.c: can_vma_merge_after()' },
    factory: withHooks({
      canVmaMergeBefore(t, vma, vmFlags, anonVma, file) {
        return ((t.vmFlags[vma] ^ vmFlags) & ~VM_SOFTDIRTY) === 0 && t.vmFile[vma] === file && t.special[vma] === 0 && DEFAULT_MMAP_HOOKS.isMergeableAnonVma(t, anonVma, t.anonVma[vma], vma);
      },
      canVmaMergeAfter(t, vma, vmFlags, anonVma, file) {
        return ((t.vmFlags[vma] ^ vmFlags) & ~VM_SOFTDIRTY) === 0 && t.vmFile[vma] === file && t.special[vma] === 0 && DEFAULT_MMAP_HOOKS.isMergeableAnonVma(t, anonVma, t.anonVma[vma], vma);
      },
    }),
  },
  {
    id: 'mmap-merge-ignores-anon-vma',
    contract: 'mmap',
    breaks: 'mmap.merge.anon-vma',
    description: 'is_mergeable_anon_vma() always yes: VMAs whose pages belong to different anon_vmas merge.',
    source: { kind: 'source', ref: 'mm/mmap.c: is_mergeable_anon_vma()' },
    factory: withHooks({ isMergeableAnonVma: () => true }),
  },
  {
    id: 'mmap-no-stack-guard-gap',
    contract: 'mmap',
    breaks: 'mmap.unmapped-area.stack-guard-gap',
    description: 'Before the stack guard gap between VMAs (CVE-2017-1000364, "Stack Clash"): get_unmapped_area() places mappings right below a stack.',
    source: { kind: 'commit', ref: 'mm: larger stack guard gap, between vmas', hash: '1be7107fbe18eed3e319a6c3e83c78254b693acb', release: '4.12' },
    factory: withHooks({ stackGuardGap: () => 0 }),
  },
  {
    id: 'mmap-no-zero-page',
    contract: 'mmap',
    breaks: 'mmap.fault.zero-page',
    description: 'Linux 2.6.24 to 2.6.31 ("remove ZERO_PAGE", 557ed1fa2620): a read fault in anonymous memory allocates a zeroed page of its own, as a write fault does, instead of mapping the shared zero page.',
    source: { kind: 'commit', ref: 'remove ZERO_PAGE', hash: '557ed1fa2620', release: '2.6.24' },
    factory: withHooks({ readFaultZeroPage: false }),
  },
  {
    id: 'mmap-stack-guard-page',
    contract: 'mmap',
    breaks: 'mmap.fault.stack-growth',
    description: 'A stack guard of one page, as before "mm: larger stack guard gap, between vmas" (4.12): a stack grows to within a page of the mapping below it.',
    source: { kind: 'commit', ref: 'mm: larger stack guard gap, between vmas', hash: '1be7107fbe18eed3e319a6c3e83c78254b693acb', release: '4.12' },
    factory: withHooks({ stackGuardGap: () => 4096 }),
  },
  {
    id: 'mmap-rss-exact',
    contract: 'mmap',
    breaks: 'mmap.fault.rss-lag',
    description: 'Without SPLIT_RSS_COUNTING (a build with NR_CPUS below CONFIG_SPLIT_PTLOCK_CPUS): every fault counts in the mm\'s counters at once, so /proc/PID/status never lags the page tables as 4.17 on x86-64 SMP does.',
    source: { kind: 'source', ref: 'include/linux/mm_types_task.h: SPLIT_RSS_COUNTING (USE_SPLIT_PTE_PTLOCKS)' },
    factory: withHooks({ splitRssCounting: false }),
  },
  {
    id: 'mmap-populate-ignored',
    contract: 'mmap',
    breaks: 'mmap.fault.populate',
    description: 'mm_populate() that does nothing: MAP_POPULATE and MAP_LOCKED leave the mapping to be faulted in on first access.',
    source: { kind: 'source', ref: 'mm/gup.c: __mm_populate()' },
    factory: withHooks({ populate: false }),
  },
];

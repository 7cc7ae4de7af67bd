/**
 * Rules of the mmap contract (AddressSpaces): Linux 4.17's mm/mmap.c, mm/mremap.c,
 * mm/mprotect.c and mm/madvise.c as the man pages and the seed changelog describe them. Data
 * only; the suite (suite/) names these ids.
 */
import { changelogSource as seed } from '../../rules/links.js';
import type { Rule } from '../../rules/types.js';

const NOREPLACE = seed('map-fixed-noreplace');
const src = (ref: string): Rule['source'] => ({ kind: 'source', ref });
const man = (ref: string): Rule['source'] => ({ kind: 'man', ref });
const commit = (ref: string, hash: string, release: string): Rule['source'] => ({ kind: 'commit', ref, hash, release });

const rule = (id: string, text: string, source: Rule['source'], optional?: string): Rule => ({
  id,
  contract: 'mmap',
  text,
  source,
  ...(optional ? { optional } : {}),
});

export const MMAP_RULES: readonly Rule[] = [
  // MAP_FIXED_NOREPLACE (the seed entry)
  rule(
    'mmap.fixed-noreplace.exact',
    'MAP_FIXED_NOREPLACE takes the address as MAP_FIXED does: a free range is mapped at exactly addr (even inside a stack guard gap, where a hint is not taken) and an address that is not page-aligned is EINVAL.',
    NOREPLACE,
  ),
  rule(
    'mmap.fixed-noreplace.eexist',
    'MAP_FIXED_NOREPLACE fails with EEXIST when any mapping overlaps [addr, addr + len) (a clashing range, not only a covered addr), with or without MAP_FIXED, and leaves every mapping as it was.',
    NOREPLACE,
  ),
  // mmap(2)
  rule('mmap.mmap.fixed-replaces', 'MAP_FIXED discards the overlapped part of existing mappings and maps the range at exactly addr.', man('mmap(2): MAP_FIXED')),
  rule('mmap.mmap.einval', 'mmap() fails with EINVAL for a length of 0, an offset or a MAP_FIXED address that is not page-aligned, and flags with none of MAP_PRIVATE, MAP_SHARED and MAP_SHARED_VALIDATE.', man('mmap(2): EINVAL')),
  rule('mmap.mmap.ebadf', 'mmap() without MAP_ANONYMOUS fails with EBADF when fd is not an open file.', man('mmap(2): EBADF')),
  rule('mmap.mmap.eacces', 'mmap() fails with EACCES for a file not open for reading, and for MAP_SHARED with PROT_WRITE on a file not open read-write.', man('mmap(2): EACCES')),
  rule('mmap.mmap.enomem', 'mmap() fails with ENOMEM when the range does not fit below TASK_SIZE, when RLIMIT_AS or RLIMIT_DATA would be exceeded, and when the process already has more than vm.max_map_count mappings.', man('mmap(2): ENOMEM')),
  rule('mmap.mmap.eperm', 'mmap() fails with EPERM for PROT_EXEC on a file of a noexec mount and for a MAP_FIXED address below vm.mmap_min_addr.', man('mmap(2): EPERM')),
  rule('mmap.mmap.eagain', 'mmap() with MAP_LOCKED fails with EAGAIN when the locked memory would exceed RLIMIT_MEMLOCK.', man('mmap(2): EAGAIN')),
  rule('mmap.mmap.eoverflow', 'mmap() of a file fails with EOVERFLOW when the offset plus the length passes the largest file offset (MAX_LFS_FILESIZE).', src('mm/mmap.c: file_mmap_ok()')),
  rule('mmap.mmap.eopnotsupp', 'mmap() with MAP_SHARED_VALIDATE fails with EOPNOTSUPP for a flag the file does not support, which MAP_SHARED ignores.', man('mmap(2): MAP_SHARED_VALIDATE')),
  rule('mmap.mmap.enodev', 'mmap() fails with ENODEV for a file whose filesystem does not support memory mapping.', man('mmap(2): ENODEV')),
  rule('mmap.mmap.ulong-args', 'The unsigned long arguments are taken modulo 2^64: a length of -1 is ENOMEM (PAGE_ALIGN() wraps to 0), and an address past TASK_SIZE is refused, never rounded.', src('mm/mmap.c: do_mmap(); mm/mprotect.c: do_mprotect_pkey()')),
  // get_unmapped_area
  rule('mmap.unmapped-area.topdown', 'Without a usable hint, a new mapping is placed at the highest free range below mmap_base (TASK_SIZE minus the stack gap, at least 128 MiB).', src('mm/mmap.c: unmapped_area_topdown()')),
  rule('mmap.unmapped-area.hint', 'A hint is taken when the whole range is free, and otherwise ignored.', man('mmap(2): DESCRIPTION')),
  rule('mmap.unmapped-area.stack-guard-gap', 'get_unmapped_area() keeps vm.stack_guard_gap (256 pages) free below a VM_GROWSDOWN mapping, for hints and for the search alike.', src('mm/mmap.c: unmapped_area_topdown(); include/linux/mm.h: vm_start_gap()')),
  // vma_merge, split_vma
  rule('mmap.merge.anonymous', 'Adjacent anonymous private mappings with the same flags are one VMA, in /proc/PID/maps one line.', src('mm/mmap.c: vma_merge()')),
  rule('mmap.merge.file-offset', 'Adjacent mappings of the same open file merge only when the file offset of the second follows that of the first.', src('mm/mmap.c: can_vma_merge_after(); mm/mmap.c: can_vma_merge_before()')),
  rule('mmap.merge.anon-vma', 'VMAs with different anon_vmas never merge, whatever their flags.', src('mm/mmap.c: is_mergeable_anon_vma()')),
  rule('mmap.merge.mprotect', 'mprotect() of part of a VMA splits it, and changing it back merges the pieces again (the cases of vma_merge()).', src('mm/mprotect.c: mprotect_fixup(); mm/mmap.c: vma_merge()')),
  // munmap, mprotect
  rule('mmap.munmap.einval', 'munmap() fails with EINVAL for an address that is not page-aligned, a length of 0, or a range past TASK_SIZE, and unmapping nothing is 0.', man('munmap(2): EINVAL')),
  rule('mmap.munmap.split', 'munmap() of the middle of a VMA leaves two VMAs, and fails with ENOMEM when that would exceed vm.max_map_count.', src('mm/mmap.c: do_munmap()')),
  rule('mmap.mprotect.errors', 'mprotect() fails with EINVAL for an unaligned address or unknown protection bits, with ENOMEM when part of the range is unmapped, and with EACCES for a protection the file does not allow.', man('mprotect(2): ERRORS')),
  // mremap
  rule('mmap.mremap.resize', 'mremap() shrinks in place, grows in place when the pages after are free, and moves only with MREMAP_MAYMOVE (ENOMEM otherwise).', man('mremap(2): MREMAP_MAYMOVE'), 'mremap'),
  rule('mmap.mremap.errors', 'mremap() fails with EFAULT for a range not mapped by one VMA and with EINVAL for bad flags, an unaligned address, a new size of 0 or an overlapping MREMAP_FIXED target.', man('mremap(2): ERRORS'), 'mremap'),
  // brk
  rule('mmap.brk.old-break', 'brk() returns the new break, or the current one when it cannot move (below the start of the heap, past RLIMIT_DATA, or into the next mapping).', man('brk(2): NOTES')),
  // madvise
  rule('mmap.madvise.behavior', 'madvise() with a flag advice (MADV_RANDOM, MADV_SEQUENTIAL, MADV_NORMAL, MADV_DONTFORK) splits and merges VMAs like mprotect().', src('mm/madvise.c: madvise_behavior()'), 'madvise'),
  rule('mmap.madvise.errors', 'madvise() fails with EINVAL for an unaligned address or unknown advice and with ENOMEM when part of the range is unmapped (after advising the mapped part).', man('madvise(2): ERRORS'), 'madvise'),
  // /proc/PID/maps
  rule('mmap.maps.format', 'The lines of /proc/PID/maps give start, end, rwx and p or s, the file offset, the device, the inode and the path padded to column 73, in that order.', man('proc(5): /proc/[pid]/maps')),
  // Page faults, fork and exit (the optional part 'faults': pageFault() and fork())
  rule('mmap.fault.zero-page', 'A read of private anonymous memory never written reads zeros from the shared zero page: it allocates no page and RssAnon does not grow.', commit('mm: reinstate ZERO_PAGE', 'a13ea5b75964', '2.6.32'), 'faults'),
  rule('mmap.fault.anonymous-zeroed', 'A write to private anonymous memory maps a page of its own, zero but for what was written, counted in RssAnon of /proc/PID/status.', man('mmap(2): MAP_ANONYMOUS'), 'faults'),
  rule('mmap.fault.sigsegv', 'An access to an address no mapping covers is SIGSEGV with SEGV_MAPERR; a write to a mapping without PROT_WRITE, or any access to PROT_NONE memory, is SIGSEGV with SEGV_ACCERR.', man('sigaction(2): SEGV_MAPERR, SEGV_ACCERR'), 'faults'),
  rule('mmap.fault.stack-growth', 'A stack (VM_GROWSDOWN) grows down to an access below it, up to RLIMIT_STACK, and never to within vm.stack_guard_gap of the accessible mapping below (SIGSEGV instead).', commit('mm: larger stack guard gap, between vmas', '1be7107fbe18', '4.12'), 'faults'),
  rule('mmap.fork.cow', 'After fork the two processes run in separate memory: each reads what it wrote and never the other\'s writes; a private page is copied at the first write to it while both map it (copy on write), and reused when one process alone maps it.', man('fork(2): DESCRIPTION, NOTES'), 'faults'),
  rule('mmap.fork.madvise', 'A range advised MADV_DONTFORK is not mapped in a forked child; one advised MADV_WIPEONFORK reads zeros in the child and keeps its contents in the parent.', man('madvise(2): MADV_DONTFORK, MADV_WIPEONFORK'), 'faults'),
  rule('mmap.fault.rss-lag', 'With SPLIT_RSS_COUNTING (4.17 on x86-64 SMP builds) the mm counters that /proc/PID/status shows (RssAnon, VmRSS: get_mm_counter()) lag behind the pages mapped, as proc(5) warns ("inaccurate because of a kernel-internal scalability optimization"): a process\'s own faults count in its task\'s rss cache, added to the mm\'s counters at the start of every 66th fault (events++ > TASK_RSS_EVENTS_THRESH, 64), when it zaps a page table of its own (munmap, MADV_DONTNEED) and at exit, fork copies into the child\'s counters directly, and smaps, which walks the page tables, does not lag.', src('mm/memory.c: add_mm_counter_fast(), check_sync_rss_stat(), add_mm_rss_vec(); kernel/exit.c: do_exit(), exit_mm(); include/linux/mm.h: get_mm_counter()'), 'faults'),
  rule('mmap.fault.populate', 'MAP_POPULATE (without MAP_NONBLOCK) and MAP_LOCKED fault the mapping in at mmap(): private writable memory gets pages of its own (RssAnon grows by the mapping), and MAP_LOCKED counts it in VmLck.', man('mmap(2): MAP_POPULATE, MAP_LOCKED'), 'faults'),
  rule('mmap.mlock.lock-unlock', 'mlock() locks and faults in the pages of a range (VmLck; MLOCK_ONFAULT of mlock2() locks without faulting in) and munlock() unlocks it, splitting VMAs at the ends; ENOMEM for an unmapped part or beyond RLIMIT_MEMLOCK (pages already locked counted once), EPERM with an RLIMIT_MEMLOCK of 0, EINVAL for an unknown mlock2() flag.', man('mlock(2): DESCRIPTION, ERRORS'), 'faults'),
  rule('mmap.exit.frees', 'When a process exits, every page it mapped and every page-table page of its mm go back to the page allocator: the free page count is what it was before the process.', src('mm/mmap.c: exit_mmap(); mm/memory.c: free_pgtables()'), 'faults'),
];

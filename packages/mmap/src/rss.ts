/**
 * SPLIT_RSS_COUNTING of 4.17 (include/linux/mm_types_task.h: defined when USE_SPLIT_PTE_PTLOCKS,
 * as on x86-64 SMP): a task counts the pages its own faults map in its rss_stat cache
 * (add_mm_counter_fast() when current->mm == mm), and adds the cache to the mm's counters only in
 * sync_mm_rss(): at the start of every 66th handle_mm_fault() (check_sync_rss_stat(): events++ >
 * TASK_RSS_EVENTS_THRESH, 64), in add_mm_rss_vec() when the task zaps a page table of its own mm
 * (munmap, MADV_DONTNEED, ...), and at exit (do_exit(), exit_mm()) and exec (exec_mmap()).
 * Readers of get_mm_counter() (/proc/PID/status, statm, stat) see the mm's counters, negative
 * ones as 0, and so lag behind the page tables by up to 65 faults; smaps walks the page tables.
 * Our processes have one task each, which is current for every fault of its mm (its own accesses,
 * mm_populate() of its mmap()s); fork's copy adds to the child's mm directly (current is the
 * parent), and the child task starts with an empty cache (copy_process()).
 */
import type { MmapContext } from './context.js';
import type { MmStruct } from './mm.js';

/** TASK_RSS_EVENTS_THRESH: "sync counter once per 64 page faults" (mm/memory.c). */
export const TASK_RSS_EVENTS_THRESH = 64;

/** sync_mm_rss(): the task's cache into the mm's counters, and its event count back to 0. */
export function syncMmRss(mm: MmStruct): void {
  const cache = mm.taskRss;
  const rss = mm.rss;
  for (let i = 0; i < 4; i++) {
    if (cache[i] !== 0) {
      rss[i] += cache[i];
      cache[i] = 0;
    }
  }
  mm.taskRssEvents = 0;
}

/** add_mm_counter_fast() by the mm's own task: into its cache (SPLIT_RSS_COUNTING), or the mm's counter when the hook turns the split off. */
export function addMmCounterFast(ctx: MmapContext, mm: MmStruct, member: number, value: number): void {
  if (ctx.hooks.splitRssCounting) mm.taskRss[member] += value;
  else mm.rss[member] += value;
}

/** check_sync_rss_stat(current), at the start of handle_mm_fault(). */
export function checkSyncRssStat(ctx: MmapContext, mm: MmStruct): void {
  if (!ctx.hooks.splitRssCounting) return;
  if (mm.taskRssEvents++ > TASK_RSS_EVENTS_THRESH) syncMmRss(mm);
}

/** get_mm_counter() with SPLIT_RSS_COUNTING: the mm's counter, 0 when it is negative ("updated in asynchronous manner and may go to minus"). */
export function getMmCounter(mm: MmStruct, member: number): number {
  const v = mm.rss[member];
  return v < 0 ? 0 : v;
}

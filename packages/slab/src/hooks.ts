/**
 * The variation points of SLAB: where a historical kernel (or an experiment) plausibly differs
 * from 4.17. The factory takes `{ hooks?: Partial<SlabHooks> }`; the state holds the resolved
 * table (`{ ...DEFAULT_SLAB_HOOKS, ...hooks }`), and a mechanism calls `st.hooks.name(st, ...)`
 * where Linux would differ. Every hook gets the state first, so an override can call the default
 * (`DEFAULT_SLAB_HOOKS.scheduleNextReap(st, work)`) and any mechanism of `@mmkit/slab/internals`.
 */
import type { DelayedWork } from '@mmkit/core';
import type { SlabState } from './state.js';

export interface SlabHooks {
  /**
   * The end of cache_reap() (mm/slab.c): queue this CPU's slab_reap_work for its next run.
   *
   * 4.17 ("mm, slab: reschedule cache_reap() on the same CPU"):
   * `schedule_delayed_work_on(smp_processor_id(), work, round_jiffies_relative(REAPTIMEOUT_AC))`
   * (queue_delayed_work_on() on system_wq),
   * so every CPU keeps reaping its own array caches every 2 s. Before it, cache_reap() used
   * `schedule_delayed_work(work, round_jiffies_relative(REAPTIMEOUT_AC))` (WORK_CPU_UNBOUND):
   * the work may move to another CPU, and some CPUs are then reaped seldom or never.
   * Called on the CPU that ran cache_reap() (`st.sched.currentCpu`).
   */
  scheduleNextReap(st: SlabState, work: DelayedWork): void;
}

export const DEFAULT_SLAB_HOOKS: Readonly<SlabHooks> = Object.freeze({
  scheduleNextReap(st: SlabState, work: DelayedWork): void {
    st.sched.queueDelayedWorkOn(st.sched.currentCpu, work, st.sched.roundJiffiesRelative(st.reaptimeoutAc));
  },
});

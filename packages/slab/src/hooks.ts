/**
 * The variation points of SLAB: where a historical kernel (or an experiment) plausibly differs
 * from 4.17, as an operations table. createSlabAllocator(services, { hooks }) resolves the table
 * once (resolveSlabHooks(): DEFAULT_SLAB_HOOKS with the overrides) into the state (st.hooks),
 * and a mechanism calls `st.hooks.name(st, ...)` at the point where Linux would differ.
 *
 * Every hook gets the state first, so an override can call the default
 * (`DEFAULT_SLAB_HOOKS.scheduleNextReap(st, work)`) and any mechanism of
 * `@mmkit/slab/internals`. Hooks are plain functions taken out of the object they were given
 * in: one that needs its variant's fields is an arrow function (or bound), not a method relying
 * on `this`.
 *
 * A hook is added only where a variant plausibly differs; the table is small on purpose and
 * always has the same shape, so each call site stays monomorphic.
 */
import type { DelayedWork } from '@mmkit/core';
import type { SlabState } from './state.js';

export interface SlabHooks {
  /**
   * The end of cache_reap() (mm/slab.c), "Set up the next iteration": queue this CPU's
   * slab_reap_work for its next run. Called on the CPU that ran cache_reap()
   * (`st.sched.currentCpu`), with that CPU's work.
   *
   * 4.17 ("mm, slab: reschedule cache_reap() on the same CPU"):
   * `schedule_delayed_work_on(smp_processor_id(), work, round_jiffies_relative(REAPTIMEOUT_AC))`
   * (queue_delayed_work_on() on system_wq), so every CPU keeps reaping its own array caches
   * every 2 s. Before it, cache_reap() used
   * `schedule_delayed_work(work, round_jiffies_relative(REAPTIMEOUT_AC))` (WORK_CPU_UNBOUND):
   * the work may move to another CPU, and some CPUs are then reaped seldom or never.
   */
  readonly scheduleNextReap: (st: SlabState, work: DelayedWork) => void;
}

/** The hooks of Linux 4.17. */
export const DEFAULT_SLAB_HOOKS: Readonly<SlabHooks> = Object.freeze({
  scheduleNextReap(st: SlabState, work: DelayedWork): void {
    st.sched.queueDelayedWorkOn(st.sched.currentCpu, work, st.sched.roundJiffiesRelative(st.reaptimeoutAc));
  },
});

/**
 * The table a state holds: DEFAULT_SLAB_HOOKS with the overrides given (a member given as
 * undefined keeps its default). An unknown name or a member that is not a function is a
 * TypeError, so a misspelt override cannot go unnoticed.
 */
export function resolveSlabHooks(hooks: Partial<SlabHooks> | undefined): SlabHooks {
  for (const [name, fn] of Object.entries(hooks ?? {})) {
    if (!Object.hasOwn(DEFAULT_SLAB_HOOKS, name)) {
      throw new TypeError(`createSlabAllocator: no hook named '${name}' (hooks: ${Object.keys(DEFAULT_SLAB_HOOKS).join(', ')})`);
    }
    if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`createSlabAllocator: hook '${name}' is not a function`);
  }
  return {
    scheduleNextReap: hooks?.scheduleNextReap ?? DEFAULT_SLAB_HOOKS.scheduleNextReap,
  };
}

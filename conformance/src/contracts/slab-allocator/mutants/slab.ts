/**
 * Mutant of SLAB: brings back the code a seed changelog entry replaced. The slab-allocator suite
 * must fail it on the rule it names in `breaks`.
 */
import { createSlabAllocator } from '@mmkit/slab';
import type { Mutant } from '../../../mutants/types.js';
import { changelogSource } from '../../../rules/links.js';

export const SLAB_MUTANTS: readonly Mutant[] = [
  {
    id: 'slab-cache-reap-unbound',
    contract: 'slab-allocator',
    breaks: 'slab-allocator.cache-reap.every-cpu',
    description: 'SLAB requeues cache_reap() on WORK_CPU_UNBOUND (schedule_delayed_work), so with debug_force_rr_cpu the reaping wanders between CPUs.',
    source: changelogSource('slab-reschedule-cache-reap-same-cpu'),
    /**
     * Before 4.17, cache_reap() scheduled its next iteration with schedule_delayed_work(), i.e. on
     * WORK_CPU_UNBOUND: since "workqueue: schedule WORK_CPU_UNBOUND work on wq_unbound_cpumask CPUs"
     * the work may then run on another CPU (always, round-robin, with debug_force_rr_cpu), and some
     * CPUs reap more often while others never do. Only the hook at the end of cache_reap() differs.
     */
    factory: (services) =>
      createSlabAllocator(services, {
        name: 'slab (mutant: slab-cache-reap-unbound)',
        hooks: {
          scheduleNextReap(st, work) {
            st.sched.queueDelayedWork(work, st.sched.roundJiffiesRelative(st.reaptimeoutAc));
          },
        },
      }),
  },
];

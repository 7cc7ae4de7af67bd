/**
 * SLAB at boot (mm/slab.c, 4.17): kmem_cache_init() (slab_max_order, computed with the state;
 * create_kmalloc_caches()) and cpucache_init() -> slab_online_cpu() -> start_cpu_timer() on
 * every CPU. The factory runs these once the state exists, never a constructor: the reap works
 * they queue call the hook table.
 */
import { startCpuTimer } from './reap.js';
import { createKmallocCaches } from './slab-common.js';
import type { SlabState } from './state.js';

/** kmem_cache_init(): the kmalloc caches (slab_max_order is already in the state). */
export function kmemCacheInit(st: SlabState): void {
  createKmallocCaches(st);
}

/** cpucache_init(): slab_online_cpu() -> start_cpu_timer() for every CPU. */
export function cpucacheInit(st: SlabState): void {
  for (let cpu = 0; cpu < st.sched.nrCpus; cpu++) startCpuTimer(st, cpu);
}

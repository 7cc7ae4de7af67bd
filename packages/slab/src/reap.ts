/**
 * SLAB's periodic reaping and draining (mm/slab.c, 4.17): the per-CPU slab_reap_work
 * (start_cpu_timer()), cache_reap() with drain_array() / drain_array_locked() on array caches
 * and shared arrays and drain_freelist() on free slabs; and __kmem_cache_shrink()
 * (drain_cpu_caches() + drain_freelist(INT_MAX)).
 *
 * Where cache_reap() queues its next run is the hook `scheduleNextReap` (hooks.ts).
 */
import { initDelayedWork, type DelayedWork, type KmemCache, type WorkStruct } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL, type SlabCache } from './cache.js';
import * as freeMod from './free.js';
import * as growMod from './grow.js';
import * as lookupMod from './lookup.js';
import type { SlabState } from './state.js';

// Mechanisms bound to module constants: V8 (Node 20) inlines calls through these where it
// does not inline calls through import bindings (see docs/implementations.md).
const { freeBlock } = freeMod;
const { slabDestroy } = growMod;
const { cpuNode, liveCache, slabOfHead } = lookupMod;

/** INT_MAX, as __kmem_cache_shrink() passes to drain_freelist(). */
const INT_MAX = 0x7fffffff;

// ---------------------------------------------------------------- cache_reap

/** cache_reap() runs of a CPU since boot. */
export function cacheReapRuns(st: SlabState, cpu: number): number {
  return cpu >= 0 && cpu < st.reapRuns.length ? st.reapRuns[cpu] : 0;
}

/** start_cpu_timer(): the CPU's slab_reap_work, first run on a whole second skewed per CPU. */
export function startCpuTimer(st: SlabState, cpu: number): void {
  const work = initDelayedWork(`slab_reap_work/${cpu}`, (w) => cacheReap(st, w));
  st.reapWork[cpu] = work;
  st.sched.queueDelayedWorkOn(cpu, work, st.sched.roundJiffiesRelative(st.sched.hz, cpu));
}

/**
 * cache_reap(): on the CPU it runs on, for every cache, drain a fifth of the CPU's array cache
 * unless it was touched; every REAPTIMEOUT_NODE also the node's shared array and, unless a
 * free slab was used since, some free slabs. Then the next iteration (hook scheduleNextReap).
 */
export function cacheReap(st: SlabState, work: WorkStruct): void {
  const cpu = st.sched.currentCpu;
  const node = cpuNode(st, cpu);
  const jiffies = st.sched.jiffies;
  st.reapRuns[cpu]++;
  for (const c of st.cacheList) {
    // drain_alien_cache()/reap_alien(): no alien caches in this model.
    drainCpuArray(st, c, cpu);
    if (c.nextReap[node] > jiffies) continue; // time_after(n->next_reap, jiffies)
    c.nextReap[node] = jiffies + st.reaptimeoutNode;
    drainShared(st, c, node);
    if (c.freeTouched[node]) c.freeTouched[node] = 0;
    else drainFreelist(st, c, node, Math.floor((c.freeLimit[node] + 5 * c.num - 1) / (5 * c.num)));
  }
  st.hooks.scheduleNextReap(st, work as DelayedWork);
}

/** drain_array() on a CPU's array cache. */
export function drainCpuArray(st: SlabState, c: SlabCache, cpu: number): void {
  if (c.acAvail[cpu] === 0) return;
  if (c.acTouched[cpu]) {
    c.acTouched[cpu] = 0;
    return;
  }
  const avail = c.acAvail[cpu];
  const tofree = drainCount(c.limit, avail, false);
  const base = cpu * c.limit;
  freeBlock(st, c, c.acEntry, base, tofree);
  c.acEntry.copyWithin(base, base + tofree, base + avail);
  c.acAvail[cpu] = avail - tofree;
}

/** drain_array() on a node's shared array. */
export function drainShared(st: SlabState, c: SlabCache, node: number): void {
  if (c.sharedAvail[node] === 0) return;
  if (c.sharedTouched[node]) {
    c.sharedTouched[node] = 0;
    return;
  }
  drainSharedLocked(st, c, node, false);
}

/** drain_array_locked() on a shared array. */
export function drainSharedLocked(st: SlabState, c: SlabCache, node: number, freeAll: boolean): void {
  const avail = c.sharedAvail[node];
  if (avail === 0) return;
  const tofree = drainCount(c.sharedLimit, avail, freeAll);
  const base = node * c.sharedLimit;
  freeBlock(st, c, c.sharedEntry, base, tofree);
  c.sharedEntry.copyWithin(base, base + tofree, base + avail);
  c.sharedAvail[node] = avail - tofree;
}

/** drain_array_locked()'s tofree: everything, or (limit + 4) / 5 capped at (avail + 1) / 2. */
export function drainCount(limit: number, avail: number, freeAll: boolean): number {
  let tofree = freeAll ? avail : Math.floor((limit + 4) / 5);
  if (tofree > avail) tofree = Math.floor((avail + 1) / 2);
  return tofree;
}

// ---------------------------------------------------------------- shrink

/** kmem_cache_shrink() on a cache handle: __kmem_cache_shrink() of a live cache. */
export function kmemCacheShrink(st: SlabState, cache: KmemCache): number {
  const c = liveCache(st, cache, 'kmem_cache_shrink');
  if (!c) return 0;
  return __kmemCacheShrink(st, c);
}

/** __kmem_cache_shrink(): drain_cpu_caches(), then every free slab; 1 while full or partial slabs remain. */
export function __kmemCacheShrink(st: SlabState, c: SlabCache): number {
  drainCpuCaches(st, c);
  let ret = 0;
  for (let node = 0; node < c.nrNodes; node++) {
    drainFreelist(st, c, node, INT_MAX);
    if (!c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_FULL) || !c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_PARTIAL)) ret++;
  }
  return ret ? 1 : 0;
}

/** drain_cpu_caches(): do_drain() on each CPU, then every shared array (free_all). */
export function drainCpuCaches(st: SlabState, c: SlabCache): void {
  for (let cpu = 0; cpu < st.sched.nrCpus; cpu++) {
    freeBlock(st, c, c.acEntry, cpu * c.limit, c.acAvail[cpu]);
    c.acAvail[cpu] = 0;
  }
  for (let node = 0; node < c.nrNodes; node++) drainSharedLocked(st, c, node, true);
}

/** drain_freelist(): up to tofree slabs from the tail of slabs_free back to the page allocator; the number freed. */
export function drainFreelist(st: SlabState, c: SlabCache, node: number, tofree: number): number {
  const list = node * NR_SLAB_LISTS + SLABS_FREE;
  let nrFreed = 0;
  while (nrFreed < tofree && !c.lists.isEmpty(list)) {
    const pfn = c.lists.last(list);
    c.lists.remove(list, pfn);
    c.freeSlabs[node]--;
    c.totalSlabs[node]--;
    c.freeObjects[node] -= c.num;
    slabDestroy(st, c, slabOfHead(st, pfn));
    nrFreed++;
  }
  return nrFreed;
}

/**
 * SLAB's periodic reaping and draining (mm/slab.c, 4.17): the per-CPU slab_reap_work
 * (start_cpu_timer()), cache_reap() with drain_array() / drain_array_locked() on array caches
 * and shared arrays and drain_freelist() on free slabs; and __kmem_cache_shrink()
 * (drain_cpu_caches() + drain_freelist(INT_MAX)).
 */
import { initDelayedWork, type DelayedWork, type KmemCache, type WorkStruct } from '@mmkit/core';
import { NR_SLAB_LISTS, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL, type SlabCache } from './cache.js';
import { SlabAllocPath } from './alloc.js';

/** INT_MAX, as __kmem_cache_shrink() passes to drain_freelist(). */
const INT_MAX = 0x7fffffff;

export class SlabReap extends SlabAllocPath {
  /** REAPTIMEOUT_AC: 2 * HZ between two cache_reap() runs of a CPU. */
  protected readonly reaptimeoutAc: number = 2 * this.sched.hz;
  /** REAPTIMEOUT_NODE: 4 * HZ between two reaps of a node's shared array and free slabs. */
  protected readonly reaptimeoutNode: number = 4 * this.sched.hz;
  /** per-cpu slab_reap_work. */
  private readonly reapWork: DelayedWork[] = [];
  private readonly reapRuns = new Int32Array(this.sched.nrCpus);

  // ---------------------------------------------------------------- cache_reap

  cacheReapRuns(cpu: number): number {
    return cpu >= 0 && cpu < this.reapRuns.length ? this.reapRuns[cpu] : 0;
  }

  /** start_cpu_timer(): the CPU's slab_reap_work, first run on a whole second skewed per CPU. */
  protected startCpuTimer(cpu: number): void {
    const work = initDelayedWork(`slab_reap_work/${cpu}`, (w) => this.cacheReap(w));
    this.reapWork[cpu] = work;
    this.sched.queueDelayedWorkOn(cpu, work, this.sched.roundJiffiesRelative(this.sched.hz, cpu));
  }

  /**
   * cache_reap(): on the CPU it runs on, for every cache, drain a fifth of the CPU's array cache
   * unless it was touched; every REAPTIMEOUT_NODE also the node's shared array and, unless a
   * free slab was used since, some free slabs. Then the next iteration.
   */
  protected cacheReap(work: WorkStruct): void {
    const cpu = this.sched.currentCpu;
    const node = this.cpuNode(cpu);
    const jiffies = this.sched.jiffies;
    this.reapRuns[cpu]++;
    for (const c of this.cacheList) {
      // drain_alien_cache()/reap_alien(): no alien caches in this model.
      this.drainCpuArray(c, cpu);
      if (c.nextReap[node] > jiffies) continue; // time_after(n->next_reap, jiffies)
      c.nextReap[node] = jiffies + this.reaptimeoutNode;
      this.drainShared(c, node);
      if (c.freeTouched[node]) c.freeTouched[node] = 0;
      else this.drainFreelist(c, node, Math.floor((c.freeLimit[node] + 5 * c.num - 1) / (5 * c.num)));
    }
    this.scheduleNextReap(work as DelayedWork);
  }

  /**
   * The next cache_reap() of this CPU (the fix of 4.17, "mm, slab: reschedule cache_reap() on the
   * same CPU"): schedule_delayed_work_on(smp_processor_id(), work, round_jiffies_relative(REAPTIMEOUT_AC)).
   */
  protected scheduleNextReap(work: DelayedWork): void {
    this.sched.queueDelayedWorkOn(this.sched.currentCpu, work, this.sched.roundJiffiesRelative(this.reaptimeoutAc));
  }

  /** drain_array() on a CPU's array cache. */
  private drainCpuArray(c: SlabCache, cpu: number): void {
    if (c.acAvail[cpu] === 0) return;
    if (c.acTouched[cpu]) {
      c.acTouched[cpu] = 0;
      return;
    }
    const avail = c.acAvail[cpu];
    const tofree = this.drainCount(c.limit, avail, false);
    const base = cpu * c.limit;
    this.freeBlock(c, c.acEntry, base, tofree);
    c.acEntry.copyWithin(base, base + tofree, base + avail);
    c.acAvail[cpu] = avail - tofree;
  }

  /** drain_array() on a node's shared array. */
  private drainShared(c: SlabCache, node: number): void {
    if (c.sharedAvail[node] === 0) return;
    if (c.sharedTouched[node]) {
      c.sharedTouched[node] = 0;
      return;
    }
    this.drainSharedLocked(c, node, false);
  }

  /** drain_array_locked() on a shared array. */
  private drainSharedLocked(c: SlabCache, node: number, freeAll: boolean): void {
    const avail = c.sharedAvail[node];
    if (avail === 0) return;
    const tofree = this.drainCount(c.sharedLimit, avail, freeAll);
    const base = node * c.sharedLimit;
    this.freeBlock(c, c.sharedEntry, base, tofree);
    c.sharedEntry.copyWithin(base, base + tofree, base + avail);
    c.sharedAvail[node] = avail - tofree;
  }

  /** drain_array_locked()'s tofree: everything, or (limit + 4) / 5 capped at (avail + 1) / 2. */
  private drainCount(limit: number, avail: number, freeAll: boolean): number {
    let tofree = freeAll ? avail : Math.floor((limit + 4) / 5);
    if (tofree > avail) tofree = Math.floor((avail + 1) / 2);
    return tofree;
  }

  // ---------------------------------------------------------------- shrink

  /** __kmem_cache_shrink(): drain_cpu_caches(), then every free slab; 1 while full or partial slabs remain. */
  kmemCacheShrink(cache: KmemCache): number {
    const c = this.live(cache, 'kmem_cache_shrink');
    if (!c) return 0;
    return this.shrink(c);
  }

  protected shrink(c: SlabCache): number {
    this.drainCpuCaches(c);
    let ret = 0;
    for (let node = 0; node < c.nrNodes; node++) {
      this.drainFreelist(c, node, INT_MAX);
      if (!c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_FULL) || !c.lists.isEmpty(node * NR_SLAB_LISTS + SLABS_PARTIAL)) ret++;
    }
    return ret ? 1 : 0;
  }

  /** drain_cpu_caches(): do_drain() on each CPU, then every shared array (free_all). */
  private drainCpuCaches(c: SlabCache): void {
    for (let cpu = 0; cpu < this.sched.nrCpus; cpu++) {
      this.freeBlock(c, c.acEntry, cpu * c.limit, c.acAvail[cpu]);
      c.acAvail[cpu] = 0;
    }
    for (let node = 0; node < c.nrNodes; node++) this.drainSharedLocked(c, node, true);
  }

  /** drain_freelist(): up to tofree slabs from the tail of slabs_free back to the page allocator. */
  private drainFreelist(c: SlabCache, node: number, tofree: number): number {
    const list = node * NR_SLAB_LISTS + SLABS_FREE;
    let nrFreed = 0;
    while (nrFreed < tofree && !c.lists.isEmpty(list)) {
      const pfn = c.lists.last(list);
      c.lists.remove(list, pfn);
      c.freeSlabs[node]--;
      c.totalSlabs[node]--;
      c.freeObjects[node] -= c.num;
      this.slabDestroy(c, this.pages.index[pfn]);
      nrFreed++;
    }
    return nrFreed;
  }
}

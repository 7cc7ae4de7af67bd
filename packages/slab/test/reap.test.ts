import { GFP_KERNEL } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import type { SlabHooks } from '../src/index.js';
import { createFixture } from './fixture.js';

/** SLAB before the 4.17 fix: the next cache_reap() is queued WORK_CPU_UNBOUND (schedule_delayed_work()). */
const UNBOUND_REAP: Partial<SlabHooks> = {
  scheduleNextReap(st, work) {
    st.sched.queueDelayedWork(work, st.sched.roundJiffiesRelative(st.reaptimeoutAc));
  },
};

describe('cache_reap() per CPU (mm/slab.c: reschedule on smp_processor_id())', () => {
  it('with debug_force_rr_cpu every CPU runs cache_reap() 30 times in 60 s (first at ~1 s, then every REAPTIMEOUT_AC = 2 s)', () => {
    const f = createFixture({ nrCpus: 4, debugForceRrCpu: true });
    f.m.sched.runUntil(60 * f.m.sched.hz);
    for (let cpu = 0; cpu < 4; cpu++) {
      expect(Math.abs(f.slab.cacheReapRuns(cpu) - 30)).toBeLessThanOrEqual(1);
    }
  });

  it('the old WORK_CPU_UNBOUND rescheduling lets the reap work wander: the counts become uneven', () => {
    const f = createFixture({ nrCpus: 4, debugForceRrCpu: true, hooks: UNBOUND_REAP });
    f.m.sched.runUntil(60 * f.m.sched.hz);
    const runs = [0, 1, 2, 3].map((cpu) => f.slab.cacheReapRuns(cpu));
    expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4 * 29); // the works still run...
    expect(Math.min(...runs)).toBeLessThan(29); // ...but not where they belong: some CPU is reaped less
    expect(Math.max(...runs) - Math.min(...runs)).toBeGreaterThan(2);
  });

  it('draining: an idle CPU array cache goes back to the slabs a fifth of limit per run, free slabs to the page allocator', () => {
    const f = createFixture({ nrCpus: 4 });
    const { m, slab } = f;
    const start = m.allocatedPages();
    const c = slab.kmemCacheCreate('reap', 64, 0, 0)!;
    const objs: number[] = [];
    m.sched.onCpu(2, () => {
      for (let i = 0; i < 100; i++) objs.push(slab.kmemCacheAlloc(c, GFP_KERNEL));
      for (const a of objs) slab.kmemCacheFree(c, a);
    });
    const held = m.allocatedPages() - start;
    expect(held).toBeGreaterThan(0);
    const info0 = slab.slabinfo(c);
    expect(info0.activeObjs).toBeGreaterThanOrEqual(100); // all sit in CPU 2's array cache
    // First run of CPU 2 (~1 s) only clears `touched`; later runs free (120 + 4) / 5 = 24 each.
    m.sched.runUntil(Math.floor(1.5 * m.sched.hz));
    expect(slab.slabinfo(c).activeObjs).toBe(info0.activeObjs);
    m.sched.runUntil(4 * m.sched.hz);
    expect(slab.slabinfo(c).activeObjs).toBe(info0.activeObjs - 24);
    // Eventually everything is back in free slabs and those go back one by one (drain_freelist()).
    m.sched.runUntil(120 * m.sched.hz);
    const info = slab.slabinfo(c);
    expect(info.activeObjs).toBe(0);
    expect(info.numSlabs).toBe(0);
    expect(m.allocatedPages()).toBe(start);
    expect(slab.cacheReapRuns(2)).toBeGreaterThan(50);
  });

  it('a destroyed cache is no longer reaped, and reaping leaves live objects alone', () => {
    const f = createFixture({ nrCpus: 2 });
    const { m, slab } = f;
    const c = slab.kmemCacheCreate('keep', 128, 0, 0)!;
    const kept = [0, 1, 2].map(() => slab.kmemCacheAlloc(c, GFP_KERNEL));
    m.phys.writeU64(kept[1], 42);
    const d = slab.kmemCacheCreate('gone', 128, 0, 0)!;
    slab.kmemCacheFree(d, slab.kmemCacheAlloc(d, GFP_KERNEL));
    slab.kmemCacheDestroy(d);
    m.sched.runUntil(30 * m.sched.hz);
    expect(slab.slabinfo(c).activeObjs).toBe(3);
    expect(m.phys.readU64(kept[1])).toBe(42);
    expect(f.reports).toEqual([]);
  });
});

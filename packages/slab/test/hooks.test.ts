import { GFP_KERNEL, type DelayedWork, type SlabAllocatorFactory, type SlabAllocatorServices } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { createSlabAllocator, DEFAULT_SLAB_HOOKS, type Slab, type SlabHooks } from '../src/index.js';
import type { SlabState } from '../src/internals.js';
import { createFixture } from './fixture.js';

/**
 * A variant written as a class with its own fields: it records on which CPU each cache_reap()
 * requeued itself, then does what 4.17 does. Its fields are initialised before it hands its hook
 * to the factory, so the hook can use them from the first reap on.
 */
class ReapCpuRecorder {
  private readonly cpus: number[] = [];
  readonly slab: Slab;

  constructor(services: SlabAllocatorServices) {
    this.slab = createSlabAllocator(services, {
      name: 'slab (recording cache_reap CPUs)',
      hooks: { scheduleNextReap: (st, work) => this.scheduleNextReap(st, work) },
    });
  }

  private scheduleNextReap(st: SlabState, work: DelayedWork): void {
    this.cpus.push(st.sched.currentCpu);
    DEFAULT_SLAB_HOOKS.scheduleNextReap(st, work);
  }

  recordedCpus(): readonly number[] {
    return this.cpus;
  }
}

describe('createSlabAllocator(services, { name, hooks })', () => {
  it('is a SlabAllocatorFactory with one argument, named slab, with the 4.17 hooks', () => {
    const factory: SlabAllocatorFactory = createSlabAllocator;
    const f = createFixture({ make: (s) => factory(s) as Slab });
    expect(f.slab.name).toBe('slab');
    expect(f.slab.supports).toEqual({ bulk: true, kasan: true });
  });

  it('boots without calling a hook: the reap timers only queue work', () => {
    let calls = 0;
    const f = createFixture({ nrCpus: 4, hooks: { scheduleNextReap: () => void calls++ } });
    expect(calls).toBe(0);
    f.m.sched.runUntil(Math.floor(1.5 * f.m.sched.hz)); // first cache_reap() of every CPU at ~1 s
    expect(calls).toBe(4);
  });

  it('a misspelt hook is a TypeError; a hook given as undefined keeps its default', () => {
    expect(() => createFixture({ hooks: { scheduleNextReeap: () => {} } as Partial<SlabHooks> })).toThrow(TypeError);
    expect(() => createFixture({ hooks: { scheduleNextReap: 42 } as unknown as Partial<SlabHooks> })).toThrow(/not a function/);
    const f = createFixture({ nrCpus: 2, hooks: { scheduleNextReap: undefined } });
    f.m.sched.runUntil(10 * f.m.sched.hz);
    expect(f.slab.cacheReapRuns(0)).toBeGreaterThanOrEqual(4);
    expect(f.slab.cacheReapRuns(1)).toBeGreaterThanOrEqual(4);
  });

  it('a variant class with its own fields boots, records the CPU of every requeue, and every CPU keeps reaping', () => {
    let variant: ReapCpuRecorder | undefined;
    const f = createFixture({
      nrCpus: 4,
      debugForceRrCpu: true,
      make: (s) => (variant = new ReapCpuRecorder(s)).slab,
    });
    const { m, slab } = f;
    expect(slab.name).toBe('slab (recording cache_reap CPUs)');

    // Objects left in every CPU's array cache: reaping on each CPU gives them back.
    const c = slab.kmemCacheCreate('per-cpu', 64, 0, 0)!;
    for (let cpu = 0; cpu < 4; cpu++) {
      m.sched.onCpu(cpu, () => {
        const objs: number[] = [];
        for (let i = 0; i < 60; i++) objs.push(slab.kmemCacheAlloc(c, GFP_KERNEL));
        for (const a of objs) slab.kmemCacheFree(c, a);
      });
    }
    expect(slab.slabinfo(c).activeObjs).toBeGreaterThanOrEqual(4 * 60);

    m.sched.runUntil(60 * m.sched.hz);
    const cpus = variant!.recordedCpus();
    const perCpu = [0, 1, 2, 3].map((cpu) => cpus.filter((x) => x === cpu).length);
    for (let cpu = 0; cpu < 4; cpu++) {
      // Every run of cache_reap() requeued through the hook, on its own CPU, ~every 2 s.
      expect(perCpu[cpu]).toBe(slab.cacheReapRuns(cpu));
      expect(Math.abs(perCpu[cpu] - 30)).toBeLessThanOrEqual(1);
    }
    expect(cpus.length).toBe(perCpu.reduce((a, b) => a + b, 0));
    // Every CPU's array cache was drained: nothing is left active, no slab kept.
    const info = slab.slabinfo(c);
    expect(info.activeObjs).toBe(0);
    expect(info.numSlabs).toBe(0);
    expect(f.reports).toEqual([]);
  });
});

/** Slab-allocator cases: SLAB's cache_reap() on every CPU. */
import {
  type ObjAddr,
} from '@mmkit/core';
import { type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, info, type SlabAllocatorUnderTest } from './helpers.js';

export const cacheReapCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'cache_reap runs every 2 s on every CPU, even with debug_force_rr_cpu or a narrow unbound cpumask',
    rules: ['slab-allocator.cache-reap.every-cpu'],
    requires: 'cacheReap',
    run(ctx) {
      const setups: [string, Omit<KernelConfig, 'slab'>][] = [
        ['debug_force_rr_cpu=1', { debugForceRrCpu: true }],
        ['unbound cpumask 2-3', { unboundCpumask: [2, 3] }],
        ['defaults', {}],
      ];
      const wrong: string[] = [];
      for (const [label, config] of setups) {
        const k = boot(ctx, { nrCpus: 4, ...config });
        const runs = (cpu: number) => k.slab.cacheReapRuns?.(cpu) ?? assert.fail('cacheReapRuns() is missing');
        const start = [0, 1, 2, 3].map(runs);
        const t0 = k.sched.jiffies;
        k.sched.runUntil(t0 + 60 * k.sched.hz);
        const per = [0, 1, 2, 3].map((cpu) => runs(cpu) - start[cpu]);
        ctx.note(`${label}: cache_reap runs per CPU in 60 s: ${per.join(' ')}`);
        if (per.some((n) => n < 29 || n > 31)) wrong.push(`${label}: ${per.join(' ')}`);
      }
      if (wrong.length) assert.fail(`cache_reap runs per CPU in 60 s, expected 30 (±1) on each of 4 CPUs: ${wrong.join('; ')}`);
    },
  },
  {
    name: "cache_reap drains an idle CPU's cached objects",
    rules: ['slab-allocator.cache-reap.drains'],
    requires: 'cacheReap',
    run(ctx) {
      const k = boot(ctx, { nrCpus: 2 });
      const c = create(k, 'reap_objs', 256);
      const objs: ObjAddr[] = [];
      k.sched.onCpu(1, () => {
        for (let i = 0; i < 100; i++) objs.push(alloc(k, c));
        for (const a of objs) k.slab.kmemCacheFree(c, a);
      });
      const cached = info(k, c).activeObjs;
      ctx.note(`active objects right after freeing all 100 on CPU 1: ${cached}`);
      k.sched.runUntil(k.sched.jiffies + 60 * k.sched.hz);
      assert.equal(info(k, c).activeObjs, 0, 'active objects after 60 idle seconds of cache_reap');
    },
  },
];

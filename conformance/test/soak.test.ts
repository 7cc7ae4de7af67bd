// The soak of issue 10: the slab-allocator suite's fault-injection case (1% fail_page_alloc and
// failslab, random allocs/frees/kmallocs/bulk/cache create and destroy on 4 CPUs, byte patterns,
// the kernel's invariant checker every 250 steps, every page back at the end) run long on SLUB
// and SLAB. Off unless MMKIT_SLAB_SOAK_STEPS is set (a positive integer: steps per allocator);
// the default-size run of the same case is part of reference.test.ts. For example:
//   MMKIT_SLAB_SOAK_STEPS=3000000 npx vitest run --root conformance test/soak.test.ts
import { describe, expect, it } from 'vitest';
import { createSlabAllocator } from '@mmkit/slab';
import { runSuite, slabAllocatorSuite } from '../src/index.js';

const env = process.env.MMKIT_SLAB_SOAK_STEPS;
const steps = env === undefined || env === '' ? 0 : Number(env);
if (!(steps === 0 || (Number.isSafeInteger(steps) && steps > 0))) throw new RangeError(`MMKIT_SLAB_SOAK_STEPS must be a positive integer, got '${env}'`);
const seed = Number(process.env.MMKIT_SLAB_SOAK_SEED ?? 1);

describe.skipIf(steps === 0)('slab soak under 1% fault injection (MMKIT_SLAB_SOAK_STEPS)', () => {
  for (const [label, factory] of [['SLUB', undefined], ['SLAB', createSlabAllocator]] as const) {
    it(`${label}: ${steps} steps`, { timeout: 6 * 3_600_000 }, async () => {
      const t0 = Date.now();
      const results = await runSuite(slabAllocatorSuite, factory, { filter: ['slab-allocator.object.fault-injection'], propertyRuns: Math.ceil(steps / 10), seed });
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      for (const r of results) console.log(`soak ${label} (seed ${seed}, ${seconds} s): ${r.status} ${r.notes?.join('; ') ?? ''} ${r.message}`);
      expect(results.length).toBe(1);
      expect(results[0].message).toBe('');
      expect(results[0].status).toBe('pass');
    });
  }
});

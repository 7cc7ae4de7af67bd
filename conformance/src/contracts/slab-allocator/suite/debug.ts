/** Slab-allocator cases: red zones and poison. */
import {
  SLAB_POISON, SLAB_RED_ZONE,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, reportsOf, allocUntil, info, type SlabAllocatorUnderTest } from './helpers.js';

export const debugCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'a write past an object of a SLAB_RED_ZONE cache is reported at free',
    rules: ['slab-allocator.debug.red-zone'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'redzoned', 64, 0, SLAB_RED_ZONE);
      const good = alloc(k, c);
      k.phys.fill(good, 64, 0x11); // the whole object, nothing past it
      k.slab.kmemCacheFree(c, good);
      assert.equal(reportsOf(k, 'redzone'), 0, 'writing the whole object is no overwrite');
      const a = alloc(k, c);
      k.phys.write(a + 64, Uint8Array.of(0x42)); // one byte past the object
      k.slab.kmemCacheFree(c, a);
      assert.equal(reportsOf(k, 'redzone'), 1, 'a write one byte past the object is reported when it is freed');
    },
  },
  {
    name: 'a write into a freed object of a SLAB_POISON cache is reported',
    rules: ['slab-allocator.debug.poison'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'poisoned', 64, 0, SLAB_POISON);
      const keep = alloc(k, c);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      const clean = allocUntil(k, c, a, 4 * info(k, c).objectsPerSlab);
      assert.equal(reportsOf(k, 'poison'), 0, 'allocating objects nobody wrote after free reports nothing');
      for (const x of clean.taken) k.slab.kmemCacheFree(c, x);
      k.phys.write(a + 20, Uint8Array.of(0x00, 0x01, 0x02)); // use after free
      const again = allocUntil(k, c, a, 4 * info(k, c).objectsPerSlab);
      assert.ok(again.found, 'the freed object is allocated again');
      assert.atLeast(reportsOf(k, 'poison'), 1, 'the write after free is reported');
      for (const x of [...again.taken, keep]) k.slab.kmemCacheFree(c, x);
    },
  },
];

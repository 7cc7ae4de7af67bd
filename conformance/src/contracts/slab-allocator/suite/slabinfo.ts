/** Slab-allocator cases: /proc/slabinfo. */
import {
  PAGE_SIZE, type ObjAddr,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { boot, create, alloc, checkKernel, info, type SlabAllocatorUnderTest } from './helpers.js';

export const slabinfoCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: '/proc/slabinfo counts',
    rules: ['slab-allocator.slabinfo.counts'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'info_objs', 300);
      const objs: ObjAddr[] = [];
      for (let i = 0; i < 500; i++) objs.push(alloc(k, c));
      const line = k.readFile('/proc/slabinfo').split('\n').find((l) => l.startsWith('info_objs '));
      if (!line) return assert.fail('/proc/slabinfo has no line for info_objs');
      const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) : tunables\s+(\d+)\s+(\d+)\s+(\d+) : slabdata\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
      if (!m) return assert.fail(`slabinfo line not in the 2.1 format: ${line}`);
      const [active, num, objsize, perSlab, pages, , , , activeSlabs, numSlabs] = m.slice(2).map(Number);
      const si = info(k, c);
      assert.deepEqual([active, num, perSlab, pages, activeSlabs, numSlabs], [si.activeObjs, si.numObjs, si.objectsPerSlab, si.pagesPerSlab, si.activeSlabs, si.numSlabs], 'the /proc/slabinfo line against slabinfo()');
      assert.equal(objsize, c.size, 'objsize is the space an object takes (s->size)');
      assert.atLeast(active, 500, 'active_objs counts every allocated object');
      assert.equal(num, numSlabs * perSlab, 'num_objs = num_slabs × objperslab');
      assert.atMost(active, num, 'active_objs ≤ num_objs');
      assert.atLeast(perSlab * c.size, 1, 'objects per slab');
      assert.atMost(perSlab * c.size, pages * PAGE_SIZE, 'objects fit in their slab');
      checkKernel(k, 'with 500 objects allocated (the slabs reported against the pages marked PG_slab)');
      for (const a of objs) k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheShrink(c);
      const after = info(k, c);
      assert.deepEqual([after.activeObjs, after.activeSlabs], [0, 0], 'active objects and slabs after freeing everything and shrinking');
    },
  },
];

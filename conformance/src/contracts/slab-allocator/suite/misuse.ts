/** Slab-allocator cases: misuse: double free, invalid free, wrong cache. */
import {
  GFP_KERNEL, NO_PAGE, PhysMemory,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import type { Kernel } from '@mmkit/kernel';
import { boot, create, alloc, kmalloc, pattern, readBytes, sameBytes, reportsOf, info, type SlabAllocatorUnderTest } from './helpers.js';

export const misuseCases: readonly SuiteCase<SlabAllocatorUnderTest>[] = [
  {
    name: 'a double free is reported and changes nothing',
    rules: ['slab-allocator.misuse.double-free'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'df_objs', 64);
      const keep = alloc(k, c);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, a);
      assert.equal(reportsOf(k, 'double-free'), 1, 'a double-free report');
      const got = [alloc(k, c), alloc(k, c), alloc(k, c)];
      assert.equal(new Set([...got, keep]).size, 4, `allocations after the double free are distinct: ${got.map((x) => x.toString(16)).join(', ')}`);
      const x = kmalloc(k, 100);
      k.slab.kfree(x);
      const since = k.slabReports.length;
      k.slab.kfree(x);
      assert.equal(reportsOf(k, 'double-free', since), 1, 'a double kfree is reported');
      const y = kmalloc(k, 100);
      const z = kmalloc(k, 100);
      assert.ok(y !== z, 'kmallocs after the double kfree are distinct');
    },
  },
  {
    name: 'freeing what is not an object is reported and changes nothing',
    rules: ['slab-allocator.misuse.invalid-free'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'inv_objs', 64);
      const a = alloc(k, c);
      k.phys.write(a, pattern(3, 64));
      const active = info(k, c).activeObjs;
      k.slab.kmemCacheFree(c, a + 8);
      assert.equal(reportsOf(k, 'invalid-free'), 1, 'freeing a pointer inside an object is reported as an invalid free');
      const pfn = k.pageAllocator.allocPages(GFP_KERNEL, 0);
      assert.ok(pfn !== NO_PAGE, 'a page for the test');
      const since = k.slabReports.length;
      k.slab.kfree(PhysMemory.addrOf(pfn) + 64);
      assert.equal(reportsOf(k, 'invalid-free', since), 1, 'kfree of an address in a page that is no slab is reported');
      k.pageAllocator.freePages(pfn, 0);
      assert.equal(info(k, c).activeObjs, active, 'active objects unchanged');
      assert.equal(sameBytes(readBytes(k, a, 64), pattern(3, 64)), -1, 'the object is intact');
      const others = new Set<number>();
      for (let i = 0; i < 200; i++) others.add(alloc(k, c));
      assert.ok(!others.has(a) && others.size === 200, 'the object was not put back on a freelist');
    },
  },
  {
    name: "under 4.17's defaults a double free is not detected and the object is handed out twice",
    rules: ['slab-allocator.misuse.double-free-unchecked'],
    run(ctx) {
      const k = boot(ctx);
      assert.ok(!k.debug.debugSlab && k.debug.slubDebug.flags === 0 && !k.debug.freelistHardened, 'the case boots with no free checks');
      const c = create(k, 'dfu_objs', 64);
      const keep = alloc(k, c);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, a);
      assert.equal(k.slabReports.length, 0, `nothing reported at free time: ${k.slabReports.map((r) => r.message).join('; ')}`);
      const found = k.checkInvariants().filter((v) => v.invariant === 'slab-freelist');
      assert.ok(found.length > 0, 'the invariant checker finds the corrupted freelist');
      const x = alloc(k, c);
      const y = alloc(k, c);
      assert.equal(x, a, 'the next allocation returns the double-freed object');
      assert.equal(y, a, 'and so does the one after it');
      assert.ok(keep !== a, 'distinct objects before the misuse');
    },
  },
  {
    name: "under 4.17's defaults a pointer inside an object is freed unchecked and handed out as an object",
    rules: ['slab-allocator.misuse.invalid-free-unchecked'],
    run(ctx) {
      const k = boot(ctx);
      const c = create(k, 'ipu_objs', 64);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a + 8);
      assert.equal(k.slabReports.length, 0, `nothing reported at free time: ${k.slabReports.map((r) => r.message).join('; ')}`);
      assert.equal(alloc(k, c), a + 8, 'the next allocation returns the interior pointer');
    },
  },
  {
    name: 'with CONFIG_SLAB_FREELIST_HARDENED an object freed onto the freelist it heads is caught (SLUB)',
    rules: ['slab-allocator.misuse.double-free-hardened'],
    requires: 'hardenedFreelist',
    run(ctx) {
      const k = boot(ctx);
      assert.ok(k.debug.freelistHardened, 'the case boots with CONFIG_SLAB_FREELIST_HARDENED');
      const c = create(k, 'dfh_objs', 64);
      const a = alloc(k, c);
      k.slab.kmemCacheFree(c, a);
      k.slab.kmemCacheFree(c, a);
      assert.equal(reportsOf(k, 'double-free'), 1, 'the second free is reported');
      const got = [alloc(k, c), alloc(k, c)];
      assert.ok(got[0] !== got[1], `the object is not handed out twice: ${got.map((x) => x.toString(16)).join(', ')}`);
      assert.equal(k.checkInvariants().length, 0, 'the freelists are sound');
      const b = alloc(k, c);
      const d = alloc(k, c);
      k.slab.kmemCacheFree(c, b);
      k.slab.kmemCacheFree(c, d);
      const since = k.slabReports.length;
      k.slab.kmemCacheFree(c, b); // another free in between: not caught by the naive check
      assert.equal(k.slabReports.length - since, 0, 'a double free with another free in between is not caught');
    },
  },
  {
    name: 'with CONFIG_SLAB_FREELIST_HARDENED an object freed to the wrong cache is warned about once and freed into its own cache',
    rules: ['slab-allocator.misuse.wrong-cache-checked'],
    run(ctx) {
      const k = boot(ctx);
      assert.ok(k.debug.freelistHardened, 'the case boots with CONFIG_SLAB_FREELIST_HARDENED');
      wrongCacheCase(k, true);
    },
  },
  {
    name: "under 4.17's defaults an object freed to the wrong cache goes back to its own cache unreported",
    rules: ['slab-allocator.misuse.wrong-cache-unchecked'],
    run(ctx) {
      const k = boot(ctx);
      assert.ok(!k.debug.freelistHardened && k.debug.slubDebug.flags === 0, 'the case boots with no check in cache_from_obj()');
      wrongCacheCase(k, false);
    },
  },
];

/** kmem_cache_free(c2, object of c1), twice: warned about once when cache_from_obj() checks, never otherwise; the objects go back to c1. */
function wrongCacheCase(k: Kernel, warns: boolean): void {
  const c1 = create(k, 'wc_one', 64);
  const c2 = create(k, 'wc_two', 64);
  const a = alloc(k, c1);
  const a2 = alloc(k, c1);
  const b = alloc(k, c2);
  const i2 = info(k, c2).activeObjs;
  k.slab.kmemCacheFree(c2, a);
  k.slab.kmemCacheFree(c2, a2);
  assert.equal(reportsOf(k, 'wrong-cache'), warns ? 1 : 0, warns ? 'one warning (WARN_ONCE) for two wrong frees' : 'no report');
  if (warns) assert.match(k.slabReports[0].message, /cache_from_obj: Wrong slab cache\. wc_two but object is from wc_one/, 'the warning names both caches');
  assert.equal(info(k, c2).activeObjs, i2, `${c2.name} active objects unchanged`);
  const taken = new Set<number>();
  for (let i = 0; i < 200; i++) taken.add(alloc(k, c2));
  assert.ok(!taken.has(a) && !taken.has(a2), `the objects of ${c1.name} are not handed out by ${c2.name}`);
  const back = new Set<number>();
  for (let i = 0; i < 2 * info(k, c1).objectsPerSlab && !(back.has(a) && back.has(a2)); i++) back.add(alloc(k, c1));
  assert.ok(back.has(a) && back.has(a2), `the objects are free in ${c1.name} again: it hands them out`);
  k.slab.kmemCacheFree(c2, b);
  assert.equal(k.slabReports.length, warns ? 1 : 0, 'freeing to the right cache reports nothing');
}

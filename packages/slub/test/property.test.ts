/**
 * A seeded random walk of alloc/free/kmalloc/kfree/bulk/shrink on several CPUs, checked
 * against a shadow model: every live object keeps its bytes, no two live objects overlap,
 * misuse (double frees, interior pointers) is reported and changes nothing under slub_debug=F
 * (the default configuration does no misuse and its freelists validate clean), a free to the wrong
 * cache frees the object into its own (cache_from_obj() unchecked, 4.17's default), and
 * destroying everything gives every page back.
 */
import { GFP_KERNEL, PAGE_SIZE, Prng, SLAB_POISON, SLAB_RED_ZONE, type KmemCache } from '@mmkit/core';
import { describe, expect, it } from 'vitest';
import { createFixture } from './test-fixture.js';

interface Live {
  cache: KmemCache | null; // null: kmalloc
  addr: number;
  len: number;
  tag: number;
}

describe('randomized against a shadow model', () => {
  // slub_debug=F: misuse is checked at free time (free_consistency_checks()) and exercised;
  // 4.17's default (no slub_debug): nothing is checked at free, so the walk does no misuse and
  // the freelists must validate clean at every checkpoint.
  for (const [seed, slubDebug] of [[1, 'F'], [2, 'F'], [3, 'F'], [4, undefined], [5, undefined]] as const) {
    it(`seed ${seed}${slubDebug ? ` (slub_debug=${slubDebug})` : ''}: 4000 operations keep the data and the accounting`, () => {
      const prng = new Prng(seed);
      const f = createFixture({ nrCpus: 3, nrPages: 8192, debug: slubDebug === undefined ? undefined : { slubDebug } });
      const checked = slubDebug !== undefined;
      const slub = f.slub;
      const caches = [
        slub.kmemCacheCreate('p24', 24, 0, 0)!,
        slub.kmemCacheCreate('p200', 200, 0, SLAB_RED_ZONE)!,
        slub.kmemCacheCreate('p700', 700, 0, SLAB_POISON)!,
        slub.kmemCacheCreate('p3000', 3000, 0, 0)!,
      ];
      const live: Live[] = [];
      const dead: Live[] = [];
      let expectedReports = 0;
      let wrongCacheWarned = false;
      const write = (l: Live) => {
        const n = Math.min(l.len, 16);
        const buf = new Uint8Array(n).fill(l.tag & 0xff);
        f.machine.phys.write(l.addr, buf);
        f.machine.phys.write(l.addr + l.len - n, buf);
      };
      const intact = (l: Live) => {
        const n = Math.min(l.len, 16);
        const a = new Uint8Array(n);
        const b = new Uint8Array(n);
        f.machine.phys.read(l.addr, a);
        f.machine.phys.read(l.addr + l.len - n, b);
        return a.every((x) => x === (l.tag & 0xff)) && b.every((x) => x === (l.tag & 0xff));
      };
      const free = (l: Live) => (l.cache ? slub.kmemCacheFree(l.cache, l.addr) : slub.kfree(l.addr));
      let tag = 1;
      for (let op = 0; op < 4000; op++) {
        f.machine.sched.currentCpu = prng.nextInt(3);
        const r = prng.nextInt(100);
        if (r < 40 || live.length === 0) {
          if (prng.nextInt(3) === 0) {
            const len = 1 + prng.nextInt(prng.nextInt(4) === 0 ? 12000 : 300);
            const addr = slub.kmalloc(len, GFP_KERNEL);
            expect(addr).toBeGreaterThan(0);
            expect(slub.ksize(addr)).toBeGreaterThanOrEqual(len);
            const l = { cache: null, addr, len, tag: tag++ };
            write(l);
            live.push(l);
          } else {
            const cache = caches[prng.nextInt(caches.length)];
            const addr = slub.kmemCacheAlloc(cache, GFP_KERNEL);
            expect(addr).toBeGreaterThan(0);
            const l = { cache, addr, len: cache.objectSize, tag: tag++ };
            write(l);
            live.push(l);
          }
        } else if (r < 75) {
          const l = live.splice(prng.nextInt(live.length), 1)[0];
          expect(intact(l)).toBe(true);
          free(l);
          dead.push(l);
          if (dead.length > 50) dead.shift();
        } else if (r < 80) {
          const cache = caches[prng.nextInt(caches.length)];
          const n = 1 + prng.nextInt(40);
          const out = new Float64Array(n);
          expect(slub.kmemCacheAllocBulk(cache, GFP_KERNEL, n, out)).toBe(n);
          for (const addr of out) {
            const l = { cache, addr, len: cache.objectSize, tag: tag++ };
            write(l);
            live.push(l);
          }
        } else if (r < 85) {
          const cache = caches[prng.nextInt(caches.length)];
          const mine = live.filter((l) => l.cache === cache);
          const pick = mine.filter(() => prng.nextInt(2) === 0);
          for (const l of pick) {
            expect(intact(l)).toBe(true);
            live.splice(live.indexOf(l), 1);
          }
          slub.kmemCacheFreeBulk(cache, pick.length, new Float64Array(pick.map((l) => l.addr)));
        } else if (r < 88) {
          slub.kmemCacheShrink(caches[prng.nextInt(caches.length)]);
        } else if (r < 94 && dead.length > 0 && checked) {
          // misuse: free again something already freed (and not handed out again)
          const d = dead[prng.nextInt(dead.length)];
          if (!live.some((l) => d.addr >= l.addr && d.addr < l.addr + Math.max(l.len, 1))) {
            const before = f.reports.length;
            free(d);
            expect(f.reports.length).toBe(before + 1);
            expectedReports++;
          }
        } else if (live.length > 0) {
          // misuse: an interior pointer or the wrong cache
          const l = live[prng.nextInt(live.length)];
          const before = f.reports.length;
          if (l.cache && prng.nextInt(2) === 0) {
            // cache_from_obj() unchecked (4.17's default): no report, the object goes back to its own cache
            const other = caches.find((c) => c !== l.cache)!;
            expect(intact(l)).toBe(true);
            slub.kmemCacheFree(other, l.addr);
            // slub_debug=F checks (cache_from_obj() WARN_ONCE): one report, the first time
            const warned = f.reports.length - before;
            expect(warned).toBe(checked && !wrongCacheWarned ? 1 : 0);
            if (warned) {
              wrongCacheWarned = true;
              expectedReports++;
            }
            live.splice(live.indexOf(l), 1);
            dead.push(l);
            continue;
          } else if (l.len > 8 && checked) {
            free({ ...l, addr: l.addr + 8 });
            expect(f.reports.at(-1)!.kind).toBe('invalid-free');
          } else continue;
          expect(f.reports.length).toBe(before + 1);
          expectedReports++;
        }
        if (op % 500 === 0) {
          // no two live objects overlap
          const sorted = [...live].sort((a, b) => a.addr - b.addr);
          for (let i = 1; i < sorted.length; i++) expect(sorted[i].addr).toBeGreaterThanOrEqual(sorted[i - 1].addr + sorted[i - 1].len);
          for (const c of caches) {
            const info = slub.slabinfo(c);
            const mine = live.filter((l) => l.cache === c).length;
            expect(info.activeObjs).toBeGreaterThanOrEqual(mine);
            expect(info.numObjs).toBe(info.numSlabs * info.objectsPerSlab);
          }
          expect(slub.validateFreelists(10)).toEqual([]);
        }
      }
      expect(f.reports.length).toBe(expectedReports);
      for (const l of live) {
        expect(intact(l)).toBe(true);
        free(l);
      }
      expect(f.reports.length).toBe(expectedReports);
      for (const c of caches) slub.kmemCacheDestroy(c);
      for (const c of slub.caches()) slub.kmemCacheShrink(c);
      expect(f.reports.length).toBe(expectedReports);
      expect(f.machine.allocatedPages()).toBe(f.bootPages);
      expect(PAGE_SIZE).toBe(4096);
    });
  }
});

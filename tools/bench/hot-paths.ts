/**
 * The allocators' hot paths as loops, shared by `npm run bench` (tools/bench/run.ts) and the
 * test that they allocate no JavaScript objects (tools/test/hot-paths-gc.test.ts), so both
 * measure the same code: kmem_cache_alloc+free of 64 B (SLUB or SLAB) and buddy order-0
 * alloc_pages+free_pages, each in bursts of BURST (allocate BURST, free them in reverse) and as
 * immediate pairs. The two patterns take different paths: in bursts of 512 objects of 64 B
 * (8 slabs of 64), 7 frees in 8 go to a slab that is not the cpu slab (SLUB's __slab_free());
 * immediate pairs stay on the per-cpu fast paths. The object allocators run on a small machine (256 MiB, 4 CPUs, as the
 * packages' own benches); buddy runs on 1 GiB, whose zone gets the per-cpu batch 31 and high 186
 * (zone_batchsize(), pageset_set_high_and_batch()) that the native peer hard-codes, so both run
 * the same refill and drain sizes (a 256 MiB zone gets batch 15, high 90).
 *
 * The loops take the kernel's factory as a parameter: `MMKIT_BENCH_BASE` runs them on another
 * checkout's createKernel() as well.
 */
import { GFP_KERNEL, NO_PAGE, type PageAllocator, type SlabAllocator } from '@mmkit/core';
import type { createKernel, Kernel } from '@mmkit/kernel';

export const BURST = 512;

export type CreateKernel = typeof createKernel;

/** The machines the allocator cases run on: 4 CPUs, 256 MiB for the object allocators, 1 GiB for buddy (see above). */
export function benchKernel(create: CreateKernel, options: { slab?: 'slub' | 'slab'; pcp?: boolean }, mem = 256 * 2 ** 20): Kernel {
  return create({ machine: { mem }, nrCpus: 4, ...options });
}

/** The buddy cases' machine size: 1 GiB (pcp batch 31, high 186, as the native peer). */
export const BUDDY_BENCH_MEM = 2 ** 30;

/** kmem_cache_alloc x BURST then kmem_cache_free in reverse, on a new cache of `size` bytes. */
export function slabBurst(slab: SlabAllocator, size: number): () => void {
  const cache = slab.kmemCacheCreate(`bench-${size}`, size, 0, 0);
  if (!cache) throw new Error(`kmem_cache_create(bench-${size}) failed`);
  const held = new Float64Array(BURST);
  return () => {
    for (let i = 0; i < BURST; i++) {
      const a = slab.kmemCacheAlloc(cache, GFP_KERNEL);
      if (a === 0) throw new Error('kmem_cache_alloc failed');
      held[i] = a;
    }
    for (let i = BURST - 1; i >= 0; i--) slab.kmemCacheFree(cache, held[i]);
  };
}

/** BURST times kmem_cache_alloc and kmem_cache_free of that object at once, on a new cache of `size` bytes. */
export function slabPairs(slab: SlabAllocator, size: number): () => void {
  const cache = slab.kmemCacheCreate(`bench-pairs-${size}`, size, 0, 0);
  if (!cache) throw new Error(`kmem_cache_create(bench-pairs-${size}) failed`);
  return () => {
    for (let i = 0; i < BURST; i++) {
      const a = slab.kmemCacheAlloc(cache, GFP_KERNEL);
      if (a === 0) throw new Error('kmem_cache_alloc failed');
      slab.kmemCacheFree(cache, a);
    }
  };
}

/** alloc_pages(GFP_KERNEL, 0) x BURST then free_pages in reverse. */
export function buddyBurst(pa: PageAllocator): () => void {
  const held = new Float64Array(BURST);
  return () => {
    for (let i = 0; i < BURST; i++) {
      const p = pa.allocPages(GFP_KERNEL, 0);
      if (p === NO_PAGE) throw new Error('alloc_pages failed');
      held[i] = p;
    }
    for (let i = BURST - 1; i >= 0; i--) pa.freePages(held[i], 0);
  };
}

/** BURST times alloc_pages(GFP_KERNEL, 0) and free_pages of that page at once. */
export function buddyPairs(pa: PageAllocator): () => void {
  return () => {
    for (let i = 0; i < BURST; i++) {
      const p = pa.allocPages(GFP_KERNEL, 0);
      if (p === NO_PAGE) throw new Error('alloc_pages failed');
      pa.freePages(p, 0);
    }
  };
}

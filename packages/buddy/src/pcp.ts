/**
 * struct per_cpu_pages sizing (mm/page_alloc.c, 4.17): zone_batchsize() and
 * pageset_set_batch().
 */
import { PAGE_SIZE, MIGRATE_PCPTYPES } from '@mmkit/core';

/** rounddown_pow_of_two() for a positive integer. */
export function rounddownPowOfTwo(n: number): number {
  if (n < 1) return 0;
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * zone_batchsize(): about a thousandth of the zone, at most 512 KiB worth of pages, divided by
 * four, at least one, then clamped to 2^n - 1 (a power of two aliases caches badly).
 */
export function zoneBatchsize(managedPages: number): number {
  let batch = Math.floor(managedPages / 1024);
  if (batch * PAGE_SIZE > 512 * 1024) batch = (512 * 1024) / PAGE_SIZE;
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  return rounddownPowOfTwo(batch + Math.floor(batch / 2)) - 1;
}

/** pageset_set_batch(): high = 6 * batch, batch = max(1, batch). */
export function pagesetHighBatch(batch: number): { high: number; batch: number } {
  return { high: 6 * batch, batch: Math.max(1, batch) };
}

/** The list of a CPU's pcp->lists[migratetype] of one zone in the allocator's PfnListSet. */
export function pcpListIndex(zoneNum: number, nrCpus: number, cpu: number, migratetype: number): number {
  return (zoneNum * nrCpus + cpu) * MIGRATE_PCPTYPES + migratetype;
}

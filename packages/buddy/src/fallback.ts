/**
 * Migratetype fallback (mm/page_alloc.c, 4.17): which lists an allocation may steal from when
 * its own are empty, and when it may take a whole pageblock.
 */
import {
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  MIGRATE_RECLAIMABLE,
  MIGRATE_TYPES,
  MIGRATE_UNMOVABLE,
  PAGEBLOCK_ORDER,
} from '@mmkit/core';

/**
 * fallbacks[MIGRATE_TYPES][4]: the order in which other types' lists are tried, ended by
 * MIGRATE_TYPES. MIGRATE_HIGHATOMIC, CMA and ISOLATE are never fallen back to.
 */
export const FALLBACKS: readonly (readonly number[])[] = (() => {
  const table: number[][] = Array.from({ length: MIGRATE_TYPES }, () => [MIGRATE_TYPES]);
  table[MIGRATE_UNMOVABLE] = [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_TYPES];
  table[MIGRATE_RECLAIMABLE] = [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_TYPES];
  table[MIGRATE_MOVABLE] = [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_TYPES];
  return table;
})();

/**
 * can_steal_fallback(): may an allocation of `startMt` that falls back to a block of `order`
 * take over the whole pageblock? Always for a pageblock or more; for half a pageblock or more;
 * and always for unmovable and reclaimable allocations (or when grouping by mobility is off).
 */
export function canStealFallback(order: number, startMt: number, mobilityGroupingDisabled = false): boolean {
  if (order >= PAGEBLOCK_ORDER) return true;
  return (
    order >= PAGEBLOCK_ORDER >> 1 || // pageblock_order / 2 in C: 4
    startMt === MIGRATE_RECLAIMABLE ||
    startMt === MIGRATE_UNMOVABLE ||
    mobilityGroupingDisabled
  );
}

/** The types that go on per-cpu lists and take part in fallback. */
export function isPcpType(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

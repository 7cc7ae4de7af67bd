/**
 * Mobility grouping (mm/page_alloc.c, 4.17): gfpflags_to_migratetype() and
 * set_pageblock_migratetype(), both of which give up grouping (everything unmovable) when
 * page_group_by_mobility_disabled.
 */
import { MIGRATE_PCPTYPES, MIGRATE_UNMOVABLE, gfpMigratetype, type Gfp, type MigrateType, type Pfn } from '@mmkit/core';
import type { BuddyState } from './state.js';

/** gfpflags_to_migratetype(). */
export function gfpflagsToMigratetype(st: BuddyState, gfp: Gfp): MigrateType {
  const mt = gfpMigratetype(gfp);
  return st.pageGroupByMobilityDisabled ? MIGRATE_UNMOVABLE : mt;
}

/** set_pageblock_migratetype(). */
export function setPageblockMigratetype(st: BuddyState, pfn: Pfn, mt: MigrateType): void {
  if (st.pageGroupByMobilityDisabled && mt < MIGRATE_PCPTYPES) mt = MIGRATE_UNMOVABLE;
  st.pages.setPageblockMigratetype(pfn, mt);
}

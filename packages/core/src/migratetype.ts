/** Migrate types of 4.17 (include/linux/mmzone.h), with CONFIG_CMA and CONFIG_MEMORY_ISOLATION. */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
/** The number of types on the per-cpu lists. */
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;
export const MIGRATE_TYPES = 6;
export type { MigrateType } from './units.js';

/** migratetype_names[] as /proc/pagetypeinfo prints them. */
export const MIGRATETYPE_NAMES = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'CMA', 'Isolate'] as const;

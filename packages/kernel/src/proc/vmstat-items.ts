/**
 * The names of the vmstat items of Linux 4.17 (mm/vmstat.c vmstat_text[]), in order, with
 * CONFIG_NUMA, CONFIG_ZSMALLOC and CONFIG_CMA. Counters this simulator does not model yet read 0.
 */
export const ZONE_STAT_ITEMS = [
  'nr_free_pages', 'nr_zone_inactive_anon', 'nr_zone_active_anon', 'nr_zone_inactive_file',
  'nr_zone_active_file', 'nr_zone_unevictable', 'nr_zone_write_pending', 'nr_mlock',
  'nr_page_table_pages', 'nr_kernel_stack', 'nr_bounce', 'nr_zspages', 'nr_free_cma',
] as const;

export const NUMA_STAT_ITEMS = ['numa_hit', 'numa_miss', 'numa_foreign', 'numa_interleave', 'numa_local', 'numa_other'] as const;

export const NODE_STAT_ITEMS = [
  'nr_inactive_anon', 'nr_active_anon', 'nr_inactive_file', 'nr_active_file', 'nr_unevictable',
  'nr_slab_reclaimable', 'nr_slab_unreclaimable', 'nr_isolated_anon', 'nr_isolated_file',
  'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'nr_anon_pages',
  'nr_mapped', 'nr_file_pages', 'nr_dirty', 'nr_writeback', 'nr_writeback_temp', 'nr_shmem',
  'nr_shmem_hugepages', 'nr_shmem_pmdmapped', 'nr_anon_transparent_hugepages', 'nr_unstable',
  'nr_vmscan_write', 'nr_vmscan_immediate_reclaim', 'nr_dirtied', 'nr_written',
  'nr_indirectly_reclaimable',
] as const;

export type NumaStatItem = (typeof NUMA_STAT_ITEMS)[number];

/**
 * Page flags: bit numbers of enum pageflags in 4.17 (include/linux/page-flags.h, x86-64),
 * with the aliases Linux defines on PG_owner_priv_1 and friends.
 */
export const PG_locked = 0;
export const PG_error = 1;
export const PG_referenced = 2;
export const PG_uptodate = 3;
export const PG_dirty = 4;
export const PG_lru = 5;
export const PG_active = 6;
export const PG_waiters = 7;
export const PG_slab = 8;
export const PG_owner_priv_1 = 9;
export const PG_arch_1 = 10;
export const PG_reserved = 11;
export const PG_private = 12;
export const PG_private_2 = 13;
export const PG_writeback = 14;
export const PG_head = 15;
export const PG_mappedtodisk = 16;
export const PG_reclaim = 17;
export const PG_swapbacked = 18;
export const PG_unevictable = 19;
export const PG_mlocked = 20;
export const PG_hwpoison = 21;
export const PG_young = 22;
export const PG_idle = 23;
/** Not a Linux page flag: set on tail pages (Linux encodes this in compound_head bit 0). */
export const PG_tail = 24;
/** Not a Linux page flag: __PageMovable() (Linux tags page->mapping with PAGE_MAPPING_MOVABLE). */
export const PG_movable = 25;
export const NR_PAGEFLAGS = 26;

// Aliases (same bit, different owner), as in Linux.
export const PG_checked = PG_owner_priv_1;
export const PG_swapcache = PG_owner_priv_1;
/** Xen: page-table page pinned by the hypervisor. */
export const PG_pinned = PG_owner_priv_1;
export const PG_savepinned = PG_dirty;
export const PG_foreign = PG_owner_priv_1;
export const PG_double_map = PG_private_2;

/** Names as /proc/kpageflags tools and dump_page() print them (unaliased bits). */
export const PAGE_FLAG_NAMES: readonly string[] = [
  'locked', 'error', 'referenced', 'uptodate', 'dirty', 'lru', 'active', 'waiters', 'slab',
  'owner_priv_1', 'arch_1', 'reserved', 'private', 'private_2', 'writeback', 'head',
  'mappedtodisk', 'reclaim', 'swapbacked', 'unevictable', 'mlocked', 'hwpoison', 'young', 'idle',
  'tail', 'movable',
];

/** _mapcount of a free page at the head of a buddy block (PAGE_BUDDY_MAPCOUNT_VALUE, 4.17). */
export const PAGE_BUDDY_MAPCOUNT_VALUE = -128;
/** _mapcount of a page nobody maps. */
export const PAGE_UNMAPPED_MAPCOUNT = -1;

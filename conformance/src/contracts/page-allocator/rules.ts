/**
 * Rules of the page-allocator ("buddy") contract: Linux 4.17 mm/page_alloc.c as the seed
 * changelog (its entries by id, see src/seed/), Documentation/ and the source describe it.
 * Data only; the suite (suite/) names these ids.
 */
import { changelogSource as seed } from '../../rules/links.js';
import type { Rule } from '../../rules/types.js';

const SEED_CMA_MOVABLE = seed('cma-zone-movable');
/** 4.17-rc7 reverted the seed's CMA series (and "mm/cma: remove ALLOC_CMA"): 4.17-final manages CMA as 4.16 did. */
const CMA_REVERT: Rule['source'] = {
  kind: 'commit',
  ref: 'Revert "mm/cma: manage the memory of the CMA area by using the ZONE_MOVABLE"',
  hash: 'd883c6cf3b39',
  release: '4.17',
};
const SEED_THP_MOVABLE = seed('thp-dont-count-zone-movable');
const SEED_HIGHMEM_RESERVE = seed('page-alloc-dont-reserve-highmem-for-movable');
const VM_TXT = 'Documentation/sysctl/vm.txt';

const rule = (id: string, text: string, source: Rule['source'], optional?: Rule['optional'], config?: Rule['config']): Rule => ({
  id,
  contract: 'page-allocator',
  text,
  source,
  ...(optional ? { optional } : {}),
  ...(config ? { config } : {}),
});

export const BUDDY_RULES: readonly Rule[] = [
  // gfp -> zone
  rule(
    'page-allocator.gfp-zone.movable-needs-highmem',
    'gfp_zone() sends an allocation to ZONE_MOVABLE only when it has both __GFP_HIGHMEM and __GFP_MOVABLE (GFP_HIGHUSER_MOVABLE); __GFP_MOVABLE alone is served from ZONE_NORMAL and below.',
    // Sourced to the table itself (it was cited to the seed's CMA entry, which relies on it but did not change it).
    { kind: 'source', ref: 'include/linux/gfp.h: GFP_ZONE_TABLE, gfp_zone()' },
  ),
  rule(
    'page-allocator.gfp-zone.bad-combination',
    'A zone-modifier combination in GFP_ZONE_BAD (such as __GFP_DMA|__GFP_HIGHMEM) is a kernel bug: the allocation throws InvalidGfpError and takes no page.',
    { kind: 'source', ref: 'include/linux/gfp.h: GFP_ZONE_BAD, gfp_zone()' },
  ),

  // min_free_kbytes
  rule(
    'page-allocator.min-free-kbytes.int-sqrt',
    'Without THP, min_free_kbytes is int_sqrt(lowmem_kbytes * 16) clamped to [128, 65536], lowmem_kbytes being nr_free_buffer_pages() (the managed pages of every zone at or below gfp_zone(GFP_USER)) in kB.',
    { kind: 'source', ref: 'mm/page_alloc.c: init_per_zone_wmark_min()' },
  ),
  rule(
    'page-allocator.min-free-kbytes.thp-excludes-movable',
    "khugepaged's recommended min_free_kbytes counts (2 + MIGRATE_PCPTYPES^2) pageblocks for each populated zone at or below gfp_zone(GFP_USER) only, so ZONE_MOVABLE adds nothing: the seed's 22 GB two-node machine gets 90112, not 112640.",
    SEED_THP_MOVABLE,
  ),
  rule(
    'page-allocator.min-free-kbytes.thp-cap',
    "khugepaged's recommendation is capped at 5% of nr_free_buffer_pages() and only ever raises min_free_kbytes.",
    { kind: 'source', ref: 'mm/khugepaged.c: set_recommended_min_free_kbytes()' },
  ),

  // watermarks
  rule(
    'page-allocator.watermarks.proportional-min',
    "Each lowmem zone's min watermark is its share of min_free_kbytes in pages, proportional to its managed pages among all lowmem zones (ZONE_MOVABLE is lowmem on x86-64), which gives the seed's per-zone min table.",
    { kind: 'source', ref: 'mm/page_alloc.c: __setup_per_zone_wmarks()' },
  ),
  rule(
    'page-allocator.watermarks.scale-factor',
    'The low and high watermarks sit max(share/4, managed * watermark_scale_factor / 10000) and twice that above min.',
    { kind: 'doc', ref: `${VM_TXT}: watermark_scale_factor` },
  ),
  rule(
    'page-allocator.watermarks.highmem-min',
    'A highmem zone (ZONE_HIGHMEM, and ZONE_MOVABLE taken from highmem) gets min = clamp(managed / 1024, SWAP_CLUSTER_MAX, 128) instead of a share, and its pages are not counted as lowmem.',
    { kind: 'source', ref: 'mm/page_alloc.c: __setup_per_zone_wmarks()' },
  ),

  // lowmem reserve
  rule(
    'page-allocator.lowmem-reserve.ratio-defaults',
    'vm.lowmem_reserve_ratio has MAX_NR_ZONES entries with the 4.17 defaults: 256 256 32 0 0 on x86-64 (DMA DMA32 Normal Movable Device) and 256 32 0 0 on 32-bit (DMA Normal HighMem Movable).',
    SEED_HIGHMEM_RESERVE,
  ),
  rule(
    'page-allocator.lowmem-reserve.highmem-zero',
    'On a 32-bit kernel ZONE_HIGHMEM keeps no reserve against allocations that may use ZONE_MOVABLE: its protection entry for Movable is 0.',
    SEED_HIGHMEM_RESERVE,
  ),
  rule(
    'page-allocator.lowmem-reserve.formula',
    "A zone's lowmem_reserve[j] for a higher zone j of its node is the managed pages of the zones above it up to j divided by its lowmem_reserve_ratio (0 when the ratio is below 1), and 0 for j at or below the zone.",
    { kind: 'doc', ref: `${VM_TXT}: lowmem_reserve_ratio` },
  ),
  rule(
    'page-allocator.lowmem-reserve.totalreserve',
    "totalreserve_pages is the sum over zones of (the zone's largest lowmem_reserve + its high watermark), each capped at the zone's managed pages.",
    { kind: 'source', ref: 'mm/page_alloc.c: calculate_totalreserve_pages()' },
  ),

  // zone_watermark_ok
  rule(
    'page-allocator.watermark-ok.lowmem-reserve',
    'zone_watermark_ok() fails when free pages <= mark + lowmem_reserve[classzone_idx], so an allocation that could use a higher zone leaves the reserve of a lower zone alone.',
    { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' },
  ),
  rule(
    'page-allocator.watermark-ok.alloc-high',
    'ALLOC_HIGH (__GFP_HIGH) lowers the mark by half (min -= min / 2).',
    { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' },
  ),
  rule(
    'page-allocator.watermark-ok.alloc-harder',
    'ALLOC_HARDER lowers the mark by another quarter (min -= min / 4) and ALLOC_OOM by another half, after ALLOC_HIGH; without either the highatomic reserve is not counted as free.',
    { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' },
  ),
  rule(
    'page-allocator.watermark-ok.high-order',
    'An order-n check first subtracts 2^n - 1 from the free pages, then needs a free block of order n or more on an unmovable, movable or reclaimable free list.',
    { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' },
  ),

  rule(
    'page-allocator.watermark-ok.order0-fast',
    "get_page_from_freelist() checks a zone with zone_watermark_fast(): an order-0 request passes when free pages (less NR_FREE_CMA_PAGES without ALLOC_CMA, under the migratetype CMA policy) > mark + lowmem_reserve[classzone_idx], with no highatomic reserve subtracted and no ALLOC_HIGH/ALLOC_HARDER adjustment; anything else goes to __zone_watermark_ok().",
    { kind: 'source', ref: 'mm/page_alloc.c: zone_watermark_fast(), get_page_from_freelist()' },
    'highatomic',
  ),

  // CMA areas, under the CMA policy of the seed (zone-movable, the default) or of 4.16 and 4.17-final (migratetype)
  rule(
    'page-allocator.cma.pageblocks',
    "Under either CMA policy each pageblock of a CMA area becomes MIGRATE_CMA and is freed as a pageblock_order block at boot, so after boot every page of the area is a free MIGRATE_CMA page: NR_FREE_CMA_PAGES (meminfo CmaFree) equals CmaTotal, and /proc/pagetypeinfo counts the area's pageblocks as CMA.",
    { kind: 'source', ref: 'mm/page_alloc.c: init_cma_reserved_pageblock(); mm/cma.c: cma_activate_area()' },
  ),
  rule(
    'page-allocator.cma.zone-movable',
    'Under the zone-movable CMA policy (the seed, 4.17-rc1 to rc6; the default) a CMA area is managed by ZONE_MOVABLE and activated before init_per_zone_wmark_min() (pure_initcall), so the boot watermarks and lowmem reserves count it; only __GFP_HIGHMEM|__GFP_MOVABLE requests get its pages, never a __GFP_MOVABLE request without __GFP_HIGHMEM.',
    SEED_CMA_MOVABLE,
  ),
  rule(
    'page-allocator.cma.no-alloc-cma',
    "Under the zone-movable CMA policy ALLOC_CMA is gone: __zone_watermark_ok() counts a zone's free CMA pages and free MIGRATE_CMA blocks for every caller, alloc_flags 0 (kswapd's zone_watermark_ok_safe()) included.",
    seed('cma-remove-alloc-cma'),
  ),
  rule(
    'page-allocator.cma.migratetype-own-zone',
    'Under the migratetype CMA policy (4.16 and 4.17-final) a CMA area stays in the zone its pfns belong to (ZONE_MOVABLE stays empty) and is activated after init_per_zone_wmark_min() (core_initcall), so the boot watermarks leave it out; a movable request, with or without __GFP_HIGHMEM, takes MIGRATE_CMA blocks once its own lists are empty (__rmqueue_cma_fallback()), and an unmovable request never gets a CMA page.',
    CMA_REVERT,
  ),
  rule(
    'page-allocator.cma.alloc-cma',
    'Under the migratetype CMA policy movable requests carry ALLOC_CMA; a watermark check without it (__zone_watermark_ok() and zone_watermark_fast()) subtracts NR_FREE_CMA_PAGES from the free pages and, for order > 0, does not count a free MIGRATE_CMA block, so GFP_KERNEL stops at min with the free CMA pages above it.',
    { kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok(), zone_watermark_fast(), gfp_to_alloc_flags(), prepare_alloc_pages()' },
  ),

  // allocation
  rule(
    'page-allocator.alloc.order-limit',
    'An allocation of order >= MAX_ORDER fails with no page (and warns unless __GFP_NOWARN); order MAX_ORDER - 1 is served.',
    { kind: 'source', ref: 'mm/page_alloc.c: __alloc_pages_nodemask()' },
  ),
  rule(
    'page-allocator.alloc.zone-fallback',
    'An allocation walks the zonelist from the highest zone gfp_zone() allows down to ZONE_DMA and never takes a page from a higher zone.',
    { kind: 'source', ref: 'mm/page_alloc.c: get_page_from_freelist()' },
  ),
  rule(
    'page-allocator.alloc.thisnode',
    'With __GFP_THISNODE an allocation is served from the requested node only, and fails rather than fall back to another node.',
    { kind: 'source', ref: 'include/linux/gfp.h: __GFP_THISNODE' },
  ),
  rule(
    'page-allocator.alloc.node-fallback',
    "Without __GFP_THISNODE an allocation the preferred node cannot serve falls back to the other nodes' zones.",
    { kind: 'source', ref: 'mm/page_alloc.c: build_zonelists()' },
  ),
  rule(
    'page-allocator.alloc.gfp-zero',
    'A page allocated with __GFP_ZERO reads as zeros, whatever it held before it was freed.',
    { kind: 'source', ref: 'mm/page_alloc.c: prep_new_page()' },
  ),
  rule(
    'page-allocator.alloc.watermark-low-fastpath',
    "The first pass over the zonelist checks each zone against its low watermark (ALLOC_WMARK_LOW), so allocations move on to the next zone before the preferred zone drops below low; only the slow path goes down to min.",
    { kind: 'source', ref: 'mm/page_alloc.c: __alloc_pages_nodemask()' },
  ),
  rule(
    'page-allocator.alloc.atomic-reserves',
    'GFP_ATOMIC (__GFP_HIGH|__GFP_ATOMIC) may dip below min: to min - min/2 for __GFP_HIGH, then a further quarter off for ALLOC_HARDER unless __GFP_NOMEMALLOC; GFP_KERNEL stops at min.',
    { kind: 'source', ref: 'mm/page_alloc.c: gfp_to_alloc_flags()' },
  ),
  rule(
    'page-allocator.alloc.highatomic-reserve',
    'A successful high-order ALLOC_HARDER allocation turns its pageblock into a MIGRATE_HIGHATOMIC reserve (nr_reserved_highatomic grows by a pageblock, up to 1% of the zone plus one pageblock).',
    { kind: 'source', ref: 'mm/page_alloc.c: reserve_highatomic_pageblock()' },
    'highatomic',
  ),

  // free
  rule(
    'page-allocator.free.coalesce',
    'Freeing a block merges it with its free buddy of the same order, repeatedly, so freeing every page restores the maximal blocks the zone started with.',
    { kind: 'source', ref: 'mm/page_alloc.c: __free_one_page()' },
  ),
  // A double free and a wrong-order free are caught when they happen only with CONFIG_DEBUG_VM
  // (VM_BUG_ON_PAGE() is compiled out without it): page-allocator.free.double-free said they
  // always were, and now holds under CONFIG_DEBUG_VM (its `config`); what 4.17's default
  // configuration does is double-free-underflow. page-allocator.free.wrong-order ("reported
  // and changes nothing") holds under no configuration for a page that is not compound, so it
  // is retired (RETIRED_RULE_IDS) for the three wrong-order rules below.
  rule(
    'page-allocator.free.double-free',
    'With CONFIG_DEBUG_VM, freeing a block whose page count is already 0 (freed twice, or never allocated) is caught when it happens (VM_BUG_ON_PAGE in put_page_testzero()), reported as a bad page, and changes nothing: the free lists and counters stay intact.',
    { kind: 'source', ref: 'include/linux/mm.h: put_page_testzero(); mm/page_alloc.c: __free_pages()' },
    undefined,
    { debugVm: true },
  ),
  rule(
    'page-allocator.free.double-free-underflow',
    "Without CONFIG_DEBUG_VM (4.17's default), freeing a block twice reports nothing and frees nothing: its head's page count goes below zero, and the next allocation that takes the page off the buddy lists (rmqueue(), or a per-cpu list refill) reports it as a bad page (nonzero _refcount) and never hands it out.",
    { kind: 'source', ref: 'include/linux/mm.h: put_page_testzero(); mm/page_alloc.c: check_new_page(), check_pcp_refill(), rmqueue_bulk(), rmqueue()' },
  ),
  rule(
    'page-allocator.free.wrong-order-compound',
    'With CONFIG_DEBUG_VM, freeing a compound page (__GFP_COMP) with another order than its compound order is caught (VM_BUG_ON_PAGE in free_pages_prepare()), reported as a bad page and changes nothing; the right order then frees it.',
    { kind: 'source', ref: 'mm/page_alloc.c: free_pages_prepare()' },
    undefined,
    { debugVm: true },
  ),
  rule(
    'page-allocator.free.wrong-order-smaller',
    'Freeing a block with a smaller order than it was allocated with frees the first 2^order pages of the block and reports nothing; the rest of the block is lost (4.17 keeps no record of the order).',
    { kind: 'source', ref: 'mm/page_alloc.c: __free_pages(), free_pages_prepare()' },
  ),
  rule(
    'page-allocator.free.wrong-order-larger',
    'Freeing a block with a larger order checks every page of the larger block (free_pages_check()): a page of another allocated block is reported as a bad page (nonzero _refcount) and nothing is freed, and the block is lost.',
    { kind: 'source', ref: 'mm/page_alloc.c: free_pages_prepare(), free_pages_check()' },
  ),

  // fallback
  rule(
    'page-allocator.fallback.steal-order',
    'With no free page of its migratetype, an allocation steals the largest free block of another type, trying types in the fallbacks[] order (UNMOVABLE: RECLAIMABLE then MOVABLE) and claiming the pageblocks of a block of pageblock_order or more; a movable allocation that cannot claim the pageblock splits the smallest fallback block instead.',
    { kind: 'source', ref: 'mm/page_alloc.c: fallbacks[], __rmqueue_fallback(), steal_suitable_fallback()' },
  ),

  // per-cpu lists
  rule(
    'page-allocator.pcp.batch-high',
    "A zone's per-cpu lists have batch = rounddown_pow_of_two(b + b/2) - 1 with b = min(managed/1024, 128)/4 (at least 1), and high = 6 * batch: a 4 GiB zone has batch 31, high 186.",
    { kind: 'source', ref: 'mm/page_alloc.c: zone_batchsize(), pageset_set_batch()' },
    'pcp',
  ),
  rule(
    'page-allocator.highmem.movable-zone',
    'ZONE_MOVABLE is highmem (the clamped min, left out of lowmem_pages, counted in HighTotal) only when movable_zone, the zone it takes its pages from, is ZONE_HIGHMEM: a 32-bit machine without memory above max_low_pfn takes ZONE_MOVABLE out of ZONE_NORMAL and it is lowmem (i386 with 512 MiB and movablecore=128M: a Movable min of 1165 pages, not 32).',
    { kind: 'source', ref: 'include/linux/mmzone.h: is_highmem_idx(), zone_movable_is_highmem(); mm/page_alloc.c: find_usable_zone_for_movable(), __setup_per_zone_wmarks()' },
  ),
  rule(
    'page-allocator.pcp.drain',
    "Freed order-0 pages wait on the CPU's list (not counted as free in the zone), the list is trimmed by batch pages when it reaches high, and drain_all_pages() returns every one to the buddy lists.",
    { kind: 'source', ref: 'mm/page_alloc.c: free_unref_page_commit(), drain_all_pages()' },
    'pcp',
  ),

  // sysctls
  rule(
    'page-allocator.sysctl.min-free-kbytes-recompute',
    'Writing vm.min_free_kbytes sets it and recomputes every zone watermark from the new value; a negative or malformed value fails with -EINVAL and changes nothing.',
    { kind: 'doc', ref: `${VM_TXT}: min_free_kbytes` },
  ),
  rule(
    'page-allocator.sysctl.lowmem-reserve-ratio-write',
    "Writing vm.lowmem_reserve_ratio never fails, since 4.17's handler ignores proc_dointvec_minmax()'s result, recomputes every protection and returns 0: the values parsed before a malformed one are stored (a malformed first value stores nothing), entries not written keep their values, values beyond MAX_NR_ZONES are ignored, any int is taken, and a ratio below 1 is stored as 0 (no reserve); it replaces page-allocator.sysctl.lowmem-reserve-ratio-einval, which wrongly said that a wrong count or a malformed value failed with -EINVAL.",
    { kind: 'source', ref: 'mm/page_alloc.c: lowmem_reserve_ratio_sysctl_handler(), setup_per_zone_lowmem_reserve(); kernel/sysctl.c: __do_proc_dointvec()' },
  ),
  rule(
    'page-allocator.sysctl.dointvec-parse',
    "The vm sysctls read a write as proc_dointvec() does: numbers in C notation (0x hex, a leading 0 octal, no '+') of at most 20 characters, each ending at the end of the text or at a space, tab or newline or the write fails with -EINVAL, values beyond the sysctl's size ignored ('4096 99' sets min_free_kbytes to 4096), and proc_dointvec_minmax() of 4.17 converting to int modulo 2^32 before checking its bounds (watermark_scale_factor 4294967396 is 100).",
    { kind: 'source', ref: 'kernel/sysctl.c: __do_proc_dointvec(), proc_get_long(), do_proc_dointvec_minmax_conv()' },
  ),
  rule(
    'page-allocator.sysctl.watermark-scale-factor-range',
    'vm.watermark_scale_factor accepts 1 to 1000 (default 10) and recomputes the watermarks; 0 or more than 1000 fails with -EINVAL.',
    { kind: 'doc', ref: `${VM_TXT}: watermark_scale_factor` },
  ),

  // views
  rule(
    'page-allocator.pagetypeinfo.valid-sections',
    "The block counts of /proc/pagetypeinfo walk each zone's span in pageblock steps and skip the pfns pfn_valid() refuses: with SPARSEMEM a section of 128 MiB (x86-64) has a memmap only when memblock.memory reaches into it, so whole sections of a hole are not counted while pageblocks starting in a hole of a section with memory are (memmap_init_zone() made their struct pages and marked them MIGRATE_MOVABLE); the default 4 GiB machine's DMA32 shows 1528 blocks, not the 2040 it spans.",
    { kind: 'source', ref: 'mm/vmstat.c: pagetypeinfo_showblockcount_print(); include/linux/mmzone.h: pfn_valid(), valid_section(); mm/sparse.c: memory_present(), sparse_init(); mm/page_alloc.c: memmap_init_zone()' },
  ),

  // fault injection
  rule(
    'page-allocator.fault-inject.fail-page-alloc',
    'The allocator asks fail_page_alloc once per allocation and fails it with no page when told to: only orders >= min-order, never __GFP_NOFAIL, and with ignore-gfp-wait never an allocation that may block (gfpflags_allow_blocking).',
    { kind: 'doc', ref: 'Documentation/fault-injection/fault-injection.txt: fail_page_alloc' },
  ),

  // invariants
  rule(
    'page-allocator.invariants.property',
    'Under any sequence of allocations and frees every free block is on exactly one free list, the free counters equal what the lists hold, and freeing everything ends fully coalesced.',
    { kind: 'source', ref: 'mm/page_alloc.c: __free_one_page(), __rmqueue_smallest(), expand()' },
  ),
];

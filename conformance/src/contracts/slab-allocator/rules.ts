/**
 * Rules of the object-allocator ("slab-allocator") contract that SLUB and SLAB both implement:
 * mm/slab_common.c, mm/slub.c and mm/slab.c of Linux 4.17, and the two seed entries that are
 * specific (SLUB's KASAN free hook, SLAB's cache_reap scheduling; by id, see src/seed/).
 * Data only; the suite (suite/) names these ids.
 */
import { changelogSource as seed } from '../../rules/links.js';
import type { Rule } from '../../rules/types.js';

const SEED_KASAN_HOOK = seed('kasan-slub-kasan-slab-free-hook');
const SEED_CACHE_REAP = seed('slab-reschedule-cache-reap-same-cpu');

const rule = (id: string, text: string, source: Rule['source'], optional?: string, config?: Rule['config']): Rule => ({
  id,
  contract: 'slab-allocator',
  text,
  source,
  ...(optional ? { optional } : {}),
  ...(config ? { config } : {}),
});

export const SLAB_RULES: readonly Rule[] = [
  // kmalloc
  rule(
    'slab-allocator.kmalloc.size-classes',
    'The kmalloc size classes are the powers of two from KMALLOC_MIN_SIZE to KMALLOC_MAX_CACHE_SIZE plus 96 and 192, and kmalloc(n) takes its object from the smallest class of at least n bytes, which ksize() reports.',
    { kind: 'source', ref: 'mm/slab_common.c: kmalloc_info[], size_index[], kmalloc_slab(); include/linux/slab.h: kmalloc_index()' },
  ),
  rule(
    'slab-allocator.kmalloc.zero-size',
    'kmalloc(0) returns ZERO_SIZE_PTR (16) and takes nothing; kfree() of NULL or ZERO_SIZE_PTR does nothing and ksize(ZERO_SIZE_PTR) is 0.',
    { kind: 'source', ref: 'include/linux/slab.h: ZERO_SIZE_PTR, ZERO_OR_NULL_PTR()' },
  ),
  rule(
    'slab-allocator.kmalloc.too-large',
    'kmalloc() of more than KMALLOC_MAX_SIZE (4 MiB on x86-64 with MAX_ORDER 11) returns NULL and takes no memory.',
    { kind: 'source', ref: 'include/linux/slab.h: KMALLOC_MAX_SIZE; mm/slab_common.c: kmalloc_slab()' },
  ),
  rule(
    'slab-allocator.kmalloc.bad-input',
    'A kmalloc() size no size_t holds (negative, fractional, NaN) returns NULL, and zone modifiers a slab cannot honour (__GFP_HIGHMEM, __GFP_DMA32) are stripped with an "Unexpected gfp" warning, so slabs stay in lowmem.',
    { kind: 'source', ref: 'mm/internal.h: GFP_SLAB_BUG_MASK; mm/slub.c: new_slab(); mm/slab.c: cache_grow_begin()' },
  ),
  rule(
    'slab-allocator.kmalloc.dma',
    'kmalloc() with GFP_DMA takes its object from the dma-kmalloc-<size> cache of its class (created with SLAB_CACHE_DMA by create_kmalloc_caches() under CONFIG_ZONE_DMA, whose slabs come from ZONE_DMA), under SLUB as under SLAB.',
    { kind: 'source', ref: 'mm/slab_common.c: create_kmalloc_caches() (kmalloc_dma_caches[], "dma-kmalloc-%u"), kmalloc_slab()' },
  ),
  rule(
    'slab-allocator.kmalloc.large-from-page-allocator',
    'A kmalloc() above KMALLOC_MAX_CACHE_SIZE is a compound block of get_order(size) pages straight from the page allocator, without PG_slab, and kfree() gives the block back; below it the object lives in a PG_slab page.',
    { kind: 'source', ref: 'mm/slub.c: kmalloc_large(), kfree(); include/linux/slab.h: KMALLOC_MAX_CACHE_SIZE' },
  ),

  // caches
  // kmem_cache_sanity_check() exists only with CONFIG_DEBUG_VM: cache.create-sanity said its
  // refusals always happen, and counted a non-power-of-two alignment among them, which 4.17
  // never refuses (mmkit still does, as a guard). It is retired (RETIRED_RULE_IDS) for the two
  // rules below, one per configuration.
  rule(
    'slab-allocator.cache.sanity-check-debug-vm',
    'With CONFIG_DEBUG_VM, kmem_cache_create() refuses (returns NULL, "integrity check failed") a cache with no name or with objects smaller than sizeof(void *) or larger than KMALLOC_MAX_SIZE.',
    { kind: 'source', ref: 'mm/slab_common.c: kmem_cache_sanity_check(), kmem_cache_create_usercopy()' },
    undefined,
    { debugVm: true },
  ),
  rule(
    'slab-allocator.cache.no-sanity-check',
    "Without CONFIG_DEBUG_VM (4.17's default), kmem_cache_create() accepts objects smaller than sizeof(void *), rounded up to a word, and still refuses a cache with no name or with objects larger than KMALLOC_MAX_SIZE, which no slab can hold.",
    { kind: 'source', ref: 'mm/slab_common.c: kmem_cache_sanity_check(), kmem_cache_create_usercopy(); mm/slub.c: calculate_sizes(); mm/slab.c: __kmem_cache_create()' },
  ),
  rule(
    'slab-allocator.cache.alignment',
    'Objects are aligned to the larger of the requested alignment and ARCH_SLAB_MINALIGN (8); SLAB_HWCACHE_ALIGN aligns them to the cache line (64 bytes), halved while the object fits in half of it.',
    { kind: 'source', ref: 'mm/slab_common.c: calculate_alignment()' },
  ),
  rule(
    'slab-allocator.cache.slab-pages',
    'Every object lives in a page the page allocator handed out with PG_slab set, and live objects of all caches never overlap.',
    { kind: 'source', ref: 'mm/slub.c: allocate_slab(); mm/slab.c: kmem_getpages(); include/linux/page-flags.h: PG_slab' },
  ),
  rule(
    'slab-allocator.cache.ctor-once',
    'A constructor runs once for each object when its slab is created, not on every allocation: an object freed and allocated again keeps its constructed state.',
    { kind: 'source', ref: 'mm/slub.c: setup_object(); mm/slab.c: cache_init_objs(); mm/slab_common.c: kmem_cache_create() (@ctor)' },
  ),
  rule(
    'slab-allocator.cache.ctor-not-function',
    'kmem_cache_create() with a constructor that is not a function (NULL is none) returns NULL with a log line and creates no cache: in C a constructor is a function pointer, so the simulator refuses what could not be one.',
    { kind: 'source', ref: 'mm/slab_common.c: kmem_cache_create() (@ctor: a constructor for the objects, void (*)(void *)); include/linux/slab.h: kmem_cache_create()' },
  ),
  rule(
    'slab-allocator.cache.ctor-throws',
    "A constructor that throws while a new slab is set up makes that allocation fail (NULL, a log line) and the slab is given back whole, with no PG_slab page, no slab counted and no page kept (a C constructor cannot fail: this is the simulator's answer to one that does, as allocate_slab() gives back a slab it cannot set up).",
    { kind: 'source', ref: 'mm/slub.c: allocate_slab(), setup_object(), __free_slab(); mm/slab.c: cache_grow_begin(), cache_init_objs(), kmem_freepages()' },
  ),
  rule(
    'slab-allocator.cache.ctor-own-cache',
    "An allocation from a cache made by that cache's own constructor while it sets up a new slab is refused (NULL, a log line): in Linux it would find no partial slab, call new_slab() and the constructor again, without end; a constructor that frees objects of its own cache is handled as new_slab_objects() does (a cpu slab that appeared meanwhile is flushed), so nothing is lost.",
    { kind: 'source', ref: 'mm/slub.c: ___slab_alloc(), new_slab_objects() (flush_slab() of a c->page set during new_slab()), allocate_slab(); mm/slab.c: cache_alloc_refill(), cache_grow_begin()' },
  ),
  rule(
    'slab-allocator.cache.zero',
    'An allocation with __GFP_ZERO (kmem_cache_zalloc, kzalloc) returns an object whose bytes are all zero, whatever the object held before.',
    { kind: 'source', ref: 'mm/slub.c: slab_alloc_node(); mm/slab.c: slab_alloc()' },
  ),

  // objects
  rule(
    'slab-allocator.object.integrity',
    "An object's bytes are the caller's: what is written into a live object stays there until it is freed, across thousands of interleaved allocations and frees on several caches and CPUs.",
    { kind: 'source', ref: 'mm/slub.c: set_freepointer() (the free pointer only ever lives in free objects)' },
  ),
  rule(
    'slab-allocator.object.fault-injection',
    'Under fault injection (fail_page_alloc and failslab failing 1% of allocations of any order) an allocation that fails returns NULL and changes nothing else: live objects keep their bytes, the kernel invariants hold, no misuse is reported, and once every object is freed and the caches destroyed and shrunk every page is back with the page allocator.',
    { kind: 'doc', ref: 'Documentation/fault-injection/fault-injection.txt: failslab' },
  ),
  rule(
    'slab-allocator.object.bulk',
    'kmem_cache_alloc_bulk() fills the array with n distinct objects and returns n, or returns 0 having kept nothing; kmem_cache_free_bulk() frees every object it is given.',
    { kind: 'source', ref: 'mm/slub.c: kmem_cache_alloc_bulk(), kmem_cache_free_bulk(); mm/slab.c: kmem_cache_alloc_bulk()' },
  ),
  rule(
    'slab-allocator.object.failslab',
    'When should_failslab() says so (failslab fault injection), the allocation returns NULL and takes no object.',
    { kind: 'doc', ref: 'Documentation/fault-injection/fault-injection.txt: failslab' },
  ),

  // giving memory back
  rule(
    'slab-allocator.reclaim.shrink',
    'kmem_cache_shrink() gives every empty slab of the cache back to the page allocator.',
    { kind: 'source', ref: 'mm/slub.c: __kmem_cache_shrink(); mm/slab.c: __kmem_cache_shrink()' },
  ),
  rule(
    'slab-allocator.reclaim.destroy-returns-pages',
    'After every object is freed and every cache destroyed, every slab page is back in the page allocator: free page counts return to their values before the caches were created.',
    { kind: 'source', ref: 'mm/slab_common.c: kmem_cache_destroy(), shutdown_cache()' },
  ),
  rule(
    'slab-allocator.reclaim.destroy-leak',
    'kmem_cache_destroy() of a cache that still has objects reports them ("Slab cache still has objects") and leaves the cache and its objects intact.',
    { kind: 'source', ref: 'mm/slab_common.c: shutdown_cache(); mm/slub.c: list_slab_objects()' },
  ),

  // The checks of these four rules run in 4.17's SLUB only with slub_debug=F
  // (SLAB_CONSISTENCY_CHECKS: free_debug_processing()'s free_consistency_checks(),
  // alloc_debug_processing()'s check_object()), in SLAB only with CONFIG_DEBUG_SLAB; they said
  // nothing of it and now name the configuration (the cache's own SLAB_RED_ZONE or SLAB_POISON
  // flag, given at kmem_cache_create(), still decides what is checked). Their configuration
  // names both options (each implementation ignores the other's): SLAB took only CONFIG_DEBUG_SLAB
  // from the time mmkit modelled it, and without it SLAB drops SLAB_RED_ZONE and SLAB_POISON at
  // kmem_cache_create() (CACHE_CREATE_MASK). Without the checks 4.17 corrupts its freelists on
  // a double or invalid free, as mmkit now does too: the rules misuse.double-free-unchecked and
  // misuse.invalid-free-unchecked state that default behaviour.
  rule(
    'slab-allocator.debug.red-zone',
    'With slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), in a SLAB_RED_ZONE cache a write just past the end of an object is reported as a red zone overwrite when the object is freed.',
    { kind: 'source', ref: 'mm/slub.c: free_consistency_checks(), check_object() ("Redzone overwritten"); mm/slab.c: verify_redzone_free()' },
    undefined,
    { slubDebug: 'F', debugSlab: true },
  ),
  rule(
    'slab-allocator.debug.poison',
    'With slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), in a SLAB_POISON cache a write into a freed object is reported as a poison overwrite, at the latest when the object is allocated again.',
    { kind: 'source', ref: 'mm/slub.c: alloc_consistency_checks(), check_object() ("Poison overwritten"); mm/slab.c: check_poison_obj()' },
    undefined,
    { slubDebug: 'F', debugSlab: true },
  ),

  // misuse
  rule(
    'slab-allocator.misuse.double-free',
    'With slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), freeing an object that is already free is reported as a double free and changes nothing: later allocations still return distinct objects.',
    { kind: 'source', ref: 'mm/slub.c: free_consistency_checks() ("Object already free"); mm/slab.c: cache_free_debugcheck()' },
    undefined,
    { slubDebug: 'F', debugSlab: true },
  ),
  rule(
    'slab-allocator.misuse.invalid-free',
    'With slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), freeing an address that is not the start of an object of a slab (inside an object, a page that is no slab) is reported and changes nothing.',
    { kind: 'source', ref: 'mm/slub.c: check_valid_pointer(), kfree(); mm/kasan/report.c: kasan_report_invalid_free()' },
    undefined,
    { slubDebug: 'F', debugSlab: true },
  ),
  rule(
    'slab-allocator.misuse.double-free-unchecked',
    "Without slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), 4.17's default, a double free is not detected when it happens: the object goes onto the CPU's freelist (SLUB's do_slab_free(), whose freelist then points to itself) or array cache (SLAB's ___cache_free()) twice, nothing is reported, and the next two allocations on that CPU both return it; the corruption shows later (mmkit's invariant checker finds the object twice on its freelists).",
    { kind: 'source', ref: 'mm/slub.c: slab_free(), do_slab_free(), set_freepointer() (free_debug_processing() only if kmem_cache_debug(s)); mm/slab.c: __cache_free(), ___cache_free() (cache_free_debugcheck() only #if DEBUG)' },
  ),
  rule(
    'slab-allocator.misuse.invalid-free-unchecked',
    "Without slub_debug=F (SLUB) or CONFIG_DEBUG_SLAB (SLAB), 4.17's default, freeing a pointer inside an object is not detected: the pointer goes onto the CPU's freelist or array cache and the next allocation on that CPU returns it as an object.",
    { kind: 'source', ref: 'mm/slub.c: slab_free(), do_slab_free() (check_valid_pointer() only in free_consistency_checks()); mm/slab.c: ___cache_free()' },
  ),
  rule(
    'slab-allocator.misuse.double-free-hardened',
    "With CONFIG_SLAB_FREELIST_HARDENED, SLUB's set_freepointer() catches an object freed onto the freelist it heads (BUG_ON(object == fp), \"naive detection of double free or corruption\", since 4.14): the free is reported and changes nothing, so the object is not handed out twice; a double free with another free in between is not caught, and 4.17's SLAB has no such check (it came to SLAB in 5.9).",
    { kind: 'commit', ref: 'mm/slub.c: add a naive detection of double free or corruption', hash: 'ce6fa91b9363', release: '4.14' },
    'hardenedFreelist',
    { freelistHardened: true },
  ),
  // cache_from_obj() checks the cache only with memcg kmem accounting, CONFIG_SLAB_FREELIST_HARDENED
  // or SLAB_CONSISTENCY_CHECKS, and then frees into the object's own cache: misuse.wrong-cache
  // ("frees nothing") held under no configuration; it is retired for the two rules below.
  rule(
    'slab-allocator.misuse.wrong-cache-checked',
    'With CONFIG_SLAB_FREELIST_HARDENED, kmem_cache_free() of an object of another cache warns once ("cache_from_obj: Wrong slab cache. <given> but object is from <owner>") and frees the object into the cache it belongs to.',
    { kind: 'source', ref: 'mm/slab.h: cache_from_obj(); mm/slub.c: kmem_cache_free(); mm/slab.c: kmem_cache_free()' },
    undefined,
    { freelistHardened: true },
  ),
  rule(
    'slab-allocator.misuse.wrong-cache-unchecked',
    "Without those checks (4.17's default), kmem_cache_free() of an object of another cache reports nothing and the object goes back to the slab it lives in, as SLUB's slab_free() on the object's page does (Linux's SLAB would put it in the given cache's per-cpu array; mmkit's SLAB frees it into its own cache so that no cache is corrupted).",
    { kind: 'source', ref: 'mm/slab.h: cache_from_obj(); mm/slub.c: slab_free(), __slab_free()' },
  ),

  // /proc/slabinfo
  rule(
    'slab-allocator.slabinfo.kmem-cache',
    "The /proc/slabinfo file lists slab_caches from its head, where create_cache() and create_kmalloc_cache() add each new cache (list_add()), so a new cache comes first and the kmem_cache cache, the first kmem_cache_init() adds, last; every cache's struct kmem_cache is an object of kmem_cache, taken by kmem_cache_create() and given back by kmem_cache_destroy() (SLUB also lists kmem_cache_node, whose objects are the caches' struct kmem_cache_node; SLAB kmallocs those from kmalloc-128).",
    { kind: 'source', ref: 'mm/slab_common.c: slab_start(), create_cache(), create_kmalloc_cache(), memcg_link_cache(); mm/slub.c: kmem_cache_init(), bootstrap(); mm/slab.c: kmem_cache_init()' },
  ),
  // 'slab-allocator.slabinfo.counts' (num_objs = num_slabs × objperslab) is retired: a SLUB slab
  // of the fallback order s->min holds fewer objects and pages, so the identity does not hold
  // under memory pressure; its successor counts each slab by its own page->objects and order.
  rule(
    'slab-allocator.slabinfo.per-slab-counts',
    "Each cache has a line in /proc/slabinfo (version 2.1) whose objperslab and pagesperslab are those of the cache's preferred slab order, whose num_objs is the sum of its slabs' objects (num_slabs × objperslab while every slab has the preferred order, fewer for slabs SLUB allocated at the fallback order s->min), whose active_objs counts at least every allocated object, and whose slabs are empty of active objects once everything is freed and the cache shrunk; the pages of all slabs, each counted by its own order, are the pages marked PG_slab and what /proc/meminfo's Slab counts.",
    { kind: 'source', ref: 'mm/slab_common.c: cache_show(); mm/slub.c: allocate_slab() (the s->min fallback, page->objects), get_slabinfo() (n->total_objects)' },
  ),

  // KASAN's free hook (the seed)
  rule(
    'slab-allocator.kasan.honour-answer',
    "The allocator honours kasan_slab_free()'s answer for each object: an object whose reuse must be delayed is never put back on a freelist until the quarantine releases it, and one whose reuse need not be delayed is freed at once (no hard-coded check of the cache flags).",
    SEED_KASAN_HOOK,
    'kasan',
  ),
  rule(
    'slab-allocator.kasan.bulk-rebuild',
    'A bulk free asks kasan_slab_free() about every object and frees exactly those whose reuse need not be delayed, rebuilding the freelist without the others.',
    SEED_KASAN_HOOK,
    'kasan',
  ),
  rule(
    'slab-allocator.kasan.cache-shutdown',
    'kmem_cache_destroy() calls kasan_cache_shutdown() before it looks for objects left, so objects waiting in the quarantine are given back and not reported as leaks.',
    { kind: 'source', ref: 'mm/slab_common.c: shutdown_cache(); mm/kasan/quarantine.c: quarantine_remove_cache()' },
    'kasan',
  ),

  // SLAB's periodic reaping (the seed)
  rule(
    'slab-allocator.cache-reap.every-cpu',
    'cache_reap() runs every REAPTIMEOUT_AC (2 s) on every CPU, each iteration queued on the CPU that ran the previous one: on 4 CPUs, with workqueue.debug_force_rr_cpu or an unbound cpumask that leaves CPUs out, every CPU reaps 30 (±1) times in 60 s.',
    SEED_CACHE_REAP,
    'cacheReap',
  ),
  rule(
    'slab-allocator.cache-reap.drains',
    "cache_reap() gives an idle CPU's cached free objects back to their slabs a fraction at a time (drain_array()), so an idle cache ends up with no active objects.",
    { kind: 'source', ref: 'mm/slab.c: cache_reap(), drain_array()' },
    'cacheReap',
  ),
];

/**
 * The op codes of the page-allocator protocol on a CallChannel (call-channel.ts), shared by the
 * grader's side (page-allocator-proxy.ts) and the submission's (page-allocator-server.ts).
 *
 * A call of the grader's into the allocator carries, before its own arguments: the handle of the
 * allocator instance (one per kernel booted), and the context the kernel holds for the call,
 * which the submission's thread cannot see otherwise: the current CPU (smp_processor_id()), the
 * jiffies, and whether fail_page_alloc is armed.
 */

/** The contracts whose submissions run in a thread of their own under bwrap (a protocol each, below). */
export const ISOLATED_CONTRACTS: ReadonlySet<string> = new Set(['page-allocator', 'slab-allocator', 'mmap']);

/** Grader -> submission. */
export const OP_CREATE = 1; // (handle) + the services posted on the setup port; returns [object?, supports.pcp, supports.highatomic, methods bitmask], name in the payload
export const OP_RELEASE = 2; // (handle)
export const OP_ALLOC = 3;
export const OP_FREE = 4;
export const OP_FREE_BOOTMEM = 5;
export const OP_INIT_WATERMARKS = 6;
export const OP_DRAIN = 7;
export const OP_GET_MIN_FREE = 8;
export const OP_GET_WSF = 9;
export const OP_GET_LRR = 10; // returns [count, ...ratios]
export const OP_SET_MIN_FREE = 11;
export const OP_SET_WSF = 12;
export const OP_SET_LRR = 13; // (count, ...ratios)
export const OP_WATERMARK_OK = 14; // (zoneNum, order, mark, classzoneIdx, allocFlags)
export const OP_FOR_EACH_FREE = 15;
export const OP_FOR_EACH_PCP = 16;
export const OP_TOTALRESERVE = 17;
/** The bench's batch run in the submission's thread, timed by the grader: `count` allocations of `order`, then their frees. */
export const OP_BATCH = 18; // (count, order, gfp)

/** Submission -> grader (services the allocator calls, and the visitors' batches). */
export const CB_LOG = 101; // (handle, level 0 info 1 warn 2 err), message in the payload
export const CB_BAD_PAGE = 102; // (handle, pfn), reason in the payload
export const CB_SHOULD_FAIL = 103; // (handle, gfp, order) returns [0 or 1]
export const CB_FREE_BLOCKS = 104; // (handle, records) [zoneNum, pfn, order, mt] x records in payloadF64
export const CB_PCP_PAGES = 105; // (handle, records) [zoneNum, cpu, pfn] x records in payloadF64
export const CB_CONTENTS = 106; // (handle, method, ...args), bytes in the payload; returns [result]
export const CB_CPU_TO_NODE = 107; // (handle, cpu) returns [nid]

/** Context slots after the handle: every grader -> submission call has them. */
export const CTX_HANDLE = 0;
export const CTX_CPU = 1;
export const CTX_JIFFIES = 2;
export const CTX_FAIL_ARMED = 3;
/** The first argument of the call itself. */
export const CTX_ARGS = 4;

/** PageContents methods that cross back (CB_CONTENTS's method number). */
export const CONTENTS_METHODS = ['has', 'read', 'write', 'fill', 'readByte', 'readU64', 'writeU64', 'readU32', 'writeU32', 'clear', 'copy', 'prepareWrite', 'checkPfns', 'materialised', 'maxPages'] as const;

/** The allocator's methods, in the bits of OP_CREATE's methods bitmask. */
export const ALLOCATOR_METHODS = [
  'allocPages', 'freePages', 'freeBootmem', 'initWatermarks', 'drainAllPages', 'setMinFreeKbytes', 'setWatermarkScaleFactor', 'setLowmemReserveRatio',
  'zoneWatermarkOk', 'forEachFreeBlock', 'forEachPcpPage', 'totalreservePages',
] as const;

export const LOG_LEVELS = ['info', 'warn', 'err'] as const;

// --- The slab-allocator protocol (slab-allocator-proxy.ts, slab-allocator-server.ts) ---
// The same context slots (CTX_*) open every grader -> submission call; CTX_FAIL_ARMED carries
// failslab's armed word there. A cache crosses as the id the submission's thread gave it
// (0: none); strings (names, messages) in the payload.

/** Grader -> submission. */
export const OP_S_CREATE = 31; // (handle) + the setup posted on the port; returns [object?, methods bitmask]
export const OP_S_RELEASE = 32;
export const OP_S_GET = 33; // (prop: SLAB_PROPS index); name: payload; supports: [bulk, kasan, hardened (-1: not declared)]; kmallocSizes: [n] + payloadF64; the maxima: [v]
export const OP_S_CACHE_CREATE = 34; // (size, align, flags, nameKind, ctorKind, ctorArg) name in the payload; returns [id, objectSize, size, align, flags], its name in the payload
export const OP_S_CACHE_ALLOC = 35; // (id, gfp) returns [addr]
export const OP_S_CACHE_FREE = 36; // (id, addr)
export const OP_S_ALLOC_BULK = 37; // (id, gfp, n) returns [count], the addresses in payloadF64
export const OP_S_FREE_BULK = 38; // (id, n), the addresses in payloadF64
export const OP_S_SHRINK = 39; // (id) returns [ret]
export const OP_S_DESTROY = 40; // (id)
export const OP_S_KMALLOC = 41; // (size, gfp) returns [addr]
export const OP_S_KFREE = 42; // (addr)
export const OP_S_KSIZE = 43; // (addr) returns [size]
export const OP_S_BOOTSTRAP = 44;
export const OP_S_QUARANTINE_RELEASE = 45; // (id, addr)
export const OP_S_CACHES = 46; // returns [n], records [id, objectSize, size, align, flags] in payloadF64
export const OP_S_CACHE_DESC = 47; // (id) returns [objectSize, size, align, flags], its name in the payload
export const OP_S_SLABINFO = 48; // (id) returns SLABINFO_FIELDS
export const OP_S_REAP_RUNS = 49; // (cpu) returns [runs]
export const OP_S_VALIDATE = 50; // (max) returns [n], records [id, kind, slab, addr, inuse, free, objects] in payloadF64 (NaN: absent)
export const OP_S_RUN_WORK = 51; // (workId): the kernel runs a work item the allocator queued
/** The bench's batch in the submission's thread: `count` kmem_cache_alloc()s of cache `id` then their frees (sizes 0), or `count` kmalloc()s of the sizes in payloadF64 then kfree()s. */
export const OP_S_BATCH = 52; // (id, count, gfp, nsizes)

/** Submission -> grader (the kernel's memory and printk: kernel-memory.ts, shared with the mmap protocol). */
export const CB_K_LOG = 121; // (handle, level) message in the payload
export const CB_S_SLAB_ERROR = 122; // (handle, kind: SLAB_ERROR_KINDS index, id, addr) message in the payload
export const CB_S_SHOULD_FAIL = 123; // (handle, id, gfp) returns [0 or 1]
export const CB_K_PAGE_ALLOC = 124; // (handle, gfp, order[, nid]) returns [pfn]
export const CB_K_PAGE_FREE = 125; // (handle, pfn, order)
export const CB_K_PAGES_HELD = 126; // (handle) returns [held]
export const CB_K_MATERIALISE = 127; // (handle, first, last): page contents, the owner's side
export const CB_K_CLEAR = 128; // (handle, pfn)
export const CB_K_MATERIALISED = 129; // (handle) returns [pages]
export const CB_S_KASAN_FREE = 130; // (handle, id, addr) returns [0 or 1]
export const CB_S_KASAN_ALLOC = 131; // (handle, id, addr)
export const CB_S_KASAN_SHUTDOWN = 132; // (handle, id)
export const CB_S_CTOR = 133; // (handle, ctorId, addr)
export const CB_S_QUEUE_WORK = 134; // (handle, workId, cpu, delay (-1: queue_work_on)) name in the payload; returns [queued]
export const CB_S_CANCEL_WORK = 135; // (handle, workId) returns [cancelled]

/** OP_S_GET's properties. */
export const SLAB_PROPS = ['name', 'supports', 'kmallocSizes', 'kmallocMaxCacheSize', 'kmallocMaxSize'] as const;
/** The optional methods, in the bits of OP_S_CREATE's bitmask (the rest of the contract is called whatever the object has). */
export const SLAB_METHODS = [
  'kmemCacheCreate', 'kmemCacheAlloc', 'kmemCacheFree', 'kmemCacheAllocBulk', 'kmemCacheFreeBulk', 'kmemCacheShrink', 'kmemCacheDestroy', 'kmalloc', 'kfree', 'ksize',
  'bootstrap', 'quarantineRelease', 'caches', 'slabinfo', 'cacheReapRuns', 'validateFreelists',
] as const;
export const SLAB_ERROR_KINDS = ['double-free', 'invalid-free', 'wrong-cache', 'bad-size', 'redzone', 'poison', 'leak'] as const;
export const SLABINFO_FIELDS = ['activeObjs', 'numObjs', 'activeSlabs', 'numSlabs', 'objectsPerSlab', 'pagesPerSlab', 'numPages', 'limit', 'batchcount', 'shared', 'sharedAvail'] as const;
export const CORRUPTION_KINDS = ['duplicate', 'not-an-object', 'allocated', 'count'] as const;
/** kmem_cache_create()'s constructor argument: none (undefined), a function (ctorArg: its id), or another value the allocator must refuse. */
export const CTOR_KINDS = ['undefined', 'function', 'null', 'number', 'string', 'object', 'array', 'boolean'] as const;
/** kmem_cache_create()'s name argument: a string (in the payload), undefined or null. */
export const NAME_KINDS = ['string', 'undefined', 'null'] as const;

// --- The address-spaces protocol (address-spaces-proxy.ts, address-spaces-server.ts) ---
// The same context slots (CTX_*) open every grader -> submission call. A method of the contract
// is called by its index in MM_METHODS: its numbers in the frame, anything else (a bigint, an
// object, a string, undefined, a visitor) in the payload as data (value-codec.ts); so is its
// result when it is no number. A visitor (forEachVma()) is called back after the walk, with what
// the walk handed it, in order.

/** Grader -> submission. */
export const OP_M_CREATE = 61; // (handle) + the setup posted on the port; returns [object?, methods bitmask]
export const OP_M_RELEASE = 62;
export const OP_M_GET = 63; // (prop: MM_PROPS index) returns the value in the payload
/** A method: (index, argc, payload mask); argument i in slot CTX_ARGS + 3 + i unless bit i of the mask is set (then it is the next of the payload's list). */
export const OP_M_CALL = 64; // returns [number, kind: MM_RESULT_*]
export const MM_RESULT_NUMBER = 0;
/** The result in the payload. */
export const MM_RESULT_VALUE = 1;
/** [result, visits] in the payload: visits the argument lists of each call of the visitor, in order. */
export const MM_RESULT_VISITS = 2;

/** Submission -> grader: the kernel's page tables where they change (the entries themselves are read and written on the shared page contents). */
export const CB_M_PT_ALLOC = 141; // (handle, pgd, addrHigh, addrLow, level) returns [slot]
export const CB_M_PGD_ALLOC = 142; // (handle, mm) returns [pfn]
export const CB_M_PGD_FREE = 143; // (handle, pgd)
export const CB_M_FREE_PGD_RANGE = 144; // (handle, pgd, addr, end, floor, ceiling) in PMDs
export const CB_M_PGTABLES_BYTES = 145; // (handle, pgd) returns [bytes]

export const MM_PROPS = ['name', 'supports'] as const;
/** The methods (the contract's, then VmaLookup's and the invariant checks the kernel looks for), in the bits of OP_M_CREATE's bitmask. */
export const MM_METHODS = [
  'mmCreate', 'mmCreateWith', 'mmCreateFromMaps', 'mmDestroy', 'mmInfo', 'fdInstall', 'fdClose', 'mmap', 'munmap', 'mprotect', 'mremap', 'brk',
  'madvise', 'maps', 'pageFault', 'smaps', 'mlock', 'munlock', 'fork', 'findVma', 'forEachVma', 'mms', 'checkMm', 'forEachMappedPage',
] as const;

/**
 * The op codes of the page-allocator protocol on a CallChannel (call-channel.ts), shared by the
 * grader's side (page-allocator-proxy.ts) and the submission's (page-allocator-server.ts).
 *
 * A call of the grader's into the allocator carries, before its own arguments: the handle of the
 * allocator instance (one per kernel booted), and the context the kernel holds for the call,
 * which the submission's thread cannot see otherwise: the current CPU (smp_processor_id()), the
 * jiffies, and whether fail_page_alloc is armed.
 */

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

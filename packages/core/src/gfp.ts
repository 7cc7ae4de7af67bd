/**
 * GFP flags with the bit values of Linux 4.17 (include/linux/gfp.h). 0x100 (___GFP_COLD,
 * removed in 4.15) and 0x200000 (___GFP_OTHER_NODE) are unused in 4.17; the bits were only
 * slid together in 4.18.
 */
import { MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, type MigrateType } from './migratetype.js';
import type { ZoneIndex, ZoneLayoutConfig } from './mmzone.js';

export type { Gfp } from './units.js';
import type { Gfp } from './units.js';

export const ___GFP_DMA = 0x01;
export const ___GFP_HIGHMEM = 0x02;
export const ___GFP_DMA32 = 0x04;
export const ___GFP_MOVABLE = 0x08;
export const ___GFP_RECLAIMABLE = 0x10;
export const ___GFP_HIGH = 0x20;
export const ___GFP_IO = 0x40;
export const ___GFP_FS = 0x80;
export const ___GFP_NOWARN = 0x200;
export const ___GFP_RETRY_MAYFAIL = 0x400;
export const ___GFP_NOFAIL = 0x800;
export const ___GFP_NORETRY = 0x1000;
export const ___GFP_MEMALLOC = 0x2000;
export const ___GFP_COMP = 0x4000;
export const ___GFP_ZERO = 0x8000;
export const ___GFP_NOMEMALLOC = 0x10000;
export const ___GFP_HARDWALL = 0x20000;
export const ___GFP_THISNODE = 0x40000;
export const ___GFP_ATOMIC = 0x80000;
export const ___GFP_ACCOUNT = 0x100000;
export const ___GFP_DIRECT_RECLAIM = 0x400000;
export const ___GFP_WRITE = 0x800000;
export const ___GFP_KSWAPD_RECLAIM = 0x1000000;
/** CONFIG_LOCKDEP only; __GFP_BITS_SHIFT is 25 without it. */
export const ___GFP_NOLOCKDEP = 0x2000000;
export const __GFP_BITS_SHIFT = 25;
export const __GFP_BITS_MASK = (1 << __GFP_BITS_SHIFT) - 1;

export const __GFP_DMA = ___GFP_DMA;
export const __GFP_HIGHMEM = ___GFP_HIGHMEM;
export const __GFP_DMA32 = ___GFP_DMA32;
export const __GFP_MOVABLE = ___GFP_MOVABLE;
export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
export const __GFP_RECLAIMABLE = ___GFP_RECLAIMABLE;
export const __GFP_WRITE = ___GFP_WRITE;
export const __GFP_HARDWALL = ___GFP_HARDWALL;
export const __GFP_THISNODE = ___GFP_THISNODE;
export const __GFP_ACCOUNT = ___GFP_ACCOUNT;
export const __GFP_ATOMIC = ___GFP_ATOMIC;
export const __GFP_HIGH = ___GFP_HIGH;
export const __GFP_MEMALLOC = ___GFP_MEMALLOC;
export const __GFP_NOMEMALLOC = ___GFP_NOMEMALLOC;
export const __GFP_IO = ___GFP_IO;
export const __GFP_FS = ___GFP_FS;
export const __GFP_DIRECT_RECLAIM = ___GFP_DIRECT_RECLAIM;
export const __GFP_KSWAPD_RECLAIM = ___GFP_KSWAPD_RECLAIM;
export const __GFP_RECLAIM = ___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM;
export const __GFP_RETRY_MAYFAIL = ___GFP_RETRY_MAYFAIL;
export const __GFP_NOFAIL = ___GFP_NOFAIL;
export const __GFP_NORETRY = ___GFP_NORETRY;
export const __GFP_NOWARN = ___GFP_NOWARN;
export const __GFP_COMP = ___GFP_COMP;
export const __GFP_ZERO = ___GFP_ZERO;
export const __GFP_NOLOCKDEP = ___GFP_NOLOCKDEP;
export const GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
export const GFP_MOVABLE_SHIFT = 3;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_TRANSHUGE_LIGHT =
  (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
export const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

/** Every named flag and composite, for parsing and printing (the order show_gfp_flags uses). */
/** GFP_RECLAIM_MASK (mm/internal.h): what a slab allocator passes on of the caller's gfp to the page allocator. */
export const GFP_RECLAIM_MASK =
  __GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_ATOMIC;
/** GFP_CONSTRAINT_MASK (mm/internal.h): the placement constraints passed on with it. */
export const GFP_CONSTRAINT_MASK = __GFP_HARDWALL | __GFP_THISNODE;
/**
 * GFP_SLAB_BUG_MASK (mm/internal.h): zone modifiers a slab cannot honour (slab pages must be
 * lowmem), and bits beyond __GFP_BITS_MASK. new_slab() / cache_grow_begin() warn "Unexpected
 * gfp" and strip them.
 */
export const GFP_SLAB_BUG_MASK = __GFP_DMA32 | __GFP_HIGHMEM | ~__GFP_BITS_MASK;

export const GFP_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['GFP_TRANSHUGE', GFP_TRANSHUGE],
  ['GFP_TRANSHUGE_LIGHT', GFP_TRANSHUGE_LIGHT],
  ['GFP_HIGHUSER_MOVABLE', GFP_HIGHUSER_MOVABLE],
  ['GFP_HIGHUSER', GFP_HIGHUSER],
  ['GFP_USER', GFP_USER],
  ['GFP_KERNEL_ACCOUNT', GFP_KERNEL_ACCOUNT],
  ['GFP_KERNEL', GFP_KERNEL],
  ['GFP_NOFS', GFP_NOFS],
  ['GFP_ATOMIC', GFP_ATOMIC],
  ['GFP_NOIO', GFP_NOIO],
  ['GFP_NOWAIT', GFP_NOWAIT],
  ['GFP_DMA', GFP_DMA],
  ['GFP_DMA32', GFP_DMA32],
  ['__GFP_HIGH', __GFP_HIGH],
  ['__GFP_ATOMIC', __GFP_ATOMIC],
  ['__GFP_IO', __GFP_IO],
  ['__GFP_FS', __GFP_FS],
  ['__GFP_NOWARN', __GFP_NOWARN],
  ['__GFP_RETRY_MAYFAIL', __GFP_RETRY_MAYFAIL],
  ['__GFP_NOFAIL', __GFP_NOFAIL],
  ['__GFP_NORETRY', __GFP_NORETRY],
  ['__GFP_COMP', __GFP_COMP],
  ['__GFP_ZERO', __GFP_ZERO],
  ['__GFP_NOMEMALLOC', __GFP_NOMEMALLOC],
  ['__GFP_MEMALLOC', __GFP_MEMALLOC],
  ['__GFP_HARDWALL', __GFP_HARDWALL],
  ['__GFP_THISNODE', __GFP_THISNODE],
  ['__GFP_RECLAIMABLE', __GFP_RECLAIMABLE],
  ['__GFP_MOVABLE', __GFP_MOVABLE],
  ['__GFP_ACCOUNT', __GFP_ACCOUNT],
  ['__GFP_WRITE', __GFP_WRITE],
  ['__GFP_RECLAIM', __GFP_RECLAIM],
  ['__GFP_DIRECT_RECLAIM', __GFP_DIRECT_RECLAIM],
  ['__GFP_KSWAPD_RECLAIM', __GFP_KSWAPD_RECLAIM],
  ['__GFP_HIGHMEM', __GFP_HIGHMEM],
  ['__GFP_DMA32', __GFP_DMA32],
  ['__GFP_DMA', __GFP_DMA],
];

/** Parse "GFP_KERNEL|__GFP_ZERO" or a number ("0x14200ca"). Returns undefined for an unknown name. */
export function parseGfp(text: string): Gfp | undefined {
  let gfp = 0;
  for (const part of text.split('|').map((s) => s.trim()).filter(Boolean)) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) {
      gfp |= Number(part);
      continue;
    }
    const hit = GFP_NAMES.find(([name]) => name === part);
    if (!hit) return undefined;
    gfp |= hit[1];
  }
  return gfp >>> 0;
}

/** Format a mask the way the page-owner and tracepoints do: "GFP_KERNEL|__GFP_ZERO". */
export function formatGfp(gfp: Gfp): string {
  const parts: string[] = [];
  let rest = gfp >>> 0;
  for (const [name, mask] of GFP_NAMES) {
    if (mask !== 0 && (rest & mask) === mask) {
      parts.push(name);
      rest &= ~mask;
    }
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : '0';
}

/**
 * GFP_ZONE_TABLE of 4.17 for a zone configuration: the zone index each of the 16 combinations
 * of the four zone modifiers selects, or -1 for the combinations in GFP_ZONE_BAD.
 * OPT_ZONE_HIGHMEM is ZONE_NORMAL without CONFIG_HIGHMEM; OPT_ZONE_DMA32 is ZONE_NORMAL
 * without CONFIG_ZONE_DMA32; OPT_ZONE_DMA likewise.
 *
 * The 4.17 rule the CMA-in-ZONE_MOVABLE series relies on: only __GFP_HIGHMEM|__GFP_MOVABLE
 * reaches ZONE_MOVABLE; __GFP_MOVABLE alone stays in ZONE_NORMAL.
 */
export function buildGfpZoneTable(zones: Pick<ZoneLayoutConfig, 'DMA' | 'DMA32' | 'NORMAL' | 'HIGHMEM' | 'MOVABLE'>): Int8Array {
  const optDma = zones.DMA >= 0 ? zones.DMA : zones.NORMAL;
  const optHighmem = zones.HIGHMEM >= 0 ? zones.HIGHMEM : zones.NORMAL;
  const optDma32 = zones.DMA32 >= 0 ? zones.DMA32 : zones.NORMAL;
  const table = new Int8Array(16).fill(-1);
  table[0] = zones.NORMAL;
  table[__GFP_DMA] = optDma;
  table[__GFP_HIGHMEM] = optHighmem;
  table[__GFP_DMA32] = optDma32;
  table[__GFP_MOVABLE] = zones.NORMAL;
  table[__GFP_MOVABLE | __GFP_DMA] = optDma;
  table[__GFP_MOVABLE | __GFP_HIGHMEM] = zones.MOVABLE;
  table[__GFP_MOVABLE | __GFP_DMA32] = optDma32;
  // The other eight (DMA|HIGHMEM, DMA|DMA32, DMA32|HIGHMEM, all three, each with or without
  // MOVABLE) are GFP_ZONE_BAD.
  return table;
}

/** A gfp mask whose zone modifiers are in GFP_ZONE_BAD. */
export class InvalidGfpError extends Error {
  constructor(readonly gfp: Gfp) {
    super(`invalid gfp zone combination ${formatGfp(gfp & GFP_ZONEMASK)} (in GFP_ZONE_BAD)`);
    this.name = 'InvalidGfpError';
  }
}

/**
 * gfp_zone(): the highest zone an allocation with these flags may use. Linux hits
 * VM_BUG_ON for a GFP_ZONE_BAD combination; we throw InvalidGfpError (a kernel bug report).
 */
export function gfpZone(gfp: Gfp, zones: ZoneLayoutConfig): ZoneIndex {
  const zone = zones.gfpZoneTable[gfp & GFP_ZONEMASK];
  if (zone < 0) throw new InvalidGfpError(gfp);
  return zone;
}

/** True when the zone modifiers are a valid combination (not in GFP_ZONE_BAD). */
export function gfpZoneValid(gfp: Gfp, zones: ZoneLayoutConfig): boolean {
  return zones.gfpZoneTable[gfp & GFP_ZONEMASK] >= 0;
}

/** gfpflags_to_migratetype(). */
export function gfpMigratetype(gfp: Gfp): MigrateType {
  const bits = (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
  if (bits === 0) return MIGRATE_UNMOVABLE;
  if (bits === 1) return MIGRATE_MOVABLE;
  if (bits === 2) return MIGRATE_RECLAIMABLE;
  throw new InvalidGfpError(gfp); // __GFP_RECLAIMABLE|__GFP_MOVABLE: VM_WARN_ON in Linux
}

/** gfpflags_allow_blocking(): may the allocation sleep (enter direct reclaim)? */
export function gfpflagsAllowBlocking(gfp: Gfp): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

/**
 * True when `gfp` is a gfp mask: an integer within the gfp bits ([0, __GFP_BITS_MASK]). A
 * fraction, a negative number, NaN or a bit above __GFP_BITS_SHIFT is no gfp_t a caller meant
 * (1.5 would otherwise act as __GFP_DMA once JavaScript's bit operators truncate it).
 */
export function isGfpMask(gfp: unknown): gfp is Gfp {
  return typeof gfp === 'number' && Number.isInteger(gfp) && gfp >= 0 && gfp <= __GFP_BITS_MASK;
}

/**
 * True when `gfp` is a gfp_t (an unsigned int: an integer in [0, 0xffffffff]). The object
 * allocator takes any gfp_t: bits above __GFP_BITS_MASK are GFP_SLAB_BUG_MASK, warned about
 * and stripped; anything else (a fraction, a negative number, NaN) no C caller could pass.
 */
export function isGfpT(gfp: unknown): gfp is Gfp {
  return typeof gfp === 'number' && Number.isInteger(gfp) && gfp >= 0 && gfp <= 0xffffffff;
}

/**
 * The RangeError an API entry (`fn`, as Linux names it) throws for a value isGfpMask() (or,
 * with `gfpT`, isGfpT()) refuses; built in a cold function.
 */
export function invalidGfpMaskError(fn: string, gfp: unknown, gfpT = false): RangeError {
  const shown = typeof gfp === 'string' ? `'${gfp.slice(0, 60)}'` : typeof gfp === 'number' ? String(gfp) : typeof gfp;
  return gfpT
    ? new RangeError(`${fn}: gfp ${shown} is not a gfp_t (an integer in [0, 0xffffffff])`)
    : new RangeError(`${fn}: gfp ${shown} is not a gfp mask (an integer in [0, 0x${__GFP_BITS_MASK.toString(16)}])`);
}

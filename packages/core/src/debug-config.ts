/**
 * The kernel's debugging configuration: which checks Linux 4.17 runs is a build option or a
 * boot parameter, not semantics. Every subsystem reads the configuration it runs under from
 * `services.debug` (KernelServices), so a check that 4.17 runs only with CONFIG_DEBUG_VM or
 * slub_debug runs here only then too. The defaults are 4.17's (a distribution kernel's
 * defaults: every option below off).
 *
 * - `vm`: CONFIG_DEBUG_VM (lib/Kconfig.debug, default n). What it turns on in mm/:
 *   VM_BUG_ON_PAGE() (include/linux/mmdebug.h: compiled out without it), among them
 *   put_page_testzero()'s `page_ref_count(page) == 0` (include/linux/mm.h), which catches a
 *   double free of pages when it happens (without it the refcount goes to -1, nothing is
 *   freed, and the next allocation that reaches the page finds a nonzero _refcount in
 *   check_new_page()); the order of the page checks in mm/page_alloc.c (free_pcp_prepare()
 *   checks a page when it is freed to a per-cpu list and check_new_pcp() when it is allocated
 *   from one, where without it bulkfree_pcp_prepare() checks it when the list is drained and
 *   check_pcp_refill() when it is refilled); and kmem_cache_sanity_check() of
 *   mm/slab_common.c (an empty stub without it).
 * - `slubDebug`: the `slub_debug=` boot parameter of SLUB (Documentation/vm/slub.txt, 4.17):
 *   flags for every cache, or for the caches whose name starts with one given name
 *   (kmem_cache_flags() compares with strncmp() over the given name's length). SLAB ignores it
 *   (its red zones and poison are CONFIG_DEBUG_SLAB, or the cache's own SLAB_RED_ZONE and
 *   SLAB_POISON flags).
 * - `freelistHardened`: CONFIG_SLAB_FREELIST_HARDENED (default n in 4.17's Kconfig): among
 *   other things cache_from_obj() (mm/slab.h) checks the cache of every kmem_cache_free() with
 *   it, as with SLAB_CONSISTENCY_CHECKS, and SLUB's set_freepointer() BUG()s on an object freed
 *   onto a freelist it heads.
 * - `debugSlab`: CONFIG_DEBUG_SLAB (lib/Kconfig.debug, default n; SLAB only, SLUB ignores it).
 *   mm/slab.c is built with DEBUG and FORCED_DEBUG then: every cache gets red zones and the
 *   last user (when that does not push a large object past the next power of two) and poison
 *   (not SLAB_TYPESAFE_BY_RCU caches), and a free is checked (cache_free_debugcheck()). Without
 *   it SLAB_DEBUG_FLAGS is 0 in CACHE_CREATE_MASK (mm/slab.h), so SLAB_RED_ZONE, SLAB_POISON and
 *   SLAB_STORE_USER asked for at kmem_cache_create() are dropped, and nothing is checked.
 */
import { SLAB_CONSISTENCY_CHECKS, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TRACE } from './slab-flags.js';

/** slub_debug as parsed: the SLAB_* debug flags, for every cache or for the caches of one name prefix. */
export interface SlubDebug {
  /** SLAB_CONSISTENCY_CHECKS (F), SLAB_RED_ZONE (Z), SLAB_POISON (P), SLAB_STORE_USER (U), SLAB_TRACE (T). */
  readonly flags: number;
  /**
   * slub_debug_slabs: the flags apply to the caches whose name starts with this (4.17 takes one
   * name; several names came in 4.20); undefined: every cache.
   */
  readonly slabs: string | undefined;
}

export interface DebugConfig {
  /** CONFIG_DEBUG_VM (default off). */
  readonly vm: boolean;
  /** slub_debug= (default: no flags for any cache). */
  readonly slubDebug: SlubDebug;
  /** CONFIG_SLAB_FREELIST_HARDENED (default off). */
  readonly freelistHardened: boolean;
  /** CONFIG_DEBUG_SLAB (default off; SLAB only). */
  readonly debugSlab: boolean;
}

/** 4.17's defaults: no debug option on. */
export const DEFAULT_DEBUG_CONFIG: DebugConfig = Object.freeze({
  vm: false,
  slubDebug: Object.freeze({ flags: 0, slabs: undefined }),
  freelistHardened: false,
  debugSlab: false,
});

/** DEBUG_DEFAULT_FLAGS (mm/slub.c): what `slub_debug` without options, or with an empty list, turns on. */
export const SLUB_DEBUG_DEFAULT_FLAGS = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

/** The option letters of slub_debug (Documentation/vm/slub.txt) and the flag each sets. */
export const SLUB_DEBUG_OPTIONS: ReadonlyMap<string, number> = new Map([
  ['F', SLAB_CONSISTENCY_CHECKS],
  ['Z', SLAB_RED_ZONE],
  ['P', SLAB_POISON],
  ['U', SLAB_STORE_USER],
  ['T', SLAB_TRACE],
]);

/** A slub_debug value that cannot be parsed: the message says why, in one line. */
export class SlubDebugError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlubDebugError';
  }
}

/** Longest slub_debug value taken (a kernel command line is at most COMMAND_LINE_SIZE, 2048 on x86). */
const MAX_SLUB_DEBUG_LENGTH = 2048;

/**
 * setup_slub_debug() (mm/slub.c, 4.17): the value after `slub_debug=`. Empty (plain
 * `slub_debug`): full debugging (DEBUG_DEFAULT_FLAGS) for every cache. Otherwise option
 * letters (case-insensitive) up to an optional `,<slab name>`: F, Z, P, U, T; `-` switches
 * everything off; no letters before the comma means the default flags. Linux skips an unknown
 * letter with "slub_debug option '%c' unknown. skipped"; mmkit refuses it (and the letters A
 * and O, which it does not model) so a typo is not silently a different configuration.
 */
export function parseSlubDebug(value: string): SlubDebug {
  if (typeof value !== 'string') throw new SlubDebugError(`slub_debug must be a string, got ${typeof value}`);
  if (value.length > MAX_SLUB_DEBUG_LENGTH) throw new SlubDebugError(`slub_debug is longer than ${MAX_SLUB_DEBUG_LENGTH} characters`);
  if (value === '') return { flags: SLUB_DEBUG_DEFAULT_FLAGS, slabs: undefined };
  const comma = value.indexOf(',');
  const options = comma < 0 ? value : value.slice(0, comma);
  const slabs = comma < 0 ? undefined : value.slice(comma + 1);
  if (slabs !== undefined) {
    if (slabs === '') throw new SlubDebugError(`slub_debug=${value}: no slab name after the comma`);
    if (slabs.includes(',')) throw new SlubDebugError(`slub_debug=${value}: Linux 4.17 takes one slab name (several came in 4.20)`);
    if (/\s/.test(slabs)) throw new SlubDebugError(`slub_debug=${value}: a slab name has no spaces`);
  }
  if (options === '') return { flags: SLUB_DEBUG_DEFAULT_FLAGS, slabs };
  let flags = 0;
  for (const ch of options) {
    if (ch === '-') {
      flags = 0; // switch all debugging off
      continue;
    }
    const flag = SLUB_DEBUG_OPTIONS.get(ch.toUpperCase());
    if (flag === undefined) {
      const letter = JSON.stringify(ch);
      throw new SlubDebugError(`slub_debug option ${letter} unknown (options: F, Z, P, U, T, -)`);
    }
    flags |= flag;
  }
  return { flags, slabs };
}

/** slub_debug written back in its boot-parameter form ('' for no flags). */
export function formatSlubDebug(d: SlubDebug): string {
  if (d.flags === 0 && d.slabs === undefined) return '';
  let letters = '';
  for (const [letter, flag] of SLUB_DEBUG_OPTIONS) if (d.flags & flag) letters += letter;
  if (d.flags === 0) letters = '-';
  return d.slabs === undefined ? letters : `${letters},${d.slabs}`;
}

/**
 * kmem_cache_flags() (mm/slub.c, 4.17): the debug flags slub_debug adds to a cache of this
 * name: all of them when no slab name was given, else when the cache's name starts with it.
 */
export function slubDebugFlagsFor(d: SlubDebug, name: string): number {
  if (d.flags === 0) return 0;
  if (d.slabs === undefined || name.startsWith(d.slabs)) return d.flags;
  return 0;
}

/** What createKernel() takes: every field optional, the rest 4.17's defaults. */
export interface DebugOptions {
  /** CONFIG_DEBUG_VM. */
  readonly vm?: boolean;
  /** The value of the slub_debug= boot parameter, e.g. 'FZ' or 'FZ,kmalloc-64' ('' is plain `slub_debug`). */
  readonly slubDebug?: string;
  /** CONFIG_SLAB_FREELIST_HARDENED. */
  readonly freelistHardened?: boolean;
  /** CONFIG_DEBUG_SLAB. */
  readonly debugSlab?: boolean;
}

/** A DebugConfig from the options given; a wrong type or a bad slub_debug is a SlubDebugError / TypeError with one line. */
export function resolveDebugConfig(options: DebugOptions | undefined): DebugConfig {
  if (options === undefined) return DEFAULT_DEBUG_CONFIG;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`debug must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (key !== 'vm' && key !== 'slubDebug' && key !== 'freelistHardened' && key !== 'debugSlab') throw new TypeError(`debug has no option '${key}' (options: vm, slubDebug, freelistHardened, debugSlab)`);
  }
  const { vm, slubDebug, freelistHardened, debugSlab } = options;
  if (vm !== undefined && typeof vm !== 'boolean') throw new TypeError(`debug.vm must be a boolean, got ${JSON.stringify(vm) ?? typeof vm}`);
  if (freelistHardened !== undefined && typeof freelistHardened !== 'boolean') {
    throw new TypeError(`debug.freelistHardened must be a boolean, got ${JSON.stringify(freelistHardened) ?? typeof freelistHardened}`);
  }
  if (debugSlab !== undefined && typeof debugSlab !== 'boolean') throw new TypeError(`debug.debugSlab must be a boolean, got ${JSON.stringify(debugSlab) ?? typeof debugSlab}`);
  if (slubDebug !== undefined && typeof slubDebug !== 'string') throw new TypeError(`debug.slubDebug must be a string, got ${typeof slubDebug}`);
  return Object.freeze({
    vm: vm ?? false,
    slubDebug: Object.freeze(slubDebug === undefined ? DEFAULT_DEBUG_CONFIG.slubDebug : parseSlubDebug(slubDebug)),
    freelistHardened: freelistHardened ?? false,
    debugSlab: debugSlab ?? false,
  });
}

/** The configuration in words, as `mmkit boot` prints it: 'CONFIG_DEBUG_VM=y slub_debug=FZ,kmalloc-64', or 'none'. */
export function describeDebugConfig(d: DebugConfig): string {
  const parts: string[] = [];
  if (d.vm) parts.push('CONFIG_DEBUG_VM=y');
  if (d.freelistHardened) parts.push('CONFIG_SLAB_FREELIST_HARDENED=y');
  if (d.debugSlab) parts.push('CONFIG_DEBUG_SLAB=y');
  const slub = formatSlubDebug(d.slubDebug);
  if (slub !== '') parts.push(`slub_debug=${slub}`);
  return parts.length ? parts.join(' ') : 'none (4.17 defaults)';
}

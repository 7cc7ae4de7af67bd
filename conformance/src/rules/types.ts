/**
 * Where a rule's semantics come from; `sourceLinks()` (links.ts) gives the public links.
 * - changelog: an entry of the seed changelog, by its id in the seed catalogue
 *   (src/seed/catalogue.ts); `ref` is the entry's subject;
 * - man: a man page, `ref` like 'mmap(2): MAP_FIXED_NOREPLACE' (linked on man7.org);
 * - doc: a file of Documentation/ in Linux 4.17, `ref` like 'Documentation/sysctl/vm.txt: min_free_kbytes';
 * - source: kernel functions or definitions in Linux 4.17, `ref` like
 *   'mm/page_alloc.c: __zone_watermark_ok()', several files separated by '; ';
 * - commit: an upstream commit outside the seed (an older release's change), `ref` its
 *   subject, `hash` its full id, `release` the first release with it (linked on git.kernel.org).
 */
export type RuleSource =
  | { readonly kind: 'changelog'; readonly entry: string; readonly ref: string }
  | { readonly kind: 'man'; readonly ref: string }
  | { readonly kind: 'doc'; readonly ref: string }
  | { readonly kind: 'source'; readonly ref: string }
  | { readonly kind: 'commit'; readonly ref: string; readonly hash: string; readonly release: string };

export type RuleSourceKind = RuleSource['kind'];

/**
 * The kernel configuration a rule holds under, when it is not 4.17's default (every debug
 * option off): a check that Linux 4.17 runs only with CONFIG_DEBUG_VM, slub_debug or
 * CONFIG_SLAB_FREELIST_HARDENED (@mmkit/core's DebugConfig). The suites boot the kernel of a
 * case with the configuration of the rules it checks, and the grader reports it per rule.
 */
export interface RuleConfig {
  /** CONFIG_DEBUG_VM=y. */
  readonly debugVm?: true;
  /** The slub_debug= boot parameter, e.g. 'F' or 'FZ,kmalloc-64'. */
  readonly slubDebug?: string;
  /** CONFIG_SLAB_FREELIST_HARDENED=y. */
  readonly freelistHardened?: true;
  /**
   * CONFIG_DEBUG_SLAB=y (SLAB only). A configuration applies to both implementations: an option
   * one of them ignores (slub_debug under SLAB, CONFIG_DEBUG_SLAB under SLUB) changes nothing
   * there, so one rule can name SLUB's and SLAB's option together.
   */
  readonly debugSlab?: true;
}

/** One checkable sentence of semantics, with a stable id. */
export interface Rule {
  /** Stable id: `<contract>.<area>.<behaviour>`. Never reuse an id for another meaning. */
  readonly id: string;
  /** The contract it belongs to (its folder under src/contracts). */
  readonly contract: string;
  /** One sentence. */
  readonly text: string;
  readonly source: RuleSource;
  /** An optional part of the contract: "not provided" when the implementation lacks it. */
  readonly optional?: string;
  /** The configuration the rule holds under; absent: 4.17's defaults (every debug option off). */
  readonly config?: RuleConfig;
}

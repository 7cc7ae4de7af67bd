/** The rule catalogue: every rule of every contract the suites check. */
import { allRules, contractByName } from '../contracts/index.js';
import { ruleConfigText } from './config.js';
import { sourceMarkdown } from './links.js';
import type { Rule } from './types.js';

export type { Rule, RuleConfig, RuleSource, RuleSourceKind } from './types.js';
export { caseConfig, debugOptionsOf, ruleConfigText } from './config.js';
export { KERNEL_VERSION, changelogSource, kernelFileUrl, manPageUrl, refPaths, sourceLinks, sourceMarkdown, type SourceLink } from './links.js';
export { BUDDY_RULES } from '../contracts/page-allocator/rules.js';
export { SLAB_RULES } from '../contracts/slab-allocator/rules.js';
export { MMAP_RULES } from '../contracts/mmap/rules.js';

/** Every rule of every contract in the registry. */
export const RULES: readonly Rule[] = allRules();

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

/** The rule with this id, or undefined. */
export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id) ?? BY_ID.get(LEGACY_RULE_IDS.get(id) ?? '');
}

/** The rules of one contract, by id or alias ('buddy' is the page allocator's); none for an unknown name. */
export function rulesForContract(contract: string): readonly Rule[] {
  return contractByName(contract)?.rules ?? [];
}

/**
 * Rule ids before they were keyed by contract: `buddy.*` is now `page-allocator.*`, `slab.*`
 * is `slab-allocator.*`. Old id -> current id.
 */
export const LEGACY_RULE_IDS: ReadonlyMap<string, string> = new Map(
  RULES.flatMap((r): [string, string][] => {
    const legacy = r.id.startsWith('page-allocator.') ? `buddy.${r.id.slice('page-allocator.'.length)}` : r.id.startsWith('slab-allocator.') ? `slab.${r.id.slice('slab-allocator.'.length)}` : undefined;
    return legacy ? [[legacy, r.id]] : [];
  }),
);

/**
 * Rule ids withdrawn because what they said was not what Linux does; an id is never reused for
 * another meaning. Retired id -> the rule that replaces it and why.
 */
export const RETIRED_RULE_IDS: ReadonlyMap<string, { readonly replacedBy: string; readonly why: string }> = new Map([
  [
    'page-allocator.sysctl.lowmem-reserve-ratio-einval',
    {
      replacedBy: 'page-allocator.sysctl.lowmem-reserve-ratio-write',
      why: "4.17's lowmem_reserve_ratio_sysctl_handler() ignores proc_dointvec_minmax()'s result and returns 0: no write of vm.lowmem_reserve_ratio fails with -EINVAL.",
    },
  ],
  [
    'page-allocator.free.wrong-order',
    {
      replacedBy: 'page-allocator.free.wrong-order-compound',
      why: 'it said a block freed with the wrong order is reported and changes nothing in every configuration; 4.17 keeps no record of the order and catches it only for a compound page with CONFIG_DEBUG_VM (wrong-order-compound); without a check, a smaller order frees part of the block (wrong-order-smaller) and a larger one is checked page by page (wrong-order-larger).',
    },
  ],
  [
    'slab-allocator.cache.create-sanity',
    {
      replacedBy: 'slab-allocator.cache.sanity-check-debug-vm',
      why: "it said kmem_cache_create() always refuses what kmem_cache_sanity_check() refuses, and a non-power-of-two alignment; the check exists only with CONFIG_DEBUG_VM (cache.sanity-check-debug-vm; without it: cache.no-sanity-check), and 4.17 refuses no alignment.",
    },
  ],
  [
    'slab-allocator.misuse.wrong-cache',
    {
      replacedBy: 'slab-allocator.misuse.wrong-cache-checked',
      why: "it said kmem_cache_free() of an object of another cache is reported and frees nothing; cache_from_obj() checks only with memcg kmem, CONFIG_SLAB_FREELIST_HARDENED or SLAB_CONSISTENCY_CHECKS, then warns and frees into the object's own cache (misuse.wrong-cache-checked; unchecked: misuse.wrong-cache-unchecked).",
    },
  ],
]);

/** A markdown table of rules, sources linked (the README's rule table is generated from this). */
export function ruleTableMarkdown(rules: readonly Rule[] = RULES): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| id | rule | source |', '| --- | --- | --- |'];
  for (const r of rules) {
    const opt = r.optional ? ` *(optional: ${r.optional})*` : '';
    const cfg = r.config ? ` *(holds under ${ruleConfigText(r.config)})*` : '';
    lines.push(`| \`${r.id}\` | ${esc(r.text)}${opt}${cfg} | ${sourceMarkdown(r.source)} |`);
  }
  return lines.join('\n');
}

/** The rule catalogue: every rule of every contract the suites check. */
import { BUDDY_RULES } from '../contracts/page-allocator/rules.js';
import { SLAB_RULES } from '../contracts/slab-allocator/rules.js';
import { sourceMarkdown } from './links.js';
import type { Rule } from './types.js';

export type { Rule, RuleSource, RuleSourceKind } from './types.js';
export { KERNEL_VERSION, changelogSource, kernelFileUrl, manPageUrl, refPaths, sourceLinks, sourceMarkdown, type SourceLink } from './links.js';
export { BUDDY_RULES } from '../contracts/page-allocator/rules.js';
export { SLAB_RULES } from '../contracts/slab-allocator/rules.js';

export const RULES: readonly Rule[] = [...BUDDY_RULES, ...SLAB_RULES];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

/** The rule with this id, or undefined. */
export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** The rules of one contract ('page-allocator' and its alias 'buddy' share the buddy rules; 'slab-allocator' is SLUB's and SLAB's). */
export function rulesForContract(contract: string): readonly Rule[] {
  if (contract === 'page-allocator' || contract === 'buddy') return BUDDY_RULES;
  if (contract === 'slab-allocator') return SLAB_RULES;
  return RULES.filter((r) => r.subsystem === contract);
}

/** A markdown table of rules, sources linked (the README's rule table is generated from this). */
export function ruleTableMarkdown(rules: readonly Rule[] = RULES): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| id | rule | source |', '| --- | --- | --- |'];
  for (const r of rules) {
    const opt = r.optional ? ` *(optional: ${r.optional})*` : '';
    lines.push(`| \`${r.id}\` | ${esc(r.text)}${opt} | ${sourceMarkdown(r.source)} |`);
  }
  return lines.join('\n');
}

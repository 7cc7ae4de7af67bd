import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUDDY_RULES, RULES, SLAB_RULES, checkSuiteCoverage, pageAllocatorSuite, ruleById, ruleTableMarkdown, slabAllocatorSuite } from '../src/index.js';

describe('rule catalogue', () => {
  it('has unique, well-formed ids', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
      expect(r.id.startsWith(`${r.subsystem}.`)).toBe(true);
    }
  });

  it('states each rule in one sentence and names a precise source', () => {
    for (const r of RULES) {
      expect(r.text, r.id).toMatch(/^[A-Za-z_(].*\.$/s);
      expect(r.text, `${r.id} is one sentence`).not.toMatch(/[a-z0-9)]\.\s+[A-Z]/);
      expect(['changelog', 'man', 'doc', 'source']).toContain(r.source.kind);
      if (r.source.kind === 'changelog') expect(r.source.ref, r.id).toMatch(/^seed: .+ \(".+"\)$/);
      if (r.source.kind === 'doc') expect(r.source.ref, r.id).toMatch(/^Documentation\/\S+\.txt: \S+/);
      if (r.source.kind === 'source') expect(r.source.ref, r.id).toMatch(/^(mm|include\/linux)\/[\w/-]+\.[ch]: \S+/);
    }
  });

  it('marks only contract features as optional', () => {
    for (const r of RULES) if (r.optional) expect(r.subsystem === 'page-allocator' ? ['pcp', 'highatomic'] : ['bulk', 'kasan', 'cacheReap']).toContain(r.optional);
  });

  it('finds rules by id', () => {
    expect(ruleById('page-allocator.gfp-zone.movable-needs-highmem')?.source.kind).toBe('changelog');
    expect(ruleById('page-allocator.no-such-rule')).toBeUndefined();
  });

  it('is covered by the page-allocator suite: every case names known rules, every rule has a case', () => {
    expect(checkSuiteCoverage(pageAllocatorSuite, BUDDY_RULES)).toEqual([]);
  });

  it('is covered by the slab-allocator suite', () => {
    expect(checkSuiteCoverage(slabAllocatorSuite, SLAB_RULES)).toEqual([]);
  });

  it('detects a case naming an unknown rule and a rule no case covers', () => {
    const suite = { contract: 'x', cases: [{ name: 'a', rules: ['page-allocator.gfp-zone.bad-combination', 'page-allocator.nope.nope'], run() {} }] };
    const problems = checkSuiteCoverage(suite, BUDDY_RULES.slice(0, 3));
    expect(problems).toContain("case 'a' names unknown rule 'page-allocator.nope.nope'");
    expect(problems).toContain("rule 'page-allocator.gfp-zone.movable-needs-highmem' is checked by no case");
  });

  it('is listed, rule by rule, in the README (MMKIT_UPDATE_README=1 regenerates the table)', () => {
    const url = new URL('../README.md', import.meta.url);
    let readme = readFileSync(url, 'utf8');
    const start = '<!-- rules:start -->\n';
    const end = '<!-- rules:end -->';
    const table = `${start}${ruleTableMarkdown()}\n${end}`;
    let current = readme.slice(readme.indexOf(start), readme.indexOf(end) + end.length);
    if (process.env.MMKIT_UPDATE_README === '1' && current !== table) {
      readme = readme.replace(current, table);
      writeFileSync(url, readme);
      current = table;
    }
    for (const r of RULES) expect(readme, `README lists ${r.id}`).toContain(`\`${r.id}\``);
    expect(current, 'the README rule table is out of date').toBe(table);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUDDY_RULES, MMAP_RULES, RETIRED_RULE_IDS, RULES, SLAB_RULES, checkSuiteCoverage, mmapSuite, ruleConfigText, pageAllocatorSuite, ruleById, ruleTableMarkdown, slabAllocatorSuite } from '../src/index.js';
import { changelogSource, kernelFileUrl, manPageUrl, refPaths, sourceLinks, sourceMarkdown } from '../src/rules/index.js';
import { seedEntryById } from '../src/seed/index.js';

describe('rule catalogue', () => {
  it('never reuses a retired id, and every configuration a rule names boots', () => {
    for (const [id, { why }] of RETIRED_RULE_IDS) {
      expect(ruleById(id), id).toBeUndefined();
      expect(why.length, id).toBeGreaterThan(20);
    }
    for (const r of RULES) {
      if (!r.config) continue;
      expect(Object.keys(r.config).length, r.id).toBeGreaterThan(0);
      expect(ruleConfigText(r.config), r.id).not.toMatch(/^none/);
    }
    expect(ruleById('page-allocator.free.double-free')?.config).toEqual({ debugVm: true });
  });

  it('has unique, well-formed ids', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
      expect(r.id.startsWith(`${r.contract}.`)).toBe(true);
    }
  });

  it('never reuses a retired id, and names a current rule for each', () => {
    for (const [id, { replacedBy }] of RETIRED_RULE_IDS) {
      expect(ruleById(id), `${id} is retired`).toBeUndefined();
      expect(ruleById(replacedBy), `${id} is replaced by ${replacedBy}`).toBeDefined();
    }
  });

  it('states each rule in one sentence and names a precise source', () => {
    for (const r of RULES) {
      expect(r.text, r.id).toMatch(/^[A-Za-z_(].*\.$/s);
      expect(r.text, `${r.id} is one sentence`).not.toMatch(/[a-z0-9)]\.\s+[A-Z]/);
      expect(['changelog', 'man', 'doc', 'source', 'commit']).toContain(r.source.kind);
      if (r.source.kind === 'commit') {
        // An upstream commit outside the seed: its subject, an abbreviated or full id, the release that has it.
        expect(r.source.hash, r.id).toMatch(/^[0-9a-f]{12,40}$/);
        expect(r.source.release, r.id).toMatch(/^(\d+\.\d+|2\.6\.\d+)$/);
      }
      if (r.source.kind === 'changelog') {
        // A seed entry by id, its subject as the ref: no file path, no paraphrase.
        const entry = seedEntryById(r.source.entry);
        expect(entry, `${r.id} cites seed entry '${r.source.entry}'`).toBeDefined();
        expect(r.source.ref, r.id).toBe(entry!.subject);
      }
      if (r.source.kind === 'doc') expect(r.source.ref, r.id).toMatch(/^Documentation\/\S+\.txt: \S+/);
      if (r.source.kind === 'source') {
        for (const part of r.source.ref.split('; ')) expect(part, r.id).toMatch(/^(mm|include\/linux|kernel)\/[\w/-]+\.[ch]: \S+/);
      }
      if (r.source.kind === 'man') expect(r.source.ref, r.id).toMatch(/^[\w.-]+\(\d\w*\): \S+/);
    }
  });

  it('links every source publicly: the seed entry on lkml, files at v4.17 on elixir, man pages on man7.org', () => {
    for (const r of RULES) {
      const links = sourceLinks(r.source);
      expect(links.length, `${r.id} has a link`).toBeGreaterThan(0);
      for (const l of links) expect(l.url, r.id).toMatch(/^https?:\/\/\S+$/);
      if (r.source.kind === 'changelog') expect(links[0].url).toBe(seedEntryById(r.source.entry)!.link);
      if (r.source.kind === 'source' || r.source.kind === 'doc') {
        expect(links.map((l) => l.url)).toEqual(refPaths(r.source.ref).map(kernelFileUrl));
        for (const l of links) expect(l.url).toMatch(/^https:\/\/elixir\.bootlin\.com\/linux\/v4\.17\/source\/(mm|include|kernel|Documentation)\//);
      }
    }
    expect(sourceLinks({ kind: 'source', ref: 'mm/page_alloc.c: __zone_watermark_ok()' })).toEqual([
      { label: 'mm/page_alloc.c', url: 'https://elixir.bootlin.com/linux/v4.17/source/mm/page_alloc.c' },
    ]);
    expect(sourceLinks({ kind: 'source', ref: 'mm/slub.c: kfree(); include/linux/slab.h: KMALLOC_MAX_CACHE_SIZE' }).map((l) => l.label)).toEqual([
      'mm/slub.c', 'include/linux/slab.h',
    ]);
    expect(sourceLinks({ kind: 'doc', ref: 'Documentation/sysctl/vm.txt: min_free_kbytes' })[0].url).toBe(
      'https://elixir.bootlin.com/linux/v4.17/source/Documentation/sysctl/vm.txt',
    );
    expect(manPageUrl('mmap(2)')).toBe('https://man7.org/linux/man-pages/man2/mmap.2.html');
    expect(sourceLinks({ kind: 'man', ref: 'proc(5): /proc/zoneinfo' })).toEqual([{ label: 'proc(5)', url: 'https://man7.org/linux/man-pages/man5/proc.5.html' }]);
    const thp = changelogSource('thp-dont-count-zone-movable');
    expect(thp).toEqual({ kind: 'changelog', entry: 'thp-dont-count-zone-movable', ref: "mm/thp: don't count ZONE_MOVABLE as the target for freepage reserving" });
    expect(sourceMarkdown(thp)).toBe(
      "changelog `thp-dont-count-zone-movable`: [mm/thp: don't count ZONE_MOVABLE as the target for freepage reserving](http://lkml.kernel.org/r/1522913236-15776-1-git-send-email-iamjoonsoo.kim@lge.com)",
    );
    expect(sourceLinks(changelogSource('map-fixed-noreplace'))[1]).toEqual({
      label: 'commit a4ff8e8620d3', url: 'https://git.kernel.org/torvalds/c/a4ff8e8620d3f4f50ac4b41e8067b7d395056843',
    });
    expect(() => changelogSource('no-such-entry')).toThrow(/no seed changelog entry/);
  });

  it('marks only contract features as optional', () => {
    const features: Record<string, string[]> = { 'page-allocator': ['pcp', 'highatomic'], 'slab-allocator': ['bulk', 'kasan', 'hardenedFreelist', 'cacheReap'], mmap: ['mremap', 'madvise', 'faults'] };
    for (const r of RULES) if (r.optional) expect(features[r.contract], r.id).toContain(r.optional);
  });

  it('finds rules by id', () => {
    expect(ruleById('page-allocator.cma.zone-movable')?.source.kind).toBe('changelog');
    expect(ruleById('page-allocator.gfp-zone.movable-needs-highmem')?.source.kind).toBe('source');
    expect(ruleById('page-allocator.no-such-rule')).toBeUndefined();
  });

  it('is covered by the page-allocator suite: every case names known rules, every rule has a case', () => {
    expect(checkSuiteCoverage(pageAllocatorSuite, BUDDY_RULES)).toEqual([]);
  });

  it('is covered by the mmap suite', () => {
    expect(checkSuiteCoverage(mmapSuite, MMAP_RULES)).toEqual([]);
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

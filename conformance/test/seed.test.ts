import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../src/mutants/index.js';
import { RULES, ruleById } from '../src/rules/index.js';
import { SEED_CHANGELOG, seedCoverage, seedEntryById, seedSummary, seedSummaryLine, seedTableMarkdown } from '../src/seed/index.js';

const SUBSYSTEMS = ['hw-x86', 'hypervisor-xen', 'buddy', 'slub', 'slab', 'cma', 'memcg', 'migrate', 'hmm', 'swap', 'gup', 'mmap', 'kernel', 'other'];

describe('the seed changelog catalogue', () => {
  it('has the 40 entries of the changelog with unique kebab-case ids, in its order (5 of 14 Apr, then 35 of 12 Apr)', () => {
    expect(SEED_CHANGELOG).toHaveLength(40);
    const ids = SEED_CHANGELOG.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
    expect(SEED_CHANGELOG.map((e) => e.date)).toEqual([...Array<string>(5).fill('2018-04-14'), ...Array<string>(35).fill('2018-04-12')]);
    expect(SEED_CHANGELOG[0].id).toBe('slab-reschedule-cache-reap-same-cpu');
    expect(SEED_CHANGELOG[39].id).toBe('hmm-unregister-mmu-notifier');
  });

  it('gives each entry a one-line subject, an author, a subsystem of the project and a summary', () => {
    const subjects = SEED_CHANGELOG.map((e) => e.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    for (const e of SEED_CHANGELOG) {
      expect(e.subject, e.id).toMatch(/^\S.*\S$/);
      expect(e.subject, e.id).not.toMatch(/\n|\bv\d+$/); // no posting artefacts such as "v2"
      expect(['upstream', 'mm-tree', 'posting']).toContain(e.subjectFrom);
      expect(e.author.length, e.id).toBeGreaterThan(3);
      expect(SUBSYSTEMS).toContain(e.subsystem);
      expect(e.summary, e.id).toMatch(/^\S.*\.$/s);
    }
  });

  it('links every entry to lkml, and a known upstream commit to git.kernel.org', () => {
    const links = SEED_CHANGELOG.flatMap((e) => [e.link, ...(e.otherLinks ?? [])]);
    expect(new Set(links).size).toBe(links.length);
    for (const l of links) expect(l).toMatch(/^http:\/\/lkml\.kernel\.org\/r\/[^\s/]+@[^\s/]+$/);
    for (const e of SEED_CHANGELOG) {
      if (!e.commit) continue;
      expect(e.commit.hash, e.id).toMatch(/^[0-9a-f]{12,40}$/);
      expect(e.commit.url).toBe(`https://git.kernel.org/torvalds/c/${e.commit.hash}`);
    }
  });

  it('names only rules and mutants that exist', () => {
    for (const e of SEED_CHANGELOG) {
      for (const id of e.covers.rules) expect(ruleById(id), `${e.id} names rule ${id}`).toBeDefined();
      for (const id of e.covers.mutants) expect(MUTANTS.find((m) => m.id === id), `${e.id} names mutant ${id}`).toBeDefined();
    }
  });

  it('is cited correctly by the rules: a rule citing an entry names an existing one, which lists the rule', () => {
    for (const r of RULES) {
      if (r.source.kind !== 'changelog') continue;
      const e = seedEntryById(r.source.entry);
      expect(e, `${r.id} cites seed entry '${r.source.entry}'`).toBeDefined();
      expect(r.source.ref).toBe(e!.subject);
      expect(e!.covers.rules, `${e!.id} lists ${r.id}, which cites it`).toContain(r.id);
    }
  });

  it('has a mutant for every behavioural entry it marks covered (the old behaviour the suites must catch)', () => {
    for (const e of SEED_CHANGELOG) {
      if (e.behavioural && seedCoverage(e) === 'covered') expect(e.covers.mutants.length, `${e.id} is covered: a mutant brings its old behaviour back`).toBeGreaterThan(0);
    }
  });

  it('links entry, mutant and rule consistently: a mutant covering an entry breaks one of its rules', () => {
    for (const e of SEED_CHANGELOG) {
      for (const id of e.covers.mutants) {
        const m = MUTANTS.find((x) => x.id === id)!;
        expect(e.covers.rules, `${e.id}: mutant ${id} breaks ${m.breaks}, one of the entry's rules`).toContain(m.breaks);
      }
    }
    // Every mutant of an old seed behaviour is listed by its entry (whatever the wording of its source).
    for (const m of MUTANTS) {
      const entries = SEED_CHANGELOG.filter((e) => e.covers.mutants.includes(m.id));
      expect(entries.length, `${m.id} covers at most one entry`).toBeLessThanOrEqual(1);
    }
  });

  it('counts coverage: covered, not yet (behavioural, no rule), n/a (no behaviour change, no rule)', () => {
    for (const e of SEED_CHANGELOG) {
      const c = seedCoverage(e);
      if (e.covers.rules.length || e.covers.mutants.length) expect(c).toBe('covered');
      else expect(c).toBe(e.behavioural ? 'not yet' : 'n/a');
      if (c === 'covered') expect(e.behavioural, `${e.id} is covered, so it changes behaviour`).toBe(true);
    }
    const s = seedSummary();
    expect(s.entries).toBe(40);
    expect(s.covered + s.notYet).toBe(s.behavioural);
    expect(seedSummaryLine(s)).toBe(`40 entries, ${s.behavioural} behavioural: ${s.covered} covered, ${s.notYet} not yet`);
    expect(seedEntryById('thp-dont-count-zone-movable')?.covers.mutants).toEqual(['khugepaged-min-free-counts-movable']);
    expect(seedEntryById('no-such-entry')).toBeUndefined();
  });

  it('is listed, entry by entry, in docs/seed.md (MMKIT_UPDATE_README=1 regenerates the table)', () => {
    const url = new URL('../../docs/seed.md', import.meta.url);
    let doc = readFileSync(url, 'utf8');
    const start = '<!-- seed:start -->\n';
    const end = '<!-- seed:end -->';
    const table = `${start}${seedSummaryLine()}.\n\n${seedTableMarkdown()}\n${end}`;
    expect(doc.indexOf(start), 'docs/seed.md has the markers').toBeGreaterThanOrEqual(0);
    let current = doc.slice(doc.indexOf(start), doc.indexOf(end) + end.length);
    if (process.env.MMKIT_UPDATE_README === '1' && current !== table) {
      doc = doc.replace(current, table);
      writeFileSync(url, doc);
      current = table;
    }
    for (const e of SEED_CHANGELOG) expect(doc, `docs/seed.md lists ${e.id}`).toContain(`\`${e.id}\``);
    expect(current, 'the docs/seed.md table is out of date').toBe(table);
  });
});

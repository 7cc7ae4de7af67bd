/** The README tables and the docs pages are generated from the registry and the seed catalogue: they stay true. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACTS, contractTableMarkdown, mutantTableMarkdown } from '../src/contracts/index.js';
import { SUBSYSTEMS, contractOfSubsystem, subsystemPageMarkdown } from '../src/docs/subsystems.js';
import { MUTANTS } from '../src/mutants/index.js';
import { expectGenerated } from './generated.js';

const readme = new URL('../README.md', import.meta.url);
const repo = new URL('../../', import.meta.url);

describe('generated docs', () => {
  it('the README lists every contract of the registry', () => {
    expectGenerated(readme, '<!-- contracts:start -->\n', '<!-- contracts:end -->', `${contractTableMarkdown()}\n`);
  });

  it('the README lists every mutant of every contract', () => {
    expectGenerated(readme, '<!-- mutants:start -->\n', '<!-- mutants:end -->', `${mutantTableMarkdown(MUTANTS)}\n`);
  });

  it('docs/subsystems has one page per subsystem linking its package, contract, rules, suite, mutants and seed entries', () => {
    expect(SUBSYSTEMS).toHaveLength(12);
    for (const s of SUBSYSTEMS) {
      const hasPackage = existsSync(new URL(`packages/${s.name}/package.json`, repo));
      const contract = contractOfSubsystem(s.name);
      const mutants = contract ? MUTANTS.filter((m) => m.contract === contract.id) : [];
      const page = subsystemPageMarkdown(s, hasPackage, contract, mutants);
      const start = '<!-- generated:start -->\n';
      const end = '<!-- generated:end -->';
      const body = page.slice(page.indexOf(start) + start.length, page.indexOf(end));
      expectGenerated(new URL(`docs/subsystems/${s.name}.md`, repo), start, end, body, page);
      for (const f of s.coreFiles) expect(existsSync(new URL(f, repo)), `${s.name}: ${f} exists`).toBe(true);
    }
    // Every contract grades at least one subsystem's package.
    for (const c of CONTRACTS) expect(SUBSYSTEMS.some((s) => contractOfSubsystem(s.name) === c), `${c.id} has a subsystem page`).toBe(true);
  });
});

/** The seed changelog (catalogue.ts) and what is derived from it: lookup, coverage, the docs table. */
import { SEED_CHANGELOG, type SeedEntry } from './catalogue.js';

export { SEED_CHANGELOG, type SeedEntry, type SeedSubsystem, type SubjectEvidence } from './catalogue.js';

const BY_ID = new Map(SEED_CHANGELOG.map((e) => [e.id, e]));

/** The entry with this id, or undefined. */
export function seedEntryById(id: string): SeedEntry | undefined {
  return BY_ID.get(id);
}

/**
 * Whether the conformance suites check an entry: `covered` when a rule or a mutant names it,
 * `n/a` for an entry that changes no behaviour and has no rule, `not yet` otherwise.
 */
export type SeedCoverage = 'covered' | 'not yet' | 'n/a';

export function seedCoverage(e: SeedEntry): SeedCoverage {
  if (e.covers.rules.length > 0 || e.covers.mutants.length > 0) return 'covered';
  return e.behavioural ? 'not yet' : 'n/a';
}

/** Counts over the catalogue. */
export interface SeedSummary {
  readonly entries: number;
  readonly behavioural: number;
  readonly covered: number;
  /** Behavioural entries no rule or mutant checks yet. */
  readonly notYet: number;
  /** Entries whose subject was only found in the patch's posting. */
  readonly unverifiedSubjects: number;
}

export function seedSummary(entries: readonly SeedEntry[] = SEED_CHANGELOG): SeedSummary {
  const cov = entries.map(seedCoverage);
  return {
    entries: entries.length,
    behavioural: entries.filter((e) => e.behavioural).length,
    covered: cov.filter((c) => c === 'covered').length,
    notYet: cov.filter((c) => c === 'not yet').length,
    unverifiedSubjects: entries.filter((e) => e.subjectFrom === 'posting').length,
  };
}

/** One line: "40 entries, 27 behavioural: 5 covered, 22 not yet". */
export function seedSummaryLine(s: SeedSummary = seedSummary()): string {
  return `${s.entries} entries, ${s.behavioural} behavioural: ${s.covered} covered, ${s.notYet} not yet`;
}

/** A markdown table of the catalogue (docs/seed.md is generated from this). */
export function seedTableMarkdown(entries: readonly SeedEntry[] = SEED_CHANGELOG): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const code = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(', ');
  const lines = ['| # | entry | subsystem | behavioural | coverage | rules, mutants |', '| --- | --- | --- | --- | --- | --- |'];
  entries.forEach((e, i) => {
    const unverified = e.subjectFrom === 'posting' ? ' *(subject unverified upstream)*' : '';
    const commit = e.commit ? ` ([${e.commit.hash.slice(0, 12)}](${e.commit.url}))` : '';
    const covers = [code(e.covers.rules), code(e.covers.mutants)].filter(Boolean).join('; ');
    lines.push(
      `| ${i + 1} | \`${e.id}\`: [${esc(e.subject)}](${e.link})${commit}${unverified} — ${e.author} | ${e.subsystem} | ${e.behavioural ? 'yes' : 'no'} | ${seedCoverage(e)} | ${covers} |`,
    );
  });
  return lines.join('\n');
}

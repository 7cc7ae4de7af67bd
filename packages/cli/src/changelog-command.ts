/** `mmkit changelog`: the seed changelog, entry by entry, and what covers it. */
import { parseArgs } from 'node:util';
import { SEED_CHANGELOG, seedCoverage, seedSummaryLine } from '@mmkit/conformance';
import { UsageError, quoteArg } from './errors.js';

export const CHANGELOG_HELP = `usage: mmkit changelog [--json]

The seed: the 40 commits to mm/ merged for Linux 4.17 in April 2018 that mmkit models, in the
changelog's order. For each: its id and subject, the subsystem it belongs to, whether it
changes behaviour, its lkml link, the conformance rules and mutants that check it, and its
coverage: covered, not yet (it changes behaviour but nothing checks it yet), or n/a (a build
fix, a comment or a refactor, with no rule).

  --json                   print the catalogue as JSON (each entry with its coverage)

Subjects marked "(unverified)" were found only in the patch's posting, not upstream.
`;

export function runChangelog(args: string[], out: (s: string) => void): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length) throw new UsageError(`unexpected argument ${quoteArg(positionals[0])} (see mmkit changelog --help)`);
  if (values.json) {
    out(JSON.stringify(SEED_CHANGELOG.map((e) => ({ ...e, coverage: seedCoverage(e) })), null, 2) + '\n');
    return 0;
  }
  const header = { id: 'ENTRY', subsystem: 'SUBSYSTEM', behavioural: 'BEHAVIOURAL', coverage: 'COVERAGE' };
  const w = {
    id: Math.max(header.id.length, ...SEED_CHANGELOG.map((e) => e.id.length)),
    subsystem: Math.max(header.subsystem.length, ...SEED_CHANGELOG.map((e) => e.subsystem.length)),
    behavioural: header.behavioural.length,
    coverage: Math.max(header.coverage.length, 'not yet'.length),
  };
  const row = (id: string, subsystem: string, behavioural: string, coverage: string, link: string) =>
    `${id.padEnd(w.id)}  ${subsystem.padEnd(w.subsystem)}  ${behavioural.padEnd(w.behavioural)}  ${coverage.padEnd(w.coverage)}  ${link}`.trimEnd() + '\n';
  const indent = ' '.repeat(4);
  let text = row(header.id, header.subsystem, header.behavioural, header.coverage, 'LINK');
  for (const e of SEED_CHANGELOG) {
    text += row(e.id, e.subsystem, e.behavioural ? 'yes' : 'no', seedCoverage(e), e.link);
    text += `${indent}${e.subject}${e.subjectFrom === 'posting' ? ' (unverified)' : ''}\n`;
    if (e.covers.rules.length) text += `${indent}rules: ${e.covers.rules.join(', ')}\n`;
    if (e.covers.mutants.length) text += `${indent}mutants: ${e.covers.mutants.join(', ')}\n`;
  }
  text += `\n${seedSummaryLine()}\n`;
  out(text);
  return 0;
}

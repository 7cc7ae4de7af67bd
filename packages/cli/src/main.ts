/** The `mmkit` command. */
import { PRESETS } from '@mmkit/kernel';
import { createKernel } from '@mmkit/kernel';
import { BOOT_HELP, runBoot } from './boot-command.js';
import { CHANGELOG_HELP, runChangelog } from './changelog-command.js';
import { UsageError, quoteArg } from './errors.js';
import { GRADE_BATCH_HELP, runGradeBatch } from './grade-batch-command.js';
import { gradeHelp, runGrade, runMutants } from './grade-command.js';
import { newHelp, runNew } from './new-command.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';
import { FUZZ_HELP, runFuzz } from './fuzz-command.js';
import { MERGE_REPORTS_HELP, runMergeReports } from './merge-reports-command.js';
import { REPLAY_HELP, runReplay } from './replay-command.js';
import { runTrace } from './trace-command.js';

export const HELP = `usage: mmkit COMMAND [options]

Linux 4.17 memory management, simulated: boot machines, read their /proc views, and grade
implementations of the subsystem contracts against the conformance suite.

commands:
  start                    boot the default machine, print its summary, grade the default assembly
  boot [options]           boot a machine and print its summary or a view (mmkit boot --help)
  presets                  list the named machines
  mutants [--json]         list the mutants and the rule each breaks
  changelog [--json]       the seed changelog: each entry, its subsystem, what covers it
  grade CONTRACT [MODULE]  grade an implementation (mmkit grade --help)
  new CONTRACT DIR         write a project for your implementation of a contract (mmkit new --help)
  grade-batch CONTRACT DIR grade every submission folder of DIR into a gradebook, or one
                           shard of them (mmkit grade-batch --help)
  merge-reports OUT SHARD.json...
                           join the gradebooks of a batch's shards (mmkit merge-reports --help)
  replay DIR [--json]      replay a recorded program's memory calls on 4.17's address spaces
                           and compare every result and the final maps (mmkit replay --help)
  fuzz TARGET [options]    a seeded random campaign with invariants checked after every
                           step: address-spaces (mmkit fuzz --help)
  trace capture DIR -- CMD ARGS
                           record such a folder on this Linux host (mmkit trace --help)
  help                     this text
`;

export type Output = (s: string) => void;

/**
 * Run one command. `kit` is what the CLI uses of @mmkit/conformance (its registry of contracts,
 * the grader and the report formats); tests pass another registry.
 */
const defaultOut: Output = (s) => process.stdout.write(s);
const defaultErr: Output = (s) => process.stderr.write(s);

export async function main(
  argv: string[],
  out: Output = defaultOut,
  err: Output = defaultErr,
  kit: ConformanceKit = DEFAULT_KIT,
): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return 0;
      case 'boot':
        if (args.includes('--help') || args.includes('-h')) return out(BOOT_HELP), 0;
        return await runBoot(args, out, kit);
      case 'presets':
        for (const [name, p] of Object.entries(PRESETS)) out(`${name.padEnd(18)} ${p.description}\n`);
        return 0;
      case 'mutants':
        return await runMutants(args, out, kit);
      case 'changelog':
        if (args.includes('--help') || args.includes('-h')) return out(CHANGELOG_HELP), 0;
        return runChangelog(args, out);
      case 'grade':
        if (args.includes('--help') || args.includes('-h')) return out(gradeHelp(kit)), 0;
        return await runGrade(args, out, kit, {
          err,
          // Progress is for a person at a terminal: only on the real stderr when it is one.
          errIsTTY: err === defaultErr && Boolean(process.stderr.isTTY),
          columns: out === defaultOut && process.stdout.isTTY ? process.stdout.columns : undefined,
          errColumns: err === defaultErr && process.stderr.isTTY ? process.stderr.columns : undefined,
        });
      case 'new':
        if (args.includes('--help') || args.includes('-h')) return out(newHelp(kit)), 0;
        return runNew(args, out, kit);
      case 'grade-batch':
        if (args.includes('--help') || args.includes('-h')) return out(GRADE_BATCH_HELP), 0;
        return await runGradeBatch(args, out, err, kit, err === defaultErr ? { isTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns } : undefined);
      case 'merge-reports':
        if (args.includes('--help') || args.includes('-h')) return out(MERGE_REPORTS_HELP), 0;
        return runMergeReports(args, out, kit);
      case 'replay':
        if (args.includes('--help') || args.includes('-h')) return out(REPLAY_HELP), 0;
        return runReplay(args, out);
      case 'trace':
        return runTrace(args, out, err);
      case 'fuzz':
        if (args.includes('--help') || args.includes('-h')) return out(FUZZ_HELP), 0;
        return runFuzz(args, out, err);
      case 'start':
        return await runStart(out, kit);
      default:
        throw new UsageError(`unknown command ${quoteArg(command)} (mmkit help lists the commands)`);
    }
  } catch (e) {
    return reportError(e, command, err);
  }
}

/** Names of the errors that describe bad input and carry a clear message of their own. */
const INPUT_ERRORS = new Set(['UsageError', 'MachineSpecError', 'KernelConfigError']);

/** A message as one line (a refusal is one line: parseArgs' hints span several). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Exit status and one line on stderr for an error: 2 for bad input (usage, machine, kernel
 * configuration, parseArgs), 70 (EX_SOFTWARE) for anything else, which is a bug in mmkit:
 * its first line and a hint, the stack only with MMKIT_DEBUG=1.
 */
function reportError(e: unknown, command: string | undefined, err: Output): number {
  const error = e instanceof Error ? e : new Error(String(e));
  // node:util parseArgs: unknown option, missing value, ...
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    err(`mmkit: ${oneLine(error.message)} (see mmkit ${command} --help)\n`);
    return 2;
  }
  if (INPUT_ERRORS.has(error.name) && typeof error.message === 'string') {
    err(`mmkit: ${oneLine(error.message)}\n`);
    return 2;
  }
  const first = oneLine(String(error.message).split('\n')[0] ?? '');
  err(`mmkit: internal error: ${error.name}: ${first} (a bug in mmkit: please report it with the command line; MMKIT_DEBUG=1 prints the stack)\n`);
  if (process.env.MMKIT_DEBUG) err(`${error.stack ?? ''}\n`);
  return 70;
}

/** `npm start`: the main job. */
async function runStart(out: Output, kit: ConformanceKit): Promise<number> {
  const kernel = createKernel();
  out(kernel.summary());
  out('\n');
  let failed = 0;
  for (const contract of kit.CONTRACTS) {
    out('\n');
    const report = await kit.grade({ contract: contract.id, bench: true });
    out(kit.formatText(report));
    failed += report.score.failed;
  }
  return failed > 0 ? 1 : 0;
}

/** The `mmkit` command. */
import { PRESETS } from '@mmkit/kernel';
import { createKernel } from '@mmkit/kernel';
import { BOOT_HELP, runBoot } from './boot-command.js';
import { CHANGELOG_HELP, runChangelog } from './changelog-command.js';
import { UsageError } from './errors.js';
import { gradeHelp, runGrade, runMutants } from './grade-command.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';

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
  help                     this text
`;

export type Output = (s: string) => void;

/**
 * Run one command. `kit` is what the CLI uses of @mmkit/conformance (its registry of contracts,
 * the grader and the report formats); tests pass another registry.
 */
export async function main(
  argv: string[],
  out: Output = (s) => process.stdout.write(s),
  err: Output = (s) => process.stderr.write(s),
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
        return await runGrade(args, out, kit);
      case 'start':
        return await runStart(out, kit);
      default:
        throw new UsageError(`unknown command '${command}'\n\n${HELP}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`mmkit: ${e.message}\n`);
      return 2;
    }
    // node:util parseArgs: unknown option, missing value, ...
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      err(`mmkit: ${(e as Error).message} (see mmkit ${command} --help)\n`);
      return 2;
    }
    // Bad machine descriptions and the like carry a clear message of their own.
    const error = e as Error;
    if (error && typeof error.message === 'string' && ['MachineSpecError', 'KernelConfigError', 'SyntaxError', 'RangeError'].includes(error.name)) {
      err(`mmkit: ${error.message}\n`);
      return 2;
    }
    throw e;
  }
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

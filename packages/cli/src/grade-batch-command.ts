/** `mmkit grade-batch CONTRACT DIR`: grade every submission folder of DIR (or one shard's share) into a gradebook. */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, quoteArg } from './errors.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';
import { BatchProgress } from './progress-bar.js';

export const GRADE_BATCH_HELP = `usage: mmkit grade-batch CONTRACT DIR [options]

Grade every submission folder directly under DIR (one folder per student, named after them)
against CONTRACT's suite, each in its own sandboxed grader, several at once, into a gradebook
(JSON and CSV: student, score, rules failed, throughput, fingerprint, duration).

A folder's module is its package.json "main", else index.ts (.mts, .js, .mjs) in the folder or
in src/, else its one module file.

  --shard I/N              grade the I-th of N shares (submission k of the sorted names goes to
                           share k mod N + 1); merge the shards' gradebooks with merge-reports
  --jobs N                 grades at once (default: the number of CPUs)
  --out FILE               the JSON gradebook (default gradebook.json, or
                           gradebook-shard-I-of-N.json with --shard)
  --csv FILE               the CSV gradebook (default: --out with .csv for .json)
  --reports DIR            also keep each submission's report as DIR/STUDENT.json and .html
  --filter REGEX           grade only the cases whose name or rule ids match
  --property-runs N        random runs of each property case
  --seed N                 seed of the property cases
  --timeout SECONDS        time limit of each submission (default 300)
  --memory MB              memory limit of each submission (default 4096)
  --no-bench               skip throughput and fragmentation (no throughput, no fingerprint)
  --quiet                  no progress on stderr (a bar on a terminal, a line per submission elsewhere)

Exit status: 0 when the gradebook is written (whatever the scores), 2 for a usage error.
`;

const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);
const MAX_MEMORY_MB = 1024 * 1024;

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(/^-?\d+$/.test(value.trim()) && Number.isSafeInteger(n) && n >= min && n <= max)) throw new UsageError(`${flag} takes an integer in [${min}, ${max}], got ${quoteArg(value)}`);
  return n;
}

/** A file the command will write: its folder must exist and be writable, it must not be a folder. */
export function checkOutputFile(flag: string, file: string): void {
  const dir = dirname(resolve(file));
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${quoteArg(file)}: the folder ${quoteArg(dir)} does not exist or is not writable`);
  }
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${flag}: ${quoteArg(file)} is a folder`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
}

/** FILE.json -> FILE.csv; anything else gets .csv appended. */
export function csvBeside(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -'.json'.length)}.csv` : `${jsonFile}.csv`;
}

function writeOut(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${quoteArg(file)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
}

/** A student's name as a file name (folder names are file names already; this keeps it so). */
function reportName(student: string): string {
  return student.replace(/[/\\]/g, '_');
}

export async function runGradeBatch(
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void,
  kit: ConformanceKit = DEFAULT_KIT,
  terminal?: { isTTY?: boolean; columns?: number },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      shard: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      csv: { type: 'string' },
      reports: { type: 'string' },
      filter: { type: 'string' },
      'property-runs': { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      'no-bench': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const [contract, dir, extra] = positionals;
  const names = kit.CONTRACT_NAMES.join(', ');
  if (!contract) throw new UsageError(`grade-batch needs a contract and a directory of submissions: mmkit grade-batch CONTRACT DIR (contracts: ${names})`);
  const spec = kit.contractByName(contract);
  if (!spec) throw new UsageError(`unknown contract ${quoteArg(contract)}; contracts: ${names}`);
  if (!dir) throw new UsageError('grade-batch needs a directory of submissions (one folder per student): mmkit grade-batch CONTRACT DIR');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quoteArg(extra)}`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`no directory ${quoteArg(dir)}`);
  }
  if (!isDir) throw new UsageError(`${quoteArg(dir)} is not a directory`);

  let shard = { index: 1, count: 1 };
  if (values.shard !== undefined) {
    const parsed = kit.parseShard(values.shard);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    shard = parsed;
  }
  const jobs = integer('--jobs', values.jobs, 1, 256);
  const propertyRuns = integer('--property-runs', values['property-runs'], 1, 10_000_000);
  const seed = integer('--seed', values.seed, -(2 ** 31), 2 ** 31 - 1);
  const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!(timeoutS > 0 && timeoutS <= MAX_TIMEOUT_S)) throw new UsageError(`--timeout takes a number of seconds in (0, ${MAX_TIMEOUT_S}], got ${quoteArg(values.timeout)}`);
  const memoryMb = values.memory === undefined ? 4096 : Number(values.memory);
  if (!(memoryMb >= 64 && memoryMb <= MAX_MEMORY_MB)) throw new UsageError(`--memory takes megabytes in [64, ${MAX_MEMORY_MB}], got ${quoteArg(values.memory)}`);
  if (values.filter !== undefined) {
    if (values.filter === '') throw new UsageError('--filter is empty');
    try {
      new RegExp(values.filter);
    } catch (e) {
      throw new UsageError(`--filter ${quoteArg(values.filter)} is not a regular expression: ${(e as Error).message}`);
    }
  }
  for (const flag of ['out', 'csv', 'reports'] as const) if (values[flag] === '') throw new UsageError(`--${flag} is empty`);
  const outFile = values.out ?? (shard.count > 1 ? `gradebook-shard-${shard.index}-of-${shard.count}.json` : 'gradebook.json');
  const csvFile = values.csv ?? csvBeside(outFile);
  checkOutputFile('--out', outFile);
  checkOutputFile('--csv', csvFile);
  if (resolve(outFile) === resolve(csvFile)) throw new UsageError(`--out and --csv name the same file ${quoteArg(outFile)}`);
  const reportsDir = values.reports;
  if (reportsDir !== undefined) {
    try {
      mkdirSync(reportsDir, { recursive: true });
      accessSync(reportsDir, constants.W_OK);
    } catch (e) {
      throw new UsageError(`--reports: cannot write into ${quoteArg(reportsDir)}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  }

  const progress = new BatchProgress({ write: err, isTTY: terminal?.isTTY, columns: terminal?.columns }, values.quiet ?? false);
  let book;
  try {
    book = await kit.gradeBatch({
      contract: spec.id,
      dir,
      shard,
      ...(jobs !== undefined ? { jobs } : {}),
      timeoutMs: Math.round(timeoutS * 1000),
      memoryMb,
      bench: !values['no-bench'],
      ...(propertyRuns !== undefined ? { propertyRuns } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(values.filter !== undefined ? { filter: values.filter } : {}),
      grade: kit.grade,
      onEvent: (e) => progress.handle(e),
      ...(reportsDir !== undefined
        ? {
            onReport: (student, report) => {
              writeOut('--reports', join(reportsDir, `${reportName(student)}.json`), kit.formatJson(report));
              writeOut('--reports', join(reportsDir, `${reportName(student)}.html`), kit.formatHtml(report));
            },
          }
        : {}),
    });
  } finally {
    progress.finish();
  }
  writeOut('--out', outFile, kit.formatGradebookJson(book));
  writeOut('--csv', csvFile, kit.formatGradebookCsv(book));
  out(formatGradebookSummary(book));
  out(`gradebook: ${outFile}, ${csvFile} (${book.entries.length} of ${book.submissions.count} submissions${shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : ''})\n`);
  return 0;
}

/** The gradebook as a table for the terminal. */
export function formatGradebookSummary(book: { entries: readonly { student: string; score: { passed: number; total: number; notProvided: number; percent: number }; rulesFailed: readonly string[]; error?: string; fingerprint?: string; sameAsReference?: boolean }[] }): string {
  const w = Math.max(7, ...book.entries.map((e) => e.student.length));
  const lines = [`${'STUDENT'.padEnd(w)}  ${'SCORE'.padStart(9)}  ${'%'.padStart(5)}  FAILED`];
  for (const e of book.entries) {
    const s = e.score;
    const failed = e.error ? `error: ${e.error.length > 80 ? `${e.error.slice(0, 79)}…` : e.error}` : e.rulesFailed.length ? `${e.rulesFailed.length}: ${e.rulesFailed.slice(0, 3).join(', ')}${e.rulesFailed.length > 3 ? ', ...' : ''}` : '';
    const same = e.sameAsReference ? ' [allocates as the reference]' : '';
    lines.push(`${e.student.padEnd(w)}  ${`${s.passed}/${s.total - s.notProvided}`.padStart(9)}  ${String(s.percent).padStart(5)}  ${failed}${same}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

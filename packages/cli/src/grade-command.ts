/** `mmkit grade` and `mmkit mutants`: every contract and mutant comes from the registry of @mmkit/conformance. */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CaseResult, GradeReport } from '@mmkit/conformance';
import { UsageError, quoteArg } from './errors.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';
import { readInputFile } from './read-input.js';

/** The help of `mmkit grade`, listing the contracts of the registry. */
export function gradeHelp(kit: ConformanceKit = DEFAULT_KIT): string {
  const contracts = kit.CONTRACTS.map((c) => {
    const names = [c.id, ...c.aliases].join(', ');
    return `                           ${names}: ${c.title}\n                             (default: ${c.defaultImplementation})`;
  }).join('\n');
  return `usage: mmkit grade CONTRACT [MODULE] [options]

Grade an implementation of a contract against the conformance suite, in a sandboxed process
(bubblewrap, or Node's permission model where bwrap cannot run; MMKIT_SANDBOX=bwrap|permission
forces one).

  CONTRACT                 one of:
${contracts}
  MODULE                   a file or package whose default export (or export named 'factory',
                           or the contract's conventional create...() export) is the
                           implementation's factory; default: the reference implementation.
                           mmkit grade slab-allocator @mmkit/slab grades SLAB
  --mutant ID              grade a mutant (an old Linux behaviour) instead
  --json                   print the report as JSON
  --junit FILE             also write JUnit XML to FILE
  --html FILE              also write an HTML report to FILE
  --verbose, -v            every failing case of every rule, every case with its time
  --quiet, -q              no progress on stderr (it is drawn only on a terminal)
  --seed N                 the seed of the property cases (default 1)
  --replay FILE            replay a property failure: the file its report names, or a
                           --json report; runs only its case, on its shrunk input
  --timeout SECONDS        time limit of the run, 1 to 86400 (default 300)
  --memory MB              memory limit of the submission's process, 64 to the host's (default 4096)
  --no-bench               skip the throughput and fragmentation figures

A failing rule shows its assertion with the expected and actual values in full; a failing
property shows its shrunk input as the calls the suite made, and how to replay it.

Exit status: 0 when every rule passes, 1 when one fails, 2 for a usage error or a module that
cannot be loaded (the message says what is wrong and how to fix it).
`;
}

/** The bounds of --timeout (seconds) and --memory (MiB): a day, and the host's memory. */
export const MAX_TIMEOUT_S = 24 * 60 * 60;
export const MIN_MEMORY_MB = 64;
export function maxMemoryMb(): number {
  return Math.floor(totalmem() / 2 ** 20);
}

/** A file path is resolved against the working directory; a package name is left to the grader. */
function moduleSpec(module: string): string {
  return module.startsWith('.') || module.startsWith('/') || /\.[cm]?[jt]sx?$/.test(module) ? resolve(module) : module;
}

/** A whole number or decimal, nothing else ('1e3', '0x10', ' 5', '' are refused). */
function decimal(text: string): number {
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
}

/** Where grading is going, on the terminal: what the CLI passes to runGrade besides stdout. */
export interface GradeIo {
  /** stderr. */
  readonly err: (s: string) => void;
  /** Is stderr a terminal (progress is drawn only there)? */
  readonly errIsTTY: boolean;
  /** Columns of stdout when it is a terminal (the text report wraps to them), else undefined. */
  readonly columns?: number;
  /** Columns of stderr when it is a terminal (the progress line fits in them). */
  readonly errColumns?: number;
}

const NO_IO: GradeIo = { err: () => undefined, errIsTTY: false };

/** An output file's folder must exist and be writable, and the file (if it exists) a writable file: checked before the run. */
export function checkOutputPath(file: string, flag: string): void {
  if (file === '') throw new UsageError(`${flag} needs a file name`);
  const full = resolve(file);
  const dir = dirname(full);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    throw new UsageError(`${flag}: cannot write ${quoteArg(file)}: the folder ${quoteArg(dir)} does not exist`);
  }
  if (!dirStat.isDirectory()) throw new UsageError(`${flag}: cannot write ${quoteArg(file)}: ${quoteArg(dir)} is not a folder`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`${flag}: ${quoteArg(file)} is a folder, give a file name`);
  try {
    accessSync(existsSync(full) ? full : dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${quoteArg(file)}: permission denied`);
  }
}

/** What `--replay FILE` replays: a property failure's case, seed, path and runs. */
export interface ReplaySpec {
  readonly contract: string;
  readonly case: string;
  readonly seed: number;
  readonly path: string;
  readonly propertyRuns: number;
}

/**
 * Read a replay: the file a property failure wrote (`{"contract", "case", "seed", "path",
 * "propertyRuns"}`) or a `--json` report (its first property failure).
 */
export function readReplay(file: string): ReplaySpec {
  let data: unknown;
  try {
    data = JSON.parse(readInputFile(file, '--replay'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--replay: cannot read ${quoteArg(file)}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const top = obj(data);
  let spec: Record<string, unknown> | undefined = top;
  if (top && Array.isArray(top.cases)) {
    const failed = (top.cases as unknown[]).map(obj).find((c) => obj(obj(c?.failure)?.property));
    const p = obj(obj(failed?.failure)?.property);
    spec = failed && p ? { contract: top.contract, case: failed.name, seed: p.seed, path: p.path, propertyRuns: p.propertyRuns } : undefined;
    if (!spec) throw new UsageError(`--replay: the report ${quoteArg(file)} has no property failure to replay`);
  }
  const ok =
    spec && typeof spec.contract === 'string' && typeof spec.case === 'string' && Number.isSafeInteger(spec.seed) && typeof spec.path === 'string' && /^\d+(:\d+)*$/.test(spec.path) &&
    Number.isSafeInteger(spec.propertyRuns) && (spec.propertyRuns as number) > 0;
  if (!ok) throw new UsageError(`--replay: ${quoteArg(file)} is not a replay (contract, case, seed, path, propertyRuns) nor a --json report`);
  return spec as unknown as ReplaySpec;
}

/** Escape a case name for the grader's filter (a regular expression matching exactly it). */
function exactly(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** Write each property failure's replay file in the temporary folder; their paths. */
function writeReplays(report: GradeReport): { path: string; caseName: string }[] {
  const out: { path: string; caseName: string }[] = [];
  for (const c of report.cases) {
    const p = c.failure?.property;
    if (!p) continue;
    const spec: ReplaySpec = { contract: report.contract, case: c.name, seed: p.seed, path: p.path, propertyRuns: p.propertyRuns };
    const name = `mmkit-replay-${report.contract}-${createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12)}.json`;
    const file = join(tmpdir(), name);
    try {
      writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
      out.push({ path: file, caseName: c.name });
    } catch {
      // No temporary folder: the --json report carries the same (--replay takes it).
    }
  }
  return out;
}

export async function runGrade(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT, io: GradeIo = NO_IO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      mutant: { type: 'string' },
      json: { type: 'boolean' },
      junit: { type: 'string' },
      html: { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      'no-bench': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      quiet: { type: 'boolean', short: 'q' },
      seed: { type: 'string' },
      replay: { type: 'string' },
    },
  });
  const [contract, module, extra] = positionals;
  const names = kit.CONTRACT_NAMES.join(', ');
  if (!contract) throw new UsageError(`grade needs a contract: ${names}`);
  const spec = kit.contractByName(contract);
  if (!spec) throw new UsageError(`unknown contract ${quoteArg(contract)}; contracts: ${names}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quoteArg(extra)}`);
  // An empty MODULE (a course script's unset variable) must not grade the reference.
  if (module !== undefined && module.trim() === '') throw new UsageError('MODULE is empty: give the file of the implementation to grade (leave it out to grade the reference)');
  if (values.mutant !== undefined && values.mutant.trim() === '') throw new UsageError('--mutant is empty: give a mutant id (mmkit mutants lists them)');
  if (module && values.mutant) throw new UsageError('give a MODULE or --mutant, not both');
  if (values.mutant) {
    const m = await kit.mutantById(values.mutant);
    const ids = (await spec.mutants()).map((x) => x.id);
    if (!m) throw new UsageError(`unknown mutant ${quoteArg(values.mutant)}; mutants of ${contract}: ${ids.join(', ')}`);
    if (m.contract !== spec.id) throw new UsageError(`mutant ${quoteArg(values.mutant)} is a mutant of ${m.contract}, not of ${contract}; mutants of ${contract}: ${ids.join(', ')}`);
  }
  const timeoutS = values.timeout === undefined ? 300 : decimal(values.timeout);
  if (!(timeoutS >= 1 && timeoutS <= MAX_TIMEOUT_S)) throw new UsageError(`--timeout takes seconds from 1 to ${MAX_TIMEOUT_S} (a day), got ${quoteArg(values.timeout)}`);
  const memoryMb = values.memory === undefined ? 4096 : decimal(values.memory);
  const maxMb = Math.max(MIN_MEMORY_MB, maxMemoryMb());
  if (!(Number.isInteger(memoryMb) && memoryMb >= MIN_MEMORY_MB && memoryMb <= maxMb)) {
    throw new UsageError(`--memory takes whole megabytes from ${MIN_MEMORY_MB} to ${maxMb} (this host's memory), got ${quoteArg(values.memory)}`);
  }
  let seed = values.seed === undefined ? undefined : decimal(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0x7fffffff)) throw new UsageError(`--seed takes a whole number from 0 to ${0x7fffffff}, got ${quoteArg(values.seed)}`);
  let replay: ReplaySpec | undefined;
  if (values.replay !== undefined) {
    if (values.replay === '') throw new UsageError('--replay needs a file: the replay a property failure wrote, or a --json report');
    replay = readReplay(values.replay);
    if (kit.contractByName(replay.contract)?.id !== spec.id) throw new UsageError(`--replay: ${quoteArg(values.replay)} replays a failure of ${replay.contract}, not of ${spec.id}`);
    if (!spec.suite.cases.some((c) => c.name === replay?.case)) throw new UsageError(`--replay: ${spec.id} has no case ${quoteArg(replay.case)}`);
    if (seed !== undefined && seed !== replay.seed) throw new UsageError(`--replay: the replay's seed is ${replay.seed}; leave --seed out`);
    seed = replay.seed;
  }
  if (values.junit !== undefined) checkOutputPath(values.junit, '--junit');
  if (values.html !== undefined) checkOutputPath(values.html, '--html');

  const cases = replay ? spec.suite.cases.filter((c) => c.name === replay?.case) : spec.suite.cases;
  const progress = io.errIsTTY && !values.quiet ? createProgress(cases.map((c) => c.name), io.err, io.errColumns) : undefined;
  let report: GradeReport;
  try {
    report = await kit.grade({
      contract: spec.id,
      module: module ? moduleSpec(module) : undefined,
      mutant: values.mutant,
      timeoutMs: timeoutS * 1000,
      memoryMb,
      bench: !values['no-bench'] && !replay,
      ...(seed !== undefined ? { seed } : {}),
      ...(replay ? { filter: exactly(replay.case), replayPath: replay.path, propertyRuns: replay.propertyRuns } : {}),
      ...(progress ? { onCase: progress.onCase } : {}),
    });
  } finally {
    progress?.done();
  }
  if (values.junit) writeReport(values.junit, '--junit', () => kit.formatJunit(report));
  if (values.html) writeReport(values.html, '--html', () => kit.formatHtml(report));
  if (report.loadError) {
    // The module could not be loaded: the one or two lines that say why, not a table of identical failures.
    if (values.json) out(kit.formatJson(report));
    io.err(`mmkit: cannot grade ${module ?? 'the module'}: ${report.loadError}\n`);
    return 2;
  }
  if (values.json) {
    out(kit.formatJson(report));
  } else {
    out(kit.formatText(report, { width: io.columns ?? 160, verbose: values.verbose ?? false }));
    const replays = writeReplays(report);
    const target = module ?? (values.mutant ? `--mutant ${values.mutant}` : '');
    for (const r of replays) {
      out(`\nreplay ${r.caseName}:\n  mmkit grade ${contract}${target ? ` ${target}` : ''} --replay ${r.path}\n  (its shrunk input, without random runs; --seed ${report.cases.find((c) => c.name === r.caseName)?.failure?.property?.seed ?? 1} reruns the random runs; --replay also takes a --json report)\n`);
    }
  }
  return report.score.failed > 0 ? 1 : 0;
}

/** Progress on stderr: cases done out of total and the case running, redrawn on one line. */
export function createProgress(caseNames: readonly string[], write: (s: string) => void, columns = 111): { onCase: (r: CaseResult) => void; done: () => void } {
  // One column short of the terminal's width: a line that fills it wraps, and \r no longer redraws it.
  const max = Math.max(20, columns - 1);
  const total = caseNames.length;
  const finished = new Set<string>();
  let failed = 0;
  let width = 0;
  const draw = () => {
    const next = caseNames.find((n) => !finished.has(n));
    const text = `grading: ${finished.size}/${total} cases${failed ? `, ${failed} failed` : ''}${next ? `; running: ${next}` : ''}`;
    const line = text.length > max ? `${text.slice(0, max - 1)}…` : text;
    write(`\r${line.padEnd(width)}`);
    width = Math.max(width, line.length);
  };
  draw();
  return {
    onCase(r) {
      finished.add(r.name);
      if (r.status === 'fail') failed++;
      draw();
    },
    done() {
      write(`\r${' '.repeat(width)}\r`);
    },
  };
}

function writeReport(path: string, flag: string, text: () => string): void {
  try {
    writeFileSync(path, text());
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${quoteArg(path)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
}

export async function runMutants(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length) throw new UsageError(`unexpected argument ${quoteArg(positionals[0])}`);
  const mutants = await kit.allMutants();
  if (values.json) {
    out(JSON.stringify(mutants.map(({ id, contract, breaks, description, source }) => ({ id, contract, breaks, description, source })), null, 2) + '\n');
    return 0;
  }
  const width = Math.max(...mutants.map((m) => m.id.length));
  let text = '';
  for (const m of mutants) text += `${m.id.padEnd(width)}  ${m.contract}: breaks ${m.breaks}\n${' '.repeat(width)}  ${m.description}\n`;
  out(text);
  return 0;
}

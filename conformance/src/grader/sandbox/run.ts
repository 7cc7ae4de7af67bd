/**
 * The grader's side of a sandboxed grade: build the bundles, start the child in its sandbox and
 * process group, hand it the channel key, read its signed messages (and nothing else) as the
 * verdict, keep what the submission prints as its output, enforce the wall-clock limit, and kill
 * the whole process group when the grade ends, whatever the child did.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CaseResult } from '../../suite.js';
import type { Fragmentation, SandboxReport, SlabFragmentation, SlabThroughput, Throughput, ThroughputMethod } from '../types.js';
import { LoadError, describeLoadFailure, isPathLike, moduleFile, packageNotInstalled } from '../load.js';
import { holdGrade } from '../cleanup.js';
import { graderBundle, submissionBundle, SubmissionBuildError } from './bundle.js';
import { CHANNEL_FD, ChannelReader, KEY_BYTES, KEY_FD, type ChildMessage } from './channel.js';
import type { ChildInput } from './child.js';
import { ISOLATED_CONTRACTS } from '../isolate/protocol.js';
import { chooseLayer, sandboxCommand, type SandboxChoice, type SandboxLayer } from './layers.js';

export interface SandboxRunOptions {
  readonly contract: string;
  readonly module?: string;
  readonly mutant?: string;
  readonly cwd: string;
  readonly bench: boolean;
  readonly throughputMethod?: Partial<ThroughputMethod>;
  readonly propertyRuns?: number;
  readonly seed?: number;
  readonly replayPath?: string;
  readonly filter?: string;
  readonly timeoutMs: number;
  /** The loading's own allowance before the first case (GradeOptions.loadAllowanceMs; default LOAD_ALLOWANCE_MS). */
  readonly loadAllowanceMs?: number;
  readonly memoryMb: number;
  readonly sandbox: SandboxChoice;
  /** Resolve workspace packages to their TypeScript sources (the grader runs from sources). */
  readonly sourceCondition: boolean;
  onCase?(result: CaseResult): void;
}

export interface SandboxRunResult {
  implementation?: string;
  supports?: Record<string, boolean>;
  readonly results: CaseResult[];
  throughput?: Throughput;
  fragmentation?: Fragmentation;
  slabThroughput?: SlabThroughput;
  slabFragmentation?: SlabFragmentation;
  /** A run-level problem: load failure, timeout, crash, violation. */
  error?: string;
  /** The module could not be loaded: what is wrong and how to fix it (load.ts's LoadError). */
  loadError?: string;
  readonly sandbox: SandboxReport;
}

/** The most of each output stream kept for the report. */
const OUTPUT_LIMIT = 16 * 1024;
/** Violations listed one by one in the report (the rest are counted). */
const MAX_VIOLATIONS = 50;
/**
 * The time the child may take, on top of the run's own limit, to start and load the submission
 * (Node, the grader's bundle, under bwrap its watchdog and the submission's thread, each loading
 * the bundle, then the module's top level) before its first case starts: the run's wall-clock
 * limit (timeoutMs) counts from that first case. Loading costs 1-4 s of CPU, and on a loaded
 * machine (2 cores at load 15) took over 5 s of wall time, which a short limit counted against
 * the implementation. A top level that never ends is stopped at timeoutMs + this.
 */
export const LOAD_ALLOWANCE_MS = 30_000;
/**
 * The longest the grader waits for the watchdog's answer at the deadline before it kills the
 * process anyway. The answer usually comes within milliseconds and ends the wait; on a loaded
 * machine the thread can take seconds to run (3 s was too short there).
 */
const WATCHDOG_WAIT_MS = 10_000;
/**
 * Address space node reserves and never fills (each isolate: about 600 MiB of code range and heap
 * cage reservations; the child runs two: its main thread and the watchdog; plus thread stacks),
 * measured on Node 20: RLIMIT_AS is the memory limit plus this, so that --memory is what the
 * submission can really use.
 */
const ADDRESS_SPACE_BASELINE_MB = 2048;
/**
 * What the submission's own thread (isolate/, under bwrap) adds to that: another isolate's
 * reservations and its stack (measured on Node 20: 590 to 850 MiB per worker thread).
 */
const ISOLATE_ADDRESS_SPACE_MB = 896;
/** RLIMIT_FSIZE of the child. */
const FILE_LIMIT_MB = 64;

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const file = path.join(dir || '.', name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The folder whose files the submission may read: its module's directory (nothing for a package name). */
function submissionDir(module: string | undefined, cwd: string): string | undefined {
  if (!module || !isPathLike(module)) return undefined;
  const file = module.startsWith('file:') ? fileURLToPath(module) : path.resolve(cwd, module);
  return path.dirname(file);
}

class Output {
  text = '';
  dropped = 0;
  add(chunk: Buffer): void {
    const room = OUTPUT_LIMIT - this.text.length;
    if (room > 0) this.text += chunk.toString('utf8', 0, Math.min(chunk.length, room));
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }
  get value(): string {
    return this.dropped ? `${this.text}\n[... ${this.dropped} more bytes not kept]` : this.text;
  }
}

function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
}

function signalMeaning(signal: string, memoryMb: number): string {
  switch (signal) {
    case 'SIGABRT':
    case 'SIGTRAP':
    case 'SIGSEGV':
      return ` (out of memory? the process may use ${memoryMb} MiB)`;
    case 'SIGXCPU':
      return ' (its CPU time limit)';
    case 'SIGXFSZ':
      return ` (a file larger than ${FILE_LIMIT_MB} MiB)`;
    default:
      return '';
  }
}

export async function runSandboxed(o: SandboxRunOptions): Promise<SandboxRunResult> {
  const layer: SandboxLayer = chooseLayer(o.sandbox);
  // Twice the wall-clock limits: the child's threads (the submission's, the grader's, the watchdog) share it.
  const loadAllowanceMs = o.loadAllowanceMs ?? LOAD_ALLOWANCE_MS;
  const cpuSeconds = Math.max(1, Math.ceil(((o.timeoutMs + loadAllowanceMs) / 1000) * 2));
  // A page allocator, object allocator or address-spaces module in a thread of its own (isolate/): the bwrap layer allows threads, the permission model does not.
  const isolate = layer === 'bwrap' && ISOLATED_CONTRACTS.has(o.contract) && o.module !== undefined;
  const addressSpaceMb = o.memoryMb + ADDRESS_SPACE_BASELINE_MB + (isolate ? ISOLATE_ADDRESS_SPACE_MB : 0);
  const sandbox: SandboxReport = { layer, limits: { memoryMb: o.memoryMb, addressSpaceMb, cpuSeconds, wallMs: o.timeoutMs, fileMb: FILE_LIMIT_MB }, violations: [], stdout: '', stderr: '' };
  const result: SandboxRunResult = { results: [], sandbox };
  const prlimit = findOnPath('prlimit');
  if (!prlimit) {
    result.error = 'the grader cannot sandbox the submission: prlimit (util-linux) is not installed';
    return result;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'mmkit-grade-'));
  // Removed however the grade ends, the grader's process included (a signal, process.exit()).
  const hold = holdGrade(work);
  const codeDir = path.join(work, 'code');
  const scratch = path.join(work, 'scratch');
  try {
    mkdirSync(codeDir);
    mkdirSync(scratch);
    const grader = await graderBundle(o.sourceCondition);
    let bundle: string | undefined;
    let moduleFilePath: string | undefined;
    if (o.module !== undefined) {
      // Checked and built here, before anything of the submission runs: a LoadError is one or two lines with the fix.
      try {
        const file = moduleFile(o.module, o.cwd);
        moduleFilePath = file;
        try {
          bundle = await submissionBundle(file ?? o.module, o.cwd, codeDir, o.sourceCondition);
        } catch (err) {
          if (!(err instanceof SubmissionBuildError)) throw err;
          if (err.entry && file === undefined) throw packageNotInstalled(o.module, o.cwd);
          throw new LoadError(describeLoadFailure(Object.assign(new Error(err.message), { code: err.code }), o.module, file));
        }
      } catch (err) {
        if (!(err instanceof LoadError)) throw err;
        result.loadError = err.message;
        result.error = `the implementation could not be loaded: ${err.message}`;
        return result;
      }
    }
    const dir = submissionDir(o.module, o.cwd);
    const input: ChildInput = {
      contract: o.contract,
      ...(bundle ? { bundle: pathToFileURL(bundle).href, module: o.module } : {}),
      ...(moduleFilePath ? { moduleFile: moduleFilePath } : {}),
      ...(o.replayPath !== undefined ? { replayPath: o.replayPath } : {}),
      ...(dir ? { submissionDir: dir } : {}),
      ...(o.mutant ? { mutant: o.mutant } : {}),
      bench: o.bench,
      ...(o.throughputMethod ? { throughputMethod: o.throughputMethod } : {}),
      ...(o.propertyRuns !== undefined ? { propertyRuns: o.propertyRuns } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.filter !== undefined ? { filter: o.filter } : {}),
      watchdog: layer === 'bwrap',
      isolate,
    };
    const nodeArgs = ['--enable-source-maps', `--max-old-space-size=${o.memoryMb}`, '--disable-warning=ExperimentalWarning'];
    // The submission's thread collects the kernels it is done with (isolate/page-allocator-server.ts).
    if (isolate) nodeArgs.push('--expose-gc');
    const cmd = sandboxCommand(layer, { memoryMb: addressSpaceMb, cpuSeconds, fileMb: FILE_LIMIT_MB }, { code: [grader.dir, codeDir], submission: dir, scratch }, nodeArgs, grader.file);
    await new Promise<void>((resolve) => {
      const key = randomBytes(KEY_BYTES);
      const child = spawn(prlimit, [...cmd.args, JSON.stringify(input)], {
        detached: true,
        cwd: scratch,
        env: { HOME: scratch, TMPDIR: scratch, PATH: '/usr/bin:/bin' },
        stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      });
      const pid = child.pid;
      hold.group = pid;
      const stdout = new Output();
      const stderr = new Output();
      let done = false;
      let finished = false;
      let currentCase: string | undefined;
      let waiting: Extract<ChildMessage, { type: 'waiting' }> | undefined;
      let crash: string | undefined;
      let fatal: string | undefined;
      /** The fatal message came from the benchmark, after every case had run. */
      let fatalInBench = false;
      let timedOut = false;
      /** The first case has started: the submission is loaded, and the run's limit counts from here. */
      let loaded = false;
      let moreViolations = 0;
      const violation = (what: string) => {
        if (sandbox.violations.length < MAX_VIOLATIONS) sandbox.violations.push(what);
        else sandbox.violations[MAX_VIOLATIONS] = `... and ${++moreViolations} more`;
      };
      /**
       * The child is about to exit: end the watchdog's wait on stdin (a thread blocked in a read
       * would hold process.exit() up), and if the submission keeps the process alive, the group goes.
       */
      const ending = () => {
        child.stdin.end();
        setTimeout(killGroup, 2000).unref();
      };
      const killGroup = () => {
        if (pid === undefined) return;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const reader = new ChannelReader(
        key,
        (m) => {
          switch (m.type) {
            case 'start':
              result.implementation = m.implementation;
              result.supports = m.supports;
              break;
            case 'case-start':
              currentCase = m.name;
              if (!loaded) {
                loaded = true;
                if (timer && !timedOut) {
                  clearTimeout(timer);
                  timer = setTimeout(deadline, o.timeoutMs);
                }
              }
              break;
            case 'case':
              result.results.push(m.result);
              o.onCase?.(m.result);
              break;
            case 'bench':
              result.throughput = m.throughput;
              result.fragmentation = m.fragmentation;
              result.slabThroughput = m.slabThroughput;
              result.slabFragmentation = m.slabFragmentation;
              break;
            case 'violation':
              violation(m.message);
              break;
            case 'waiting':
              waiting = m;
              // The answer to the deadline's question: nothing more to wait for.
              if (timedOut) killGroup();
              break;
            case 'crash':
              crash ??= m.message;
              // The child exits next: its watchdog's blocked read of stdin would hold the exit up.
              ending();
              break;
            case 'fatal':
              if (fatal === undefined) fatalInBench = m.bench === true;
              fatal ??= m.message;
              if (m.load) result.loadError ??= m.message;
              ending();
              break;
            case 'done':
              done = true;
              ending();
              break;
          }
        },
        (why) => violation(`ignored ${why}`),
      );
      const channel = child.stdio[CHANNEL_FD] as NodeJS.ReadableStream;
      channel.on('data', (chunk: Buffer) => reader.push(chunk));
      child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));
      for (const s of [child.stdin, child.stdio[KEY_FD] as NodeJS.WritableStream]) s.on('error', () => undefined);
      (child.stdio[KEY_FD] as NodeJS.WritableStream).end(key);

      const deadline = () => {
        timer = undefined;
        timedOut = true;
        if (input.watchdog) {
          child.stdin.write('?');
          setTimeout(killGroup, WATCHDOG_WAIT_MS);
        } else killGroup();
      };
      // Until the first case starts, the limit is the run's and the loading's allowance together (restarted at 'case-start').
      let timer: NodeJS.Timeout | undefined = setTimeout(deadline, o.timeoutMs + loadAllowanceMs);
      child.on('error', (err) => {
        crash ??= `the sandbox could not start: ${err.message}`;
      });
      // Once the process the grader started is gone, nothing it left may run on.
      child.on('exit', killGroup);
      child.on('close', (code, signal) => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        killGroup(); // whatever it left running
        hold.group = undefined;
        reader.end();
        sandbox.stdout = stdout.value;
        sandbox.stderr = stderr.value;
        const where = waiting
          ? ` in case ${waiting.case}, waiting on ${waiting.operation} (${waiting.ms} ms into the case)`
          : currentCase
            ? ` in case ${currentCase}`
            : '';
        if (sandbox.violations.length) result.error = `violation: ${sandbox.violations[0]}${sandbox.violations.length > 1 ? ` (and ${sandbox.violations.length - 1} more)` : ''}`;
        else if (fatal && fatalInBench) result.error = `no throughput or fragmentation figures: every case ran, then the benchmark failed: ${fatal}`;
        else if (fatal) result.error = result.loadError !== undefined ? `the implementation could not be loaded: ${fatal}` : `the implementation could not be run: ${fatal}`;
        else if (timedOut && !done && !loaded) result.error = `timeout: the implementation did not load within ${o.timeoutMs + loadAllowanceMs} ms${where}`;
        else if (timedOut && !done) result.error = `timeout: the run did not finish within ${o.timeoutMs} ms${where}`;
        else if (crash) result.error = `crash: ${crash}`;
        else if (!done) {
          // bwrap passes on a signal that ended its child as the exit code 128 + the signal's number.
          const sig = signal ?? (layer === 'bwrap' && code !== null && code > 128 ? signalName(code - 128) : undefined);
          const how = sig ? `was killed by ${sig}${signalMeaning(sig, o.memoryMb)}` : `exited with code ${code}`;
          result.error = `crash: the submission's process ${how}${where || ' before the grade finished'}`;
        }
        resolve();
      });
    });
  } finally {
    hold.release();
  }
  return result;
}

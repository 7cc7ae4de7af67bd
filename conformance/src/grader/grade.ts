/**
 * grade(): run a contract's suite against an implementation in an isolated worker thread
 * (memory limit, wall-clock timeout), then report per rule with a score, throughput and
 * fragmentation. A timeout or a crash of the implementation fails every rule that was not
 * finished with that message; grade() itself does not throw for a failing implementation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { aggregateRules, type CaseResult } from '../suite.js';
import { CONTRACT_NAMES, contractByName } from '../contracts/index.js';
import type { FromWorker, WorkerInput } from './protocol.js';
import type { Fragmentation, GradeOptions, GradeReport, RuleReport, Score, SlabThroughput, Throughput } from './types.js';

export const DEFAULT_TIMEOUT_MS = 180_000;
export const DEFAULT_MEMORY_MB = 2048;

/** The worker entry next to this file: worker.ts from sources (run through tsx), worker.js after a build. */
function workerEntry(): { url: URL; fromSource: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  return { url: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url), fromSource };
}

/** tsx's ESM API (its "import" export), resolved from this package (a dependency), to register in the worker. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, unknown> };
  let entry: unknown = pkg.exports?.['./esm/api'];
  while (entry && typeof entry === 'object') {
    const e = entry as Record<string, unknown>;
    entry = e.import ?? e.default;
  }
  if (typeof entry !== 'string') throw new Error(`cannot find the ESM entry of tsx/esm/api in ${pkgPath}`);
  return pathToFileURL(path.join(path.dirname(pkgPath), entry)).href;
}

/** Was this process started with `--conditions=source` (or -C source)? */
function parentUsesSourceCondition(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a, i) => /^(--conditions|-C)=source$/.test(a) || ((a === '--conditions' || a === '-C') && args[i + 1] === 'source'));
}

function startWorker(input: WorkerInput, memoryMb: number, needsTsx: boolean, sourceCondition: boolean): Worker {
  const { url } = workerEntry();
  if (!existsSync(fileURLToPath(url))) throw new Error(`the grader's worker entry ${fileURLToPath(url)} is missing`);
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb };
  if (!needsTsx) return new Worker(url, { workerData: input, resourceLimits });
  // `--import tsx` in a worker's execArgv does not apply to its entry module on Node 20, so the
  // worker starts from a small bootstrap that registers tsx and then imports the entry.
  const bootstrap = `import(${JSON.stringify(tsxApiUrl())}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, {
    eval: true,
    workerData: input,
    resourceLimits,
    execArgv: sourceCondition ? ['--conditions=source'] : [],
  });
}

function score(rules: readonly RuleReport[]): Score {
  const passed = rules.filter((r) => r.status === 'pass').length;
  const failed = rules.filter((r) => r.status === 'fail').length;
  const notProvided = rules.filter((r) => r.status === 'not-provided').length;
  const total = rules.length;
  const graded = total - notProvided;
  const percent = graded === 0 ? 0 : Math.round((passed / graded) * 1000) / 10;
  return { passed, failed, notProvided, total, percent };
}

function describeImplementation(options: GradeOptions, defaultImplementation: string): string {
  if (options.mutant) return `mutant ${options.mutant}`;
  if (options.module) return options.module;
  return defaultImplementation;
}

export async function grade(options: GradeOptions): Promise<GradeReport> {
  const t0 = performance.now();
  const spec = contractByName(String(options.contract));
  if (!spec) throw new Error(`unknown contract '${String(options.contract)}': the grader knows ${CONTRACT_NAMES.join(', ')}`);
  const contract = spec.id;
  if (options.module && options.mutant) throw new Error('give a module or a mutant, not both');
  // An empty name (a course script's unset variable) must not grade the reference.
  if (options.module?.trim() === '' || options.mutant?.trim() === '') throw new Error(`an empty ${options.module !== undefined ? 'module' : 'mutant'} name: give one, or leave it out to grade the default implementation`);
  const suite = spec.suite;
  const rules = spec.rules;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
  const input: WorkerInput = {
    contract,
    module: options.module,
    mutant: options.mutant,
    cwd: process.cwd(),
    bench: options.bench ?? true,
    propertyRuns: options.propertyRuns,
    seed: options.seed,
    replayPath: options.replayPath,
    filter: options.filter,
  };
  const { fromSource } = workerEntry();
  // Workspace packages resolved to their TypeScript sources (the "source" condition) need tsx
  // in the worker too, even when this file was built.
  const sourceCondition = fromSource || parentUsesSourceCondition();
  const needsTsx = sourceCondition || /\.[cm]?tsx?$/.test(options.module ?? '');

  const results: CaseResult[] = [];
  let implementation = describeImplementation(options, spec.defaultImplementation);
  let supports: Record<string, boolean> | undefined;
  let throughput: Throughput | undefined;
  let fragmentation: Fragmentation | undefined;
  let slabThroughput: SlabThroughput | undefined;
  let error: string | undefined;
  let loadError: string | undefined;

  await new Promise<void>((resolve) => {
    let settled = false;
    let worker: Worker | undefined;
    const finish = (problem?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (problem) error = problem;
      void worker?.terminate().catch(() => undefined);
      resolve();
    };
    const timer = setTimeout(() => finish(`timeout: the run did not finish within ${timeoutMs} ms`), timeoutMs);
    try {
      worker = startWorker(input, memoryMb, needsTsx, sourceCondition);
    } catch (err) {
      finish(`the grader could not start its worker: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    worker.on('message', (m: FromWorker) => {
      if (settled) return;
      switch (m.type) {
        case 'start':
          implementation = m.implementation;
          supports = m.supports;
          break;
        case 'case':
          results.push(m.result);
          options.onCase?.(m.result);
          break;
        case 'bench':
          throughput = m.throughput;
          fragmentation = m.fragmentation;
          slabThroughput = m.slabThroughput;
          break;
        case 'done':
          finish();
          break;
        case 'fatal':
          if (m.load) loadError = m.message;
          finish(m.load ? `the implementation could not be loaded: ${m.message}` : `the implementation could not be run: ${m.message}`);
          break;
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(oom ? `crash: the worker ran out of memory (limit ${memoryMb} MiB)` : `crash: ${err.name}: ${err.message}`);
    });
    worker.on('exit', (code) => finish(code === 0 ? 'crash: the worker exited before finishing' : `crash: the worker exited with code ${code}`));
  });

  // Cases that never finished fail with the run's problem.
  const done = new Set(results.map((r) => r.name));
  const filter = options.filter ? new RegExp(options.filter) : undefined;
  for (const c of suite.cases) {
    if (done.has(c.name)) continue;
    const selected = !filter || filter.test(c.name) || c.rules.some((r) => filter.test(r));
    if (!selected) continue;
    results.push({ name: c.name, rules: c.rules, status: 'fail', message: error ?? 'not run', ms: 0 });
  }
  // With a filter, only the rules of the selected cases are graded.
  const graded = filter ? rules.filter((r) => results.some((c) => c.rules.includes(r.id))) : rules;
  const verdicts: RuleReport[] = aggregateRules(graded, results, supports).map((v) =>
    v.status === 'fail' && v.failures.length === 1 && v.failures[0].case === '(none)' ? { ...v, failures: [{ case: '(none)', message: error ?? 'not run' }] } : v,
  );
  return {
    contract,
    implementation,
    ...(options.mutant ? { mutant: options.mutant } : {}),
    ...(supports ? { supports } : {}),
    rules: verdicts,
    score: score(verdicts),
    cases: results,
    ...(throughput ? { throughput } : {}),
    ...(fragmentation ? { fragmentation } : {}),
    ...(slabThroughput ? { slabThroughput } : {}),
    ...(error ? { error } : {}),
    ...(loadError ? { loadError } : {}),
    durationMs: Math.round(performance.now() - t0),
  };
}

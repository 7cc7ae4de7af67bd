/**
 * grade(): run a contract's suite against an implementation in a sandboxed child process (its
 * own process group under rlimits, inside bubblewrap or Node's permission model: sandbox/), read
 * the verdicts from the child's signed report channel, then report per rule with a score,
 * throughput and fragmentation. A timeout, a crash or a violation of the implementation fails
 * every rule that was not finished with that message; grade() itself does not throw for a
 * failing implementation.
 */
import { aggregateRules, type CaseResult } from '../suite.js';
import { CONTRACT_NAMES, contractByName } from '../contracts/index.js';
import { SANDBOX_CHOICES, type SandboxChoice } from './sandbox/layers.js';
import { runSandboxed } from './sandbox/run.js';
import type { Fingerprint, Fragmentation, GradeOptions, GradeReport, RuleReport, Score, SlabFragmentation, ThroughputMethod } from './types.js';

export const DEFAULT_TIMEOUT_MS = 180_000;
export const DEFAULT_MEMORY_MB = 2048;

/** Was this process started with `--conditions=source` (or -C source)? */
function parentUsesSourceCondition(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a, i) => /^(--conditions|-C)=source$/.test(a) || ((a === '--conditions' || a === '-C') && args[i + 1] === 'source'));
}

/** The sandbox asked for: the option, else MMKIT_SANDBOX, else auto. */
function sandboxChoice(option: GradeOptions['sandbox']): SandboxChoice {
  const value = option ?? process.env.MMKIT_SANDBOX ?? 'auto';
  if (!(SANDBOX_CHOICES as readonly string[]).includes(value)) throw new Error(`unknown sandbox '${value}': ${SANDBOX_CHOICES.join(', ')}`);
  return value as SandboxChoice;
}

/**
 * Whether a graded page allocator's decisions are the reference's: the same pfns in the same
 * order under the seeded fragmentation workload, and the same free lists after it. Delegating to
 * the reference (it is correct code) cannot be prevented; a course can flag it with this.
 */
function fingerprintOf(f: Fragmentation, reference: string): Fingerprint | undefined {
  const ref = f.reference;
  if (!f.allocationHash || !ref?.allocationHash) return undefined;
  const sameFreeLists = f.freeBlocksPerOrder.length === ref.freeBlocksPerOrder.length && f.freeBlocksPerOrder.every((n, i) => n === ref.freeBlocksPerOrder[i]);
  return { allocationHash: f.allocationHash, referenceAllocationHash: ref.allocationHash, reference, sameAsReference: f.allocationHash === ref.allocationHash && sameFreeLists };
}

/**
 * The same for an object allocator, against each reference implementation (SLUB, then SLAB): the
 * same addresses in the same order under the seeded object workload and the same slabinfo after
 * it as one of them.
 */
function slabFingerprintOf(f: SlabFragmentation): Fingerprint | undefined {
  const refs = f.references ?? [];
  if (!refs.length) return undefined;
  const same = refs.find((r) => r.allocationHash === f.allocationHash && r.stateHash === f.stateHash);
  const ref = same ?? refs[0];
  return { allocationHash: f.allocationHash, referenceAllocationHash: ref.allocationHash, reference: ref.implementation, sameAsReference: same !== undefined };
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

/** GradeOptions.throughputMethod's fields: each an integer in its range (the child gets only these). */
const METHOD_RANGES: Record<keyof ThroughputMethod, readonly [number, number]> = { warmupMs: [0, 10_000], rounds: [1, 99], roundMs: [1, 10_000] };

function checkedMethod(method: Partial<ThroughputMethod>): Partial<ThroughputMethod> {
  if (typeof method !== 'object' || method === null || Array.isArray(method)) throw new TypeError(`throughputMethod must be an object ({ warmupMs, rounds, roundMs }), got ${method === null ? 'null' : typeof method}`);
  const out: { -readonly [K in keyof ThroughputMethod]?: number } = {};
  for (const [key, [min, max]] of Object.entries(METHOD_RANGES) as [keyof ThroughputMethod, readonly [number, number]][]) {
    const v = Object.hasOwn(method, key) ? method[key] : undefined;
    if (v === undefined) continue;
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new RangeError(`throughputMethod.${key} must be an integer from ${min} to ${max}, got ${String(v)}`);
    out[key] = v;
  }
  return out;
}

/** The most GradeOptions.loadAllowanceMs may be (10 minutes). */
const MAX_LOAD_ALLOWANCE_MS = 600_000;

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
  const { loadAllowanceMs } = options;
  if (loadAllowanceMs !== undefined && !(Number.isInteger(loadAllowanceMs) && loadAllowanceMs >= 1 && loadAllowanceMs <= MAX_LOAD_ALLOWANCE_MS)) {
    throw new RangeError(`loadAllowanceMs must be an integer from 1 to ${MAX_LOAD_ALLOWANCE_MS}, got ${String(loadAllowanceMs)}`);
  }
  const throughputMethod = options.throughputMethod === undefined ? undefined : checkedMethod(options.throughputMethod);
  const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
  // Running from the TypeScript sources (tests, the repository's CLI): bundle the workspace
  // packages from their sources too.
  const sourceCondition = import.meta.url.endsWith('.ts') || parentUsesSourceCondition();
  const run = await runSandboxed({
    contract,
    module: options.module,
    mutant: options.mutant,
    cwd: process.cwd(),
    bench: options.bench ?? true,
    ...(throughputMethod ? { throughputMethod } : {}),
    propertyRuns: options.propertyRuns,
    seed: options.seed,
    replayPath: options.replayPath,
    filter: options.filter,
    timeoutMs,
    ...(loadAllowanceMs !== undefined ? { loadAllowanceMs } : {}),
    memoryMb,
    sandbox: sandboxChoice(options.sandbox),
    sourceCondition,
    onCase: options.onCase,
  });
  const results: CaseResult[] = run.results;
  const implementation = run.implementation ?? describeImplementation(options, spec.defaultImplementation);
  const { supports, throughput, fragmentation, slabThroughput, slabFragmentation, error, loadError } = run;
  // A violation voids the run: no verdict of the child counts.
  if (error?.startsWith('violation: ')) results.length = 0;

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
  // A module's fingerprint (the reference and the mutants are what they are).
  const fingerprint = options.module === undefined ? undefined : fragmentation ? fingerprintOf(fragmentation, spec.implementations[0]) : slabFragmentation ? slabFingerprintOf(slabFragmentation) : undefined;
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
    ...(slabFragmentation ? { slabFragmentation } : {}),
    ...(fingerprint ? { fingerprint } : {}),
    ...(error ? { error } : {}),
    ...(loadError ? { loadError } : {}),
    sandbox: run.sandbox,
    durationMs: Math.round(performance.now() - t0),
  };
}

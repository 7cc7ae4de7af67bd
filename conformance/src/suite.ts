/**
 * Suites without a test framework: a suite is data (cases that name the rules they check) and
 * runSuite() runs it against a factory, case by case, timing each and catching every failure.
 * Per-rule verdicts come from aggregating the cases (aggregateRules()).
 */
import type { DebugOptions } from '@mmkit/core';
import { propertyRuns } from '@mmkit/core/testing';
import { AssertionFailure, errorText, firstDifference, showFull } from './assert.js';
import { PropertyFailure, type PropertyFailureDetails } from './property.js';
import { caseConfig, debugOptionsOf } from './rules/config.js';
import type { Rule, RuleConfig } from './rules/types.js';

/** The optional features an implementation declares (its `supports` manifest). */
export type FeatureSet = Readonly<Record<string, boolean>>;

export interface CaseContext<F = unknown> {
  /** The implementation under test (undefined: the kernel's default implementation). */
  readonly factory: F;
  /** What the implementation declares it supports. */
  readonly supports: FeatureSet;
  /** Random runs of property cases (MMKIT_PROPERTY_RUNS, default a few hundred). */
  readonly propertyRuns: number;
  /** A seed for property cases (same seed, same runs). */
  readonly seed: number;
  /** Replay this fast-check counterexample path (with `seed`) instead of random runs (checkProperty() takes it). */
  readonly replayPath?: string;
  /**
   * The debugging configuration the case's kernel boots with: the configuration of the rules
   * it checks (Rule.config; undefined: 4.17's defaults). Boot helpers pass it to createKernel.
   */
  readonly debug: DebugOptions | undefined;
  /** A note in the case's result (e.g. what was measured). */
  note(message: string): void;
}

export interface SuiteCase<F = unknown> {
  readonly name: string;
  /** The rule ids this case checks. */
  readonly rules: readonly string[];
  /** A feature the case needs: without it the case is "not provided" instead of run. */
  readonly requires?: string;
  run(ctx: CaseContext<F>): void | Promise<void>;
}

export interface Suite<F = unknown> {
  /** The contract the suite checks ('page-allocator'). */
  readonly contract: string;
  /** The contract's rules: the configuration each case runs under comes from the rules it names. */
  readonly rules?: readonly Rule[];
  readonly cases: readonly SuiteCase<F>[];
  /** The features an implementation declares; probed once before the cases run. */
  probe?(factory: F): FeatureSet | Promise<FeatureSet>;
}

export type CaseStatus = 'pass' | 'fail' | 'not-provided';

/** The assertion a case failed on, its values in full (showFull()). */
export interface AssertionDetails {
  /** equal, deepEqual, ok, atMost, ..., fail, property. */
  readonly operator: string;
  readonly expected?: string;
  readonly actual?: string;
  /** Where two lists or objects first differ ("first difference at index 12: ..."). */
  readonly difference?: string;
}

/** What a failing case carries beyond its one-line message. */
export interface CaseFailure {
  readonly assertion?: AssertionDetails;
  /** A property case: the shrunk input as operations, and how to replay it. */
  readonly property?: PropertyFailureDetails;
}

export interface CaseResult {
  readonly name: string;
  readonly rules: readonly string[];
  readonly status: CaseStatus;
  /** The failure (or why the case was not run); empty when it passed. */
  readonly message: string;
  /** The failed assertion and, for a property case, its counterexample (absent for an exception that is no assertion). */
  readonly failure?: CaseFailure;
  readonly ms: number;
  readonly notes?: readonly string[];
}

export interface RunSuiteOptions {
  /** Run only the cases whose name matches (or that name one of these rule ids). */
  readonly filter?: RegExp | readonly string[];
  readonly propertyRuns?: number;
  readonly seed?: number;
  /** A property failure's path to replay (with `seed`; give a filter selecting its case). */
  readonly replayPath?: string;
  /** Called before every case that runs (the grader names the case a hang happened in with it). */
  onCaseStart?(name: string): void;
  /** Called after every case (the grader's worker reports progress with it). */
  onCase?(result: CaseResult): void;
}

/** MMKIT_PROPERTY_RUNS, or the one default of every property test (@mmkit/core/testing). */
export function defaultPropertyRuns(): number {
  return propertyRuns();
}

/** The message of a failure: assertion messages as they are (a property's one-line summary), other exceptions with their name and the top of their stack. */
export function failureMessage(err: unknown): string {
  if (err instanceof PropertyFailure) return err.summary;
  if (err instanceof AssertionFailure) return err.message;
  if (err instanceof Error) {
    const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at '));
    return `${errorText(err)}${frame ? ` (${frame.trim()})` : ''}`;
  }
  return `thrown: ${String(err)}`;
}

/** The details of a failure for a report: the assertion's expected and actual values in full, a property's counterexample. */
export function failureDetails(err: unknown): CaseFailure | undefined {
  if (!(err instanceof AssertionFailure)) return undefined;
  const source = err instanceof PropertyFailure && err.inner instanceof AssertionFailure ? err.inner : err;
  const has = (k: 'expected' | 'actual') => source[k] !== undefined || source.operator === 'equal' || source.operator === 'deepEqual';
  const difference = source.operator === 'deepEqual' ? firstDifference(source.actual, source.expected) : undefined;
  const assertion: AssertionDetails = {
    operator: source.operator,
    ...(has('expected') ? { expected: showFull(source.expected) } : {}),
    ...(has('actual') ? { actual: showFull(source.actual) } : {}),
    ...(difference ? { difference } : {}),
  };
  if (err instanceof PropertyFailure && !(err.inner instanceof AssertionFailure)) {
    return { assertion: { operator: 'property', actual: errorText(err.inner) }, property: err.property };
  }
  return err instanceof PropertyFailure ? { assertion, property: err.property } : { assertion };
}

function selected(c: SuiteCase<unknown>, filter: RunSuiteOptions['filter']): boolean {
  if (!filter) return true;
  if (filter instanceof RegExp) return filter.test(c.name) || c.rules.some((r) => filter.test(r));
  return filter.includes(c.name) || c.rules.some((r) => filter.includes(r));
}

/**
 * Run every case of a suite against one implementation. Never throws for a failing
 * implementation: a probe failure fails every case with its message.
 */
export async function runSuite<F>(suite: Suite<F>, factory: F, opts: RunSuiteOptions = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const cases = suite.cases.filter((c) => selected(c as SuiteCase<unknown>, opts.filter));
  const push = (r: CaseResult) => {
    results.push(r);
    opts.onCase?.(r);
  };
  let supports: FeatureSet = {};
  if (suite.probe) {
    const t0 = performance.now();
    try {
      supports = await suite.probe(factory);
    } catch (err) {
      const message = `the implementation failed to boot: ${failureMessage(err)}`;
      const ms = performance.now() - t0;
      for (const c of cases) push({ name: c.name, rules: c.rules, status: 'fail', message, ms });
      return results;
    }
  }
  const propertyRuns = opts.propertyRuns ?? defaultPropertyRuns();
  const seed = opts.seed ?? 1;
  for (const c of cases) {
    if (c.requires !== undefined && !supports[c.requires]) {
      push({ name: c.name, rules: c.rules, status: 'not-provided', message: `the implementation does not declare supports.${c.requires}`, ms: 0 });
      continue;
    }
    const config = caseConfig(c.rules, suite.rules ?? []);
    if (typeof config === 'string') {
      push({ name: c.name, rules: c.rules, status: 'fail', message: `the suite is inconsistent: ${config}`, ms: 0 });
      continue;
    }
    const notes: string[] = [];
    const ctx: CaseContext<F> = {
      factory, supports, propertyRuns, seed, debug: debugOptionsOf(config), note: (m) => notes.push(m), ...(opts.replayPath ? { replayPath: opts.replayPath } : {}),
    };
    opts.onCaseStart?.(c.name);
    const t0 = performance.now();
    let status: CaseStatus = 'pass';
    let message = '';
    let failure: CaseFailure | undefined;
    try {
      await c.run(ctx);
    } catch (err) {
      status = 'fail';
      message = failureMessage(err);
      failure = failureDetails(err);
    }
    const ms = performance.now() - t0;
    push({ name: c.name, rules: c.rules, status, message, ...(failure ? { failure } : {}), ms, ...(notes.length ? { notes } : {}) });
  }
  return results;
}

export type RuleStatus = 'pass' | 'fail' | 'not-provided';

export interface RuleVerdict {
  readonly id: string;
  readonly text: string;
  readonly source: Rule['source'];
  readonly status: RuleStatus;
  readonly failures: { case: string; message: string; failure?: CaseFailure }[];
  /** The configuration the rule was checked under (absent: 4.17's defaults). */
  readonly config?: RuleConfig;
}

/**
 * Per-rule verdicts: a rule fails if any case naming it failed; it is "not provided" when its
 * optional feature is not declared (or every case naming it was not provided); a rule no case
 * ran fails with "not checked".
 */
export function aggregateRules(rules: readonly Rule[], results: readonly CaseResult[], supports?: FeatureSet): RuleVerdict[] {
  return rules.map((rule) => {
    const mine = results.filter((r) => r.rules.includes(rule.id));
    const failures = mine.filter((r) => r.status === 'fail').map((r) => (r.failure ? { case: r.name, message: r.message, failure: r.failure } : { case: r.name, message: r.message }));
    const base = rule.config ? { id: rule.id, text: rule.text, source: rule.source, config: rule.config } : { id: rule.id, text: rule.text, source: rule.source };
    if (rule.optional && supports && !supports[rule.optional]) return { ...base, status: 'not-provided', failures: [] };
    if (failures.length) return { ...base, status: 'fail', failures };
    if (mine.some((r) => r.status === 'pass')) return { ...base, status: 'pass', failures: [] };
    if (mine.length && mine.every((r) => r.status === 'not-provided')) return { ...base, status: 'not-provided', failures: [] };
    return { ...base, status: 'fail', failures: [{ case: '(none)', message: 'no case checked this rule' }] };
  });
}

/** Problems in a suite's metadata: cases naming unknown rules, rules no case covers. */
export function checkSuiteCoverage(suite: Suite<never> | Suite<unknown>, rules: readonly Rule[]): string[] {
  const ids = new Set(rules.map((r) => r.id));
  const problems: string[] = [];
  const covered = new Set<string>();
  const names = new Set<string>();
  for (const c of suite.cases) {
    if (names.has(c.name)) problems.push(`two cases are named '${c.name}'`);
    names.add(c.name);
    if (c.rules.length === 0) problems.push(`case '${c.name}' names no rule`);
    for (const id of c.rules) {
      if (!ids.has(id)) problems.push(`case '${c.name}' names unknown rule '${id}'`);
      covered.add(id);
    }
    const config = caseConfig(c.rules, rules);
    if (typeof config === 'string') problems.push(`case '${c.name}': ${config}`);
  }
  for (const r of rules) if (!covered.has(r.id)) problems.push(`rule '${r.id}' is checked by no case`);
  return problems;
}

/**
 * Property cases (fast-check) whose failure a student can read: checkProperty() runs the
 * property, lets fast-check shrink a failing input, then runs the shrunk input once more with an
 * operation log, so the failure carries the sequence of calls the suite made (with what they
 * returned), the assertion that failed, and the seed and path that replay it. Never the raw
 * fast-check report.
 */
import fc from 'fast-check';
import { AssertionFailure, errorText } from './assert.js';

/** Where a property case writes the calls it makes while the shrunk input replays (absent during the random runs). */
export interface OperationLog {
  /** One call as the student would write it, with its result: `allocPages(GFP_KERNEL, order 3) -> pfn 0x1200`. */
  op(line: string): void;
  /** A step of the suite's own between calls: `then the suite frees what is held and drains the per-cpu lists`. */
  note(line: string): void;
}

/** What replays one property failure: the case, and fast-check's seed and path to the shrunk input. */
export interface PropertyReplay {
  readonly seed: number;
  /** fast-check's path to the counterexample ("12:3:0"): with the seed, the input replays without any random run. */
  readonly path: string;
  /** Random runs the grade made (with the seed alone, at least as many replay the failure). */
  readonly propertyRuns: number;
}

export interface PropertyFailureDetails extends PropertyReplay {
  /** Runs until the first failure. */
  readonly runs: number;
  /** Shrinking steps that led to the input shown. */
  readonly shrinks: number;
  /** The shrunk input, as calls and their results (and the suite's own steps, prefixed "--"). */
  readonly operations: readonly string[];
  /** False when running the shrunk input again did not fail (the implementation is not deterministic); `operations` is then the input without results. */
  readonly reproduced: boolean;
}

/** "1 run", "3 runs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A property failed: the assertion (or exception) of the shrunk input, with the details. */
export class PropertyFailure extends AssertionFailure {
  readonly property: PropertyFailureDetails;
  /** What failed inside the property, as thrown. */
  readonly inner: unknown;
  /** The one-line summary (the message adds the operations, for a test runner). */
  readonly summary: string;

  constructor(inner: unknown, details: PropertyFailureDetails) {
    const what = inner instanceof AssertionFailure ? inner.message : `unexpected exception ${errorText(inner)}`;
    const calls = details.operations.filter((l) => !l.startsWith('--')).length;
    const summary = `${what} (property: ${plural(calls, 'call')} in the shrunk input, ${plural(details.shrinks, 'shrinking step')} after ${plural(details.runs, 'run')}; seed ${details.seed}, path ${details.path})`;
    const lines = details.operations.map((l) => `  ${l}`);
    super(`${summary}\n${lines.join('\n')}`, {
      operator: inner instanceof AssertionFailure ? inner.operator : 'property',
      expected: inner instanceof AssertionFailure ? inner.expected : undefined,
      actual: inner instanceof AssertionFailure ? inner.actual : inner,
    });
    this.name = 'PropertyFailure';
    this.property = details;
    this.inner = inner;
    this.summary = summary;
  }
}

export interface CheckPropertyOptions {
  readonly propertyRuns: number;
  readonly seed: number;
  /** Replay this counterexample path (from a failure's replay) instead of random runs. */
  readonly replayPath?: string;
  /** The input as operations, when a replay does not reach the log (used only if the rerun does not fail). */
  readonly describe?: (value: never) => readonly string[];
}

/**
 * Run `predicate` on inputs from `arbitrary` (fast-check, shrinking on failure); on a failure
 * throw a PropertyFailure whose operations are what `predicate` logged while running the shrunk
 * input once more. `predicate` gets a log only on that last run: it must log every call it makes
 * and may skip the work of building lines otherwise.
 */
export function checkProperty<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T, log: OperationLog | undefined) => void, opts: CheckPropertyOptions): void {
  const details = fc.check(
    fc.property(arbitrary, (value) => {
      predicate(value, undefined);
    }),
    { numRuns: opts.propertyRuns, seed: opts.seed, ...(opts.replayPath ? { path: opts.replayPath } : {}) },
  );
  if (!details.failed) return;
  if (details.counterexample === null || details.counterexamplePath === null) {
    throw new AssertionFailure(`the property did not complete: ${details.interrupted ? 'interrupted' : errorText(details.errorInstance)}`, { operator: 'property' });
  }
  const [value] = details.counterexample;
  const lines: string[] = [];
  const log: OperationLog = { op: (l) => lines.push(l), note: (l) => lines.push(`-- ${l}`) };
  let again: unknown;
  let failedAgain = false;
  try {
    predicate(value, log);
  } catch (err) {
    failedAgain = true;
    again = err;
  }
  const reproduced = failedAgain;
  const operations = reproduced ? lines : [...(opts.describe ? (opts.describe as (v: T) => readonly string[])(value) : [fc.stringify(value)]), '-- (running it again did not fail: the implementation is not deterministic)'];
  if (reproduced) operations.push(again instanceof AssertionFailure ? '-- the assertion fails here' : `-- here it throws ${errorText(again)}`);
  const path = opts.replayPath && details.numRuns <= 1 ? opts.replayPath : details.counterexamplePath;
  throw new PropertyFailure(reproduced ? again : details.errorInstance, {
    seed: details.seed,
    path,
    propertyRuns: opts.propertyRuns,
    runs: details.numRuns,
    shrinks: details.numShrinks,
    operations,
    reproduced,
  });
}

/**
 * A tiny assertion library for suites that run without a test framework (the grader's worker)
 * as well as inside vitest. A failing assertion throws an AssertionFailure carrying what was
 * expected and what was found.
 */
import { isDeepStrictEqual, inspect } from 'node:util';

export class AssertionFailure extends Error {
  readonly expected: unknown;
  readonly actual: unknown;
  readonly operator: string;

  constructor(message: string, options: { expected?: unknown; actual?: unknown; operator: string }) {
    super(message);
    this.name = 'AssertionFailure';
    this.expected = options.expected;
    this.actual = options.actual;
    this.operator = options.operator;
  }
}

/** A short, single-line rendering of a value for messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  return inspect(value, { depth: 4, breakLength: Infinity, compact: true, maxArrayLength: 20, maxStringLength: 200 });
}

/** The most of one value a report carries (the rest is cut with a note): 64 KiB. */
export const FULL_VALUE_LIMIT = 64 * 1024;

/** A value in full (every element, every level), multi-line when long; past FULL_VALUE_LIMIT characters it is cut, saying so. */
export function showFull(value: unknown): string {
  const text = typeof value === 'string'
    ? JSON.stringify(value)
    : inspect(value, { depth: Infinity, breakLength: 100, maxArrayLength: Infinity, maxStringLength: Infinity, compact: 3 });
  return text.length > FULL_VALUE_LIMIT ? `${text.slice(0, FULL_VALUE_LIMIT)}… (cut: ${text.length - FULL_VALUE_LIMIT} more characters)` : text;
}

function isListLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/**
 * Where two values first differ, for a report: the first index of two arrays (or typed arrays)
 * whose elements differ, or their lengths; the first differing key of two plain objects;
 * undefined for anything else or equal values.
 */
export function firstDifference(actual: unknown, expected: unknown): string | undefined {
  if (isListLike(actual) && isListLike(expected)) {
    const n = Math.min(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      if (!isDeepStrictEqual(actual[i], expected[i])) return `first difference at index ${i}: expected ${show(expected[i])}, got ${show(actual[i])}`;
    }
    if (actual.length !== expected.length) {
      const longer = actual.length > expected.length ? `got ${actual.length - n} more: ${show(actual[n])} first` : `${expected.length - n} missing: ${show(expected[n])} first`;
      return `lengths differ: expected ${expected.length}, got ${actual.length} (${longer})`;
    }
    return undefined;
  }
  if (actual !== null && expected !== null && typeof actual === 'object' && typeof expected === 'object' && !isListLike(actual) && !isListLike(expected)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      const a = (actual as Record<string, unknown>)[key];
      const e = (expected as Record<string, unknown>)[key];
      if (!isDeepStrictEqual(a, e)) return `first difference at .${key}: expected ${show(e)}, got ${show(a)}`;
    }
  }
  return undefined;
}

function prefix(message: string | undefined): string {
  return message ? `${message}: ` : '';
}

export function fail(message: string, details?: { expected?: unknown; actual?: unknown }): never {
  throw new AssertionFailure(message, { ...details, operator: 'fail' });
}

export function ok(value: unknown, message?: string): asserts value {
  if (!value) throw new AssertionFailure(`${prefix(message)}expected a truthy value, got ${show(value)}`, { expected: true, actual: value, operator: 'ok' });
}

/** Strict equality (Object.is). */
export function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionFailure(`${prefix(message)}expected ${show(expected)}, got ${show(actual)}`, { expected, actual, operator: 'equal' });
  }
}

export function notEqual<T>(actual: T, unexpected: T, message?: string): void {
  if (Object.is(actual, unexpected)) {
    throw new AssertionFailure(`${prefix(message)}expected anything but ${show(unexpected)}`, { expected: unexpected, actual, operator: 'notEqual' });
  }
}

/** Structural equality (typed arrays, arrays, plain objects, maps, sets). */
export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    // Long lists: where they differ says more in one line than their first 20 items (the report carries both in full).
    const lengths = isListLike(actual) && isListLike(expected) ? [expected.length, actual.length] : undefined;
    const difference = lengths && Math.max(...lengths) > 20 ? firstDifference(actual, expected) : undefined;
    const text = lengths && difference
      ? `${prefix(message)}expected a list of ${lengths[0]} items, got ${lengths[1]}; ${difference}`
      : `${prefix(message)}expected ${show(expected)}, got ${show(actual)}`;
    throw new AssertionFailure(text, { expected, actual, operator: 'deepEqual' });
  }
}

export function atMost(actual: number, limit: number, message?: string): void {
  if (!(actual <= limit)) {
    throw new AssertionFailure(`${prefix(message)}expected at most ${limit}, got ${actual}`, { expected: `<= ${limit}`, actual, operator: 'atMost' });
  }
}

export function atLeast(actual: number, limit: number, message?: string): void {
  if (!(actual >= limit)) {
    throw new AssertionFailure(`${prefix(message)}expected at least ${limit}, got ${actual}`, { expected: `>= ${limit}`, actual, operator: 'atLeast' });
  }
}

export function inRange(actual: number, lo: number, hi: number, message?: string): void {
  if (!(actual >= lo && actual <= hi)) {
    throw new AssertionFailure(`${prefix(message)}expected a value in [${lo}, ${hi}], got ${actual}`, { expected: `[${lo}, ${hi}]`, actual, operator: 'inRange' });
  }
}

export function match(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) {
    throw new AssertionFailure(`${prefix(message)}expected ${show(actual)} to match ${String(pattern)}`, { expected: pattern, actual, operator: 'match' });
  }
}

/**
 * fn must throw; when `check` is given the error must satisfy it (a predicate, or an error
 * name or constructor). Returns the error.
 */
export function throws(fn: () => unknown, check?: string | ((err: unknown) => boolean) | (abstract new (...args: never[]) => unknown), message?: string): unknown {
  let threw = false;
  let error: unknown;
  try {
    fn();
  } catch (err) {
    threw = true;
    error = err;
  }
  if (!threw) throw new AssertionFailure(`${prefix(message)}expected an exception, none was thrown`, { expected: check ?? 'an exception', actual: 'no exception', operator: 'throws' });
  if (check !== undefined && !errorMatches(error, check)) {
    throw new AssertionFailure(`${prefix(message)}the exception ${show(errorText(error))} is not the expected ${describeCheck(check)}`, { expected: describeCheck(check), actual: error, operator: 'throws' });
  }
  return error;
}

/** fn must not throw; an exception becomes an AssertionFailure naming it. */
export function doesNotThrow<T>(fn: () => T, message?: string): T {
  try {
    return fn();
  } catch (err) {
    throw new AssertionFailure(`${prefix(message)}unexpected exception ${errorText(err)}`, { expected: 'no exception', actual: err, operator: 'doesNotThrow' });
  }
}

function errorMatches(error: unknown, check: string | ((err: unknown) => boolean) | (abstract new (...args: never[]) => unknown)): boolean {
  if (typeof check === 'string') return error instanceof Error && (error.name === check || error.constructor.name === check);
  if (check.prototype !== undefined && Object.prototype.isPrototypeOf.call(check.prototype, error as object)) return true;
  if (check.prototype !== undefined && (check as { name?: string }).name && error instanceof Error && error.name === (check as { name: string }).name) return true;
  try {
    return (check as (err: unknown) => boolean)(error) === true;
  } catch {
    return false;
  }
}

function describeCheck(check: unknown): string {
  if (typeof check === 'string') return check;
  if (typeof check === 'function' && check.prototype !== undefined && (check as { name?: string }).name) return (check as { name: string }).name;
  return 'error';
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

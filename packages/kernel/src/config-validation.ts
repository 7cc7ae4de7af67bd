/**
 * Checks of createKernel()'s configuration, shared by every config field: a value of the wrong
 * type, NaN, an infinity, a fraction where Linux takes an integer, a value out of range or an
 * unknown key is refused with a KernelConfigError whose one-line message names the field, what
 * it takes and what it got, before anything is built. Names a user gives (presets, slab
 * implementations, sysctls, keys of option objects) are looked up as own properties or in
 * Maps, so 'constructor' or '__proto__' is a name like any other.
 *
 * Usage, for a field `foo: { bar?: number; mode?: 'a' | 'b' }`:
 *   const foo = configObject('foo', config.foo, ['bar', 'mode']);
 *   if (foo) { configInt('foo.bar', foo.bar, { min: 0 }); configOneOf('foo.mode', foo.mode, ['a', 'b']); }
 * Each check returns the value (typed) or undefined when the field is absent.
 */

/** A configuration the kernel cannot boot from: a clear message, never a half-built kernel. */
export class KernelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelConfigError';
  }
}

/** How a value shows in a message: strings quoted, numbers as JS prints them (NaN, Infinity), others by type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

export interface IntRange {
  /** Smallest value accepted (default Number.MIN_SAFE_INTEGER). */
  min?: number;
  /** Largest value accepted (default Number.MAX_SAFE_INTEGER). */
  max?: number;
}

function rangeText(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  return `an integer in [${min}, ${max}]`;
}

/** A safe integer in [min, max]; undefined passes (field absent). */
export function configInt(what: string, value: unknown, range: IntRange = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new KernelConfigError(`${what} must be ${rangeText(min, max)}, got ${describeValue(value)}`);
  }
  return value;
}

/** A finite number in [min, max] (fractions allowed); undefined passes. */
export function configNumber(what: string, value: unknown, range: IntRange = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = range.min ?? -Number.MAX_VALUE;
  const max = range.max ?? Number.MAX_VALUE;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const bounds = max === Number.MAX_VALUE ? (min === 0 ? 'a finite number >= 0' : `a finite number >= ${min}`) : `a number in [${min}, ${max}]`;
    throw new KernelConfigError(`${what} must be ${bounds}, got ${describeValue(value)}`);
  }
  return value;
}

/** true or false; undefined passes. */
export function configBool(what: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new KernelConfigError(`${what} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** One of the given strings; undefined passes. */
export function configOneOf<T extends string>(what: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new KernelConfigError(`${what} must be ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * A plain object whose own keys are all among `allowed` (an unknown key is a typo the caller
 * would otherwise never hear of); undefined passes. Keys are own enumerable string keys, so
 * an inherited 'constructor' is never read.
 */
export function configObject<T extends object>(what: string, value: T | undefined, allowed: readonly (keyof T & string)[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KernelConfigError(`${what} must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw new KernelConfigError(`${what}: unknown field '${key}' (known: ${allowed.join(', ')})`);
    }
  }
  return value;
}

/** record[key] when `key` is an own property of `record`, else undefined: user-given names never reach Object.prototype. */
export function ownEntry<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * One default for property tests everywhere (unit tests, conformance suites, the grader):
 * MMKIT_PROPERTY_RUNS when set, else DEFAULT_PROPERTY_RUNS. Long campaigns set the variable
 * (or use `mmkit grade --property-runs`); `npm test` keeps the default small.
 */

/** Random runs of a property when MMKIT_PROPERTY_RUNS is not set. */
export const DEFAULT_PROPERTY_RUNS = 200;

/** MMKIT_PROPERTY_RUNS (a positive integer), or DEFAULT_PROPERTY_RUNS. A bad value is an error, not a silent default. */
export function propertyRuns(): number {
  const env = typeof process !== 'undefined' ? process.env.MMKIT_PROPERTY_RUNS : undefined;
  if (env === undefined || env === '') return DEFAULT_PROPERTY_RUNS;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`MMKIT_PROPERTY_RUNS must be a positive integer, got '${env}'`);
  return n;
}

/**
 * Every contract the conformance kit knows, one line each: adding a contract is adding its
 * folder (descriptor, rules, suite, mutants) and its line here. Everything else (the grader,
 * the CLI, `mmkit mutants`, the README tables, the docs, the tests) reads this list.
 */
import type { AnyContract } from '../contract.js';

export const CONTRACTS: readonly AnyContract[] = [
  (await import('./page-allocator/index.js')).default,
  (await import('./slab-allocator/index.js')).default,
  (await import('./mmap/index.js')).default,
];

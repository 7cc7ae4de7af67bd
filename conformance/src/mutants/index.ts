/**
 * @mmkit/conformance/mutants: every mutant of every contract in the registry. Mutants import
 * the reference implementations they mutate, so they live behind their own entry point; the
 * main entry loads them only on demand (allMutants(), mutantById()).
 */
import { allMutants } from '../contracts/index.js';
import type { MutantOf } from './types.js';

export type { Mutant, MutantOf } from './types.js';
export { allMutants, mutantById, mutantTableMarkdown } from '../contracts/index.js';

/** Every mutant, contract by contract in registry order. */
export const MUTANTS: readonly MutantOf<unknown>[] = await allMutants();

/** Every mutant the suites must catch. */
import { BUDDY_MUTANTS } from './buddy.js';
import { SLAB_MUTANTS } from './slab.js';
import type { Mutant } from './types.js';

export type { Mutant } from './types.js';
export { BUDDY_MUTANTS } from './buddy.js';
export { SLAB_MUTANTS } from './slab.js';

export const MUTANTS: readonly Mutant[] = [...BUDDY_MUTANTS, ...SLAB_MUTANTS];

export function mutantById(id: string): Mutant | undefined {
  return MUTANTS.find((m) => m.id === id);
}

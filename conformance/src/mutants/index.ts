/** Every mutant the suites must catch. */
import { BUDDY_MUTANTS } from '../contracts/page-allocator/mutants.js';
import { SLAB_ALLOCATOR_MUTANTS } from '../contracts/slab-allocator/mutants/index.js';
import type { Mutant } from './types.js';

export type { Mutant } from './types.js';
export { BUDDY_MUTANTS } from '../contracts/page-allocator/mutants.js';
export { SLAB_ALLOCATOR_MUTANTS as SLAB_MUTANTS } from '../contracts/slab-allocator/mutants/index.js';

export const MUTANTS: readonly Mutant[] = [...BUDDY_MUTANTS, ...SLAB_ALLOCATOR_MUTANTS];

export function mutantById(id: string): Mutant | undefined {
  return MUTANTS.find((m) => m.id === id);
}

/** Every mutant the suites must catch. */
import { BUDDY_MUTANTS, type Mutant } from './buddy.js';

export type { Mutant } from './buddy.js';
export { BUDDY_MUTANTS } from './buddy.js';

export const MUTANTS: readonly Mutant[] = [...BUDDY_MUTANTS];

export function mutantById(id: string): Mutant | undefined {
  return MUTANTS.find((m) => m.id === id);
}

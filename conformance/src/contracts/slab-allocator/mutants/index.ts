/** Mutants of the object allocators (SLUB and SLAB), one file per implementation. */
import type { Mutant } from '../../../mutants/types.js';
import { SLAB_MUTANTS } from './slab.js';
import { SLUB_MUTANTS } from './slub.js';

export const SLAB_ALLOCATOR_MUTANTS: readonly Mutant[] = [...SLUB_MUTANTS, ...SLAB_MUTANTS];

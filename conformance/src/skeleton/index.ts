/** The skeleton of each contract of the registry (see types.ts), looked up by contract id. */
import { SKELETONS } from './skeletons.js';
import type { ContractSkeleton } from './types.js';

export { SKELETONS } from './skeletons.js';
export type { ContractSkeleton, SkeletonMember } from './types.js';

/** The skeleton of a contract id (an own property: 'constructor' has none), or undefined. */
export function skeletonOf(id: string): ContractSkeleton | undefined {
  return Object.hasOwn(SKELETONS, id) ? SKELETONS[id] : undefined;
}

/**
 * What `mmkit new` writes a contract's skeleton from: the members of the contract's interface in
 * @mmkit/core, as data. skeletons.ts holds them for every contract of the registry, generated
 * from the interfaces by conformance/test/skeletons.test.ts (which fails when they drift;
 * MMKIT_UPDATE_SKELETONS=1 regenerates them).
 */

/** One required member of the interface, in declaration order. */
export interface SkeletonMember {
  readonly name: string;
  readonly kind: 'method' | 'property';
  /** A method's parameter list as the interface writes it: `(gfp: Gfp, order: number, preferredNid?: number)`. */
  readonly params?: string;
  /** A method's return type, a property's type: `Pfn`, `readonly number[]`. */
  readonly type: string;
  /** A property whose type is an object of boolean flags (a `supports` manifest): its required flags, which the skeleton sets to false. */
  readonly flags?: readonly string[];
  /** The member's doc comment, as lines without the comment markers. */
  readonly doc?: readonly string[];
}

export interface ContractSkeleton {
  /** The interface (`PageAllocator`), its factory type (`PageAllocatorFactory`) and the factory's parameter type (`PageAllocatorServices`). */
  readonly contract: string;
  readonly factory: string;
  readonly services: string;
  /** The names the skeleton imports from @mmkit/core as types. */
  readonly typeImports: readonly string[];
  readonly members: readonly SkeletonMember[];
  /** Optional members (an implementation may leave them out): their names. */
  readonly optional: readonly string[];
}

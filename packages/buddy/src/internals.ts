/**
 * @mmkit/buddy/internals: the allocator's state and mechanisms, for mutants, variants and
 * experiments that need more than the hooks give. UNSTABLE: no semver promise; names follow
 * mm/page_alloc.c and may change with the model.
 */
export { buddyState } from './buddy-allocator.js';
export { BuddyState, NO_ZONE, INT_MAX, freeListIndex, isIntIn, type AllocContext } from './state.js';
export { DEFAULT_BUDDY_HOOKS, type BuddyHooks } from './hooks.js';
export * from './free-area.js';
export * from './free-pages.js';
export * from './page-extras.js';
export * from './bootmem.js';
export * from './cma-init.js';
export * from './pageblock.js';
export * from './per-cpu-pages.js';
export * from './rmqueue-fallback.js';
export * from './highatomic.js';
export * from './page-alloc.js';
export * from './watermark-setup.js';

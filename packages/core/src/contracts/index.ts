export * from './page-allocator.js';
export * from './subsystems.js';
export * from './slab-allocator.js';

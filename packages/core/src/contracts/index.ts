export * from './page-allocator.js';
export * from './subsystems.js';

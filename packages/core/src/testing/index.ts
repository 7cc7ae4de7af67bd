export { createTestMachine, type TestMachine } from './simple-page-allocator.js';
export * from './bench.js';

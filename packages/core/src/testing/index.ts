export { createTestMachine, type TestMachine } from './simple-page-allocator.js';
export * from './bench.js';
export { createZonedTestMachine, bootPageAllocator, buildLayout, MIB_PAGES, GIB_PAGES, type ZonedMachineSpec, type ZonedTestMachine } from './zoned-machine.js';
export { DEFAULT_PROPERTY_RUNS, propertyRuns } from './property-runs.js';

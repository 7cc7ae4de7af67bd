/**
 * Throughput of SLAB on the core test machine (256 MiB, 4 CPUs): the object-allocator workload of
 * @mmkit/core/testing (kmem_cache bursts of 64 and 1024 bytes, mixed kmalloc, bulk calls), each
 * case for about a second. Prints JSON; run from packages/slab with `npm run bench`.
 */
import { BENCH_BURST, benchSlabAllocator, createTestMachine } from '@mmkit/core/testing';
import { createSlabAllocator } from '../src/index.js';

const m = createTestMachine({ nrPages: 65536, nrCpus: 4 });
const slab = createSlabAllocator({
  ...m,
  shouldFailSlab: () => false,
  slabError: (kind, _cache, addr, message) => {
    throw new Error(`${kind} at ${addr}: ${message}`);
  },
});
const results = benchSlabAllocator(slab);
console.log(JSON.stringify({ bench: '@mmkit/slab', machine: { memory: '256 MiB', cpus: 4 }, node: process.version, burst: BENCH_BURST, results }, null, 2));

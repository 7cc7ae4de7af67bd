/**
 * Throughput of SLUB on the core test machine (256 MiB, 4 CPUs): the object-allocator workload of
 * @mmkit/core/testing (kmem_cache bursts of 64 and 1024 bytes, mixed kmalloc, bulk calls), each
 * case for about a second. Prints JSON; run from packages/slub with `npm run bench`.
 */
import { BENCH_BURST, benchSlabAllocator } from '@mmkit/core/testing';
import { createFixture } from '../test/test-fixture.js';

const f = createFixture({ nrCpus: 4, nrPages: 65536 });
const results = benchSlabAllocator(f.slub);
if (f.reports.length) throw new Error(`unexpected report: ${f.reports[0].message}`);
console.log(JSON.stringify({ bench: '@mmkit/slub', machine: { memory: '256 MiB', cpus: 4 }, node: process.version, burst: BENCH_BURST, results }, null, 2));

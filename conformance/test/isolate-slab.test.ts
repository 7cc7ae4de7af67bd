/**
 * The object-allocator protocol of the isolated grade (src/grader/isolate/slab-allocator-*.ts)
 * between two real threads, in this process (no sandbox: the grades of grader.test and
 * hostile.test cover it under bwrap, where bwrap runs): SLAB, in a thread of its own on the
 * kernel's shared struct page and page contents, passes the suite's cases that cross the most
 * (constructors, KASAN's hooks nested in frees, misuse reports, bulk calls, cache_reap's work on
 * the kernel's queues, slabinfo), and a cache crosses as the grader's own object.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKernel } from '@mmkit/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuite, slabAllocatorSuite } from '../src/index.js';
import { isolatedSlabAllocators } from '../src/grader/isolate/slab-allocator-proxy.js';
import { startServerThread, type ServerThread } from './support/server-thread.js';

const SERVER = fileURLToPath(new URL('../src/grader/isolate/slab-allocator-server.ts', import.meta.url));
const CHANNEL = fileURLToPath(new URL('../src/grader/isolate/call-channel.ts', import.meta.url));

// The submission's thread, as runIsolate() serves it: SLAB as the submission, SLUB as the reference.
const WORKER = `
import { workerData, parentPort } from 'node:worker_threads';
import { createSlabAllocator } from '@mmkit/slab';
import { createSlubAllocator } from '@mmkit/slub';
import { CallChannel } from ${JSON.stringify(CHANNEL)};
import { slabAllocatorServer } from ${JSON.stringify(SERVER)};
const ch = CallChannel.attach(workerData.channel);
ch.handler = slabAllocatorServer({ channel: ch, setupPort: workerData.port, factory: createSlabAllocator, reference: createSlubAllocator });
parentPort.postMessage('ready');
const turn = () => new Promise((r) => setImmediate(r));
for (;;) { while (ch.serveOne(20)) await Promise.resolve(); await turn(); }
`;

let thread: ServerThread | undefined;
let iso: ReturnType<typeof isolatedSlabAllocators>;
beforeAll(async () => {
  thread = await startServerThread(WORKER, path.dirname(SERVER));
  iso = isolatedSlabAllocators(thread.channel, thread.port);
}, 60_000);
afterAll(() => thread?.stop());

describe('an object allocator in a thread of its own', () => {
  it("passes the suite's cases that cross the most, its caches crossing as the grader's objects", async () => {
    const filter = /ctor-own-cache|ctor-throws|kasan\.(honour-answer|cache-shutdown)|wrong-cache-unchecked|object\.bulk|cache-reap/;
    const results = await runSuite(slabAllocatorSuite, iso.factory, { filter, propertyRuns: 2, onCaseStart: () => iso.releaseAll() });
    expect(results.length).toBeGreaterThanOrEqual(7);
    expect(results.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.message}`)).toEqual([]);
    expect(results.filter((r) => r.rules.some((id) => id.startsWith('slab-allocator.cache-reap.'))).map((r) => r.status)).toEqual(['pass', 'pass']);
    iso.releaseAll();
    // The allocator's caches are the grader's objects, the same one each time a cache comes back.
    const k = createKernel({ machine: { mem: 64 * 2 ** 20 }, nrCpus: 1, thp: 'never', slab: iso.factory });
    expect(k.slab.name).toBe('slab');
    const c = k.slab.kmemCacheCreate('iso_test', 100, 0, 0)!;
    expect(c).toMatchObject({ name: 'iso_test', objectSize: 100 });
    expect(k.slab.caches()).toContain(c);
    const a = k.slab.kmemCacheAlloc(c, 0xcc0);
    k.phys.write(a, Uint8Array.of(1, 2, 3));
    expect(k.slab.slabinfo(c).activeObjs).toBeGreaterThanOrEqual(1); // SLAB counts the objects of its per-cpu arrays as active
    k.slab.kmemCacheFree(c, a);
    expect(k.checkInvariants()).toEqual([]);
    iso.releaseAll();
  }, 60_000);
});

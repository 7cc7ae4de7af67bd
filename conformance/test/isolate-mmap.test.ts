/**
 * The address-spaces protocol of the isolated grade (src/grader/isolate/address-spaces-*.ts)
 * between two real threads, in this process (no sandbox: grader.test and hostile.test grade
 * under bwrap where it runs): every mmap rule's verdict is the same with the implementation in a
 * thread of its own, on the kernel's shared struct page and page contents, as in the suite's
 * realm: the reference passes all, and each mutant fails the same rules with the same failures.
 * By default the reference runs the whole suite and each mutant the cases of the rule it breaks;
 * MMKIT_ISOLATE=full runs the whole suite for every mutant too, and prints the times.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, type AddressSpacesFactory } from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateRules, mmapSuite, runSuite, type CaseResult } from '../src/index.js';
import type { CallChannel } from '../src/grader/isolate/call-channel.js';
import { isolatedAddressSpaces } from '../src/grader/isolate/address-spaces-proxy.js';
import { MMAP_MUTANTS } from '../src/contracts/mmap/mutants.js';
import { MMAP_RULES } from '../src/contracts/mmap/rules.js';
import { addressSpacesFeatures } from '../src/contracts/mmap/suite/index.js';
import { startServerThread, type ServerThread } from './support/server-thread.js';

const FULL = process.env.MMKIT_ISOLATE === 'full';
const SERVER = fileURLToPath(new URL('../src/grader/isolate/address-spaces-server.ts', import.meta.url));
const CHANNEL = fileURLToPath(new URL('../src/grader/isolate/call-channel.ts', import.meta.url));
const MUTANTS = fileURLToPath(new URL('../src/contracts/mmap/mutants.ts', import.meta.url));

// The submission's thread, as runIsolate() serves it; its factory is @mmkit/mmap (0) or mutant i - 1, as the test says in `which`.
const WORKER = `
import { workerData, parentPort } from 'node:worker_threads';
import { createAddressSpaces } from '@mmkit/mmap';
import { CallChannel } from ${JSON.stringify(CHANNEL)};
import { addressSpacesServer } from ${JSON.stringify(SERVER)};
import { MMAP_MUTANTS } from ${JSON.stringify(MUTANTS)};
const which = new Int32Array(workerData.which);
const factory = (services) => (which[0] === 0 ? createAddressSpaces : MMAP_MUTANTS[which[0] - 1].factory)(services);
const ch = CallChannel.attach(workerData.channel);
ch.handler = addressSpacesServer({ channel: ch, setupPort: workerData.port, factory, reference: createAddressSpaces });
parentPort.postMessage('ready');
const turn = () => new Promise((r) => setImmediate(r));
for (;;) { while (ch.serveOne(20)) await Promise.resolve(); await turn(); }
`;

let thread: ServerThread | undefined;
let iso: ReturnType<typeof isolatedAddressSpaces>;
let channel: CallChannel;
const which = new Int32Array(new SharedArrayBuffer(4));
beforeAll(async () => {
  thread = await startServerThread(WORKER, path.dirname(SERVER), { which: which.buffer });
  channel = thread.channel;
  iso = isolatedAddressSpaces(channel, thread.port);
}, 60_000);
afterAll(() => thread?.stop());

/** What a verdict is made of: each case's status and message, and the rules' verdicts. */
function verdicts(results: readonly CaseResult[], factory: AddressSpacesFactory | undefined) {
  const supports = addressSpacesFeatures(createKernel({ machine: { mem: 64 * 2 ** 20 }, nrCpus: 1, thp: 'never', pcp: false, ...(factory ? { addressSpaces: factory } : {}) }).addressSpaces!);
  iso.releaseAll();
  const rules = aggregateRules(MMAP_RULES, results, supports).map((v) => ({ id: v.id, status: v.status, failures: v.failures.map((f) => `${f.case}: ${f.message}`) }));
  return { cases: results.map((r) => ({ name: r.name, status: r.status, message: r.message })), rules };
}

/** The suite (or the cases of `filter`) on a factory in this realm, then on the same one in the submission's thread; the times of both. */
async function both(index: number, factory: AddressSpacesFactory | undefined, filter?: string) {
  const opts = filter ? { filter: [filter] } : {};
  let t = performance.now();
  const here = verdicts(await runSuite(mmapSuite, factory, opts), factory);
  const realmMs = performance.now() - t;
  which[0] = index;
  t = performance.now();
  const calls = channel.calls;
  const there = verdicts(await runSuite(mmapSuite, iso.factory, { ...opts, onCaseStart: () => iso.releaseAll() }), iso.factory);
  return { here, there, realmMs, isolatedMs: performance.now() - t, crossings: channel.calls - calls };
}

describe('address spaces in a thread of their own', () => {
  it('give every mmap rule the verdict they get in the suite\'s realm: the reference passes all', async () => {
    const r = await both(0, undefined);
    expect(r.there).toEqual(r.here);
    expect(r.here.rules.filter((v) => v.status !== 'pass')).toEqual([]);
    expect(r.crossings).toBeGreaterThan(500);
    if (FULL) console.log(`mmap suite, reference: ${r.realmMs.toFixed(0)} ms in one realm, ${r.isolatedMs.toFixed(0)} ms isolated (${r.crossings} crossings); load ${os.loadavg()[0].toFixed(1)}`);
  }, 60_000);

  it('and each mutant fails the same rules, with the same failures', async () => {
    let realmMs = 0;
    let isolatedMs = 0;
    for (const [i, m] of MMAP_MUTANTS.entries()) {
      const r = await both(i + 1, m.factory as AddressSpacesFactory, FULL ? undefined : m.breaks);
      expect(r.there, m.id).toEqual(r.here);
      expect(r.here.rules.find((v) => v.id === m.breaks)?.status, m.id).toBe('fail');
      realmMs += r.realmMs;
      isolatedMs += r.isolatedMs;
    }
    if (FULL) console.log(`mmap suite, ${MMAP_MUTANTS.length} mutants: ${realmMs.toFixed(0)} ms in one realm, ${isolatedMs.toFixed(0)} ms isolated; load ${os.loadavg()[0].toFixed(1)}`);
  }, 120_000);

  it("maps memory a process writes and reads through the kernel's page tables, shared with the thread", () => {
    which[0] = 0;
    const k = createKernel({ machine: { mem: 64 * 2 ** 20 }, nrCpus: 1, thp: 'never', pcp: false, addressSpaces: iso.factory });
    expect(k.addressSpaces!.name).toBe('mmap');
    const p = k.spawn({ vmas: [] });
    const a = p.mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(p.write(a + 4096 + 5, Uint8Array.of(7, 8, 9)).ok).toBe(true);
    expect(p.read(a + 4096 + 4, 5)).toEqual({ ok: true, bytes: Uint8Array.of(0, 7, 8, 9, 0) });
    const c = p.fork();
    expect(c.write(a + 4096 + 5, Uint8Array.of(1)).ok).toBe(true);
    expect(p.read(a + 4096 + 5, 1)).toEqual({ ok: true, bytes: Uint8Array.of(7) });
    expect(k.readFile(`/proc/${p.pid}/maps`)).toContain(`${a.toString(16)}-${(a + 8 * 4096).toString(16)} rw-p`);
    const seen: number[] = [];
    k.vmas!.forEachVma(p.mm, 0, 2 ** 47, (v) => seen.push(v.start));
    expect(seen).toEqual([a]);
    expect(k.checkInvariants()).toEqual([]);
    // A bigint argument crosses exactly: 2^64 - 4096 is no address (munmap's EINVAL).
    expect(k.addressSpaces!.munmap(p.mm, 2n ** 64n - 4096n, 4096)).toBe(-22);
    c.exit();
    p.exit();
    iso.releaseAll();
  }, 30_000);
});

/**
 * The grader's worker: loads the implementation (a module, a mutant, or the kernel's default),
 * runs the suite case by case, reporting each result to the main thread as it finishes, then
 * measures throughput and fragmentation.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PageAllocatorFactory } from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import { runSuite } from '../suite.js';
import { pageAllocatorSuite } from '../suites/page-allocator.js';
import { measureFragmentation, measureThroughput } from './bench.js';
import { loadModule, pickFactory } from './load.js';
import type { FromWorker, WorkerInput } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the grader worker must run in a worker thread');
const send = (m: FromWorker) => port.postMessage(m);

async function main(input: WorkerInput): Promise<void> {
  let factory: PageAllocatorFactory | undefined;
  if (input.mutant) {
    const { mutantById } = await import('../mutants/index.js');
    const m = mutantById(input.mutant);
    if (!m) throw new Error(`no mutant '${input.mutant}'`);
    factory = m.factory;
  } else if (input.module) {
    factory = pickFactory(await loadModule(input.module, input.cwd), input.module);
  }
  // Identify the implementation on a small machine (a boot failure is reported as such).
  const probe = createKernel({ machine: { mem: 64 * 2 ** 20 }, nrCpus: 1, thp: 'never', pageAllocator: factory });
  send({ type: 'start', implementation: probe.pageAllocator.name, supports: { ...probe.pageAllocator.supports } });
  const filter = input.filter ? new RegExp(input.filter) : undefined;
  await runSuite(pageAllocatorSuite, factory, {
    propertyRuns: input.propertyRuns,
    seed: input.seed,
    filter,
    onCase: (result) => send({ type: 'case', result }),
  });
  if (input.bench) {
    send({ type: 'bench', throughput: measureThroughput(factory), fragmentation: measureFragmentation(factory, input.seed ?? 1) });
  }
  send({ type: 'done' });
}

main(workerData as WorkerInput).catch((err: unknown) => {
  send({ type: 'fatal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});

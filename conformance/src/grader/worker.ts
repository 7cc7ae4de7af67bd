/**
 * The grader's worker: loads the implementation (a module, a mutant, or the kernel's default),
 * runs the contract's suite case by case, reporting each result to the main thread as it
 * finishes, then measures what the contract measures (throughput, fragmentation).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSuite } from '../suite.js';
import { contractByName, mutantById } from '../contracts/index.js';
import { LoadError, loadModule, pickFactory } from './load.js';
import type { FromWorker, WorkerInput } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the grader worker must run in a worker thread');
const send = (m: FromWorker) => port.postMessage(m);

async function main(input: WorkerInput): Promise<void> {
  const spec = contractByName(input.contract);
  if (!spec) throw new Error(`no contract '${input.contract}' in the registry`);
  let factory: unknown;
  if (input.mutant) {
    const m = (await spec.mutants()).find((x) => x.id === input.mutant);
    if (!m) {
      const other = await mutantById(input.mutant);
      throw new Error(other ? `mutant '${input.mutant}' is a mutant of the ${other.contract} contract, not of ${spec.id}` : `no mutant '${input.mutant}'`);
    }
    factory = m.factory;
  } else if (input.module) {
    factory = pickFactory(await loadModule(input.module, input.cwd), input.module, spec);
  }
  // Identify the implementation on a small machine (a boot failure is reported as such).
  send({ type: 'start', ...spec.identify(factory) });
  const filter = input.filter ? new RegExp(input.filter) : undefined;
  await runSuite(spec.suite, factory, {
    propertyRuns: input.propertyRuns,
    seed: input.seed,
    replayPath: input.replayPath,
    filter,
    onCase: (result) => send({ type: 'case', result }),
  });
  if (input.bench) send({ type: 'bench', ...spec.bench(factory, input.seed ?? 1) });
  send({ type: 'done' });
}

main(workerData as WorkerInput).catch((err: unknown) => {
  if (err instanceof LoadError) send({ type: 'fatal', message: err.message, load: true });
  else send({ type: 'fatal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});

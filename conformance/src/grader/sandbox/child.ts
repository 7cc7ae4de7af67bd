/**
 * The sandboxed child of a grade (run by the grader as a bundle, inside the sandbox): reads the
 * channel key, freezes the suite, records the built-ins, loads the submission's bundle, runs the
 * contract's suite against it case by case and reports each result as a signed line on fd 3.
 *
 * Nothing here is exported and nothing is stored where the submission can reach it: the key and
 * the signer live in this module's closures, the submission gets only the kernel services its
 * factory is handed. What it changes of the shared built-ins is found after every case (tamper.ts)
 * and reported as a violation, which fails the grade.
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { LazyPageArray, PageContents, PageStore, PhysMemory, Scheduler, Zone, type KmemCache, type PageAllocator, type SlabAllocator } from '@mmkit/core';
import type { BenchIsolation } from '../../contract.js';
import type { ThroughputMethod } from '../types.js';
import { Worker } from 'node:worker_threads';
import { contractByName, mutantById } from '../../contracts/index.js';
import { runSuite, type CaseResult } from '../../suite.js';
import { LoadError, describeLoadFailure, pickFactory } from '../load.js';
import { CHANNEL_FD, KEY_BYTES, KEY_FD, channelLine, writeLine, type ChildMessage } from './channel.js';
import { hmacSigner } from './hmac.js';
import { deepFreeze, snapshotBuiltins, type BuiltinsSnapshot } from './tamper.js';
import { OperationTracker } from './operations.js';
import { submissionFrame } from './frames.js';
import { PeerDeadError } from '../isolate/call-channel.js';
import { startIsolate, type StartedIsolate } from '../isolate/worker.js';
import { ISOLATED_CONTRACTS } from '../isolate/protocol.js';

export interface ChildInput {
  readonly contract: string;
  /** file: URL of the submission's bundle. */
  readonly bundle?: string;
  /** What the user asked for (a path or a package), for messages. */
  readonly module?: string;
  /** The submission's file (a path-like MODULE), for load failures. */
  readonly moduleFile?: string;
  /** The submission's folder: stack frames there are its own. */
  readonly submissionDir?: string;
  readonly mutant?: string;
  readonly bench: boolean;
  readonly throughputMethod?: Partial<ThroughputMethod>;
  readonly propertyRuns?: number;
  readonly seed?: number;
  readonly replayPath?: string;
  readonly filter?: string;
  /** Start the watchdog thread (the bwrap layer; the permission layer allows no threads). */
  readonly watchdog: boolean;
  /**
   * Run the submission in a thread of its own (isolate/): the suite, the kernel and the channel
   * stay in this one, out of its realm. Needs threads (the bwrap layer) and a contract whose
   * protocol is built (ISOLATED_CONTRACTS: the page and object allocators, the address spaces).
   */
  readonly isolate?: boolean;
}

const exit = process.exit.bind(process);

const errorText = (err: unknown): string => {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${String(err)}`;
  } catch {
    return 'thrown: a value that cannot be shown';
  }
};

function readKey(): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  let got = 0;
  while (got < KEY_BYTES) {
    const n = readSync(KEY_FD, key, got, KEY_BYTES - got, null);
    if (n === 0) throw new Error('the grader closed the key pipe early');
    got += n;
  }
  closeSync(KEY_FD);
  return key;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as ChildInput;
  const key = readKey();
  const sign = hmacSigner(key);
  const seq = new Int32Array(new SharedArrayBuffer(4));
  const send = (m: ChildMessage): void => {
    try {
      writeLine(CHANNEL_FD, channelLine(Atomics.add(seq, 0, 1), m, sign));
    } catch {
      // The channel is gone (the submission closed fd 3?): the grader sees the run end without "done".
    }
  };
  try {
    await grade(input, key, seq, send);
  } catch (err) {
    // Whatever went wrong, the grader hears it: a fatal message also makes it close stdin, which
    // ends the watchdog's read (a thread blocked in a read holds process.exit() up).
    send(err instanceof PeerDeadError ? { type: 'crash', message: err.message } : { type: 'fatal', message: `the grader's child failed: ${errorText(err)}` });
    throw err;
  }
}

/** The grade itself, once the channel is up. */
async function grade(input: ChildInput, key: Uint8Array, seq: Int32Array, send: (m: ChildMessage) => void): Promise<void> {
  const spec = contractByName(input.contract);
  if (!spec) throw new Error(`no contract '${input.contract}' in the registry`);
  const tracker = new OperationTracker();
  if (input.watchdog) {
    // The watchdog's own bundle, beside this one (watchdog.ts).
    const watchdog = new Worker(new URL('./watchdog.mjs', import.meta.url), { workerData: { key, seq: seq.buffer, state: tracker.buffer } });
    watchdog.unref();
    tracker.attach(watchdog);
  }
  key.fill(0);

  let factory: unknown;
  if (input.mutant) {
    const m = (await spec.mutants()).find((x) => x.id === input.mutant);
    if (!m) {
      const other = await mutantById(input.mutant);
      send({ type: 'fatal', message: other ? `mutant '${input.mutant}' is a mutant of the ${other.contract} contract, not of ${spec.id}` : `no mutant '${input.mutant}'` });
      return;
    }
    factory = m.factory;
  }
  // Everything the suite decides with is frozen before the submission's first line runs.
  deepFreeze(spec.suite);
  deepFreeze(spec.rules);
  // The classes of the kernel state a factory is handed: their methods are the kernel's, not the submission's.
  for (const c of [Zone, PageStore, LazyPageArray, PageContents, PhysMemory, Scheduler]) Object.freeze(c.prototype);
  const builtins: BuiltinsSnapshot = snapshotBuiltins();
  const report = (where: string): boolean => {
    const changed = builtins.changes();
    if (!changed.length) return true;
    send({ type: 'violation', message: `the submission changed built-ins the grader relies on (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}), noticed ${where}` });
    return false;
  };
  const dir = input.submissionDir;
  process.on('uncaughtException', (err) => {
    send({ type: 'crash', message: `${errorText(err)}${frameNote(err, dir)}${tracker.describe()}` });
    exit(1);
  });
  process.on('unhandledRejection', (err) => {
    send({ type: 'crash', message: `unhandled rejection: ${errorText(err)}${frameNote(err, dir)}${tracker.describe()}` });
    exit(1);
  });

  let isolated: StartedIsolate | undefined;
  /** The submission's thread is gone (an uncaught exception there, or it ended itself): a crash, with its last words. */
  const threadDied = (): never => {
    const c = isolated?.channel;
    send({ type: 'crash', message: `${c?.peerDead ? c.deadMessage() : "the submission's thread ended"}${tracker.describe()}` });
    return exit(1);
  };
  if (input.bundle && input.isolate && ISOLATED_CONTRACTS.has(spec.id)) {
    // The submission loads in its own thread; what it exports and what its module does stay there.
    tracker.enter('loading the module', []);
    try {
      isolated = await startIsolate(new URL('./isolate.mjs', import.meta.url), { bundle: input.bundle, module: input.module ?? 'the module', contract: spec, ...(dir ? { submissionDir: dir } : {}) });
      factory = isolated.factory;
    } catch (err) {
      send(err instanceof LoadError ? { type: 'fatal', message: err.message, load: true } : { type: 'fatal', message: describeLoadFailure(err, input.module ?? 'the module', input.moduleFile), load: true });
      return;
    } finally {
      tracker.leave();
    }
    const worker = isolated.worker;
    worker.on('error', (err) => {
      send({ type: 'crash', message: `${errorText(err)}${frameNote(err, dir)}${tracker.describe()}` });
      exit(1);
    });
    worker.on('exit', () => threadDied());
  } else if (input.bundle) {
    tracker.enter('loading the module', []);
    let mod: Record<string, unknown>;
    try {
      mod = ((await import(input.bundle)) as { default: Record<string, unknown> }).default;
    } catch (err) {
      if (report('while loading the module')) send({ type: 'fatal', message: describeLoadFailure(err, input.module ?? 'the module', input.moduleFile), load: true });
      return;
    } finally {
      tracker.leave();
    }
    try {
      factory = pickFactory(mod, input.module ?? 'the module', spec);
    } catch (err) {
      send(err instanceof LoadError ? { type: 'fatal', message: err.message, load: true } : { type: 'fatal', message: errorText(err) });
      return;
    }
  }
  const tracked = factory === undefined ? undefined : tracker.trackFactory(factory as (...args: unknown[]) => unknown);
  if (!report('while loading the module')) return;

  let identity: { implementation: string; supports: Record<string, boolean> };
  const booting = '(booting the implementation to identify it)';
  tracker.setCase(booting);
  send({ type: 'case-start', name: booting });
  try {
    identity = spec.identify(tracked);
  } catch (err) {
    if (err instanceof PeerDeadError) threadDied();
    if (report('while booting it')) send({ type: 'fatal', message: `the implementation failed to boot: ${errorText(err)}${frameNote(err, dir)}` });
    return;
  }
  send({ type: 'start', implementation: String(identity.implementation), supports: { ...identity.supports } });
  let clean = true;
  const probing = "(booting the implementation to read what it supports, before the first case)";
  tracker.setCase(probing);
  send({ type: 'case-start', name: probing });
  const filter = input.filter ? new RegExp(input.filter) : undefined;
  await runSuite(spec.suite, tracked, {
    propertyRuns: input.propertyRuns,
    seed: input.seed,
    ...(input.replayPath !== undefined ? { replayPath: input.replayPath } : {}),
    filter,
    onCaseStart: (name: string) => {
      // The kernels of the cases before are gone: so are their allocators in the submission's thread.
      if (isolated?.channel.peerDead) threadDied();
      isolated?.releaseAll();
      tracker.setCase(name);
      send({ type: 'case-start', name });
    },
    onCase: (result: CaseResult) => {
      if (clean) clean = report(`after case ${result.name}`);
      if (isolated?.channel.peerDead) threadDied();
      send({ type: 'case', result });
    },
  });
  tracker.setCase('the benchmark');
  if (input.bench && clean) {
    let figures: ReturnType<typeof spec.bench>;
    try {
      isolated?.releaseAll();
      // Isolated, the reference runs behind the same crossing, and each batch in one call: both sides pay the crossing alike.
      const iso = isolated;
      figures = spec.bench(tracked, input.seed ?? 1, iso ? benchIsolation(iso) : undefined, input.throughputMethod);
    } catch (err) {
      if (err instanceof PeerDeadError) threadDied();
      // An implementation that throws here (a skeleton not written yet) is a fatal report, not a child dying unheard.
      if (report('while its figures were measured')) send({ type: 'fatal', message: `${errorText(err)}${frameNote(err, dir)}`, bench: true });
      return;
    }
    if (report('after the benchmark')) send({ type: 'bench', ...figures });
  }
  send({ type: 'done' });
}

/** The bench's side of the submission's thread: the reference behind the crossing, and the batches of its contract. */
function benchIsolation(iso: StartedIsolate): BenchIsolation<unknown> {
  const other = (what: string) => (): never => {
    throw new Error(`the bench asked a ${iso.contract} for ${what}`);
  };
  if (iso.contract === 'mmap') return { reference: iso.reference, batch: other("a page allocator's batch"), slabBatch: other("an object allocator's batch") };
  if (iso.contract === 'slab-allocator') {
    return { reference: iso.reference, batch: other("a page allocator's batch"), slabBatch: (slab, cache, sizes, count, gfp) => iso.batch(slab as SlabAllocator, cache as KmemCache | undefined, sizes, count, gfp) };
  }
  return { reference: iso.reference, batch: (pa, count, order, gfp) => iso.batch(pa as PageAllocator, count, order, gfp), slabBatch: other("an object allocator's batch") };
}

function frameNote(err: unknown, dir: string | undefined): string {
  const frame = submissionFrame(err, dir);
  return frame ? ` (at ${frame})` : '';
}

main().then(
  () => exit(0),
  (err: unknown) => {
    try {
      writeSync(2, `mmkit grader child: ${errorText(err)}\n`);
    } catch {
      // nothing left to tell
    }
    exit(70);
  },
);

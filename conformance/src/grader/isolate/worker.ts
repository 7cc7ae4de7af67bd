/**
 * Both ends of the submission's thread: startIsolate() (the grader's thread) starts it and waits
 * until it has loaded the submission; runIsolate() (the thread itself, started from its own
 * bundle, thread.ts) loads the submission's bundle, finds its factory and serves its contract's protocol
 * (a page allocator's, an object allocator's or address spaces') until the grade ends. Between calls the thread
 * goes back to its event loop, so what
 * the submission queued (timers, promises) runs as it would, and an exception thrown there is a
 * crash the grader hears of (CallChannel.markDead()).
 */
import { existsSync, readlinkSync } from 'node:fs';
import { MessageChannel, Worker, parentPort, type MessagePort } from 'node:worker_threads';
import { defaultAddressSpaces, defaultPageAllocator, defaultSlabAllocator } from '@mmkit/kernel';
import type { AddressSpacesFactory, PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';
import type { AnyContract } from '../../contract.js';
import { LoadError, pickFactory } from '../load.js';
import { isolatedAddressSpaces, type IsolatedAddressSpaces } from './address-spaces-proxy.js';
import { addressSpacesServer } from './address-spaces-server.js';
import { CallChannel } from './call-channel.js';
import { isolatedAllocators, type IsolatedAllocators } from './page-allocator-proxy.js';
import { pageAllocatorServer } from './page-allocator-server.js';
import { isolatedSlabAllocators, type IsolatedSlabAllocators } from './slab-allocator-proxy.js';
import { slabAllocatorServer } from './slab-allocator-server.js';

/** What the submission's thread is started with (workerData). */
export interface IsolateData {
  readonly channel: SharedArrayBuffer;
  readonly setupPort: MessagePort;
  /** file: URL of the submission's bundle. */
  readonly bundle: string;
  readonly module: string;
  readonly contract: string;
  /** How the contract's factory is found among the module's exports (pickFactory()): the thread does not load the contracts. */
  readonly factoryShape: FactoryShape;
  /** The submission's folder: stack frames there are its own (crash reports). */
  readonly submissionDir?: string;
}

/** What pickFactory() reads of a contract. */
export type FactoryShape = Pick<AnyContract, 'factoryExports' | 'factoryPattern' | 'core'>;

/** The thread's first message: loaded, or why not. */
export type IsolateReady =
  | { readonly type: 'ready'; readonly tid?: number }
  | { readonly type: 'load-failed'; readonly name: string; readonly message: string; readonly code?: string; readonly stack?: string }
  | { readonly type: 'no-factory'; readonly message: string };

interface Started {
  readonly channel: CallChannel;
  readonly worker: Worker;
}

/** The submission's thread and the factories that call into it: a page allocator's, an object allocator's, or address spaces'. */
export type StartedIsolate =
  | (Started & IsolatedAllocators & { readonly contract: 'page-allocator' })
  | (Started & IsolatedSlabAllocators & { readonly contract: 'slab-allocator' })
  | (Started & IsolatedAddressSpaces & { readonly contract: 'mmap' });

/** How long the grader waits for the thread to load the submission. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * Start the submission's thread from `entry` (thread.ts's bundle, which calls runIsolate()):
 * resolves when it has loaded the submission and found its factory, or throws what went wrong
 * (a LoadError for a missing factory; an Error with the loader's name, message and code otherwise).
 */
export async function startIsolate(entry: URL, o: { bundle: string; module: string; contract: FactoryShape & { readonly id: string }; submissionDir?: string }): Promise<StartedIsolate> {
  const channel = CallChannel.create();
  const { port1, port2 } = new MessageChannel();
  const c = o.contract;
  const factoryShape: FactoryShape = { factoryExports: [...c.factoryExports], factoryPattern: c.factoryPattern, core: { ...c.core } };
  const data: IsolateData = { channel: channel.buffer, setupPort: port2, bundle: o.bundle, module: o.module, contract: c.id, factoryShape, ...(o.submissionDir ? { submissionDir: o.submissionDir } : {}) };
  const worker = new Worker(entry, { workerData: data, transferList: [port2] });
  const first = await new Promise<unknown>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'load-failed', name: 'Error', message: `the submission's thread did not load it within ${LOAD_TIMEOUT_MS / 1000} s` }), LOAD_TIMEOUT_MS);
    const done = (v: unknown) => {
      clearTimeout(timer);
      resolve(v);
    };
    worker.once('message', done);
    worker.once('error', (err) => done({ type: 'load-failed', name: err.name, message: err.message }));
    worker.once('exit', (code) => done({ type: 'load-failed', name: 'Error', message: `the submission's thread exited (code ${code}) while loading it` }));
  });
  // Whatever the submission's thread posts is data from the submission: checked, never trusted.
  const m = (typeof first === 'object' && first !== null ? first : {}) as Record<string, unknown>;
  const text = (v: unknown, max = 4000): string => (typeof v === 'string' ? v.slice(0, max) : '');
  if (m.type !== 'ready') {
    void worker.terminate();
    if (m.type === 'no-factory') throw new LoadError(text(m.message) || 'the module exports no factory');
    const err = new Error(text(m.message) || 'the module could not be loaded') as Error & { code?: string };
    err.name = text(m.name, 100) || 'Error';
    if (typeof m.code === 'string') err.code = text(m.code, 100);
    if (typeof m.stack === 'string') err.stack = text(m.stack, 16_000);
    throw err;
  }
  worker.unref();
  // The thread's OS id, so that a wait for it notices when it is gone (CallChannel.peerAlive).
  const tid = m.tid;
  if (typeof tid === 'number' && Number.isInteger(tid) && tid > 0) channel.peerAlive = () => existsSync(`/proc/self/task/${tid}`);
  if (c.id === 'slab-allocator') return { contract: 'slab-allocator', channel, worker, ...isolatedSlabAllocators(channel, port1) };
  if (c.id === 'mmap') return { contract: 'mmap', channel, worker, ...isolatedAddressSpaces(channel, port1) };
  return { contract: 'page-allocator', channel, worker, ...isolatedAllocators(channel, port1) };
}

/** This thread's id in the OS (/proc/thread-self: "PID/task/TID"), or 0 where /proc does not tell. */
function threadOsId(): number {
  try {
    return Number(/\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const errorText = (err: unknown): string => {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${String(err)}`;
  } catch {
    return 'thrown: a value that cannot be shown';
  }
};

/**
 * The submission's thread: load, report, serve. `describeCrash` adds the submission's file and
 * line to an uncaught exception's text.
 */
export async function runIsolate(data: IsolateData, describeCrash: (err: unknown) => string): Promise<void> {
  const channel = CallChannel.attach(data.channel);
  const tid = threadOsId();
  const post = parentPort!.postMessage.bind(parentPort);
  const dead = (prefix: string) => (err: unknown) => {
    channel.markDead(`${prefix}${errorText(err)}${describeCrash(err)}`);
    process.exit(1);
  };
  process.on('uncaughtException', dead(''));
  process.on('unhandledRejection', dead('unhandled rejection: '));
  // gc() (the child runs with --expose-gc under bwrap) is the server's, not the submission's realm's.
  const g = globalThis as { gc?: () => void };
  const collect = typeof g.gc === 'function' ? g.gc : undefined;
  g.gc = undefined;
  let mod: Record<string, unknown>;
  try {
    mod = ((await import(data.bundle)) as { default: Record<string, unknown> }).default;
  } catch (err) {
    const e = err instanceof Error ? (err as Error & { code?: unknown }) : undefined;
    // Its stack too: the load failure names the submission's file and line from it (load.ts).
    post({ type: 'load-failed', name: e ? String(e.name) : 'Error', message: e ? String(e.message) : String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}), ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}) } satisfies IsolateReady);
    return;
  }
  let factory: PageAllocatorFactory | SlabAllocatorFactory | AddressSpacesFactory;
  try {
    factory = pickFactory<PageAllocatorFactory | SlabAllocatorFactory | AddressSpacesFactory>(mod, data.module, data.factoryShape);
  } catch (err) {
    post({ type: 'no-factory', message: err instanceof LoadError ? err.message : errorText(err) } satisfies IsolateReady);
    return;
  }
  const common = { channel, setupPort: data.setupPort, ...(collect ? { collect } : {}) };
  channel.handler =
    data.contract === 'slab-allocator'
      ? slabAllocatorServer({ ...common, factory: factory as SlabAllocatorFactory, reference: defaultSlabAllocator })
      : data.contract === 'mmap'
        ? addressSpacesServer({ ...common, factory: factory as AddressSpacesFactory, reference: defaultAddressSpaces })
        : pageAllocatorServer({ ...common, factory: factory as PageAllocatorFactory, reference: defaultPageAllocator });
  post({ type: 'ready', ...(tid ? { tid } : {}) } satisfies IsolateReady);
  // Serve: answer calls as they come, running the microtasks the submission queued after each
  // (as its realm would once the call's stack unwinds); after a quiet spell of 20 ms, let the
  // event loop take a turn (its timers and I/O), then serve again. Not Atomics.waitAsync(): on
  // Node 20 a pending waitAsync() does not keep a worker's event loop alive, and the thread ended.
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  for (;;) {
    while (channel.serveOne(20)) await Promise.resolve();
    await turn();
  }
}

/**
 * The call channel of the isolated grade (src/grader/isolate/call-channel.ts) between two real
 * threads: results, nested calls both ways, errors by name and message, a dead peer, and the
 * cost of a round trip (printed, never asserted: it depends on the machine and its load).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallChannel, PeerDeadError, RemoteError } from '../src/grader/isolate/call-channel.js';

const CHANNEL = fileURLToPath(new URL('../src/grader/isolate/call-channel.ts', import.meta.url));

// The other thread: op 1 adds 1 to its argument; op 2 calls back (op 10 of this side) and adds
// what came back; op 3 throws a RangeError; op 4 dies of an uncaught exception, as a submission's
// thread does (runIsolate() marks the channel dead); op 5 ends its thread without a word. Its
// first message is its OS thread id.
const WORKER = `
import { readlinkSync } from 'node:fs';
import { workerData, parentPort } from 'node:worker_threads';
import { CallChannel } from ${JSON.stringify(CHANNEL)};
const ch = CallChannel.attach(workerData);
ch.handler = (call) => {
  if (call.op === 1) ch.setNum(0, call.arg(0) + 1);
  else if (call.op === 2) { const x = call.arg(0); ch.setNum(0, x); ch.call(10, 1); ch.setNum(0, ch.num(0) + x); }
  else if (call.op === 3) throw new RangeError('no such page ' + call.arg(0));
  else if (call.op === 4) setImmediate(() => { throw new Error('boom'); });
  else if (call.op === 5) process.exit(0);
};
process.on('uncaughtException', (err) => { ch.markDead('Error: ' + err.message); process.exit(1); });
parentPort.postMessage(Number(/\\/task\\/(\\d+)$/.exec(readlinkSync('/proc/thread-self'))[1]));
const turn = () => new Promise((r) => setImmediate(r));
for (;;) { while (ch.serveOne(20)) {} await turn(); }
`;

let dir = '';
let file = '';
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mmkit-isolate-test-'));
  file = path.join(dir, 'worker.mjs');
  const out = await build({ stdin: { contents: WORKER, resolveDir: dir, loader: 'js' }, bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
  writeFileSync(file, out.outputFiles[0].text);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(): Promise<{ ch: CallChannel; worker: Worker; tid: number }> {
  const ch = CallChannel.create();
  const worker = new Worker(file, { workerData: ch.buffer });
  const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
  return { ch, worker, tid };
}

describe('the call channel between two threads', () => {
  it('carries calls and results, calls back to any depth, and errors by name and message', async () => {
    const { ch, worker } = await start();
    try {
      ch.setNum(0, 41);
      ch.call(1, 1);
      expect(ch.num(0)).toBe(42);
      // A call of the other side's while this one waits for its answer: answered here first.
      ch.handler = (call) => ch.setNum(0, call.arg(0) * 10);
      ch.setNum(0, 3);
      ch.call(2, 1);
      expect(ch.num(0)).toBe(33);
      ch.setNum(0, 7);
      const err = (() => {
        try {
          ch.call(3, 1);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({ name: 'RangeError', message: 'no such page 7' });
      // The channel works on after an error.
      ch.setNum(0, 1);
      ch.call(1, 1);
      expect(ch.num(0)).toBe(2);
    } finally {
      await worker.terminate();
    }
  });

  it('round trips: calls per second (printed), after the other thread went idle and back', async () => {
    const { ch, worker } = await start();
    try {
      await new Promise((r) => setTimeout(r, 50)); // the other thread is in its event loop now
      const n = Number(process.env.MMKIT_CHANNEL_CALLS ?? 20000);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        ch.setNum(0, i);
        ch.call(1, 1);
        if (ch.num(0) !== i + 1) throw new Error(`call ${i} came back ${ch.num(0)}`);
      }
      const ms = performance.now() - t0;
      console.log(`call channel: ${n} round trips in ${ms.toFixed(0)} ms, ${((ms * 1000) / n).toFixed(2)} us each, ${Math.round(n / (ms / 1000))} calls/s; ${ch.sleeps} of them slept in Atomics.wait (load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`);
      expect(ch.calls).toBe(n);
    } finally {
      await worker.terminate();
    }
  });

  it('a thread that dies while the other waits is a PeerDeadError with its last words, not a hang', async () => {
    const { ch, worker } = await start();
    try {
      ch.call(4, 0); // returns at once; the other thread throws from its event loop once it is idle
      await new Promise((r) => setTimeout(r, 300));
      ch.setNum(0, 1);
      expect(() => ch.call(1, 1)).toThrow(PeerDeadError);
      expect(ch.peerDead).toBe(true);
      expect(ch.deadMessage()).toBe('Error: boom');
    } finally {
      await worker.terminate();
    }
  });

  it('a thread that ends without a word (process.exit() there, or its heap limit) is a PeerDeadError too, once its OS thread is gone', async () => {
    const { ch, worker, tid } = await start();
    try {
      expect(tid).toBeGreaterThan(0);
      ch.peerAlive = () => existsSync(`/proc/self/task/${tid}`);
      expect(ch.peerAlive()).toBe(true);
      expect(() => ch.call(5, 0)).toThrow(PeerDeadError);
      expect(ch.peerDead).toBe(true);
      expect(ch.deadMessage()).toMatch(/^the submission's thread ended without a word/);
    } finally {
      await worker.terminate();
    }
  });
});

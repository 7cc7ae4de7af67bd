/**
 * Which call of the submission the suite is waiting on. The child wraps the submission's factory
 * and the object it returns, and records each call (its name and first numeric arguments) in a
 * SharedArrayBuffer before making it; a watchdog thread (the bwrap layer) reads that buffer when
 * the grader asks at its deadline and answers on the signed channel, so a hang names the case
 * and the operation even while the submission's loop holds the main thread.
 */
import { readSync } from 'node:fs';
import { receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { CHANNEL_FD, channelLine, writeLine } from './channel.js';
import { hmacSigner } from './hmac.js';
import { wrappingFactory } from '@mmkit/core';

const ARGS = 3;
// Int32 slots.
const OP = 0;
const CASE = 1;
const NARGS = 2;
const I32_SLOTS = 4;
// Float64 slots (after the Int32 ones).
const CASE_STARTED = 0;
const ARG0 = 1;
const F64_SLOTS = 1 + ARGS;

const reflectApply = Reflect.apply;
const now = Date.now;
const postMessageOf = (w: Worker) => w.postMessage.bind(w);

/** A name table entry sent to the watchdog: operation or case number `index` is `name`. */
interface NameMessage {
  readonly kind: 'op' | 'case';
  readonly index: number;
  readonly name: string;
}

export class OperationTracker {
  readonly buffer = new SharedArrayBuffer(I32_SLOTS * 4 + F64_SLOTS * 8);
  private readonly i32 = new Int32Array(this.buffer, 0, I32_SLOTS);
  private readonly f64 = new Float64Array(this.buffer, I32_SLOTS * 4, F64_SLOTS);
  private readonly opNames: string[] = ['(none)'];
  private readonly opIndex = new Map<string, number>();
  private readonly caseNames: string[] = ['(before the first case)'];
  private post: ((m: NameMessage) => void) | undefined;

  /** Send the names to this watchdog as they appear. */
  attach(watchdog: Worker): void {
    this.post = postMessageOf(watchdog);
  }

  private opNumber(name: string): number {
    let i = this.opIndex.get(name);
    if (i === undefined) {
      i = this.opNames.length;
      this.opNames.push(name);
      this.opIndex.set(name, i);
      this.post?.({ kind: 'op', index: i, name });
    }
    return i;
  }

  setCase(name: string): void {
    const i = this.caseNames.length;
    this.caseNames.push(name);
    this.post?.({ kind: 'case', index: i, name });
    this.i32[CASE] = i;
    this.f64[CASE_STARTED] = now();
  }

  /** Record a call; returns what to give leave() to restore the caller's. */
  enter(name: string, args: ArrayLike<unknown>): number {
    const previous = this.i32[OP];
    this.i32[OP] = this.opNumber(name);
    let n = 0;
    for (let i = 0; i < ARGS && i < args.length; i++) {
      const a = args[i];
      if (a === undefined) continue;
      this.f64[ARG0 + i] = typeof a === 'number' ? a : NaN;
      n = i + 1;
    }
    this.i32[NARGS] = n;
    return previous;
  }

  leave(previous = 0): void {
    this.i32[OP] = previous;
    if (previous === 0) this.i32[NARGS] = 0;
  }

  /** " during allocPages(0xcc0, 3) in case X", for a crash report from the main thread. */
  describe(): string {
    const op = this.i32[OP];
    const c = this.caseNames[this.i32[CASE]];
    return op ? ` during ${callText(this.opNames[op], this.i32, this.f64)} in case ${c}` : ` in case ${c}`;
  }

  /** The factory, wrapped: the call and every method call of what it returns are recorded. */
  trackFactory(factory: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    const tracked = (...args: unknown[]): unknown => {
      const previous = this.enter('factory', []);
      try {
        const impl = reflectApply(factory, undefined, args);
        return typeof impl === 'object' && impl !== null ? this.trackObject(impl) : impl;
      } finally {
        this.leave(previous);
      }
    };
    // An isolated factory's ask for the kernel's state on shared memory holds for its wrapper too.
    return wrappingFactory(tracked, factory);
  }

  private trackObject(impl: object): object {
    const wrappers = new Map<PropertyKey, { fn: unknown; wrapper: unknown }>();
    return new Proxy(impl, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const cached = wrappers.get(prop);
        if (cached && cached.fn === value) return cached.wrapper;
        const name = typeof prop === 'symbol' ? prop.toString() : prop;
        const fn = value as (...a: unknown[]) => unknown;
        const wrapper = (...args: unknown[]): unknown => {
          const previous = this.enter(name, args);
          try {
            return reflectApply(fn, target, args);
          } finally {
            this.leave(previous);
          }
        };
        wrappers.set(prop, { fn: value, wrapper });
        return wrapper;
      },
    });
  }
}

function callText(name: string, i32: Int32Array, f64: Float64Array): string {
  const args: string[] = [];
  for (let i = 0; i < i32[NARGS]; i++) {
    const a = f64[ARG0 + i];
    args.push(Number.isNaN(a) ? '...' : Number.isInteger(a) && a >= 4096 ? `0x${a.toString(16)}` : String(a));
  }
  return name === 'factory' ? 'the factory' : name === 'loading the module' ? name : `${name}(${args.join(', ')})`;
}

/**
 * The watchdog thread's body: wait for the grader's question (a byte on fd 0), then answer with the
 * case and the call in progress as a signed 'waiting' message. Started from the child's bundle.
 */
export function runWatchdog(data: { key: Uint8Array; seq: SharedArrayBuffer; state: SharedArrayBuffer }, port: MessagePort): void {
  const sign = hmacSigner(data.key);
  const seq = new Int32Array(data.seq);
  const i32 = new Int32Array(data.state, 0, I32_SLOTS);
  const f64 = new Float64Array(data.state, I32_SLOTS * 4, F64_SLOTS);
  const ops: string[] = ['(none)'];
  const cases: string[] = ['(before the first case)'];
  const byte = new Uint8Array(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch {
      return;
    }
    if (n === 0) return;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const msg = m.message as NameMessage;
      (msg.kind === 'op' ? ops : cases)[msg.index] = msg.name;
    }
    const op = i32[OP];
    const operation = op ? callText(ops[op] ?? `operation ${op}`, i32, f64) : 'no call of the submission (the suite or kernel itself)';
    const started = f64[CASE_STARTED];
    const line = channelLine(Atomics.add(seq, 0, 1), { type: 'waiting', case: cases[i32[CASE]] ?? `case ${i32[CASE]}`, operation, ms: started ? Math.round(Date.now() - started) : 0 }, sign);
    try {
      writeLine(CHANNEL_FD, line);
    } catch {
      return;
    }
  }
}

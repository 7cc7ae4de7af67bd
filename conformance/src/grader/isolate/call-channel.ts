/**
 * A call channel between two threads on one SharedArrayBuffer: calls of numbers (and a string
 * or some bytes) cross with Atomics, nothing else. The grader's suite and kernel run in one
 * thread and the submission in another (isolate.ts); every call of the submission's allocator,
 * and every call it makes back into the kernel's services, is one frame here.
 *
 * The conversation strictly alternates, so both directions share one frame area: a side writes
 * the frame, then bumps its own sequence word and notifies; the other side sees its peer's word
 * change. Either side may, while it waits for the answer to its call, receive a call of the
 * other's and answer it first (the kernel's services called from inside an allocator call;
 * free-block batches of forEachFreeBlock() handed to the suite's visitor), to any depth.
 *
 * Waiting spins on the peer's word for SPIN_NS before it sleeps in Atomics.wait: measured on a
 * 2-core machine, a round trip takes well under a microsecond when both sides spin and tens of
 * microseconds through wait/notify (issue 11), and the suite makes hundreds of thousands of calls.
 *
 * Nothing read from the other side is trusted: numbers are whatever doubles are in the frame,
 * lengths are clamped to the frame, and strings are decoded here.
 */
import type { MessagePort } from 'node:worker_threads';

/** Int32 words of the control area. */
const SEQ_A = 0; // the side that created the channel (the grader's thread)
const SEQ_B = 1; // the side that attached to it (the submission's thread)
const DEAD = 2; // nonzero once side B has crashed (its message in the crash area)
const CRASH_LEN = 3;
const CTL_WORDS = 4;

/** Float64 slots of a frame. */
const KIND = 0;
const OP = 1;
const ARGC = 2;
const NBYTES = 3;
/** The first argument or result. */
export const ARG0 = 4;
/** The most numbers a frame carries. */
export const MAX_ARGS = 28;
const NUM_SLOTS = ARG0 + MAX_ARGS;

/** Bytes of a frame's payload (a string, page bytes, a batch of records as float64s). */
export const PAYLOAD_BYTES = 64 * 1024;
const CRASH_BYTES = 8 * 1024;

const KIND_CALL = 1;
const KIND_RETURN = 2;
const KIND_THROW = 3;

/**
 * How long a waiting side spins at most before it sleeps (ns): the grader's side waiting for an
 * answer (most come within microseconds; a boot takes milliseconds), the submission's side
 * waiting for the next call (the suite's own work between two calls is mostly short: a sleep
 * there costs a wake-up, tens of microseconds, on every call). The spin adapts, as an adaptive
 * mutex's: it halves each time it ended in a sleep and doubles each time the peer came within
 * it, between SPIN_MIN_NS and the side's most. On a machine whose cores are all busy, the peer
 * is seldom running while this side spins, and spinning only takes the core it needs: the
 * spin shrinks to nothing and the channel is plain wait/notify. Then it sleeps in slices of
 * WAIT_SLICE_MS.
 */
const SPIN_MAX_NS_A = 100_000;
const SPIN_MAX_NS_B = 1_000_000;
const SPIN_MIN_NS = 1_000;
const WAIT_SLICE_MS = 50;

const CTL_BYTES = CTL_WORDS * 4;
const NUMS_OFFSET = 16;
const PAYLOAD_OFFSET = NUMS_OFFSET + NUM_SLOTS * 8;
const CRASH_OFFSET = PAYLOAD_OFFSET + PAYLOAD_BYTES;
const TOTAL_BYTES = CRASH_OFFSET + CRASH_BYTES;
if (CTL_BYTES > NUMS_OFFSET) throw new Error('call-channel.ts: the control words overlap the frame');

/** deadMessage() of a side B whose thread ended without a word (peerAlive). */
const PEER_VANISHED = "the submission's thread ended without a word: out of memory (at its heap limit Node ends the thread, not the process) or process.exit() there";

const now = (): number => performance.now();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a server in the submission's thread (page-allocator-server.ts, slab-allocator-server.ts) is given. */
export interface ServerOptions<Factory> {
  readonly channel: CallChannel;
  /** Where the grader posts each OP_CREATE's setup. */
  readonly setupPort: MessagePort;
  readonly factory: Factory;
  readonly reference: Factory;
  /** A full garbage collection of this thread (gc(), kept from the submission's realm), run as released kernels add up. */
  readonly collect?: () => void;
}

/**
 * Released instances' bytes after which a server's thread collects its garbage. Its views keep
 * each booted kernel's SharedArrayBuffers alive until this thread's own GC runs, and a thread
 * that mostly answers calls with numbers allocates too little to run one: the address space of
 * kernels long gone grew by their struct page each boot (a 22 GiB machine: +220 MiB) until the
 * process hit --memory's RLIMIT_AS.
 */
const COLLECT_AFTER_BYTES = 64 * 2 ** 20;

/** A server's count of released instances' bytes: the collection runs (ServerOptions.collect) once they add up to COLLECT_AFTER_BYTES. */
export function releasedBytesCollector(collect: (() => void) | undefined): (bytes: number) => void {
  let released = 0;
  return (bytes) => {
    released += bytes;
    if (collect && released >= COLLECT_AFTER_BYTES) {
      released = 0;
      collect();
    }
  };
}

/** A call from the other side: its op and arguments, and the bytes it carried. */
export interface IncomingCall {
  readonly op: number;
  readonly argc: number;
  /** Argument i (0-based); NaN beyond argc. */
  arg(i: number): number;
}

/** What answers an incoming call: sets the results (setResult/setString/payload) and returns, or throws. */
export type CallHandler = (call: IncomingCall, channel: CallChannel) => void;

/** The other side failed the call: its error's name, message and stack, as it sent them. */
export class RemoteError extends Error {
  constructor(
    readonly remoteName: string,
    message: string,
    readonly remoteStack: string,
  ) {
    super(message);
    this.name = remoteName;
    // Where it was thrown is the other side's stack (the submission's frames, for a crash report).
    if (remoteStack) this.stack = remoteStack;
  }
}

/** The other side (the submission's thread) has died: its last words. */
export class PeerDeadError extends Error {}

export class CallChannel {
  readonly buffer: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private readonly nums: Float64Array;
  /** The frame's payload, as bytes and as float64s (the same memory). */
  readonly payload: Uint8Array;
  readonly payloadF64: Float64Array;
  private readonly crash: Uint8Array;
  private readonly mine: number;
  private readonly peers: number;
  /** The peer's sequence word as last seen. */
  private seen: number;
  /** Calls of the other side are answered by this (undefined: such a call is refused). */
  handler: CallHandler | undefined;
  /**
   * Side A: whether side B's thread still runs, asked at each slice of a sleep. A thread ended
   * by its heap limit (Node ends a worker, not the process) or by process.exit() there leaves
   * no last words, and its 'exit' event never reaches a side that waits here.
   */
  peerAlive: (() => boolean) | undefined;
  /** Side B's thread was found gone (peerAlive). */
  private vanished = false;
  /** Round trips made and spins that ended in a sleep (for the measurements). */
  calls = 0;
  sleeps = 0;
  /** The spin now (ns) and its most on this side. */
  private spinNs: number;
  private readonly spinMaxNs: number;

  private constructor(buffer: SharedArrayBuffer, side: 'a' | 'b') {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== TOTAL_BYTES) throw new RangeError(`a call channel is a SharedArrayBuffer of ${TOTAL_BYTES} bytes`);
    this.buffer = buffer;
    this.ctl = new Int32Array(buffer, 0, CTL_WORDS);
    this.nums = new Float64Array(buffer, NUMS_OFFSET, NUM_SLOTS);
    this.payload = new Uint8Array(buffer, PAYLOAD_OFFSET, PAYLOAD_BYTES);
    this.payloadF64 = new Float64Array(buffer, PAYLOAD_OFFSET, PAYLOAD_BYTES / 8);
    this.crash = new Uint8Array(buffer, CRASH_OFFSET, CRASH_BYTES);
    this.mine = side === 'a' ? SEQ_A : SEQ_B;
    this.peers = side === 'a' ? SEQ_B : SEQ_A;
    this.seen = Atomics.load(this.ctl, this.peers);
    this.spinMaxNs = side === 'a' ? SPIN_MAX_NS_A : SPIN_MAX_NS_B;
    this.spinNs = this.spinMaxNs;
  }

  /** A new channel, this side being A (the grader's thread). */
  static create(): CallChannel {
    return new CallChannel(new SharedArrayBuffer(TOTAL_BYTES), 'a');
  }

  /** The other end of a channel (side B, the submission's thread). */
  static attach(buffer: SharedArrayBuffer): CallChannel {
    return new CallChannel(buffer, 'b');
  }

  /** Whether side B has died (its crash message in deadMessage()). */
  get peerDead(): boolean {
    return this.vanished || Atomics.load(this.ctl, DEAD) !== 0;
  }

  deadMessage(): string {
    if (Atomics.load(this.ctl, DEAD) === 0) return this.vanished ? PEER_VANISHED : '';
    const n = Math.max(0, Math.min(CRASH_BYTES, Atomics.load(this.ctl, CRASH_LEN)));
    return decoder.decode(this.crash.slice(0, n));
  }

  /** Side B: record that this thread is dying (an uncaught exception), and wake side A. */
  markDead(message: string): void {
    const r = encoder.encodeInto(message, this.crash);
    Atomics.store(this.ctl, CRASH_LEN, r.written);
    Atomics.store(this.ctl, DEAD, 1);
    Atomics.notify(this.ctl, SEQ_B);
  }

  // --- the frame being built or read ---

  /** Result or argument i of the frame (0-based). */
  num(i: number): number {
    return this.nums[ARG0 + i];
  }

  setNum(i: number, v: number): void {
    this.nums[ARG0 + i] = v;
  }

  /** The frame's payload length in bytes, clamped to the frame. */
  get payloadLength(): number {
    const n = this.nums[NBYTES];
    return n >= 0 && n <= PAYLOAD_BYTES ? n | 0 : 0;
  }

  setPayloadLength(n: number): void {
    this.nums[NBYTES] = n;
  }

  /** The payload as a string (UTF-8). */
  payloadString(): string {
    return decoder.decode(this.payload.slice(0, this.payloadLength));
  }

  /** Put a string in the payload (cut to what fits). */
  setPayloadString(s: string): void {
    this.nums[NBYTES] = encoder.encodeInto(s, this.payload).written;
  }

  // --- calling ---

  /**
   * Call op with the numbers args (first the ones set with setNum() beyond them are kept): returns
   * when the other side has answered; the results are num(0...), the payload. Throws the other
   * side's error as a RemoteError, PeerDeadError when it died.
   */
  call(op: number, argc: number): void {
    this.nums[KIND] = KIND_CALL;
    this.nums[OP] = op;
    this.nums[ARGC] = argc;
    this.send();
    this.awaitAnswer();
  }

  /** Wait for the answer to the call just sent, answering the other side's calls meanwhile. */
  private awaitAnswer(): void {
    for (;;) {
      this.receive();
      const kind = this.nums[KIND];
      if (kind === KIND_RETURN) return;
      if (kind === KIND_THROW) {
        const text = this.payloadString();
        const [name, message, stack] = splitError(text);
        throw new RemoteError(name, message, stack);
      }
      if (kind === KIND_CALL) {
        this.answer();
        continue;
      }
      throw new RangeError(`call channel: a frame of unknown kind ${kind}`);
    }
  }

  /** Answer the call in the frame (handler), as a return or a throw. */
  private answer(): void {
    const op = this.nums[OP];
    const argc = Math.max(0, Math.min(MAX_ARGS, this.nums[ARGC] | 0));
    const args = this.nums;
    const call: IncomingCall = { op, argc, arg: (i: number) => (i < argc ? args[ARG0 + i] : NaN) };
    try {
      if (!this.handler) throw new Error(`no calls are taken here (op ${op})`);
      this.handler(call, this);
      this.nums[KIND] = KIND_RETURN;
    } catch (err) {
      this.nums[KIND] = KIND_THROW;
      this.setPayloadString(errorFrame(err));
    }
    this.send();
  }

  /** Wait for the other side's first call and answer it; false when nothing came within timeoutMs (Infinity: wait). */
  serveOne(timeoutMs: number): boolean {
    if (!this.receiveWithin(timeoutMs)) return false;
    if (this.nums[KIND] !== KIND_CALL) throw new RangeError(`call channel: expected a call, got a frame of kind ${this.nums[KIND]}`);
    this.answer();
    return true;
  }

  private send(): void {
    Atomics.add(this.ctl, this.mine, 1);
    Atomics.notify(this.ctl, this.mine);
  }

  private receive(): void {
    this.receiveWithin(Infinity);
  }

  /** Wait for the peer's word to move: spin, then sleep in slices (side A also watches for side B's death). */
  private receiveWithin(timeoutMs: number): boolean {
    const ctl = this.ctl;
    const peers = this.peers;
    const seen = this.seen;
    this.calls++;
    let v = Atomics.load(ctl, peers);
    if (v === seen) {
      const t0 = now();
      const spinUntil = t0 + this.spinNs / 1e6;
      while ((v = Atomics.load(ctl, peers)) === seen && now() < spinUntil);
      if (v === seen) {
        this.sleeps++;
        this.spinNs = Math.max(SPIN_MIN_NS, this.spinNs / 2);
      } else this.spinNs = Math.min(this.spinMaxNs, this.spinNs * 2);
      while (v === seen) {
        if (this.mine === SEQ_A) {
          if (Atomics.load(ctl, DEAD) !== 0) throw new PeerDeadError(this.deadMessage());
          if (this.peerAlive !== undefined && !this.peerAlive()) {
            this.vanished = true;
            throw new PeerDeadError(PEER_VANISHED);
          }
        }
        const left = timeoutMs - (now() - t0);
        if (left <= 0) return false;
        Atomics.wait(ctl, peers, seen, Math.min(WAIT_SLICE_MS, left));
        v = Atomics.load(ctl, peers);
      }
    }
    this.seen = v;
    return true;
  }
}

/** "name\u0000message\u0000stack" of a thrown value. */
function errorFrame(err: unknown): string {
  try {
    if (err instanceof Error) return `${String(err.name)}\u0000${String(err.message)}\u0000${String(err.stack ?? '')}`;
    return `Error\u0000thrown: ${String(err)}\u0000`;
  } catch {
    return 'Error\u0000thrown: a value that cannot be shown\u0000';
  }
}

function splitError(text: string): [string, string, string] {
  const a = text.indexOf('\u0000');
  const b = a < 0 ? -1 : text.indexOf('\u0000', a + 1);
  if (a < 0) return ['Error', text, ''];
  return [text.slice(0, a) || 'Error', b < 0 ? text.slice(a + 1) : text.slice(a + 1, b), b < 0 ? '' : text.slice(b + 1)];
}

/**
 * Values of a call that are no plain numbers (an mm's parameters and VMA descriptions, a maps
 * text, a bigint syscall argument; what /proc/PID/maps and mmInfo() return) across a
 * CallChannel's payload: data only, as tagged JSON, so that everything JavaScript passes exactly
 * (bigint, undefined, NaN, Infinity, -0) comes out the same on the other side, and nothing but
 * data does (no prototype, getter or function; an object's keys become own data properties).
 *
 * The wire form: a finite number (not -0), a string, a boolean or null stands for itself; any
 * other value is an array whose first element says what it is:
 * ['a', ...items], ['o', key, value, key, value, ...], ['b', decimal] (a bigint), ['u']
 * (undefined), ['n', 'NaN' | 'Infinity' | '-Infinity' | '-0'], ['f'] (a function: a visitor, see
 * address-spaces-server.ts). What the other side sent is checked as it is decoded: an unknown
 * tag, a nesting deeper than MAX_DEPTH or a text beyond the payload is a RangeError.
 */
import { PAYLOAD_BYTES, type CallChannel } from './call-channel.js';

/**
 * The built-ins this uses, as they were when the thread loaded the grader's code: the codec runs
 * in the submission's realm too (address-spaces-server.ts), where the submission may patch them.
 */
const { is, keys, defineProperty } = Object;
const { isFinite } = Number;
const { isArray } = Array;
const { stringify, parse } = JSON;

/** The deepest nesting a value may have. */
const MAX_DEPTH = 32;
const encoder = new TextEncoder();

type Wire = number | string | boolean | null | Wire[];

function toWire(v: unknown, depth: number): Wire {
  if (depth > MAX_DEPTH) throw new RangeError(`a value nested deeper than ${MAX_DEPTH} levels crosses no thread`);
  switch (typeof v) {
    case 'number':
      return isFinite(v) && !is(v, -0) ? v : ['n', is(v, -0) ? '-0' : String(v)];
    case 'string':
    case 'boolean':
      return v;
    case 'bigint':
      return ['b', v.toString()];
    case 'undefined':
      return ['u'];
    case 'function':
      return ['f'];
    case 'symbol':
      throw new TypeError('a symbol crosses no thread');
    default: {
      if (v === null) return null;
      if (isArray(v)) {
        const out: Wire[] = ['a'];
        for (let i = 0; i < v.length; i++) out.push(toWire(v[i], depth + 1));
        return out;
      }
      const out: Wire[] = ['o'];
      for (const key of keys(v as object)) out.push(key, toWire((v as Record<string, unknown>)[key], depth + 1));
      return out;
    }
  }
}

function fromWire(w: unknown, depth: number, onFunction: (() => unknown) | undefined): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`a value nested deeper than ${MAX_DEPTH} levels`);
  if (w === null || typeof w === 'number' || typeof w === 'string' || typeof w === 'boolean') return w;
  if (!isArray(w) || w.length === 0) throw new RangeError('a malformed value on the channel');
  const tag: unknown = w[0];
  switch (tag) {
    case 'a':
      return w.slice(1).map((x) => fromWire(x, depth + 1, onFunction));
    case 'o': {
      const o: Record<string, unknown> = {};
      for (let i = 1; i + 1 < w.length; i += 2) {
        defineProperty(o, String(w[i]), { value: fromWire(w[i + 1], depth + 1, onFunction), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    case 'b':
      if (typeof w[1] !== 'string' || !/^-?\d{1,400}$/.test(w[1])) throw new RangeError('a malformed bigint on the channel');
      return BigInt(w[1]);
    case 'u':
      return undefined;
    case 'n':
      if (w[1] === '-0') return -0;
      if (w[1] === 'NaN' || w[1] === 'Infinity' || w[1] === '-Infinity') return Number(w[1]);
      throw new RangeError('a malformed number on the channel');
    case 'f':
      if (!onFunction) throw new RangeError('a function where none may cross');
      return onFunction();
    default:
      throw new RangeError(`a value of unknown kind ${String(tag).slice(0, 20)} on the channel`);
  }
}

/** Put v in the channel's payload (a RangeError when it does not fit: `what` names it). */
export function setPayloadValue(ch: CallChannel, v: unknown, what: string): void {
  const bytes = encoder.encode(stringify(toWire(v, 0)));
  if (bytes.length > PAYLOAD_BYTES) throw new RangeError(`${what}: ${bytes.length} bytes cross no thread (at most ${PAYLOAD_BYTES})`);
  ch.payload.set(bytes);
  ch.setPayloadLength(bytes.length);
}

/** The value in the channel's payload; a function argument becomes what onFunction() makes (none allowed without it). */
export function payloadValue(ch: CallChannel, onFunction?: () => unknown): unknown {
  let w: unknown;
  try {
    w = parse(ch.payloadString());
  } catch {
    throw new RangeError('a malformed value on the channel (not JSON)');
  }
  return fromWire(w, 0, onFunction);
}

/**
 * The report channel of a sandboxed grade: the child's trusted code writes one signed line per
 * message on file descriptor 3; the parent reads them, checks each tag (HMAC-SHA-256 with a key
 * only the parent and the child's trusted closures hold) and the sequence, and drops the rest as
 * forgeries. What the submission prints on stdout or stderr is its output, never a report.
 *
 * Line: `@mmkit <seq> <tag> <payload>` where payload is ASCII JSON written by encodeMessage()
 * (built-ins captured when this module loads, before any submission code runs: a submission that
 * replaces JSON.stringify or adds Object.prototype.toJSON changes nothing here) and tag is the
 * HMAC of `<seq> <payload>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { CaseResult } from '../../suite.js';
import type { Fragmentation, SlabFragmentation, SlabThroughput, Throughput } from '../types.js';

export const CHANNEL_FD = 3;
export const KEY_FD = 4;
export const KEY_BYTES = 32;
const PREFIX = '@mmkit ';

/** What the child's trusted code tells the parent. */
export type ChildMessage =
  | { type: 'start'; implementation: string; supports: Record<string, boolean> }
  | { type: 'case-start'; name: string }
  | { type: 'case'; result: CaseResult }
  | { type: 'bench'; throughput?: Throughput; fragmentation?: Fragmentation; slabThroughput?: SlabThroughput; slabFragmentation?: SlabFragmentation }
  | { type: 'violation'; message: string }
  /** The watchdog's answer to the parent's question at the deadline: the call the suite is waiting on. */
  | { type: 'waiting'; case: string; operation: string; ms: number }
  /** An exception nothing caught (thrown from a timer of the submission, say). */
  | { type: 'crash'; message: string }
  /**
   * The run cannot go on; `load`: the module could not be loaded (message: load.ts's LoadError, one
   * or two lines with the fix); `bench`: every case ran, and the benchmark after them failed.
   */
  | { type: 'fatal'; message: string; load?: boolean; bench?: boolean }
  | { type: 'done' };

// Built-ins the encoder needs, taken before any submission code runs.
const objectKeys = Object.keys;
const isArray = Array.isArray;
const reflectApply = Reflect.apply;
const isFinite = Number.isFinite;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called through Reflect.apply, taken before a submission can replace it
const charCodeAt = String.prototype.charCodeAt;
const HEX = '0123456789abcdef';
const PLAIN: Record<string, string> = Object.create(null) as Record<string, string>;
for (let c = 0x20; c < 0x7f; c++) PLAIN[String.fromCharCode(c)] = String.fromCharCode(c);
PLAIN['"'] = '\\"';
PLAIN['\\'] = '\\\\';

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const plain = PLAIN[s[i]];
    if (plain !== undefined) {
      out += plain;
      continue;
    }
    const c: number = reflectApply(charCodeAt, s, [i]);
    out += '\\u' + HEX[(c >>> 12) & 15] + HEX[(c >>> 8) & 15] + HEX[(c >>> 4) & 15] + HEX[c & 15];
  }
  return out + '"';
}

/** JSON of plain data (strings, finite numbers, booleans, arrays, own enumerable keys), ASCII only. */
export function encodeMessage(value: unknown, depth = 0): string {
  if (depth > 16) throw new RangeError('encodeMessage: nested too deep');
  if (value === null || value === undefined) return 'null';
  const t = typeof value;
  if (t === 'string') return encodeString(value as string);
  if (t === 'number') return isFinite(value) ? '' + (value as number) : 'null';
  if (t === 'boolean') return value ? 'true' : 'false';
  if (t !== 'object') return 'null';
  if (isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + encodeMessage(value[i], depth + 1);
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = objectKeys(obj);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]];
    if (v === undefined) continue;
    out += (first ? '' : ',') + encodeString(keys[i]) + ':' + encodeMessage(v, depth + 1);
    first = false;
  }
  return out + '}';
}

/** The line for message number `seq`, signed with `sign` (hmacSigner()). */
export function channelLine(seq: number, message: ChildMessage, sign: (text: string) => string): string {
  const payload = encodeMessage(message);
  return PREFIX + seq + ' ' + sign(seq + ' ' + payload) + ' ' + payload + '\n';
}

// Taken when this module loads, before any submission code runs.
const fromLatin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const write = writeSync;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The child's end: write one line (channelLine(), ASCII) whole. A write to the channel's socket
 * may take only part of it (a signal during a blocking write of a long line, EAGAIN had the
 * descriptor been non-blocking); the rest follows, so that the parent never reads a truncated
 * line glued to the next one (two forged-looking lines, counted as violations).
 */
export function writeLine(fd: number, line: string): void {
  const bytes = fromLatin1(line);
  for (let done = 0; done < bytes.length; ) {
    try {
      done += write(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** The parent's end: feed it the channel's bytes; it calls `accept` for each authentic message in order and `reject` for anything else. */
export class ChannelReader {
  private buffer = '';
  private nextSeq = 0;
  private readonly seen = new Set<number>();

  constructor(
    private readonly key: Buffer,
    private readonly accept: (m: ChildMessage) => void,
    private readonly reject: (why: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.length) this.line(line);
    }
    if (this.buffer.length > 1 << 22) {
      this.reject('an unterminated line of more than 4 MiB on the report channel');
      this.buffer = '';
    }
  }

  /** Bytes left without a newline at the end. */
  end(): void {
    if (this.buffer.length) this.reject(`an unterminated line on the report channel: ${JSON.stringify(this.buffer.slice(0, 80))}`);
    this.buffer = '';
  }

  private line(line: string): void {
    const show = JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line);
    const m = /^@mmkit (\d{1,9}) ([0-9a-f]{64}) (.*)$/s.exec(line);
    if (!m) return this.reject(`an unsigned line on the report channel: ${show}`);
    const seq = Number(m[1]);
    const expected = createHmac('sha256', this.key).update(`${m[1]} ${m[3]}`, 'latin1').digest();
    if (!timingSafeEqual(expected, Buffer.from(m[2], 'hex'))) return this.reject(`a line with a forged signature on the report channel: ${show}`);
    if (this.seen.has(seq)) return this.reject(`a replayed line (number ${seq}) on the report channel`);
    this.seen.add(seq);
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    let message: unknown;
    try {
      message = JSON.parse(m[3]);
    } catch {
      return this.reject(`a signed line that is not JSON: ${show}`);
    }
    const problem = checkMessage(message);
    if (problem) return this.reject(`a signed message that is malformed (${problem}): ${show}`);
    this.accept(message as ChildMessage);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** A message's shape, checked even though it is signed (a grader bug must not crash the CLI). */
function checkMessage(m: unknown): string | undefined {
  if (!isObj(m) || !isStr(m.type)) return 'no type';
  switch (m.type) {
    case 'start':
      return isStr(m.implementation) && isObj(m.supports) ? undefined : 'start';
    case 'case-start':
      return isStr(m.name) ? undefined : 'case-start';
    case 'case': {
      const r = m.result;
      return isObj(r) && isStr(r.name) && isStr(r.message) && Array.isArray(r.rules) && ['pass', 'fail', 'not-provided'].includes(r.status as string) ? undefined : 'case';
    }
    case 'bench':
      return undefined;
    case 'violation':
    case 'crash':
    case 'fatal':
      return isStr(m.message) ? undefined : m.type;
    case 'waiting':
      return isStr(m.case) && isStr(m.operation) && typeof m.ms === 'number' ? undefined : 'waiting';
    case 'done':
      return undefined;
    default:
      return `unknown type ${JSON.stringify(m.type)}`;
  }
}

/**
 * Reading `strace -y -e trace=memory` output: each memory call with its arguments as numbers
 * (symbolic flag sets turned into 4.17's values, NULL, hex and decimal as bigint), the file
 * behind a descriptor (`3</usr/lib/libc.so.6>`), and its result (an address or number, or
 * `-1 ERRNO (text)`). Unfinished and resumed halves are joined; signals, exits and strace's own
 * messages become notes; anything else is a problem with its line number, never an exception.
 */
import { ERRNO, FLAG_TABLES, MAP_HUGE_SHIFT, MEMORY_CALLS, NEWER_THAN_4_17, type ArgKind, type FlagTable } from './linux-abi.js';

/** A descriptor argument: its number and, with `strace -y`, the path of its file. */
export interface TraceFd {
  readonly index: number;
  readonly fd: number;
  readonly path: string | undefined;
}

export type TraceResult =
  | { readonly kind: 'value'; readonly value: bigint }
  | { readonly kind: 'error'; readonly errno: number; readonly name: string }
  | { readonly kind: 'unknown'; readonly text: string };

export interface TraceCall {
  /** 1-based line of the call (of its first half when strace split it). */
  readonly line: number;
  readonly pid: number | undefined;
  readonly name: string;
  /** Every argument as a number (0n for those printed as structures or arrays: `argText` has them). */
  readonly args: readonly bigint[];
  readonly argText: readonly string[];
  readonly fd: TraceFd | undefined;
  readonly result: TraceResult;
  /** Flag names of the line that Linux 4.17 does not define, with the release that added each. */
  readonly newerFlags: readonly string[];
  /** The call as strace printed it (the two halves joined). */
  readonly text: string;
}

export interface TraceNote {
  readonly line: number;
  readonly kind: 'signal' | 'exit' | 'strace';
  readonly text: string;
}

export interface TraceProblem {
  readonly line: number;
  readonly message: string;
  readonly text: string;
}

export interface ParsedTrace {
  readonly calls: TraceCall[];
  readonly notes: TraceNote[];
  readonly problems: TraceProblem[];
}

/** A line is cut to this many characters in messages. */
const QUOTE_MAX = 200;

function excerpt(text: string): string {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}...` : text;
}

class LineError extends Error {}

/** Parse the whole text of a strace file. */
export function parseStrace(text: string): ParsedTrace {
  const calls: TraceCall[] = [];
  const notes: TraceNote[] = [];
  const problems: TraceProblem[] = [];
  /** Unfinished halves by pid (0 when lines carry none): their line and text. */
  const pending = new Map<number, { line: number; name: string; text: string }>();
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const { pid, body } = splitPid(raw);
    try {
      if (body.startsWith('--- ') || body.startsWith('+++ ')) {
        notes.push({ line: lineNo, kind: body.startsWith('---') ? 'signal' : 'exit', text: excerpt(body) });
        continue;
      }
      if (body.startsWith('strace: ')) {
        notes.push({ line: lineNo, kind: 'strace', text: excerpt(body) });
        continue;
      }
      const resumed = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>(.*)$/.exec(body);
      if (resumed) {
        const half = pending.get(pid ?? 0);
        if (!half || half.name !== resumed[1]) throw new LineError(`'${resumed[1]} resumed' without its unfinished first half`);
        pending.delete(pid ?? 0);
        const whole = half.text + resumed[2].replace(/^ /, '');
        calls.push(parseCall(whole, half.line, pid));
        continue;
      }
      const unfinished = /^(.*?)\s*<unfinished \.\.\.>$/.exec(body);
      if (unfinished) {
        const name = /^([A-Za-z_][A-Za-z0-9_]*)\(/.exec(unfinished[1])?.[1];
        if (!name) throw new LineError('an unfinished line that does not start with a call');
        checkName(name);
        if (pending.has(pid ?? 0)) {
          const old = pending.get(pid ?? 0)!;
          problems.push({ line: old.line, message: `'${old.name}' unfinished and never resumed`, text: excerpt(old.text) });
        }
        pending.set(pid ?? 0, { line: lineNo, name, text: unfinished[1] });
        continue;
      }
      calls.push(parseCall(body, lineNo, pid));
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      problems.push({ line: lineNo, message: e.message, text: excerpt(raw) });
    }
  }
  for (const half of pending.values()) {
    problems.push({ line: half.line, message: `'${half.name}' unfinished and never resumed`, text: excerpt(half.text) });
  }
  problems.sort((a, b) => a.line - b.line);
  calls.sort((a, b) => a.line - b.line);
  return { calls, notes, problems };
}

/** `[pid 123] ` or `123 ` (strace -f) before the line's body. */
function splitPid(line: string): { pid: number | undefined; body: string } {
  const m = /^(?:\[pid\s+(\d+)\]|(\d+))\s+(.*)$/.exec(line);
  if (m && (m[1] !== undefined || /^(?:[A-Za-z_]|<\.\.\.|---|\+\+\+)/.test(m[3]))) {
    return { pid: Number(m[1] ?? m[2]), body: m[3] };
  }
  return { pid: undefined, body: line };
}

function checkName(name: string): void {
  if (!MEMORY_CALLS.has(name)) {
    throw new LineError(`'${name}' is not a call of strace's memory class (record with strace -y -e trace=memory)`);
  }
}

/** One whole call: `name(args) = result`. */
function parseCall(body: string, line: number, pid: number | undefined): TraceCall {
  const head = /^([A-Za-z_][A-Za-z0-9_]*)\(/.exec(body);
  if (!head) throw new LineError('not a call, a signal or an exit line');
  const name = head[1];
  checkName(name);
  const kinds = MEMORY_CALLS.get(name)!;
  const { parts, end } = splitArgs(body, head[0].length);
  const rest = body.slice(end + 1);
  const r = /^\s*=\s*(.*?)\s*(?:<[0-9.]+>)?\s*$/.exec(rest);
  if (!r) throw new LineError(`no result after the arguments of '${name}'`);
  const result = parseResult(r[1]);
  // strace leaves out mremap's new_address unless MREMAP_FIXED is set.
  const least = name === 'mremap' ? 4 : kinds.length;
  if (parts.length < least || parts.length > kinds.length) {
    const count = least === kinds.length ? `${kinds.length}` : `${least} or ${kinds.length}`;
    throw new LineError(`'${name}' has ${count} argument${kinds.length === 1 ? '' : 's'}, the line shows ${parts.length}`);
  }
  const args: bigint[] = [];
  const newerFlags: string[] = [];
  let fd: TraceFd | undefined;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i];
    const text = parts[i];
    if (text === undefined) {
      args.push(0n);
      continue;
    }
    if (kind === 'fd') {
      fd = parseFd(text, i);
      args.push(BigInt(fd.fd));
    } else if (kind === 'raw') {
      args.push(0n);
    } else {
      const table = FLAG_TABLES.get(kind);
      args.push(table ? parseFlags(text, table, kind, newerFlags) : parseNumber(text, kind));
    }
  }
  return { line, pid, name, args, argText: parts, fd, result, newerFlags, text: body };
}

/** Split `a, b, c)` starting at `from`: top-level commas only (strings, brackets, fd paths and comments kept whole). */
function splitArgs(s: string, from: number): { parts: string[]; end: number } {
  const parts: string[] = [];
  let depth = 0;
  let start = from;
  let i = from;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      if (i >= s.length) throw new LineError('a string argument without its closing quote');
    } else if (c === '/' && s[i + 1] === '*') {
      const close = s.indexOf('*/', i + 2);
      if (close < 0) throw new LineError('a comment without its closing */');
      i = close + 1;
    } else if (c === '<' && s[i + 1] !== '<' && /^\s*\d+$/.test(s.slice(start, i))) {
      // An fd's path (strace -y): strace escapes '>' inside it, so the next '>' closes it.
      const close = s.indexOf('>', i + 1);
      if (close < 0) throw new LineError("a descriptor's path without its closing '>'");
      i = close;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ')') {
      if (depth === 0) {
        const last = s.slice(start, i).trim();
        if (last !== '' || parts.length > 0) parts.push(last);
        return { parts, end: i };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new LineError("the arguments have no closing ')'");
}

function stripComments(text: string): string {
  return text.replace(/\/\*.*?\*\//g, '').trim();
}

const U64 = (1n << 64n) - 1n;

/** NULL, 0x hex, decimal (negative allowed): as a bigint within 64 bits. */
function parseNumber(text: string, kind: ArgKind): bigint {
  const t = stripComments(text);
  let v: bigint;
  if (t === 'NULL') v = 0n;
  else if (/^0x[0-9a-fA-F]{1,16}$/.test(t)) v = BigInt(t);
  else if (/^-?\d{1,20}$/.test(t)) v = BigInt(t);
  else throw new LineError(`cannot read ${quote(text)} as ${kind === 'addr' ? 'an address' : 'a number'}`);
  if (v > U64 || v < -(1n << 63n)) throw new LineError(`${quote(text)} does not fit in 64 bits`);
  return v;
}

/** `A|B|0x40`, `21<<MAP_HUGE_SHIFT`, `0x100 /* PROT_??? *\/`, or a single name (MADV_*). */
function parseFlags(text: string, table: FlagTable, kind: ArgKind, newer: string[]): bigint {
  const t = stripComments(text);
  if (t === '') throw new LineError(`an empty ${kind} argument`);
  let v = 0n;
  for (const part of t.split('|')) {
    const p = part.trim();
    const known = table.get(p);
    if (known !== undefined) {
      v |= BigInt(known);
      if (NEWER_THAN_4_17.has(p)) newer.push(p);
      continue;
    }
    const huge = /^(\d{1,2})\s*<<\s*MAP_HUGE_SHIFT$/.exec(p);
    if (huge && kind === 'map') {
      v |= BigInt(huge[1]) << BigInt(MAP_HUGE_SHIFT);
      continue;
    }
    if (/^(?:0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(p)) {
      v |= BigInt(p);
      continue;
    }
    throw new LineError(`unknown flag ${quote(p)} in ${quote(text)}`);
  }
  if (v > U64) throw new LineError(`${quote(text)} does not fit in 64 bits`);
  return v;
}

function parseFd(text: string, index: number): TraceFd {
  const m = /^(-?\d{1,10})(?:<(.*)>)?$/s.exec(text.trim());
  if (!m) throw new LineError(`cannot read ${quote(text)} as a file descriptor`);
  const fd = Number(m[1]);
  if (!Number.isSafeInteger(fd) || fd < -2147483648 || fd > 2147483647) throw new LineError(`${quote(text)} is not an int`);
  return { index, fd, path: m[2] === undefined ? undefined : unescapePath(m[2]) };
}

/** strace's escapes in a path: \xNN, \NNN, \n, \t, \\, \". */
function unescapePath(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      bytes.push(...enc.encode(c));
      continue;
    }
    const n = s[i + 1];
    const hex = /^x([0-9a-fA-F]{2})/.exec(s.slice(i + 1, i + 4));
    const oct = /^([0-7]{1,3})/.exec(s.slice(i + 1, i + 4));
    if (hex) {
      bytes.push(parseInt(hex[1], 16));
      i += 3;
    } else if (oct) {
      bytes.push(parseInt(oct[1], 8) & 0xff);
      i += oct[1].length;
    } else {
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '\\': 92, '"': 34 };
      bytes.push(n !== undefined && Object.hasOwn(simple, n) ? simple[n] : 92);
      if (n !== undefined && Object.hasOwn(simple, n)) i++;
    }
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

function parseResult(text: string): TraceResult {
  if (/^0x[0-9a-fA-F]{1,16}$/.test(text) || /^\d{1,20}$/.test(text)) return { kind: 'value', value: BigInt(text) };
  const err = /^-1 ([A-Z][A-Z0-9]*)(?: \(.*\))?$/.exec(text);
  if (err) {
    const errno = ERRNO.get(err[1]);
    if (errno === undefined) throw new LineError(`unknown error name ${quote(err[1])}`);
    return { kind: 'error', errno, name: err[1] };
  }
  if (text.startsWith('?')) return { kind: 'unknown', text };
  throw new LineError(`cannot read the result ${quote(text)}`);
}

function quote(s: string): string {
  return `'${excerpt(s)}'`;
}

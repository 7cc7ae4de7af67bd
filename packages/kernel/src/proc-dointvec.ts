/**
 * The write side of proc_dointvec() and proc_dointvec_minmax() (kernel/sysctl.c, 4.17):
 * __do_proc_dointvec(), proc_skip_spaces(), proc_get_long() (with simple_strtoul() of
 * lib/vsprintf.c and _parse_integer() of lib/kstrtox.c), do_proc_dointvec_conv() and
 * do_proc_dointvec_minmax_conv().
 *
 * What a write does, as 4.17 does it:
 * - at most PAGE_SIZE - 1 bytes of the text are looked at; an empty write does nothing and succeeds;
 * - values are parsed one after the other and each is stored into the table as soon as it is
 *   parsed and converted, so the values before a malformed one stay stored;
 * - a value is an optional '-', then a number in C notation (simple_strtoul() with base 0:
 *   "0x1f" is hex, "017" octal, no '+'), ending at the end of the text or at ' ', '\t' or '\n';
 *   a number of 21 characters or more is refused (TMPBUFLEN), a longer one wraps modulo
 *   2^BITS_PER_LONG as _parse_integer() does;
 * - more values than the table holds: the rest of the text is ignored, no error; fewer: the
 *   entries after the last written keep their values;
 * - the result is -EINVAL when the first value is malformed or out of range (nothing stored),
 *   -EINVAL when a later one is (the earlier ones stored), 0 otherwise.
 * - proc_dointvec's conversion refuses values outside int; proc_dointvec_minmax's of 4.17 converts
 *   to int first (the C conversion, modulo 2^32: 4294967297 is 1) and then checks min and max
 *   (the overflow check came with 8cf7630b2970, Linux 5.1).
 */
import { ERRNO } from '@mmkit/core';

const EINVAL = -ERRNO.EINVAL;
/** PAGE_SIZE - 1: what __do_proc_dointvec() copies of a write. */
const MAX_WRITE = 4095;
/** TMPBUFLEN of kernel/sysctl.c: proc_get_long() looks at 21 characters and refuses a number that long. */
const TMPBUFLEN = 22;

/** Converts one parsed value (do_proc_dointvec*_conv()): the int to store, or undefined for -EINVAL. */
export type DointvecConv = (neg: boolean, lval: bigint) => number | undefined;

/** do_proc_dointvec_conv(): the value must fit in an int. */
export const dointvecConv: DointvecConv = (neg, lval) => {
  if (neg) return lval > 2n ** 31n ? undefined : Number(-lval);
  return lval > 2n ** 31n - 1n ? undefined : Number(lval);
};

/** do_proc_dointvec_minmax_conv() of 4.17: `int val = neg ? -lval : lval`, then min <= val <= max (each when given). */
export function dointvecMinmaxConv(min?: number, max?: number): DointvecConv {
  return (neg, lval) => {
    const val = Number(BigInt.asIntN(32, neg ? -lval : lval));
    if ((min !== undefined && min > val) || (max !== undefined && max < val)) return undefined;
    return val;
  };
}

/** isspace() of lib/ctype.c: HT, LF, VT, FF, CR, space and 0xa0. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A digit's value in base 16 as _parse_integer() reads it, or 16 for a character that is none. */
function digitValue(c: number): number {
  if (isDigit(c)) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : 16;
}

/** proc_wspace_sep: what may follow a number. */
function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a;
}

interface ParsedLong {
  readonly neg: boolean;
  readonly lval: bigint;
  /** Bytes consumed. */
  readonly len: number;
}

/** proc_get_long() over buf[pos, pos + size): the value, or undefined for -EINVAL. */
function procGetLong(buf: Uint8Array, pos: number, size: number, bitsPerLong: number): ParsedLong | undefined {
  if (size === 0) return undefined;
  const n = Math.min(size, TMPBUFLEN - 1);
  // tmp[] is the first n bytes, NUL-terminated.
  const at = (i: number): number => (i < n ? buf[pos + i] : 0);
  let p = 0;
  let neg = false;
  if (at(0) === 0x2d && size > 1) {
    neg = true;
    p = 1;
  }
  if (!isDigit(at(p))) return undefined;
  // simple_strtoul(p, &p, 0): _parse_integer_fixup_radix(), then _parse_integer().
  let base = 10n;
  if (at(p) === 0x30) {
    if ((at(p + 1) | 0x20) === 0x78 && digitValue(at(p + 2)) < 16) {
      base = 16n;
      p += 2;
    } else {
      base = 8n;
    }
  }
  let res = 0n;
  for (;;) {
    const v = digitValue(at(p));
    if (BigInt(v) >= base) break;
    res = BigInt.asUintN(64, res * base + BigInt(v));
    p++;
  }
  const lval = BigInt.asUintN(bitsPerLong, res);
  if (p === TMPBUFLEN - 1) return undefined;
  if (p < size && !isSeparator(at(p))) return undefined;
  return { neg, lval, len: p };
}

/**
 * __do_proc_dointvec() writing `text` into `table` (updated in place, entry by entry).
 * Returns 0 or -EINVAL as proc_dointvec() would; see the module comment.
 */
export function procDointvecWrite(text: string, table: number[], conv: DointvecConv, bitsPerLong = 64): number {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length === 0) return 0;
  let left = Math.min(bytes.length, MAX_WRITE);
  let pos = 0;
  let first = true;
  let err = 0;
  for (let i = 0; left && i < table.length; i++) {
    // proc_skip_spaces(): skip_spaces() stops at the NUL after the copied text.
    while (left && isSpace(bytes[pos])) {
      pos++;
      left--;
    }
    if (!left) break;
    const parsed = procGetLong(bytes, pos, left, bitsPerLong);
    if (!parsed) {
      err = EINVAL;
      break;
    }
    pos += parsed.len;
    left -= parsed.len;
    const v = conv(parsed.neg, parsed.lval);
    if (v === undefined) {
      err = EINVAL;
      break;
    }
    table[i] = v;
    first = false;
  }
  if (first) return err || EINVAL;
  return err;
}

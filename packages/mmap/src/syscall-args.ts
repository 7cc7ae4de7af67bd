/**
 * The syscalls' unsigned long arguments. A number or a bigint is taken modulo 2^64 as C does; the
 * mechanisms work on numbers, so the entry points reduce values they cannot hold exactly:
 * addresses and lengths of 2^52 and more are beyond TASK_SIZE (2^47) for every check that
 * follows, so they become 2^52 (plus an address's offset in its page), after the checks where
 * 64-bit wrap-around decides the answer have been made exactly (syscalls.ts).
 */

/** Values below this are passed on exactly. */
export const ULONG_EXACT_LIMIT = 2 ** 52;
const LIMIT_N = BigInt(ULONG_EXACT_LIMIT);
const TWO64 = 2 ** 64;

/** True for a number the mechanisms take as it is. */
export function isSmallUlong(x: number | bigint): x is number {
  return typeof x === 'number' && x >= 0 && x < ULONG_EXACT_LIMIT && x === Math.floor(x);
}

/** The unsigned long a caller means (modulo 2^64), or a TypeError naming the argument. */
export function toU64(x: number | bigint, what: string): bigint {
  if (typeof x === 'bigint') return BigInt.asUintN(64, x);
  if (typeof x !== 'number' || !Number.isInteger(x) || x >= TWO64 || x < -TWO64) throw new TypeError(`${what}: ${String(x)} is not an integer an unsigned long can hold`);
  return BigInt.asUintN(64, BigInt(x));
}

/** An address for the mechanisms: exact below 2^52, else 2^52 plus its offset in the page. */
export function clampAddr(u: bigint): number {
  return u < LIMIT_N ? Number(u) : ULONG_EXACT_LIMIT + Number(u & 0xfffn);
}

/** A length for the mechanisms: exact below 2^52, else 2^52. */
export function clampLen(u: bigint): number {
  return u < LIMIT_N ? Number(u) : ULONG_EXACT_LIMIT;
}

/** PAGE_ALIGN() in unsigned long arithmetic (wraps to 0 above 2^64 - 4096). */
export function pageAlignU64(u: bigint): bigint {
  return BigInt.asUintN(64, (u + 0xfffn) & ~0xfffn);
}

/** An int argument (prot, flags, advice, fd): the low 32 bits as C's int, and whether bits above 32 are set (a long's high bits). */
export function intArg(x: number, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${what}: ${String(x)} is not an integer`);
  return x | 0;
}

/** Whether an unsigned long flags argument has bits above the low 32 (a negative int sign-extends into them). */
export function hasHighBits(x: number): boolean {
  return x < 0 || x >= 2 ** 32;
}

/**
 * Every bad machine description (a malformed e820 map or zoneinfo file, an impossible option)
 * is reported with this error and a message that says what is wrong, with the line number
 * when the input was a file.
 */
export class MachineSpecError extends Error {
  override readonly name = 'MachineSpecError';
}

const MiB = 1024 * 1024;

/** "22 GiB", "100 MiB", "4 KiB" or "12345 bytes": sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** A value as a message shows it: never throws (an object without toString, a symbol), strings cut to 60 characters. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 60)}...` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** A non-negative safe integer, or a MachineSpecError naming `what`. */
export function checkByteCount(what: string, value: unknown, opts: { positive?: boolean } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new MachineSpecError(`${what} must be a whole number of bytes, got ${showValue(value)}`);
  }
  if (value < 0) throw new MachineSpecError(`${what} must not be negative, got ${value}`);
  if (opts.positive && value === 0) throw new MachineSpecError(`${what} must be greater than 0`);
  return value;
}

/** The longest line an e820 map or zoneinfo file has (dmesg lines are under 1024 characters). */
export const MAX_INPUT_LINE = 4096;

/** A line of an input file as a message quotes it: at most 60 characters, control characters escaped (JSON). */
export function quoteLine(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
}

/** Refuse a line longer than MAX_INPUT_LINE before any pattern runs over it. */
export function checkLineLength(line: string, lineNo: number): void {
  if (line.length > MAX_INPUT_LINE) throw new MachineSpecError(`line ${lineNo}: longer than ${MAX_INPUT_LINE} characters, which no e820 or zoneinfo line is`);
}

/**
 * Reading the files the CLI is given (--e820, --like-zoneinfo): at most MAX_INPUT_FILE_BYTES,
 * read from a file descriptor in a bounded loop, so a device such as /dev/zero or a file of
 * gigabytes is refused with a message instead of being read until the process aborts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError, quoteArg } from './errors.js';

/** 32 MiB: a dmesg e820 map of 100,000 entries is 6 MiB; a zoneinfo of a 1024-node machine a few MiB. */
export const MAX_INPUT_FILE_BYTES = 32 * 2 ** 20;
const CHUNK = 64 * 1024;

/** The text of `path` (UTF-8), or a UsageError naming `flag` when it cannot be read or is larger than `max` bytes. */
export function readInputFile(path: string, flag: string, max: number = MAX_INPUT_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${quoteArg(path)}: ${oneLine((err as Error).message)}`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new UsageError(`${flag}: cannot read ${quoteArg(path)}: it is a directory`);
    const buffer = Buffer.allocUnsafe(Math.min(max + 1, 1024 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, Math.min(CHUNK, buffer.length), null);
      } catch (err) {
        throw new UsageError(`${flag}: cannot read ${quoteArg(path)}: ${oneLine((err as Error).message)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > max) throw new UsageError(`${flag}: ${quoteArg(path)} is larger than ${max / 2 ** 20} MiB, more than any ${flag.slice(2)} file (mmkit reads at most that)`);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Shards of a batch: `--shard i/n` grades the submissions whose position in the sorted list is
 * i - 1 modulo n. Every shard lists the same folder and takes its share, so n machines (a CI
 * matrix, a Kubernetes Indexed Job) grade the batch between them with nothing to coordinate.
 */

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 1, count: 1 };

/** Parse "i/n" (1 <= i <= n <= 10000); a message saying what is wrong otherwise. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `--shard takes i/n (the i-th of n shares, 1-based), got '${text}'`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && count <= 10000)) return `--shard i/n: n must be in [1, 10000], got ${m[2]}`;
  if (!(index >= 1 && index <= count)) return `--shard i/n: i must be in [1, ${count}], got ${m[1]}`;
  return { index, count };
}

/** The items of the shard (round robin over the list's order). */
export function shareOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}

export function shardText(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * merge-reports: the gradebooks of a batch's shards joined into one. Refuses files that are not
 * gradebooks, shards of another contract, another batch (other submissions) or other settings,
 * a shard or a student twice, and (unless partial) a batch with shards missing.
 */
import { validateJson } from '../report/json-schema.js';
import { GRADEBOOK_SCHEMA } from './gradebook-schema.js';
import { sortEntries, type Gradebook } from './gradebook.js';
import { shardText, type Shard } from './shard.js';

/** Why shards do not merge: bad input, one line. */
export class GradebookMergeError extends Error {
  override readonly name = 'GradebookMergeError';
}

export interface ShardFile {
  /** Where it came from (for messages). */
  readonly file: string;
  readonly book: unknown;
}

/** The value as a gradebook, or a GradebookMergeError naming the file and its first problems. */
export function asGradebook(file: string, value: unknown): Gradebook {
  const problems = validateJson(value, GRADEBOOK_SCHEMA);
  if (problems.length) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    throw new GradebookMergeError(`${file} is not an mmkit gradebook: ${problems.slice(0, 3).join('; ')}${more}`);
  }
  return value as Gradebook;
}

function settingsKey(book: Gradebook): string {
  const s = book.settings;
  return JSON.stringify([s.filter ?? null, s.propertyRuns ?? null, s.seed ?? null, s.bench, s.timeoutMs, s.memoryMb]);
}

export function mergeGradebooks(files: readonly ShardFile[], opts: { partial?: boolean } = {}): Gradebook {
  if (files.length === 0) throw new GradebookMergeError('merge-reports needs at least one shard gradebook');
  const books = files.map((f) => ({ file: f.file, book: asGradebook(f.file, f.book) }));
  const first = books[0];
  const shardCount = first.book.shards[0]?.count ?? 1;
  const shardOwner = new Map<number, string>();
  const studentOwner = new Map<string, string>();
  for (const { file, book } of books) {
    if (book.contract !== first.book.contract) throw new GradebookMergeError(`${file} grades the ${book.contract} contract, ${first.file} the ${first.book.contract} contract`);
    if (settingsKey(book) !== settingsKey(first.book)) throw new GradebookMergeError(`${file} was graded with other settings than ${first.file} (${settingsKey(book)} against ${settingsKey(first.book)})`);
    if (book.submissions.count !== first.book.submissions.count || book.submissions.namesHash !== first.book.submissions.namesHash) {
      throw new GradebookMergeError(`${file} and ${first.file} come from different batches: ${book.submissions.count} and ${first.book.submissions.count} submissions, names hash ${book.submissions.namesHash} and ${first.book.submissions.namesHash}`);
    }
    for (const s of book.shards) {
      if (s.count !== shardCount) throw new GradebookMergeError(`${file} holds shard ${shardText(s)}, ${first.file} shards of ${shardCount}`);
      const owner = shardOwner.get(s.index);
      if (owner !== undefined) throw new GradebookMergeError(`shard ${shardText(s)} is in both ${owner} and ${file}`);
      shardOwner.set(s.index, file);
    }
    for (const e of book.entries) {
      const owner = studentOwner.get(e.student);
      if (owner !== undefined) throw new GradebookMergeError(`student ${JSON.stringify(e.student)} is in both ${owner} and ${file}`);
      studentOwner.set(e.student, file);
    }
  }
  const shards: Shard[] = [...shardOwner.keys()].sort((a, b) => a - b).map((index) => ({ index, count: shardCount }));
  const missing = Array.from({ length: shardCount }, (_, i) => i + 1).filter((i) => !shardOwner.has(i));
  const complete = missing.length === 0;
  if (!complete && !opts.partial) {
    throw new GradebookMergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${shardCount}`).join(', ')} missing (--partial merges what is there)`);
  }
  const entries = sortEntries(books.flatMap((b) => b.book.entries));
  if (complete && entries.length !== first.book.submissions.count) {
    throw new GradebookMergeError(`the shards hold ${entries.length} submissions, the batch has ${first.book.submissions.count}`);
  }
  const hosts = new Map(books.flatMap((b) => b.book.hosts).map((h) => [JSON.stringify(h), h]));
  return {
    schemaVersion: first.book.schemaVersion,
    kind: 'mmkit-gradebook',
    contract: first.book.contract,
    settings: first.book.settings,
    submissions: first.book.submissions,
    shards,
    complete,
    hosts: [...hosts.values()],
    entries,
  };
}

/** `mmkit merge-reports OUT SHARD.json...`: join the gradebooks of a batch's shards. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, quoteArg } from './errors.js';
import { checkOutputFile, csvBeside, formatGradebookSummary } from './grade-batch-command.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';

export const MERGE_REPORTS_HELP = `usage: mmkit merge-reports OUT SHARD.json [SHARD.json ...] [options]

Join the gradebooks that mmkit grade-batch --shard I/N wrote into one gradebook OUT (JSON) and
its CSV. Refuses files that are not gradebooks, shards of another contract, of another batch
(other submission folders) or graded with other settings, a shard or a student twice, and a
batch with shards missing.

  --csv FILE               the CSV gradebook (default: OUT with .csv for .json)
  --partial                merge the shards given even if some are missing

Exit status: 0 when the merged gradebook is written, 2 for a usage error or shards that do not merge.
`;

function readShard(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(code === 'ENOENT' ? `no file ${quoteArg(file)}` : `cannot read ${quoteArg(file)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${quoteArg(file)} is not JSON: ${(err as Error).message}`);
  }
}

export function runMergeReports(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { csv: { type: 'string' }, partial: { type: 'boolean' } } });
  const [outFile, ...shardFiles] = positionals;
  if (!outFile) throw new UsageError(outFile === '' ? 'merge-reports: OUT is empty' : 'merge-reports needs an output file and the shard gradebooks: mmkit merge-reports OUT SHARD.json...');
  if (values.csv === '') throw new UsageError('--csv is empty');
  if (shardFiles.length === 0) throw new UsageError('merge-reports needs at least one shard gradebook after OUT');
  const csvFile = values.csv ?? csvBeside(outFile);
  checkOutputFile('OUT', outFile);
  checkOutputFile('--csv', csvFile);
  const books = shardFiles.map((file) => ({ file, book: readShard(file) }));
  let merged;
  try {
    merged = kit.mergeGradebooks(books, { partial: values.partial ?? false });
  } catch (err) {
    if (err instanceof Error && err.name === 'GradebookMergeError') throw new UsageError(err.message);
    throw err;
  }
  for (const [file, text] of [[outFile, kit.formatGradebookJson(merged)], [csvFile, kit.formatGradebookCsv(merged)]] as const) {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new UsageError(`cannot write ${quoteArg(file)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
    }
  }
  out(formatGradebookSummary(merged));
  const n = merged.shards[0]?.count ?? 1;
  out(`gradebook: ${outFile}, ${csvFile} (${merged.entries.length} of ${merged.submissions.count} submissions, ${merged.shards.length} of ${n} shards${merged.complete ? '' : ', partial'})\n`);
  return 0;
}

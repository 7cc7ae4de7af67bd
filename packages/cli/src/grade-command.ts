/** `mmkit grade` and `mmkit mutants`: every contract and mutant comes from the registry of @mmkit/conformance. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, quoteArg } from './errors.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';

/** The help of `mmkit grade`, listing the contracts of the registry. */
export function gradeHelp(kit: ConformanceKit = DEFAULT_KIT): string {
  const contracts = kit.CONTRACTS.map((c) => {
    const names = [c.id, ...c.aliases].join(', ');
    return `                           ${names}: ${c.title}\n                             (default: ${c.defaultImplementation})`;
  }).join('\n');
  return `usage: mmkit grade CONTRACT [MODULE] [options]

Grade an implementation of a contract against the conformance suite, in an isolated worker.

  CONTRACT                 one of:
${contracts}
  MODULE                   a file or package whose default export (or export named 'factory',
                           or the contract's conventional create...() export) is the
                           implementation's factory; default: the reference implementation.
                           mmkit grade slab-allocator @mmkit/slab grades SLAB
  --mutant ID              grade a mutant (an old Linux behaviour) instead
  --json                   print the report as JSON
  --junit FILE             also write JUnit XML to FILE
  --html FILE              also write an HTML report to FILE
  --timeout SECONDS        time limit of the run (default 300)
  --memory MB              heap limit of the worker (default 4096)
  --no-bench               skip the throughput and fragmentation figures

Exit status: 0 when every rule passes, 1 when one fails, 2 for a usage error.
`;
}

/** setTimeout() takes at most 2^31 - 1 ms; a worker's heap limit is in MB. */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);
const MAX_MEMORY_MB = 1024 * 1024;

/** A file path is resolved against the working directory; a package name is left to the grader. */
function moduleSpec(module: string): string {
  return module.startsWith('.') || module.startsWith('/') || /\.[cm]?[jt]sx?$/.test(module) ? resolve(module) : module;
}

export async function runGrade(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      mutant: { type: 'string' },
      json: { type: 'boolean' },
      junit: { type: 'string' },
      html: { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      'no-bench': { type: 'boolean' },
    },
  });
  const [contract, module, extra] = positionals;
  const names = kit.CONTRACT_NAMES.join(', ');
  if (!contract) throw new UsageError(`grade needs a contract: ${names}`);
  const spec = kit.contractByName(contract);
  if (!spec) throw new UsageError(`unknown contract ${quoteArg(contract)}; contracts: ${names}`);
  if (extra) throw new UsageError(`unexpected argument ${quoteArg(extra)}`);
  if (module && values.mutant) throw new UsageError('give a MODULE or --mutant, not both');
  if (values.mutant) {
    const m = await kit.mutantById(values.mutant);
    const ids = (await spec.mutants()).map((x) => x.id);
    if (!m) throw new UsageError(`unknown mutant ${quoteArg(values.mutant)}; mutants of ${contract}: ${ids.join(', ')}`);
    if (m.contract !== spec.id) throw new UsageError(`mutant ${quoteArg(values.mutant)} is a mutant of ${m.contract}, not of ${contract}; mutants of ${contract}: ${ids.join(', ')}`);
  }
  const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!(timeoutS > 0 && timeoutS <= MAX_TIMEOUT_S)) throw new UsageError(`--timeout takes a number of seconds in (0, ${MAX_TIMEOUT_S}], got ${quoteArg(values.timeout)}`);
  const memoryMb = values.memory === undefined ? 4096 : Number(values.memory);
  if (!(memoryMb >= 64 && memoryMb <= MAX_MEMORY_MB)) throw new UsageError(`--memory takes megabytes in [64, ${MAX_MEMORY_MB}], got ${quoteArg(values.memory)}`);

  const report = await kit.grade({
    contract: spec.id,
    module: module ? moduleSpec(module) : undefined,
    mutant: values.mutant,
    timeoutMs: timeoutS * 1000,
    memoryMb,
    bench: !values['no-bench'],
  });
  out(values.json ? kit.formatJson(report) : kit.formatText(report));
  if (values.junit) writeReport(values.junit, '--junit', () => kit.formatJunit(report));
  if (values.html) writeReport(values.html, '--html', () => kit.formatHtml(report));
  return report.score.failed > 0 ? 1 : 0;
}

function writeReport(path: string, flag: string, text: () => string): void {
  try {
    writeFileSync(path, text());
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${quoteArg(path)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
}

export async function runMutants(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length) throw new UsageError(`unexpected argument ${quoteArg(positionals[0])}`);
  const mutants = await kit.allMutants();
  if (values.json) {
    out(JSON.stringify(mutants.map(({ id, contract, breaks, description, source }) => ({ id, contract, breaks, description, source })), null, 2) + '\n');
    return 0;
  }
  const width = Math.max(...mutants.map((m) => m.id.length));
  let text = '';
  for (const m of mutants) text += `${m.id.padEnd(width)}  ${m.contract}: breaks ${m.breaks}\n${' '.repeat(width)}  ${m.description}\n`;
  out(text);
  return 0;
}

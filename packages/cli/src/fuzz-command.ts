/** `mmkit fuzz TARGET`: a seeded random campaign against the simulated kernel, invariants checked after every step. */
import { parseArgs } from 'node:util';
import { FuzzFailure, runAddressSpaceFuzz } from '@mmkit/kernel';
import { UsageError, quoteArg } from './errors.js';

export const FUZZ_HELP = `usage: mmkit fuzz TARGET [--ops N] [--seed N] [--processes N] [--fail PERCENT] [--json]

A seeded random campaign; the same seed gives the same run. Exit 0 when every step agreed with
the model and every invariant held, 1 on the first step that did not (it is printed, with the
seed to reproduce it).

targets:
  address-spaces   processes (up to --processes) map, unmap, protect, remap, advise, fork, exit,
                   and read and write their memory, with fail_page_alloc failing --fail percent
                   of page allocations; each access is checked against a shadow model (the bytes
                   written, zeros, copy on write, SIGSEGV and its code), and after every step the
                   kernel's invariants (free lists, VMA trees sorted and disjoint, page tables
                   agreeing with the VMAs and mm counters, no page both free and mapped); at the
                   end every process exits and the free page count must equal boot's

  --ops N          operations (default 100000)
  --seed N         the seed (default 1)
  --processes N    live processes at most (default 8)
  --fail PERCENT   fail_page_alloc probability (default 1)
  --json           print the result as JSON
`;

const TARGETS = new Set(['address-spaces']);

function intOption(name: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} ${quoteArg(text)}: an integer from ${min} to ${max}`);
  return Number(text);
}

export function runFuzz(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ops: { type: 'string' }, seed: { type: 'string' }, processes: { type: 'string' }, fail: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [target, ...rest] = positionals;
  if (target === undefined) throw new UsageError('which target? (mmkit fuzz --help lists them)');
  if (!TARGETS.has(target)) throw new UsageError(`unknown target ${quoteArg(target)} (targets: ${[...TARGETS].join(', ')})`);
  if (rest.length) throw new UsageError(`unexpected argument ${quoteArg(rest[0])} (see mmkit fuzz --help)`);
  const ops = intOption('ops', values.ops, 100_000, 0, 10_000_000);
  const seed = intOption('seed', values.seed, 1, 0, 2 ** 32 - 1);
  const processes = intOption('processes', values.processes, 8, 1, 64);
  const failPercent = intOption('fail', values.fail, 1, 0, 100);
  const started = Date.now();
  try {
    const r = runAddressSpaceFuzz({ ops, seed, processes, failPercent, progress: values.json ? undefined : (n) => { if (n % 10_000 === 0) err(`${n} operations\n`); } });
    const seconds = (Date.now() - started) / 1000;
    if (values.json) out(JSON.stringify({ target, seed, ok: true, seconds, ...r }, null, 2) + '\n');
    else out(`address-spaces: ${r.ops} operations, seed ${seed}, every step agreed and every invariant held (${r.oom} accesses hit an injected allocation failure, ${r.forkEnomem} forks ENOMEM, up to ${r.maxProcesses} processes; ${seconds.toFixed(1)} s)\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof FuzzFailure)) throw e;
    if (values.json) out(JSON.stringify({ target, seed, ok: false, step: e.step, message: e.message }, null, 2) + '\n');
    else out(`${e.message}\n`);
    return 1;
  }
}

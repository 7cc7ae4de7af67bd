/** `mmkit replay DIR`: replay a recorded program's memory calls on the simulated kernel. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createKernel } from '@mmkit/kernel';
import { UsageError, quoteArg } from './errors.js';
import { readInputFile } from './read-input.js';
import { parseSize } from './size.js';
import { mmapTargetFactory } from './trace/mmap-target.js';
import { formatMapsDiff } from './trace/proc-maps.js';
import { replay, type ReplayInput, type ReplayReport, type ReplayTargetFactory } from './trace/replay.js';

export const REPLAY_HELP = `usage: mmkit replay DIR [--json] [--mem SIZE]

Replay a program's memory calls on Linux 4.17's address spaces (@mmkit/mmap) and compare
every result with the real kernel's. DIR holds what \`mmkit trace capture\` records:

  initial.maps   /proc/PID/maps right after exec (the replay starts from it)
  strace.txt     strace -y -e trace=memory of the run (every call and its result)
  final.maps     /proc/PID/maps at exit_group (optional: compared with the replay's)
  command.txt    the command line (optional, shown)

Each path gets one file identity (device and inode from the maps files); the file a line
names (3</usr/lib/libc.so.6>) is opened at that descriptor before the call. Prints each call
whose result differs (line, call, strace's result, the replay's), each call explained by a
documented difference between the recording kernel and 4.17 (with the rule), and the lines
of the final maps that differ (start, end, permissions, offset, path). Exit status 0 when
everything agrees, 1 when something differs, 2 for a folder that cannot be read.

  --json                   the report as JSON
  --mem SIZE               the simulated machine's memory (default 4G): vm.overcommit_memory's
                           heuristic refuses one mapping larger than RAM + swap
`;

/** The simulated machine's memory: the overcommit heuristic compares a mapping with RAM + swap. */
const DEFAULT_MEM = 4 * 2 ** 30;

/** Each file of a folder is read up to this size (a trace of a million calls is about 100 MiB: record less). */
const MAX_TRACE_FILE_BYTES = 128 * 2 ** 20;

/** The files of a replay folder; a UsageError when DIR or a required file cannot be read. */
export function readReplayFolder(dir: string): ReplayInput {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new UsageError(`replay: cannot read ${quoteArg(dir)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!isDir) throw new UsageError(`replay: ${quoteArg(dir)} is not a folder (it should hold initial.maps and strace.txt)`);
  for (const f of ['initial.maps', 'strace.txt']) {
    if (!existsSync(join(dir, f))) throw new UsageError(`replay: ${quoteArg(dir)} has no ${f} (mmkit trace capture records one)`);
  }
  const read = (f: string) => readInputFile(join(dir, f), `replay: ${f}`, MAX_TRACE_FILE_BYTES);
  return {
    command: existsSync(join(dir, 'command.txt')) ? read('command.txt').trim() : undefined,
    initialMaps: read('initial.maps'),
    strace: read('strace.txt'),
    finalMaps: existsSync(join(dir, 'final.maps')) ? read('final.maps') : undefined,
  };
}

export function runReplay(args: string[], out: (s: string) => void, factory?: ReplayTargetFactory): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, mem: { type: 'string' } } });
  const mem = values.mem === undefined ? DEFAULT_MEM : parseSize(values.mem);
  if (mem === undefined || mem <= 0) throw new UsageError(`replay: --mem: ${quoteArg(values.mem)} is not a size (try 4G or 512M)`);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'replay: which folder? (mmkit replay DIR)' : `replay: one folder at a time (${quoteArg(positionals[1])} is one too many)`);
  const dir = positionals[0];
  const input = readReplayFolder(dir);
  // A machine the kernel refuses (MachineSpecError) is bad input, said before the replay starts.
  if (values.mem !== undefined) createKernel({ machine: { mem } });
  const report = replay(input, factory ?? defaultReplayFactory(mem));
  out(values.json ? `${JSON.stringify(reportJson(dir, report), null, 2)}\n` : formatReplay(dir, report));
  return report.ok ? 0 : 1;
}

/** The replay's model: @mmkit/mmap in a kernel booted on a machine of `mem` bytes (the default assembly). */
export function defaultReplayFactory(mem: number = DEFAULT_MEM): ReplayTargetFactory {
  return mmapTargetFactory(() => {
    const kernel = createKernel({ machine: { mem } });
    if (!kernel.addressSpaces) throw new Error('the kernel has no address spaces (an x86_64 machine has them)');
    return kernel.addressSpaces;
  });
}

/** The report as text. */
export function formatReplay(dir: string, r: ReplayReport): string {
  let s = `replay ${dir}${r.command ? `: ${r.command}` : ''}\n`;
  for (const line of r.setup) s += `  setup: ${line}\n`;
  for (const p of r.problems) s += `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}\n`;
  for (const d of r.differing) s += `strace.txt:${d.line}: ${d.call}\n    differs: strace ${d.expected}, replay ${d.actual}\n`;
  for (const d of r.explained) s += `strace.txt:${d.line}: ${d.call}\n    differs for a documented reason (rule ${d.rule!.id}): strace ${d.expected}, replay ${d.actual}: ${d.rule!.why}\n`;
  for (const u of r.unreplayed) s += `strace.txt:${u.line}: ${u.call}\n    not replayed: ${u.reason}\n`;
  for (const n of r.notes) s += `${n.file}:${n.line}: skipped: ${n.text}\n`;
  s += `calls: ${r.calls}, replayed ${r.replayed}, ${r.differing.length} differ${r.explained.length ? `, ${r.explained.length} differ for a documented reason` : ''}${r.unreplayed.length ? `, ${r.unreplayed.length} not replayed` : ''}\n`;
  if (!r.finalMaps.compared) s += 'final maps: no final.maps to compare with\n';
  else if (r.finalMaps.differences.length === 0) {
    s += `final maps: equal to final.maps (start, end, permissions, offset, path)${r.finalMaps.explained.length ? ' but for documented differences' : ''}\n`;
  } else {
    s += `final maps: ${r.finalMaps.differences.length} line${r.finalMaps.differences.length === 1 ? '' : 's'} differ from final.maps (- final.maps, + replay)\n`;
    s += formatMapsDiff(r.finalMaps.differences);
    const after = r.finalMaps.equalAfterLine;
    if (after !== undefined) {
      s += after === 0
        ? '  final.maps equals the replayed address space before the first call: it was not recorded at the end of this run\n'
        : `  final.maps equals the replayed address space right after strace.txt line ${after}, not at the end: it looks recorded from another run that stopped there (a different command line or input?)\n`;
    }
  }
  if (r.finalMaps.compared) {
    for (const u of r.finalMaps.explained) s += `  final.maps lines ${u.lines.join(', ')} differ for a documented reason (rule ${u.rule.id}): ${u.rule.why}\n`;
  }
  s += r.ok ? 'result: everything agrees\n' : 'result: DIFFERS\n';
  return s;
}

/** The report as JSON-ready data (bigints as strings). */
export function reportJson(dir: string, r: ReplayReport): unknown {
  const entry = (e: { start: bigint; end: bigint; perms: string; offset: bigint; path: string; line: number }) => ({
    line: e.line,
    start: `0x${e.start.toString(16)}`,
    end: `0x${e.end.toString(16)}`,
    perms: e.perms,
    offset: `0x${e.offset.toString(16)}`,
    path: e.path,
  });
  return {
    dir,
    command: r.command ?? null,
    ok: r.ok,
    calls: r.calls,
    replayed: r.replayed,
    differing: r.differing,
    explained: r.explained,
    unreplayed: r.unreplayed,
    problems: r.problems,
    notes: r.notes,
    setup: r.setup,
    finalMaps: r.finalMaps.compared
      ? {
          compared: true,
          equal: r.finalMaps.differences.length === 0,
          equalAfterLine: r.finalMaps.equalAfterLine ?? null,
          explained: r.finalMaps.explained,
          differences: r.finalMaps.differences.map((d) =>
            d.kind === 'missing'
              ? { kind: d.kind, expected: entry(d.expected) }
              : d.kind === 'extra'
                ? { kind: d.kind, actual: entry(d.actual) }
                : { kind: d.kind, fields: d.fields, expected: entry(d.expected), actual: entry(d.actual) },
          ),
        }
      : { compared: false },
  };
}

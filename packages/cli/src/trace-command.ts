/** `mmkit trace capture DIR -- CMD ARGS`: record a folder that `mmkit replay` replays. */
import { UsageError, quoteArg } from './errors.js';
import { capture, CaptureError, captureMissing, shellQuote } from './trace/capture.js';

export const TRACE_HELP = `usage: mmkit trace capture DIR [--timeout SECONDS] -- CMD [ARGS...]

Record CMD's memory calls and address space on this Linux host into DIR (new or empty), for
mmkit replay DIR. CMD runs twice, with address-space randomisation off (setarch -R) and stdin
from /dev/null: under strace -y -e trace=memory (strace.txt; CMD's output is shown), then under
gdb, which writes /proc/PID/maps at the first instruction (initial.maps) and at exit_group
(final.maps). command.txt holds the command line. Needs strace, gdb and setarch (util-linux);
capture says which are missing. A program that does not behave the same way twice (threads,
timers, random input) gives a final.maps that matches its trace less well.

  --timeout SECONDS        kill each run after this long (default 120)
`;

export function runTrace(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(TRACE_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'capture') throw new UsageError(`trace: unknown subcommand ${quoteArg(sub)} (mmkit trace capture DIR -- CMD ARGS)`);
  const dash = rest.indexOf('--');
  const before = dash < 0 ? rest : rest.slice(0, dash);
  const command = dash < 0 ? [] : rest.slice(dash + 1);
  if (before.includes('--help') || before.includes('-h')) {
    out(TRACE_HELP);
    return 0;
  }
  let timeoutMs = 120_000;
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    if (a === '--timeout' || a.startsWith('--timeout=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : before[++i];
      const n = Number(v);
      if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > 86400) throw new UsageError(`trace capture: --timeout must be a number of seconds in (0, 86400], not ${quoteArg(v)}`);
      timeoutMs = Math.round(n * 1000);
    } else if (a.startsWith('-')) throw new UsageError(`trace capture: unknown option ${quoteArg(a)} (see mmkit trace --help)`);
    else positionals.push(a);
  }
  if (positionals.length !== 1) throw new UsageError('trace capture: give one folder, then -- and the command (mmkit trace capture DIR -- CMD ARGS)');
  if (command.length === 0) throw new UsageError('trace capture: no command after -- (mmkit trace capture DIR -- CMD ARGS)');
  const missing = captureMissing();
  if (missing.length) {
    err(`mmkit: trace capture cannot run here: ${missing.join('; ')}\n`);
    return 2;
  }
  try {
    const r = capture(positionals[0], command, { timeoutMs });
    out(`recorded ${r.command} into ${r.dir}: ${r.files.join(', ')} (exit status ${r.exitStatus ?? 'none: ended by a signal'})\n`);
    for (const w of r.warnings) out(`warning: ${w}\n`);
    out(`replay it: mmkit replay ${shellQuote(r.dir)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CaptureError) {
      err(`mmkit: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

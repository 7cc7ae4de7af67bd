/**
 * Recording a replay folder on a Linux host: the command runs twice with address-space
 * randomisation off (setarch -R), so both runs lay out memory alike:
 *
 * 1. under strace -y -e trace=memory: strace.txt, every memory call with its result;
 * 2. under gdb: initial.maps at the first instruction (`starti`), final.maps when the program
 *    calls exit_group (`catch syscall exit_group`; syscall 231 in orig_rax), then the program
 *    is killed (x86-64 only, as the replay).
 *
 * gdb passes the arguments through its startup shell with its own quoting (with
 * startup-with-shell off gdb 13 keeps its backslashes), and LINES and COLUMNS, which gdb adds
 * to the environment, are removed, so the program sees what it saw under strace. stdin is
 * /dev/null in both runs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** A tool the capture needs, and where to get it. */
const TOOLS = [
  { name: 'strace', why: 'records the memory calls', pkg: 'strace' },
  { name: 'gdb', why: 'records /proc/PID/maps at the first instruction and at exit_group', pkg: 'gdb' },
  { name: 'setarch', why: 'turns address-space randomisation off', pkg: 'util-linux' },
] as const;

export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** The path of `name` on PATH, or undefined. */
export function findOnPath(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What is missing to capture on this host: one sentence per missing piece (empty when nothing is). */
export function captureMissing(path?: string): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`capture runs on Linux only (this is ${process.platform}): record on a Linux host and replay anywhere`);
  for (const t of TOOLS) {
    if (!findOnPath(t.name, path)) missing.push(`${t.name} is not installed (it ${t.why}; Debian and Ubuntu: apt install ${t.pkg})`);
  }
  return missing;
}

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface CaptureOptions {
  /** Each of the two runs is killed after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
  /** Where the strace run's program output goes: 'inherit' (the terminal) or 'ignore'. */
  readonly programOutput?: 'inherit' | 'ignore';
}

export interface CaptureResult {
  readonly dir: string;
  readonly command: string;
  /** The program's exit status in the strace run (null when a signal ended it). */
  readonly exitStatus: number | null;
  readonly files: readonly string[];
  /** What the folder lacks and why (a program ended by a signal has no final.maps). */
  readonly warnings: readonly string[];
}

/** Record `argv` into `dir` (created; it must be new or empty). */
export function capture(dir: string, argv: readonly string[], options: CaptureOptions = {}): CaptureResult {
  const missing = captureMissing();
  if (missing.length) throw new CaptureError(`trace capture: ${missing.join('; ')}`);
  if (argv.length === 0) throw new CaptureError('trace capture: no command (mmkit trace capture DIR -- CMD ARGS)');
  const program = argv[0].includes('/') ? resolve(argv[0]) : findOnPath(argv[0]);
  if (!program || !existsSync(program)) throw new CaptureError(`trace capture: ${argv[0]} not found${argv[0].includes('/') ? '' : ' on PATH'}`);
  const args = argv.slice(1);
  const out = resolve(dir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new CaptureError(`trace capture: ${dir} exists and is not a folder`);
    if (readdirSync(out).length > 0) throw new CaptureError(`trace capture: ${dir} is not empty (capture writes into a new or empty folder and overwrites nothing)`);
  } else mkdirSync(out, { recursive: true });
  const timeout = options.timeoutMs ?? 120_000;

  // 1. strace.
  const straceRun = spawnSync('setarch', ['-R', 'strace', '-y', '-e', 'trace=memory', '-o', join(out, 'strace.txt'), '--', program, ...args], {
    stdio: ['ignore', options.programOutput ?? 'inherit', options.programOutput === 'ignore' ? 'ignore' : 'pipe'],
    timeout,
    encoding: 'utf8',
  });
  if (straceRun.error) throw new CaptureError(`trace capture: strace did not run: ${straceRun.error.message}`);
  if (straceRun.signal === 'SIGTERM' && !existsSync(join(out, 'strace.txt'))) throw new CaptureError(`trace capture: the strace run took longer than ${timeout} ms`);
  const straceErr = typeof straceRun.stderr === 'string' ? straceRun.stderr : '';
  if (/PTRACE_TRACEME|ptrace\(|Operation not permitted/.test(straceErr) && !existsSync(join(out, 'strace.txt'))) {
    throw new CaptureError(`trace capture: strace cannot trace here (${firstLine(straceErr)}): ptrace is not permitted (a container without CAP_SYS_PTRACE, or kernel.yama.ptrace_scope)`);
  }
  if (options.programOutput !== 'ignore' && straceErr) process.stderr.write(straceErr);
  if (!existsSync(join(out, 'strace.txt'))) throw new CaptureError(`trace capture: strace wrote no trace (${firstLine(straceErr) || `status ${straceRun.status}`})`);

  // 2. gdb: initial.maps and final.maps.
  const warnings: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'mmkit-capture-'));
  try {
    const script = join(scratch, 'capture.py');
    writeFileSync(script, gdbScript(out));
    const gdbRun = spawnSync('setarch', ['-R', 'gdb', '-nx', '-batch', '-q', '-x', script, '--args', program, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
      encoding: 'utf8',
      env: { ...process.env, SHELL: '/bin/sh' },
    });
    if (gdbRun.error) throw new CaptureError(`trace capture: gdb did not run: ${gdbRun.error.message}`);
    const log = `${gdbRun.stdout ?? ''}\n${gdbRun.stderr ?? ''}`;
    if (!existsSync(join(out, 'initial.maps'))) {
      throw new CaptureError(`trace capture: gdb did not stop at the first instruction (${firstLine(gdbRun.stderr ?? '') || `status ${gdbRun.status}`})`);
    }
    if (!existsSync(join(out, 'final.maps'))) {
      warnings.push(`no final.maps: ${/mmkit-capture: (.*)/.exec(log)?.[1] ?? (firstLine(gdbRun.stderr ?? '') || 'gdb stopped before exit_group')}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const command = [program, ...args].map(shellQuote).join(' ');
  writeFileSync(join(out, 'command.txt'), `${command}\n`);
  const files = ['command.txt', 'initial.maps', 'strace.txt', 'final.maps'].filter((f) => existsSync(join(out, f)));
  return { dir: out, command, exitStatus: straceRun.status, files, warnings };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** The gdb Python that writes the two maps files into `dir`. */
function gdbScript(dir: string): string {
  return `import gdb
OUT = ${JSON.stringify(dir)}

def dump(name):
    pid = gdb.selected_inferior().pid
    with open('/proc/%d/maps' % pid) as f:
        data = f.read()
    with open(OUT + '/' + name, 'w') as o:
        o.write(data)

gdb.execute('set pagination off')
gdb.execute('unset environment LINES')
gdb.execute('unset environment COLUMNS')
gdb.execute('starti', to_string=True)
dump('initial.maps')
gdb.execute('catch syscall exit_group', to_string=True)
try:
    gdb.execute('continue', to_string=True)
except gdb.error as e:
    print('mmkit-capture: gdb: ' + str(e))
if gdb.selected_inferior().pid == 0:
    print('mmkit-capture: the program ended without calling exit_group')
else:
    try:
        nr = int(gdb.parse_and_eval('$orig_rax'))
    except gdb.error:
        nr = -1
    if nr == 231:
        dump('final.maps')
    else:
        print('mmkit-capture: the program stopped before exit_group (a signal?)')
    try:
        gdb.execute('kill', to_string=True)
    except gdb.error:
        pass
`;
}

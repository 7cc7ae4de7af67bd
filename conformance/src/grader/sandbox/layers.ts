/**
 * The isolation layers a sandboxed grade runs under, and the command line that sets them up.
 *
 * - rlimits, always (util-linux `prlimit`): RLIMIT_AS (the whole process's address space, every
 *   Buffer and thread included, not only the V8 heap), RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_CORE 0.
 * - bwrap (bubblewrap, a Debian package), when it is installed and can create namespaces here:
 *   new user, pid, network, ipc, uts and cgroup namespaces (no network at all, not even the
 *   host's loopback), a root filesystem holding only read-only binds of the system libraries,
 *   the node binary, the grader's bundle and the submission's folder, and the scratch directory
 *   as the one writable place; --die-with-parent, and the pid namespace dies with its first
 *   process, so nothing started inside outlives it.
 * - permission, Node's permission model (--experimental-permission), the fallback when bwrap is
 *   missing or refused: reads only of the bundles, the submission's folder and the scratch
 *   directory, writes only in scratch, no child processes, no worker threads (on Node 20 a
 *   worker can drop the parent's permissions, so --allow-worker is never given), no native
 *   addons. Node 20's permission model does not restrict the network.
 * Both layers run under the rlimits and in their own process group, which the grader kills
 * whole (SIGKILL to the group) when the grade ends. Only bwrap allows threads, so only under it
 * does a submission of an isolated contract (ISOLATED_CONTRACTS: the page allocator, the object
 * allocator, the address spaces) run in a thread of its own, out of the suite's realm (../isolate/); under
 * the permission model it shares the suite's realm, and the built-ins are checked after each case.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

export type SandboxLayer = 'bwrap' | 'permission';
export type SandboxChoice = 'auto' | SandboxLayer;
export const SANDBOX_CHOICES: readonly SandboxChoice[] = ['auto', 'bwrap', 'permission'];

export interface SandboxLimits {
  /** RLIMIT_AS in MiB. */
  readonly memoryMb: number;
  /** RLIMIT_CPU in seconds. */
  readonly cpuSeconds: number;
  /** RLIMIT_FSIZE in MiB. */
  readonly fileMb: number;
}

export interface SandboxPaths {
  /** Read-only: the grader's bundle directory and the submission's bundle directory. */
  readonly code: readonly string[];
  /** Read-only: the submission's own folder (it may read its data files). */
  readonly submission?: string;
  /** Read and write: the scratch directory. */
  readonly scratch: string;
}

let bwrapWorks: boolean | undefined;

/** Is bwrap on the PATH and allowed to make its namespaces here (a container may refuse)? Probed once. */
export function bwrapAvailable(): boolean {
  if (bwrapWorks === undefined) {
    const r = spawnSync('bwrap', ['--unshare-all', '--die-with-parent', ...systemBinds(), '--', process.execPath, '-e', '0'], { stdio: 'ignore', timeout: 10_000 });
    bwrapWorks = r.status === 0;
  }
  return bwrapWorks;
}

/** The layer to use: a forced one (an error when bwrap is asked for and cannot run), or bwrap when it works, else permission. */
export function chooseLayer(choice: SandboxChoice): SandboxLayer {
  if (choice === 'permission') return 'permission';
  if (choice === 'bwrap') {
    if (!bwrapAvailable()) throw new Error('the bwrap sandbox was asked for, but bwrap is not installed or cannot create namespaces here');
    return 'bwrap';
  }
  return bwrapAvailable() ? 'bwrap' : 'permission';
}

/** What node needs to start: the system library directories and the node binary, read-only. */
function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of ['/usr', '/lib', '/lib64', '/lib32', '/etc/ld.so.cache']) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  for (const link of ['bin', 'sbin']) if (existsSync(`/${link}`)) args.push('--symlink', `usr/${link}`, `/${link}`);
  const node = realpathSync(process.execPath);
  if (!node.startsWith('/usr/')) args.push('--ro-bind', path.dirname(node), path.dirname(node));
  args.push('--proc', '/proc', '--dev', '/dev');
  return args;
}

function prlimitArgs(limits: SandboxLimits): string[] {
  const mib = 2 ** 20;
  return [
    `--as=${limits.memoryMb * mib}`,
    `--cpu=${limits.cpuSeconds}`,
    `--fsize=${limits.fileMb * mib}`,
    '--core=0',
    '--',
  ];
}

/**
 * The command (argv) that runs `node <nodeArgs> <entry>` in the layer, under the limits.
 * Every path is bound at its own location, so stack traces name the submission's real files.
 */
export function sandboxCommand(layer: SandboxLayer, limits: SandboxLimits, paths: SandboxPaths, nodeArgs: readonly string[], entry: string): { file: string; args: string[] } {
  const readable = [...paths.code, ...(paths.submission ? [paths.submission] : [])];
  const node = process.execPath;
  if (layer === 'bwrap') {
    const binds: string[] = [];
    for (const p of readable) binds.push('--ro-bind', p, p);
    binds.push('--bind', paths.scratch, paths.scratch);
    const bwrap = ['bwrap', '--unshare-all', '--die-with-parent', '--clearenv', ...systemBinds(), '--tmpfs', '/tmp', ...binds, '--chdir', paths.scratch, '--setenv', 'HOME', paths.scratch, '--setenv', 'TMPDIR', paths.scratch, '--'];
    return { file: 'prlimit', args: [...prlimitArgs(limits), ...bwrap, node, ...nodeArgs, entry] };
  }
  const dirRead = (p: string) => `--allow-fs-read=${p}${p.endsWith('/') ? '' : '/'}*`;
  const permission = ['--experimental-permission', ...readable.map(dirRead), dirRead(paths.scratch), `--allow-fs-write=${paths.scratch}/*`];
  return { file: 'prlimit', args: [...prlimitArgs(limits), node, ...permission, ...nodeArgs, entry] };
}

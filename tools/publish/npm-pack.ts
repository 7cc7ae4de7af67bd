/**
 * `npm pack` of workspace packages, run from the repository root in one npm process, with its
 * `--json` answer: per package its name, tarball file name and file list.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../eslint/workspace.js';

const run = promisify(execFile);

export interface PackResult {
  name: string;
  version: string;
  /** The tarball's file name (in the pack destination). */
  filename: string;
  files: { path: string; size: number }[];
  size: number;
  unpackedSize: number;
}

export interface PackOptions {
  /** List what would be packed, write nothing (and run no lifecycle script: --ignore-scripts). */
  dryRun?: boolean;
  /** Where the tarballs go (--pack-destination). */
  destination?: string;
  root?: string;
}

/** npm's environment without what an enclosing `npm run`/`npm test` set (npm_config_*, npm_lifecycle_*): they would steer the child npm. */
export function cleanNpmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

/** Packs the workspace packages in `dirs` (relative to the root), in that order. */
export async function npmPack(dirs: readonly string[], options: PackOptions = {}): Promise<PackResult[]> {
  const args = ['pack', '--json', ...dirs.map((d) => `--workspace=${d}`)];
  if (options.dryRun) args.push('--dry-run', '--ignore-scripts');
  if (options.destination) args.push(`--pack-destination=${options.destination}`);
  const { stdout } = await run('npm', args, {
    cwd: options.root ?? REPO_ROOT,
    env: cleanNpmEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  // The lifecycle scripts a real pack runs (prepack: the build) print on stdout before the JSON.
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`npm pack printed no JSON: ${stdout.slice(0, 500)}`);
  return JSON.parse(stdout.slice(start)) as PackResult[];
}

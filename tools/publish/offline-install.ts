/**
 * Installing packed @mmkit tarballs into a project outside the repository with no network
 * (`npm install --offline`), their third-party dependencies taken from npm's cache.
 *
 * The repository's install leaves each third-party tarball in the cache (~/.npm/_cacache) under
 * its registry URL, but not the registry's metadata of the package (its "packument"), which
 * `npm install fast-check@^4` needs to pick a version offline. So the third-party packages the
 * tarballs need at run time (their dependencies, optional ones installed here, transitively)
 * are given to npm by tarball URL, at the versions of the repository's package-lock.json; the
 * @mmkit tarballs' own ranges are then satisfied by what is already in the tree and npm asks
 * for no metadata. The test proves what a user's `npm install @mmkit/cli` gets from these
 * tarballs, with the repository's versions of the third-party packages.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../eslint/workspace.js';
import { cleanNpmEnv } from './npm-pack.js';

const run = promisify(execFile);

interface LockEntry {
  version?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface ThirdParty {
  name: string;
  version: string;
  /** The registry tarball URL npm fetched it from (and cached it under). */
  url: string;
}

const REGISTRY = 'https://registry.npmjs.org';

/** The registry URL of a package version's tarball: https://registry.npmjs.org/@scope/name/-/name-1.2.3.tgz. */
export function tarballUrl(name: string, version: string): string {
  const base = name.startsWith('@') ? name.split('/')[1] : name;
  return `${REGISTRY}/${name}/-/${base}-${version}.tgz`;
}

/**
 * The third-party packages (not @mmkit/*) that `dependencies` need at run time, transitively,
 * as the repository's lockfile resolved them: an optional dependency counts when the repository
 * installed it (the platform's esbuild binary, not the 25 others).
 */
export function thirdPartyClosure(dependencies: Iterable<string>, root = REPO_ROOT): ThirdParty[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const found = new Map<string, ThirdParty>();
  const queue: { name: string; from: string }[] = [...dependencies].map((name) => ({ name, from: '' }));
  while (queue.length > 0) {
    const { name, from } = queue.shift()!;
    if (name.startsWith('@mmkit/')) continue;
    // Node's lookup: the nearest node_modules above the dependant, as npm placed it.
    let key: string | undefined;
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (Object.hasOwn(lock.packages, candidate)) {
        key = candidate;
        break;
      }
      if (!dir) break;
    }
    if (key === undefined) throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the @mmkit packages'})`);
    const entry = lock.packages[key];
    if (entry.link || !entry.version) throw new Error(`package-lock.json's ${key} is not a registry package`);
    const seen = found.get(name);
    if (seen) {
      if (seen.version !== entry.version) throw new Error(`${name} is needed at ${seen.version} and ${entry.version}: one project cannot hold both at its top level`);
      continue;
    }
    found.set(name, { name, version: entry.version, url: tarballUrl(name, entry.version) });
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ name: dep, from: key });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      if (existsSync(path.join(root, key, 'node_modules', dep)) || existsSync(path.join(root, 'node_modules', dep))) queue.push({ name: dep, from: key });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `npm install --offline` of the tarballs and third-party tarball URLs into `project` (which has a package.json). */
export async function installOffline(project: string, tarballs: readonly string[], thirdParty: readonly ThirdParty[]): Promise<{ stdout: string; stderr: string }> {
  return run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs, ...thirdParty.map((t) => t.url)], {
    cwd: project,
    env: cleanNpmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
}

/**
 * What a published @mmkit package may ship, checked against the file list of `npm pack --json`
 * (paths relative to the package): its build (dist/), its TypeScript sources without their tests
 * (src/, which the "source" export condition and the source maps of dist/ point into), the
 * launcher of a bin (bin/), published JSON Schemas (schema/: conformance's report schema),
 * README.md, LICENSE, package.json and the CHANGELOG.md that
 * `changeset version` writes; never tests, fixtures, benchmarks, scripts or configuration
 * (tsconfig, vitest.config). Every export target (of every condition) and bin target must be in
 * the list, or, for a list taken before a build, be the output of a shipped source (dist/P.js
 * and dist/P.d.ts from src/P.ts: tsconfig.build.json's rootDir is src). The package must build
 * before it is packed: a `prepack` script that runs its `build` script.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../eslint/workspace.js';

export interface PublishManifest {
  name: string;
  version?: string;
  private?: boolean;
  license?: string;
  files?: string[];
  exports?: unknown;
  bin?: string | Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

export interface PublishablePackage {
  /** Folder relative to the repository root, '/'-separated. */
  dir: string;
  manifest: PublishManifest;
}

/** The workspace packages that are published: packages/* and conformance, minus any "private" one (tools). */
export function publishablePackages(root = REPO_ROOT): PublishablePackage[] {
  const dirs = [
    ...readdirSync(path.join(root, 'packages'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => `packages/${e.name}`),
    'conformance',
  ];
  const found: PublishablePackage[] = [];
  for (const dir of dirs) {
    let text: string;
    try {
      text = readFileSync(path.join(root, dir, 'package.json'), 'utf8');
    } catch {
      continue;
    }
    const manifest = JSON.parse(text) as PublishManifest;
    if (!manifest.private) found.push({ dir, manifest });
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Every path an `exports` map points to, whatever the condition. */
export function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportTargets);
}

/** The subpaths of an `exports` map ('.', './internals', ...) as import specifiers of the package. */
export function exportSpecifiers(manifest: PublishManifest): string[] {
  const exports = manifest.exports;
  if (exports === null || typeof exports !== 'object') return [manifest.name];
  const keys = Object.keys(exports);
  if (!keys.every((k) => k.startsWith('.'))) return [manifest.name];
  return keys.map((k) => (k === '.' ? manifest.name : `${manifest.name}/${k.slice(2)}`));
}

function binTargets(bin: PublishManifest['bin']): string[] {
  if (bin === undefined) return [];
  return typeof bin === 'string' ? [bin] : Object.values(bin);
}

const normalise = (p: string) => p.replace(/^\.\//, '');

/** Why a file may not ship, or undefined when it may. */
export function forbiddenReason(file: string): string | undefined {
  const parts = file.split('/');
  const base = parts[parts.length - 1];
  if (parts.some((p) => p === 'test' || p === 'tests' || p === '__tests__') || /\.(test|spec)\.[cm]?[jt]sx?$/.test(base) || /\.(test|spec)\.d\.[cm]?ts$/.test(base)) return 'a test';
  if (parts.some((p) => p === 'fixtures' || p === '__fixtures__')) return 'a fixture';
  if (/^tsconfig.*\.json$/.test(base) || /^vitest\.config\./.test(base) || /^eslint\.config\./.test(base) || base === 'project.json') return 'configuration';
  if (parts[0] === 'bench' || parts[0] === 'scripts' || parts[0] === 'node_modules' || parts[0] === 'coverage') return `under ${parts[0]}/`;
  if (parts.length === 1 && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(base)) return 'not README.md, LICENSE, CHANGELOG.md or package.json';
  if (parts.length > 1 && !['dist', 'src', 'bin', 'schema'].includes(parts[0])) return 'outside dist/, src/, bin/ and schema/';
  return undefined;
}

/** Would the build (tsc, rootDir src, outDir dist) write this dist/ file from a shipped source? */
function builtFromShippedSource(target: string, shipped: ReadonlySet<string>): boolean {
  const m = /^dist\/(.+?)(\.d)?\.js$/.exec(target) ?? /^dist\/(.+?)\.d\.ts$/.exec(target);
  return m !== null && shipped.has(`src/${m[1]}.ts`);
}

/**
 * What is wrong with a package's file list (`npm pack --json`'s `files[].path`), as sentences;
 * empty when nothing is. `built`: the list was taken after a build, so dist/ must be in it.
 */
export function packedFileProblems(manifest: PublishManifest, files: readonly string[], built: boolean, rootLicense?: string, packageLicense?: string): string[] {
  const problems: string[] = [];
  const shipped = new Set(files);
  for (const required of ['package.json', 'README.md', 'LICENSE']) if (!shipped.has(required)) problems.push(`${required} is not packed`);
  for (const file of files) {
    const reason = forbiddenReason(file);
    if (reason) problems.push(`${file} is packed: ${reason}`);
  }
  const hasDist = files.some((f) => f.startsWith('dist/'));
  if (built && !hasDist) problems.push('no dist/ file is packed after the build');
  for (const raw of [...exportTargets(manifest.exports), ...binTargets(manifest.bin)]) {
    const target = normalise(raw);
    if (shipped.has(target)) continue;
    if (!built && builtFromShippedSource(target, shipped)) continue;
    problems.push(`${raw} (an export or bin target) is not packed${built ? '' : ' and no shipped source builds it'}`);
  }
  for (const raw of binTargets(manifest.bin)) if (raw.startsWith('./')) problems.push(`bin target ${raw} starts with ./: npm publish rewrites it, warning that it "was invalid"`);
  const scripts = manifest.scripts ?? {};
  if (!scripts.build) problems.push('no build script');
  if (!/\bnpm run build\b/.test(scripts.prepack ?? '')) problems.push(`the prepack script does not run the build (prepack: ${JSON.stringify(scripts.prepack ?? null)})`);
  if (rootLicense !== undefined && packageLicense !== rootLicense) problems.push("LICENSE differs from the repository's");
  if (manifest.license !== 'MIT') problems.push(`license is ${JSON.stringify(manifest.license ?? null)}, not the repository's MIT`);
  return problems;
}

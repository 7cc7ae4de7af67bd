/**
 * Loading the implementation a grade run is asked for: the file a MODULE names, its factory
 * among its exports, and what to tell the student when it cannot be loaded. The grader bundles
 * the module (sandbox/bundle.ts, so a file grades whatever its folder's package type) and the
 * sandboxed child imports the bundle; every failure on the way is a LoadError whose message says
 * what is wrong and how to fix it, in one or two lines.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyContract } from '../contract.js';

/** A module that cannot be graded: its message is one or two lines for the student. */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

export function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.[cm]?[jt]sx?$/.test(spec) || path.isAbsolute(spec);
}

/** Pick the contract's factory out of a module's exports (checked for being a function, not for its type). */
export function pickFactory<F>(mod: Record<string, unknown>, spec: string, contract: Pick<AnyContract, 'factoryExports' | 'factoryPattern' | 'core'>): F {
  const own = (key: string) => (Object.hasOwn(mod, key) ? mod[key] : undefined);
  for (const key of ['default', 'factory', ...contract.factoryExports]) {
    if (typeof own(key) === 'function') return own(key) as F;
  }
  const creators = Object.keys(mod).filter((k) => typeof own(k) === 'function' && contract.factoryPattern.test(k));
  if (creators.length === 1) return own(creators[0]) as F;
  const found = Object.keys(mod).map((k) => `${k} (${typeof own(k)})`);
  throw new LoadError(
    `${spec} exports no ${contract.core.factory} (exports found: ${found.join(', ') || 'none'}).\n` +
      `fix: export the factory as \`export default\`, as \`export const factory\` or as \`export const ${contract.factoryExports[0] ?? 'factory'}\`${creators.length > 1 ? `, and only one of ${creators.join(', ')}` : ''}`,
  );
}

/** The package a bare specifier names ('@mmkit/core/testing' -> '@mmkit/core'). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The version range the project's own packages install with (this package's dependencies), for a hint. */
function installHint(pkg: string, dir: string): string {
  let version = '';
  if (pkg.startsWith('@mmkit/')) {
    try {
      const own = createRequire(import.meta.url)('../../package.json') as { version?: string; dependencies?: Record<string, string> };
      version = pkg === '@mmkit/conformance' ? (own.version ?? '') : (own.dependencies?.[pkg] ?? '');
    } catch {
      version = '';
    }
  }
  return `fix: run \`npm install ${pkg}${version ? `@${version}` : ''}\` in ${dir} (\`mmkit new CONTRACT DIR\` writes a project with its dependencies)`;
}

/** What went wrong loading `spec`, as one or two lines with the fix. */
export function describeLoadFailure(err: unknown, spec: string, file: string | undefined): string {
  if (err instanceof LoadError) return err.message;
  const e = err instanceof Error ? (err as Error & { code?: string }) : undefined;
  const message = e ? e.message : String(err);
  const where = file ?? spec;
  const dir = file ? path.dirname(file) : process.cwd();
  const missing = /Cannot find (?:package|module) '([^']+)'(?: imported from ([^\s]+))?/.exec(message);
  if (missing && (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND' || /Cannot find/.test(message))) {
    const target = missing[1];
    const from = missing[2] ? missing[2].replace(/^file:\/\//, '') : where;
    if (!target.startsWith('.') && !target.startsWith('/') && !target.startsWith('file:')) {
      return `${from} imports ${packageOf(target)}, which is not installed where it can be found.\n${installHint(packageOf(target), dir)}`;
    }
    return `${from} imports ${target}, which does not exist.\nfix: check the import's path (an import of a .ts file may name it with .js or .ts)`;
  }
  // esbuild (through tsx): "Transform failed with 1 error:\n/path/file.ts:3:10: ERROR: Expected ';' but found 'x'"
  const esbuild = /^(\/[^\n]*?|[A-Za-z]:\\[^\n]*?):(\d+):(\d+): ERROR: (.*)$/m.exec(message);
  if (esbuild) return `${esbuild[1]}:${esbuild[2]}:${esbuild[3]}: syntax error: ${esbuild[4]}\nfix: correct the syntax there (npx tsc --noEmit shows every error)`;
  if (e?.name === 'SyntaxError') {
    const at = e.stack ? /^(\/[^\n]*?:\d+)$/m.exec(e.stack)?.[1] : undefined;
    return `${at ?? where}: SyntaxError: ${message}\nfix: correct the syntax (an import of a name the module does not export is one: check the export's spelling)`;
  }
  const dirs = file ? [pathToFileURL(path.dirname(file)).href, path.dirname(file)] : [];
  const frame = e?.stack?.split('\n').find((l) => l.trim().startsWith('at ') && dirs.some((d) => l.includes(d)));
  const location = frame ? /\(?((?:file:\/\/)?\/[^()\s]*:\d+:\d+)\)?\s*$/.exec(frame)?.[1] : undefined;
  const at = location ? ` at ${location.replace(/^file:\/\//, '')}` : '';
  return `loading ${where} threw ${e ? `${e.name}: ${message.split('\n')[0]}` : message}${at}.\nfix: the module's top level must only define the factory; move work into the factory`;
}

/**
 * The file a path-like MODULE names (undefined for a package name), checked: a LoadError for an
 * empty MODULE, a missing file or a folder. The sandboxed grader checks with it before bundling.
 */
export function moduleFile(spec: string, cwd: string): string | undefined {
  if (!spec.trim()) throw new LoadError('no module given (an empty MODULE argument).\nfix: name the file of your implementation, e.g. ./src/my-allocator.ts');
  if (!isPathLike(spec)) return undefined;
  const file = spec.startsWith('file:') ? fileURLToPath(spec) : path.resolve(cwd, spec);
  if (!existsSync(file)) throw new LoadError(`${file} does not exist.\nfix: give the path of your implementation's file, relative to ${cwd} or absolute`);
  if (!statSync(file).isFile()) throw new LoadError(`${file} is not a file.\nfix: give the implementation's file (e.g. ${path.join(file, 'src', 'index.ts')}), not its folder`);
  return file;
}

/** The LoadError of a package name that is not installed in cwd or above it. */
export function packageNotInstalled(spec: string, cwd: string): LoadError {
  return new LoadError(`no package ${packageOf(spec)} is installed in ${cwd} or above it.\nfix: install it (npm install ${packageOf(spec)}) or give the path of a file (./${spec}.ts)`);
}

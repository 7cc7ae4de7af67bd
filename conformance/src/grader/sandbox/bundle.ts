/**
 * The code a sandboxed grade runs, as plain JavaScript files built before the sandbox starts:
 * inside it neither tsx nor esbuild can run (both start worker threads or processes, which the
 * permission layer forbids), and the child should read as little of the disk as it can.
 *
 * - the grader's bundles: child.ts with the suites, the kernel and the reference implementations
 *   (child.mjs), and the entries of the child's threads under bwrap, each with only what it runs:
 *   the watchdog (watchdog.mjs: a few kB) and the submission's thread (isolate.mjs: the servers
 *   and the reference implementations, not the suites). Started from child.mjs, as they were
 *   before, each thread parsed and compiled the whole 1.5 MB bundle: 0.3 s of CPU for the
 *   watchdog and 0.5 s for the submission's thread per grade. Built once and cached under the
 *   system's temporary directory (rebuilt when a source changes), without a source map: the
 *   child runs with --enable-source-maps for the submission's frames, and with the grader's own
 *   1.3 MB map inline each of the child's threads decoded it for the stack traces it formats,
 *   about 0.6 s of CPU per grade under bwrap. A frame of the grader's own names its bundle and line;
 * - the submission's bundle: its module with everything it imports (its own copy of any
 *   @mmkit/* package), built per grade into the grade's code directory, with an inline source map
 *   so that with --enable-source-maps a stack trace names the submission's own file and line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Esbuild = typeof import('esbuild');
let esbuildModule: Esbuild | undefined;

function esbuild(): Esbuild {
  if (!esbuildModule) {
    // esbuild comes with tsx (a dependency); resolved from this package.
    const require = createRequire(import.meta.url);
    esbuildModule = require(require.resolve('esbuild', { paths: [path.dirname(require.resolve('tsx/package.json'))] })) as Esbuild;
  }
  return esbuildModule;
}

/** Lets the CommonJS parts of a bundle require() node's built-ins. */
const REQUIRE_SHIM = "import { createRequire as __mmkitCreateRequire } from 'node:module'; const require = __mmkitCreateRequire(import.meta.url);";

/** A module relative to this file, as an entry point: NAME.ts from sources, NAME.js after a build. */
function entry(name: string): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(`${name}${fromSource ? '.ts' : '.js'}`, import.meta.url));
}

/** The grader's bundles: the child's process (child.mjs) and its threads', which child.ts starts by these names beside its own. */
const GRADER_ENTRIES = { child: './child', watchdog: './watchdog', isolate: '../isolate/thread' } as const;

/**
 * The cache of grader bundles: a directory of this user's, which nobody else can write (a bundle
 * planted there would be the code that decides the next verdicts).
 */
function cacheRoot(): string {
  const uid = process.getuid?.();
  const dir = path.join(os.tmpdir(), `mmkit-grader-${uid ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = lstatSync(dir);
  if (!s.isDirectory() || (uid !== undefined && s.uid !== uid) || (s.mode & 0o022) !== 0) {
    throw new Error(`the grader's cache ${dir} is not a directory of this user's that only it can write; remove it`);
  }
  return dir;
}

interface CachedBundle {
  readonly inputs: [file: string, mtimeMs: number, size: number][];
}

function upToDate(meta: CachedBundle): boolean {
  try {
    return meta.inputs.every(([file, mtime, size]) => {
      const s = statSync(file);
      return s.mtimeMs === mtime && s.size === size;
    });
  } catch {
    return false;
  }
}

const built = new Map<string, string>();

/** What both bundles are: one ESM file for Node 20, require() shimmed, an inline source map without sources (the grader's bundle drops it), esbuild silent (its errors are worded by buildError()). */
function bundleOptions(sourceCondition: boolean) {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: sourceCondition ? ['source'] : [],
    banner: { js: REQUIRE_SHIM },
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
  } as const;
}

/** Changes when the grader's bundle is built differently (2: without a source map; 3: the threads' entries of their own), so that a cached one built the old way is not reused. */
const GRADER_BUNDLE_FORMAT = 3;

/**
 * The grader's bundles (each entry and everything it imports), cached: their directory and the
 * child's file. `sourceCondition`: resolve workspace packages to their TypeScript sources
 * (running from sources).
 */
export async function graderBundle(sourceCondition: boolean): Promise<{ dir: string; file: string }> {
  const entries = Object.entries(GRADER_ENTRIES).map(([name, rel]): [string, string] => [name, entry(rel)]);
  const key = createHash('sha256').update(`${entries[0][1]}\0${sourceCondition}\0${process.version}\0${GRADER_BUNDLE_FORMAT}`).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot(), `grader-${key}`);
  const file = path.join(dir, 'child.mjs');
  const metaFile = path.join(dir, 'inputs.json');
  if (built.get(key) === file) return { dir, file };
  try {
    if (upToDate(JSON.parse(readFileSync(metaFile, 'utf8')) as CachedBundle)) {
      built.set(key, file);
      return { dir, file };
    }
  } catch {
    // not built yet
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const { build } = esbuild();
  // Unique per build, not per process: two grades started at once in one process (grade-batch's
  // pool on a cold cache) each build, and each renames its own files into place (same content),
  // the child's last: it starts the others.
  const tmp = path.join(dir, `build.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const result = await build({
    ...bundleOptions(sourceCondition),
    sourcemap: false,
    entryPoints: Object.fromEntries(entries),
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    metafile: true,
  });
  const cwd = process.cwd();
  const inputs = Object.keys(result.metafile.inputs).map((rel): [string, number, number] => {
    const abs = path.resolve(cwd, rel);
    const s = statSync(abs);
    return [abs, s.mtimeMs, s.size];
  });
  for (const [name] of [...entries].reverse()) renameSync(path.join(tmp, `${name}.mjs`), path.join(dir, `${name}.mjs`));
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(metaFile, JSON.stringify({ inputs } satisfies CachedBundle));
  built.set(key, file);
  return { dir, file };
}

/**
 * A failure to build the submission, as the Error Node would have thrown importing it (so that
 * load.ts's describeLoadFailure() words it as for any load failure): a missing package or file,
 * a syntax error. `entry` true: the MODULE itself could not be resolved (a package name).
 */
export class SubmissionBuildError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly entry: boolean) {
    super(message);
  }
}

const STDIN = '<mmkit grade>';

function buildError(errors: { text: string; location?: { file: string; line: number; column: number } | null }[], cwd: string): SubmissionBuildError {
  const first = errors[0];
  const loc = first.location;
  const file = loc ? path.resolve(cwd, loc.file) : undefined;
  const unresolved = /^Could not resolve "([^"]+)"/.exec(first.text);
  if (unresolved) {
    const target = unresolved[1];
    if (!loc || loc.file === STDIN) return new SubmissionBuildError(`Cannot find package '${target}'`, 'ERR_MODULE_NOT_FOUND', true);
    const kind = target.startsWith('.') || target.startsWith('/') ? 'module' : 'package';
    return new SubmissionBuildError(`Cannot find ${kind} '${target}' imported from ${file}`, 'ERR_MODULE_NOT_FOUND', false);
  }
  const where = loc ? `${file}:${loc.line}:${loc.column + 1}: ` : '';
  return new SubmissionBuildError(`Transform failed with ${errors.length} error${errors.length > 1 ? 's' : ''}:\n${where}ERROR: ${first.text}`, undefined, false);
}

/**
 * The submission's bundle in `outDir`: a module whose default export is the namespace of `spec`
 * (an absolute path, or a package name resolved from `cwd`).
 */
export async function submissionBundle(spec: string, cwd: string, outDir: string, sourceCondition: boolean): Promise<string> {
  const { build } = esbuild();
  const file = path.join(outDir, 'submission.mjs');
  try {
    await build({
      ...bundleOptions(sourceCondition),
      stdin: { contents: `import * as submission from ${JSON.stringify(spec)};\nexport default submission;\n`, resolveDir: cwd, sourcefile: STDIN, loader: 'js' },
      outfile: file,
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (!errors?.length) throw err;
    throw buildError(errors, cwd);
  }
  return file;
}

/**
 * The submissions of a batch: every folder directly under the batch directory is one student's
 * submission, named after the folder, in code-unit order of the names (the same on every
 * machine, whatever its locale, so shards agree on who is whose).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Submission {
  /** The folder's name: the student in the gradebook. */
  readonly student: string;
  readonly folder: string;
}

/** Folders that are never submissions. */
const IGNORED = new Set(['node_modules']);

/** The submission folders of `dir`, sorted by name; throws (a plain Error) when `dir` is not a readable directory. */
export function listSubmissions(dir: string): Submission[] {
  const root = path.resolve(dir);
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Error(code === 'ENOENT' ? `no directory ${dir}` : code === 'ENOTDIR' ? `${dir} is not a directory` : `cannot read ${dir}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => !e.name.startsWith('.') && !IGNORED.has(e.name) && (e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(root, e.name)))))
    .map((e) => ({ student: e.name, folder: path.join(root, e.name) }))
    .sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const MODULE_EXT = /\.(ts|mts|js|mjs)$/;
const NOT_MODULE = /(\.d\.ts|\.test\.[cm]?[jt]s|\.spec\.[cm]?[jt]s|^vitest\.config\.[cm]?[jt]s|^eslint\.config\.[cm]?[jt]s)$/;

function moduleFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && MODULE_EXT.test(e.name) && !NOT_MODULE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * The module of a submission folder, the first of: its package.json's "main"; index.ts,
 * index.mts, index.js or index.mjs, in the folder or in src/; the one module file in the folder,
 * or else in src/. Returns the absolute path, or why there is none.
 */
export function submissionModule(folder: string): { module: string } | { error: string } {
  const pkgFile = path.join(folder, 'package.json');
  if (existsSync(pkgFile)) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: unknown }).main;
    } catch (err) {
      return { error: `package.json is not JSON: ${(err as Error).message}` };
    }
    if (typeof main === 'string' && main) {
      const file = path.resolve(folder, main);
      if (!file.startsWith(folder + path.sep)) return { error: `package.json's "main" (${main}) points outside the submission` };
      if (!existsSync(file)) return { error: `package.json's "main" names ${main}, which does not exist` };
      return { module: file };
    }
  }
  for (const dir of [folder, path.join(folder, 'src')]) {
    for (const name of ['index.ts', 'index.mts', 'index.js', 'index.mjs']) if (existsSync(path.join(dir, name))) return { module: path.join(dir, name) };
  }
  for (const dir of [folder, path.join(folder, 'src')]) {
    const files = moduleFiles(dir);
    if (files.length === 1) return { module: path.join(dir, files[0]) };
    if (files.length > 1) {
      const where = dir === folder ? 'the folder' : 'src/';
      return { error: `${files.length} module files in ${where} (${files.join(', ')}): name the allocator in package.json's "main" or call it index.ts` };
    }
  }
  return { error: 'no module: the folder has no package.json "main", no index.ts and no .ts/.mts/.js/.mjs file' };
}

// What the layer rule needs to know about the repository: which package a file belongs to,
// which layer a file or a package is in, which workspace packages exist (by name), and what a
// package.json declares. Plain ESM without a build step; paths from the repository root use '/'.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYERS, WORKSPACE_ROOTS } from './layers.js';

/** @typedef {import('./layers.js').LayerRow} LayerRow */
/**
 * @typedef {{ name?: string, dependencies?: Record<string, string>, devDependencies?: Record<string, string>,
 *   peerDependencies?: Record<string, string>, optionalDependencies?: Record<string, string> }} Manifest
 */
/** @typedef {{ name: string, dir: string, manifest: Manifest }} Workspace */

/** The repository root (this file is tools/eslint/workspace.js). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const SCOPE = '@mmkit/';

/** @param {string} pattern */
const segmentRegExp = (pattern) =>
  pattern
    .split('/')
    .map((s) => (s === '**' ? '.*' : s.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')))
    .join('/');

/** @type {Map<string, RegExp>} */
const coverCache = new Map();
/**
 * Whether a table pattern covers a path (the path itself or a folder above it matches).
 * @param {string} pattern
 * @param {string} rel path from the repository root, '/'-separated
 */
export function covers(pattern, rel) {
  let re = coverCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${segmentRegExp(pattern)}(?:/.*)?$`);
    coverCache.set(pattern, re);
  }
  return re.test(rel);
}

/**
 * The first row of the layer table that covers a path (a file or a package folder).
 * @param {string} rel
 * @param {readonly LayerRow[]} [layers]
 * @returns {LayerRow | undefined}
 */
export function rowFor(rel, layers = LAYERS) {
  return layers.find((row) => row.packages.some((p) => covers(p, rel)));
}

/**
 * Every layer the files of a package can be in: the row covering the package folder, and
 * rows for files below it (conformance's mutants).
 * @param {string} dir package folder from the repository root
 * @param {readonly LayerRow[]} [layers]
 * @returns {LayerRow[]}
 */
export function rowsOfPackage(dir, layers = LAYERS) {
  const own = rowFor(dir, layers);
  const below = layers.filter((row) => row !== own && row.packages.some((p) => p.startsWith(`${dir}/`)));
  return own ? [own, ...below] : below;
}

/**
 * @param {LayerRow} row
 * @param {string} layer
 */
export const mayImport = (row, layer) => row.mayImport.includes('*') || row.mayImport.includes(layer);

/** @param {string} p */
export const toPosix = (p) => p.split(path.sep).join('/');

/**
 * The workspace package folder a path belongs to (from the repository root), or undefined for
 * files outside packages/*, conformance and tools.
 * @param {string} rel
 */
export function packageDirOf(rel) {
  const segs = rel.split('/');
  for (const root of WORKSPACE_ROOTS) {
    const pat = root.split('/');
    if (segs.length <= pat.length) continue; // the folder itself, not a file in it
    const head = segs.slice(0, pat.length).join('/');
    if (new RegExp(`^${segmentRegExp(root)}$`).test(head)) return head;
  }
  return undefined;
}

/** @type {Map<string, { key: string, value: Manifest | undefined }>} */
const manifestCache = new Map();
/**
 * A package.json, re-read when it changes on disk; undefined when missing, an exception when
 * it is not valid JSON.
 * @param {string} file absolute path
 * @returns {Manifest | undefined}
 */
export function readManifest(file) {
  let key;
  try {
    const st = statSync(file);
    key = `${st.mtimeMs}:${st.size}`;
  } catch {
    manifestCache.delete(file);
    return undefined;
  }
  const hit = manifestCache.get(file);
  if (hit && hit.key === key) return hit.value;
  /** @type {Manifest} */
  const value = JSON.parse(readFileSync(file, 'utf8'));
  manifestCache.set(file, { key, value });
  return value;
}

/**
 * Every workspace package on disk (folders matching WORKSPACE_ROOTS that hold a package.json),
 * by package name.
 * @param {string} [root]
 * @returns {Map<string, Workspace>}
 */
export function listWorkspaces(root = REPO_ROOT) {
  /** @type {string[]} */
  let dirs = [''];
  /** @type {string[]} */
  const found = [];
  for (const pattern of WORKSPACE_ROOTS) {
    dirs = [''];
    for (const seg of pattern.split('/')) {
      /** @type {string[]} */
      const next = [];
      for (const d of dirs) {
        if (!seg.includes('*')) {
          next.push(d ? `${d}/${seg}` : seg);
          continue;
        }
        const re = new RegExp(`^${segmentRegExp(seg)}$`);
        let entries;
        try {
          entries = readdirSync(path.join(root, d), { withFileTypes: true });
        } catch {
          continue;
        }
        for (const e of entries) if (e.isDirectory() && e.name !== 'node_modules' && re.test(e.name)) next.push(d ? `${d}/${e.name}` : e.name);
      }
      dirs = next;
    }
    found.push(...dirs);
  }
  /** @type {Map<string, Workspace>} */
  const byName = new Map();
  for (const dir of found) {
    let manifest;
    try {
      manifest = readManifest(path.join(root, dir, 'package.json'));
    } catch {
      continue; // not valid JSON (being written?): lint of that package reports it
    }
    if (manifest?.name) byName.set(manifest.name, { name: manifest.name, dir, manifest });
  }
  return byName;
}

/**
 * The package name of a bare specifier ('@mmkit/buddy/internals' -> '@mmkit/buddy').
 * @param {string} spec
 */
export function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const DEV_DIRS = new Set(['test', 'tests', '__tests__', 'bench', 'benchmarks', 'scripts', 'tools', 'fixtures']);
/**
 * Whether a file of a package is a test, bench or tools file (which may use devDependencies):
 * under test/, bench/, scripts/, tools/ (and the like) of the package, named *.test.*, *.spec.*
 * or *.bench.*, or a *.config.* file at the package root.
 * @param {string} relInPackage path inside the package folder, '/'-separated
 */
export function isDevFile(relInPackage) {
  const segs = relInPackage.split('/');
  const base = segs[segs.length - 1];
  if (segs.length > 1 && DEV_DIRS.has(segs[0])) return true;
  if (segs.includes('__tests__') || segs.includes('__fixtures__')) return true;
  if (/\.(test|spec|bench)\.[cm]?[jt]sx?$/.test(base)) return true;
  return segs.length === 1 && /\.config\.[cm]?[jt]s$/.test(base);
}

const DEP_FIELDS = /** @type {const} */ (['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']);

/**
 * What the layer table says about one workspace package.json: every @mmkit/* entry of
 * dependencies, peerDependencies, optionalDependencies and devDependencies must name an existing
 * workspace package in a layer that one of the package's layers may import.
 * @param {string} dir package folder from the repository root
 * @param {Manifest} manifest
 * @param {Map<string, Workspace>} workspaces
 * @param {readonly LayerRow[]} [layers]
 * @returns {string[]} problems, empty when the package.json follows the table
 */
export function checkManifest(dir, manifest, workspaces, layers = LAYERS) {
  const rows = rowsOfPackage(dir, layers);
  /** @type {string[]} */
  const problems = [];
  if (rows.length === 0) problems.push(`${dir}: no row of the layer table covers this package`);
  for (const field of DEP_FIELDS) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      if (!dep.startsWith(SCOPE)) continue;
      const where = `${dir}/package.json ${field}: ${dep}`;
      if (dep === manifest.name) {
        problems.push(`${where}: a package does not depend on itself`);
        continue;
      }
      const target = workspaces.get(dep);
      if (!target) {
        problems.push(`${where}: not a workspace package of this repository`);
        continue;
      }
      const targetRow = rowFor(target.dir, layers);
      if (!targetRow) {
        problems.push(`${where}: ${target.dir} is in no layer of the table`);
        continue;
      }
      if (!rows.some((row) => mayImport(row, targetRow.layer))) {
        const mine = rows.map((r) => `${r.layer} (may import ${describeAllowed(r)})`).join(', ');
        problems.push(`${where}: ${dir} is ${mine}; ${dep} is ${targetRow.layer}`);
      }
    }
  }
  return problems;
}

/** @param {LayerRow} row */
export function describeAllowed(row) {
  if (row.mayImport.includes('*')) return 'anything';
  if (row.mayImport.length === 0) return 'nothing from the repository';
  return row.mayImport.join(', ');
}

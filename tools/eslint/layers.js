// The layer table of docs/architecture.md ("How the pieces depend on each other") as data.
// The lint rule mmkit/layers (./mmkit-layers.js) and the package.json check (./workspace.js)
// read it from here; tools/test/layers-doc.test.ts fails when this table and the markdown
// table in docs/architecture.md say different things, so change both together.
//
// Each row: `layer`, the `packages` it covers (paths from the repository root; `*` is one path
// segment, `**` any number; a row covers a path if a pattern matches it or one of its parent
// folders) and the layers it `mayImport` ('*' = anything). The first row that covers a path
// wins, so specific rows come before `packages/*`. Deny by default: a package under packages/
// that no earlier row names is a subsystem, and an import of a layer not listed is an error.
// A package may always import itself (its own name or a subpath of it).

/** @typedef {{ layer: string, packages: string[], mayImport: string[] }} LayerRow */

/** @type {readonly LayerRow[]} */
export const LAYERS = [
  { layer: 'core', packages: ['packages/core'], mayImport: [] },
  { layer: 'kernel', packages: ['packages/kernel'], mayImport: ['core', 'subsystem'] },
  { layer: 'cli', packages: ['packages/cli'], mayImport: ['*'] },
  { layer: 'subsystem', packages: ['packages/*'], mayImport: ['core'] },
  {
    layer: 'mutants',
    packages: ['conformance/src/contracts/*/mutants.ts', 'conformance/src/contracts/*/mutants/**'],
    mayImport: ['core', 'kernel', 'subsystem'],
  },
  { layer: 'conformance-tests', packages: ['conformance/test'], mayImport: ['core', 'kernel', 'subsystem'] },
  { layer: 'conformance', packages: ['conformance'], mayImport: ['core', 'kernel'] },
  { layer: 'tools', packages: ['tools'], mayImport: ['*'] },
];

/**
 * Where workspace packages live (one package per match; `*` matches any folder name, dot
 * names included, so a package the root package.json does not list is still checked). A file
 * under one of these folders belongs to that package; files elsewhere (the repository root's
 * own configuration) are not checked.
 */
export const WORKSPACE_ROOTS = ['packages/*', 'conformance', 'tools'];

/**
 * Relative imports may not leave their package, with one exception: a configuration file at a
 * package's root (vitest.config.ts) may import these repository-root files (paths from the
 * root, without extension), which hold configuration shared by every package.
 */
export const SHARED_ROOT_CONFIG = ['vitest.shared'];

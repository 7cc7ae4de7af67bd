// Every workspace package.json against the layer table: an @mmkit/* dependency (of any kind)
// must be a package whose layer the depending package may import.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkManifest, listWorkspaces, type Manifest } from '../eslint/workspace.js';

const workspaces = listWorkspaces();
const dep = (...names: string[]) => Object.fromEntries(names.map((n) => [n, '0.1.0']));

describe('workspace package.json files', () => {
  it('are all found (packages/*, conformance, tools)', () => {
    const dirs = [...workspaces.values()].map((w) => w.dir);
    for (const d of ['packages/core', 'packages/kernel', 'packages/cli', 'packages/buddy', 'conformance', 'tools']) expect(dirs).toContain(d);
  });

  // Temporary packages of the lint test (packages/.lint-fixture-*) are not the repository's.
  const real = [...workspaces.values()].filter((w) => !path.basename(w.dir).startsWith('.lint-fixture-'));
  it.each(real.map((w) => [w.dir, w] as const))('%s depends only on what its layer may import', (_dir, w) => {
    expect(checkManifest(w.dir, w.manifest, workspaces)).toEqual([]);
  });
});

describe('checkManifest', () => {
  const check = (dir: string, manifest: Manifest) => checkManifest(dir, { name: `@mmkit/${path.basename(dir)}`, ...manifest }, workspaces);

  it('fails a subsystem that depends on another subsystem or on kernel, even as a devDependency', () => {
    expect(check('packages/pgtable-x86', { dependencies: dep('@mmkit/core', '@mmkit/buddy') })).toEqual([
      expect.stringContaining('dependencies: @mmkit/buddy: packages/pgtable-x86 is subsystem (may import core); @mmkit/buddy is subsystem'),
    ]);
    expect(check('packages/slub', { dependencies: dep('@mmkit/core'), devDependencies: dep('@mmkit/buddy') })).toHaveLength(1);
    expect(check('packages/slub', { peerDependencies: dep('@mmkit/kernel') })).toHaveLength(1);
  });

  it('fails core with any @mmkit dependency, kernel on conformance or cli, conformance on cli', () => {
    expect(check('packages/core', { dependencies: dep('@mmkit/hw-x86') })).toHaveLength(1);
    expect(check('packages/kernel', { dependencies: dep('@mmkit/core', '@mmkit/buddy', '@mmkit/conformance', '@mmkit/cli') })).toHaveLength(2);
    expect(check('conformance', { dependencies: dep('@mmkit/core', '@mmkit/kernel', '@mmkit/slub', '@mmkit/cli') })).toEqual([
      expect.stringContaining('@mmkit/cli'),
    ]);
  });

  it('fails a dependency on a package that is not in the repository, and on itself', () => {
    expect(check('packages/kernel', { dependencies: dep('@mmkit/nope') })).toEqual([expect.stringContaining('not a workspace package')]);
    expect(check('packages/slub', { dependencies: dep('@mmkit/slub') })).toEqual([expect.stringContaining('itself')]);
  });

  it('passes what the table allows', () => {
    expect(check('packages/cli', { dependencies: dep('@mmkit/core', '@mmkit/kernel', '@mmkit/conformance', '@mmkit/buddy') })).toEqual([]);
    expect(check('packages/kernel', { dependencies: dep('@mmkit/core', '@mmkit/hw-x86', '@mmkit/slab'), devDependencies: dep('@mmkit/slub') })).toEqual([]);
    expect(check('packages/pgtable-x86', { dependencies: dep('@mmkit/core', 'fast-check'), devDependencies: dep('@mmkit/core') })).toEqual([]);
  });
});

// The layer table exists twice: for people in docs/architecture.md ("How the pieces depend on
// each other") and for lint in tools/eslint/layers.js. They must say the same thing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAYERS, WORKSPACE_ROOTS } from '../eslint/layers.js';
import { REPO_ROOT, listWorkspaces, rowFor } from '../eslint/workspace.js';

const SECTION = '## How the pieces depend on each other';

/** The markdown table of the section as rows of the shape of LAYERS. */
function parseDocTable(markdown: string): { layer: string; packages: string[]; mayImport: string[] }[] {
  const start = markdown.indexOf(SECTION);
  if (start < 0) throw new Error(`docs/architecture.md has no section "${SECTION}"`);
  const rest = markdown.slice(start + SECTION.length);
  const end = rest.search(/^## /m);
  const lines = (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.trimStart().startsWith('|'));
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  // Backticked names, ignoring remarks in parentheses.
  const names = (cell: string) => [...cell.replace(/\([^)]*\)/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const [header, separator, ...body] = lines;
  if (!header || !separator) throw new Error(`no table in "${SECTION}"`);
  expect(cells(header)).toEqual(['layer', 'packages', 'may import']);
  return body.map((line) => {
    const [layer = '', packages = '', mayImport = ''] = cells(line);
    const allowed = mayImport.replace(/\([^)]*\)/g, '').trim();
    return {
      layer: names(layer)[0] ?? '',
      packages: names(packages),
      mayImport: allowed === 'anything' ? ['*'] : allowed === 'nothing' ? [] : names(mayImport),
    };
  });
}

describe('the layer table', () => {
  const doc = readFileSync(`${REPO_ROOT}/docs/architecture.md`, 'utf8');

  it('is the same in docs/architecture.md and tools/eslint/layers.js', () => {
    expect(parseDocTable(doc)).toEqual(LAYERS.map(({ layer, packages, mayImport }) => ({ layer, packages, mayImport })));
  });

  it('names only layers that exist, once each', () => {
    const layers = LAYERS.map((r) => r.layer);
    expect(new Set(layers).size).toBe(layers.length);
    for (const row of LAYERS) for (const l of row.mayImport) expect(l === '*' || layers.includes(l), `${row.layer} may import ${l}`).toBe(true);
  });

  it('puts every workspace package in a layer, and new packages under packages/ among the subsystems', () => {
    for (const { dir } of listWorkspaces().values()) expect(rowFor(dir), dir).toBeDefined();
    expect(rowFor('packages/pgtable-x86')?.layer).toBe('subsystem');
    expect(rowFor('packages/core')?.layer).toBe('core');
    expect(rowFor('packages/kernel/src/kernel.ts')?.layer).toBe('kernel');
    expect(rowFor('conformance/src/contracts/page-allocator/mutants.ts')?.layer).toBe('mutants');
    expect(rowFor('conformance/src/contracts/slab-allocator/mutants/slab.ts')?.layer).toBe('mutants');
    expect(rowFor('conformance/src/contracts/slab-allocator/suite/index.ts')?.layer).toBe('conformance');
    expect(rowFor('conformance/test/mutants.test.ts')?.layer).toBe('conformance-tests');
  });

  it('knows where the workspaces of the root package.json are', () => {
    const root = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { workspaces: string[] };
    expect([...root.workspaces].sort()).toEqual([...WORKSPACE_ROOTS].sort());
  });
});

/**
 * A module grades whatever its folder's package type, and a module that cannot be loaded says
 * what is wrong and how to fix it. The modules are written in a temporary folder outside the
 * repository, as a student's would be, with node_modules linking the workspace packages.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type GradeOptions } from '../src/index.js';

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mmkit-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder with a package.json (`type` or none) and, unless `bare`, node_modules/@mmkit/{core,buddy,kernel}. */
function folder(name: string, type: 'module' | 'commonjs' | undefined, files: Record<string, string>, bare = false): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, ...(type ? { type } : {}) }));
  if (!bare) {
    mkdirSync(join(dir, 'node_modules', '@mmkit'), { recursive: true });
    for (const p of ['core', 'buddy', 'kernel']) symlinkSync(join(packages, p), join(dir, 'node_modules', '@mmkit', p), 'dir');
  }
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const ESM_TS = `import type { PageAllocatorFactory } from '@mmkit/core';
import { NO_PAGE } from '@mmkit/core';
import { createBuddyAllocator } from '@mmkit/buddy';
import { named } from './helper.js';
const factory: PageAllocatorFactory = (services) => named(createBuddyAllocator(services), NO_PAGE);
export default factory;
`;
const HELPER_TS = `export function named<T>(x: T, _n: number): T { return x; }\n`;

const quick = (module: string, layer: Partial<GradeOptions> = {}) => grade({ contract: 'buddy', module, bench: false, filter: 'gfp-zone.bad-combination', timeoutMs: 60_000, ...layer });

/**
 * The layer the formats are graded under: every module is bundled into one ESM file before it
 * runs (sandbox/bundle.ts), so a format is settled before any layer loads it; by default the
 * permission layer, whose grade loads the bundle in the child's own thread (under bwrap each grade
 * starts the submission's thread of its own, seconds of CPU for five grades at once), and with
 * MMKIT_HOSTILE=full the default layer. The load errors below run on the default layer.
 */
const FORMATS_LAYER: Partial<GradeOptions> = process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' };

/**
 * Grade each module as a student's would be graded, all at once: what each loaded as (its
 * factory was found, and the grade ran), or its load error's message (what the CLI prints
 * before it exits 2).
 */
async function loadEach(modules: readonly string[], layer: Partial<GradeOptions> = {}): Promise<{ factory?: string; error?: string }[]> {
  const reports = await Promise.all(modules.map((m) => quick(m, layer)));
  return reports.map((r) => (r.loadError !== undefined ? { error: r.loadError } : r.error === undefined ? { factory: 'function' } : { error: `not a load error: ${r.error}` }));
}

describe('loading a module', () => {
  it('refuses an empty module or mutant name instead of grading the reference', async () => {
    await expect(grade({ contract: 'buddy', module: '' })).rejects.toThrow(/an empty module name/);
    await expect(grade({ contract: 'buddy', mutant: ' ' })).rejects.toThrow(/an empty mutant name/);
  });

  it('grades .ts, .mts, .js and .cjs modules whatever the folder\'s package type', async () => {
    const cjs = folder('cjs', undefined, { 'alloc.ts': ESM_TS, 'helper.ts': HELPER_TS });
    const typed = folder('typed-commonjs', 'commonjs', {
      'alloc.mts': ESM_TS.replace("'./helper.js'", "'./helper.mjs'"),
      'helper.mts': HELPER_TS,
      'plain.js': `import { createBuddyAllocator } from '@mmkit/buddy';\nexport const createPageAllocator = (s) => createBuddyAllocator(s);\n`,
      'old.cjs': `const { createBuddyAllocator } = require('@mmkit/buddy');\nmodule.exports = (s) => createBuddyAllocator(s);\n`,
    });
    const esm = folder('esm', 'module', { 'alloc.ts': ESM_TS, 'helper.ts': HELPER_TS });
    const modules = [join(cjs, 'alloc.ts'), join(typed, 'alloc.mts'), join(typed, 'plain.js'), join(typed, 'old.cjs'), join(esm, 'alloc.ts')];
    // The first, a folder without "type": "module", failed with "Cannot require() ES Module ... in a cycle" before the grader bundled modules.
    expect(await loadEach(modules, FORMATS_LAYER)).toEqual(modules.map(() => ({ factory: 'function' })));
  }, 120_000);

  it('says what is wrong and how to fix it, in one or two lines', async () => {
    const bare = folder('bare', undefined, { 'alloc.ts': ESM_TS, 'helper.ts': HELPER_TS }, true);
    const broken = folder('broken', 'module', {
      'syntax.ts': `import { NO_PAGE } from '@mmkit/core';\nexport default (s: unknown) => { let x = ; };\n`,
      'no-factory.ts': `export const answer = 42;\n`,
      'throws.ts': `const table: number[] = [];\nif (table.length === 0) throw new RangeError('empty table');\nexport default () => table;\n`,
      'missing-import.ts': `import { x } from './nothere.js';\nexport default x;\n`,
    });
    const cases: [string, RegExp][] = [
      [join(bare, 'alloc.ts'), /^.*alloc\.ts imports @mmkit\/core, which is not installed where it can be found\.\nfix: run `npm install @mmkit\/core@\d+\.\d+\.\d+` in .*bare/],
      [join(broken, 'syntax.ts'), /^.*syntax\.ts:2:\d+: syntax error: Unexpected ";"\nfix: /],
      [join(broken, 'no-factory.ts'), /^.*no-factory\.ts exports no PageAllocatorFactory \(exports found: answer \(number\)\)\.\nfix: export the factory as `export default`/],
      [join(broken, 'throws.ts'), /^loading .*throws\.ts threw RangeError: empty table at .*throws\.ts:2:\d+\.\nfix: /],
      [join(broken, 'missing-import.ts'), /^.*missing-import\.ts imports .*nothere\.js, which does not exist\.\nfix: /],
      [join(broken, 'nope.ts'), /^.*nope\.ts does not exist\.\nfix: give the path/],
      ['@mmkit/no-such-package', /^no package @mmkit\/no-such-package is installed in .*\nfix: /],
    ];
    const results = await loadEach(cases.map(([m]) => m));
    results.forEach((r, i) => {
      expect(r.error, cases[i][0]).toMatch(cases[i][1]);
      expect(r.error!.split('\n').length, cases[i][0]).toBeLessThanOrEqual(2);
      expect(r.error, cases[i][0]).not.toMatch(/node_modules|\n\s+at /);
    });
    // The report's error says the same, and no rule passes.
    const r = await quick(cases[0][0]);
    expect(r.error).toBe(`the implementation could not be loaded: ${results[0].error}`);
    expect(r.score.passed).toBe(0);
  }, 120_000);
});

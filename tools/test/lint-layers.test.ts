// mmkit/layers through ESLint with the repository's own eslint.config.js (cwd: the repository
// root). One temporary package on disk is linted with the config exactly as it is (type
// information included); the other cases are virtual files (lintText with a file path), for
// which the same config runs without type information, since the TypeScript project service
// only knows files that exist.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../eslint/workspace.js';

// Temporary packages live in packages/.lint-fixture-<pid>-<name>.tsbuildinfo: a dot name is
// outside the workspaces glob (npm and nx do not see it) and *.tsbuildinfo is in .gitignore.
// The pid keeps concurrent runs apart; a run also removes what a crashed run left behind.
const PREFIX = '.lint-fixture-';
const tempDir = (name: string) => `packages/${PREFIX}${process.pid}-${name}.tsbuildinfo`;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};
function removeStale() {
  for (const name of readdirSync(path.join(REPO_ROOT, 'packages'))) {
    const pid = /^\.lint-fixture-(\d+)-/.exec(name)?.[1];
    if (pid && (Number(pid) === process.pid || !alive(Number(pid)))) rmSync(path.join(REPO_ROOT, 'packages', name), { recursive: true, force: true });
  }
}
function writePackage(dir: string, files: Record<string, string | object>) {
  for (const [file, content] of Object.entries(files)) {
    const abs = path.join(REPO_ROOT, dir, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    // Whole files only: lint running elsewhere reads every packages/*/package.json.
    writeFileSync(`${abs}.tmp`, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
    renameSync(`${abs}.tmp`, abs);
  }
}

const layerMessages = (messages: Linter.LintMessage[]) => messages.filter((m) => m.ruleId === 'mmkit/layers').map((m) => m.messageId);

const PGTABLE = tempDir('pgtable-x86');
const DEVONLY = tempDir('devonly');
const BROKEN = tempDir('broken');

beforeAll(() => {
  removeStale();
  writePackage(PGTABLE, {
    'package.json': { name: '@mmkit/pgtable-x86', version: '0.1.0', private: true, type: 'module', dependencies: { '@mmkit/core': '0.1.0' } },
    'tsconfig.json': { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'test', 'bench'] },
    'src/ok.ts': "import { X86_64_ZONES } from '@mmkit/core';\n\nexport const zones = X86_64_ZONES;\n",
    'src/index.ts': "import { createBuddyAllocator } from '@mmkit/buddy';\n\nexport const alloc = createBuddyAllocator;\n",
    'bench/run.ts': "import { createBuddyAllocator } from '@mmkit/buddy';\n\nexport const buddy = createBuddyAllocator;\n",
    'test/ok.test.ts': "import { X86_64_ZONES } from '@mmkit/core';\nimport { zones } from '../src/ok.js';\n\nexport const same = zones === X86_64_ZONES;\n",
  });
  writePackage(DEVONLY, {
    'package.json': { name: '@mmkit/devonly', version: '0.1.0', private: true, type: 'module', devDependencies: { '@mmkit/core': '0.1.0' } },
  });
  writePackage(BROKEN, { 'package.json': '{ "name": "@mmkit/broken", ' });
});
afterAll(removeStale);

describe('the repository config as it is, on a new package under packages/ (on disk, type-checked)', () => {
  it('fails the imports of @mmkit/buddy (in src/ and bench/) of a package depending on @mmkit/core, and passes its correct files', async () => {
    const eslint = new ESLint({ cwd: REPO_ROOT });
    const results = await eslint.lintFiles([PGTABLE]);
    const byFile = Object.fromEntries(results.map((r) => [path.relative(path.join(REPO_ROOT, PGTABLE), r.filePath), r.messages]));
    // `eslint .` of a package covers src, test and bench.
    expect(Object.keys(byFile).sort()).toEqual(['bench/run.ts', 'src/index.ts', 'src/ok.ts', 'test/ok.test.ts']);
    expect(byFile['src/ok.ts']).toEqual([]);
    expect(byFile['test/ok.test.ts']).toEqual([]);
    for (const file of ['src/index.ts', 'bench/run.ts']) {
      expect(byFile[file].filter((m) => m.ruleId !== 'mmkit/layers'), file).toEqual([]);
      expect(layerMessages(byFile[file]), file).toEqual(['layer', 'undeclared']);
    }
    expect(byFile['src/index.ts'][0].message).toContain('@mmkit/buddy is in the subsystem layer');
    expect(byFile['bench/run.ts'][0].message).toContain('@mmkit/buddy is in the subsystem layer');
  });

  it('is what `eslint .` in a package directory finds, and it ignores neither bench/ nor test/', async () => {
    const eslint = new ESLint({ cwd: path.join(REPO_ROOT, 'packages/slub') });
    expect(await eslint.findConfigFile()).toBe(path.join(REPO_ROOT, 'eslint.config.js'));
    for (const f of ['bench/run.ts', 'test/x.test.ts', 'src/x.test.ts', 'scripts/x.ts', 'vitest.config.ts']) expect(await eslint.isPathIgnored(f), f).toBe(false);
  });
});

describe('the repository config on virtual files (without type information)', () => {
  const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config });
  const lint = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return result.messages;
  };
  const layersOf = async (filePath: string, code: string) => layerMessages(await lint(filePath, code));

  describe('fails', () => {
    it.each([
      ['a new package under packages/ importing kernel', `${PGTABLE}/src/walk.ts`, "import type { Kernel } from '@mmkit/kernel';\nexport type Walker = (k: Kernel) => number;", ['layer', 'undeclared']],
      ['a new package under packages/ importing another subsystem', `${PGTABLE}/src/x.ts`, "export type B = import('@mmkit/buddy').BuddyAllocator;", ['layer', 'undeclared']],
      ['import() of another subsystem', 'packages/slub/src/x.ts', "export const buddy = await import('@mmkit/buddy');", ['layer', 'undeclared']],
      ['an import() type of another subsystem', 'packages/slub/src/x.ts', "export type B = import('@mmkit/buddy').BuddyAllocator;", ['layer', 'undeclared']],
      ['a typeof import() type of kernel', 'packages/slub/src/x.ts', "export type K = typeof import('@mmkit/kernel');", ['layer', 'undeclared']],
      ['a computed import() under packages/', 'packages/slub/src/x.ts', "const name = '@mmkit/buddy';\nexport const m = await import(name);", ['computed']],
      ['require() of another subsystem', 'packages/slub/src/x.cts', "module.exports = require('@mmkit/buddy');", ['layer', 'undeclared']],
      ['import = require() of another subsystem', 'packages/slub/src/x.ts', "import buddy = require('@mmkit/buddy');\nexport const b = buddy;", ['layer', 'undeclared']],
      ['export from another subsystem', 'packages/hw-x86/src/x.ts', "export * from '@mmkit/slab';", ['layer', 'undeclared']],
      ['a subpath of another subsystem', 'packages/slab/src/x.ts', "export { kmalloc } from '@mmkit/slub/internals';", ['layer', 'undeclared']],
      ['a bench file of a subsystem importing another subsystem', 'packages/buddy/bench/x.ts', "import { createSlubAllocator } from '@mmkit/slub';\nexport const s = createSlubAllocator;", ['layer', 'undeclared']],
      ['a test of a subsystem importing another subsystem', 'packages/slab/test/x.test.ts', "import type { SlubCache } from '@mmkit/slub';\nexport type C = SlubCache;", ['layer', 'undeclared']],
      ['a script of a subsystem importing kernel', 'packages/hw-x86/scripts/x.ts', "import { createKernel } from '@mmkit/kernel';\nexport const k = createKernel;", ['layer', 'undeclared']],
      ['core importing a package', 'packages/core/src/x.ts', "import type { Kernel } from '@mmkit/kernel';\nexport type K = Kernel;", ['layer', 'undeclared']],
      ['kernel importing conformance', 'packages/kernel/src/x.ts', "import { grade } from '@mmkit/conformance';\nexport const g = grade;", ['layer', 'undeclared']],
      ['kernel importing cli', 'packages/kernel/test/x.test.ts', "import '@mmkit/cli';", ['layer', 'undeclared']],
      ['the grader importing an implementation', 'conformance/src/grader/x.ts', "import { createBuddyAllocator } from '@mmkit/buddy';\nexport const b = createBuddyAllocator;", ['layer']],
      ['a suite importing an implementation', 'conformance/src/contracts/slab-allocator/suite/x.ts', "export type S = import('@mmkit/slub').SlubCache;", ['layer']],
      ['a mutant importing cli', 'conformance/src/contracts/slab-allocator/mutants/x.ts', "import '@mmkit/cli';", ['layer', 'undeclared']],
      ['an @mmkit/* import missing from package.json', 'packages/cli/src/x.ts', "import { createSlabAllocator } from '@mmkit/slab';\nexport const s = createSlabAllocator;", ['undeclared']],
      ['a package that does not exist', 'packages/kernel/src/x.ts', "import '@mmkit/nope';", ['unknownPackage']],
      ['a relative import into another package', 'packages/slub/src/x.ts', "export * from '../../buddy/src/index.js';", ['leavesPackage']],
      ['a relative import type into another package', 'packages/kernel/test/x.test.ts', "export type S = import('../../slub/src/index.js').SlubCache;", ['leavesPackage']],
      ['a relative import out of a conformance suite', 'conformance/src/contracts/page-allocator/suite/x.ts', "export * from '../../../../../packages/buddy/src/index.js';", ['leavesPackage']],
      ['a relative import of the repository root from src', 'packages/slub/src/x.ts', "export { default } from '../../../vitest.shared.js';", ['leavesPackage']],
      ['a file of a package whose package.json is not valid JSON', `${BROKEN}/src/x.ts`, "export * from '@mmkit/core';", ['badPackage']],
      ['a file in a folder under packages/ without package.json', `packages/${PREFIX}${process.pid}-none.tsbuildinfo/src/x.ts`, 'export const x = 1;', ['noPackage']],
    ])('%s', async (_what, filePath, code, expected) => {
      expect(await layersOf(filePath, code)).toEqual(expected);
    });

    it('an @mmkit/* import that is only a devDependency, in a file that ships', async () => {
      const code = "import { X86_64_ZONES } from '@mmkit/core';\nexport const z = X86_64_ZONES;";
      expect(await layersOf(`${DEVONLY}/src/x.ts`, code)).toEqual(['devOnly']);
      expect(await layersOf(`${DEVONLY}/test/x.test.ts`, code)).toEqual([]);
      expect(await layersOf(`${DEVONLY}/src/x.test.ts`, code)).toEqual([]);
      expect(await layersOf(`${DEVONLY}/bench/run.ts`, code)).toEqual([]);
    });
  });

  describe('passes', () => {
    it('a correct subsystem file: no message from any rule', async () => {
      const code = [
        "import { X86_64_ZONES } from '@mmkit/core';",
        "import type { PageAllocator } from '@mmkit/core';",
        "import { makeFixture } from '@mmkit/core/testing';",
        "import { helper } from './helper.js';",
        "export * from '../test/fixture.js';",
        "export type P = import('@mmkit/core').PageAllocator | PageAllocator;",
        "export const all = [X86_64_ZONES, makeFixture, helper, await import('./lazy.js'), await import('@mmkit/slub')];",
        '',
      ].join('\n');
      expect(await lint('packages/slub/src/x.ts', code)).toEqual([]);
    });

    it.each([
      ['kernel importing the subsystems', 'packages/kernel/src/x.ts', "export { createBuddyAllocator } from '@mmkit/buddy';\nexport type { MachineSpec } from '@mmkit/hw-x86';"],
      ['a kernel test importing a subsystem', 'packages/kernel/test/x.test.ts', "export { createSlubAllocator } from '@mmkit/slub';"],
      ['cli importing kernel and conformance', 'packages/cli/src/x.ts', "export { createKernel } from '@mmkit/kernel';\nexport { grade } from '@mmkit/conformance';"],
      ['a conformance suite importing core and kernel', 'conformance/src/contracts/page-allocator/suite/x.ts', "export { createKernel } from '@mmkit/kernel';\nexport type { PageAllocator } from '@mmkit/core';\nexport * from '../../../assert.js';"],
      ['a mutant importing the implementation and its internals', 'conformance/src/contracts/page-allocator/mutants.ts', "export { BuddyAllocator } from '@mmkit/buddy';\nexport * from '@mmkit/buddy/internals';\nexport * from '../../mutants/types.js';"],
      ['a mutant in a folder importing an implementation', 'conformance/src/contracts/slab-allocator/mutants/x.ts', "export { Slab } from '@mmkit/slab';\nexport * from '../../../mutants/types.js';"],
      ['the grader importing by a computed name (outside packages/)', 'conformance/src/grader/x.ts', 'export const load = (spec: string) => import(spec);'],
      ['conformance importing itself', 'conformance/test/x.test.ts', "export { describeSuite } from '@mmkit/conformance/vitest';"],
      ['a package vitest.config.ts importing the shared configuration', 'packages/slub/vitest.config.ts', "export { default } from '../../vitest.shared.js';"],
      ['a repository-root file importing anything', 'vitest.shared.ts', "export * from './packages/buddy/src/index.js';\nexport * from '@mmkit/cli';"],
      ['a file outside the repository', '/tmp/elsewhere/x.ts', "export * from '@mmkit/cli';"],
    ])('%s', async (_what, filePath, code) => {
      expect(await layersOf(filePath, code)).toEqual([]);
    });
  });
});

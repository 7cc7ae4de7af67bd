/**
 * `mmkit new CONTRACT DIR` for every contract of the registry: the project it writes has the
 * @mmkit packages at the workspace's versions and "type": "module", its skeleton typechecks
 * against @mmkit/core, and graded as it is (in a folder outside the repository whose
 * node_modules link the workspace packages) every rule fails in its own case with "not written yet: <member>".
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KIT } from '../src/kit.js';
import { main } from '../src/main.js';
import { packageName } from '../src/new-project.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mmkit-new-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

const version = (dir: string) => (JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) as { version: string }).version;

/** node_modules/@mmkit/* of the project: links to the workspace packages (what npm install would bring). */
function linkWorkspace(dir: string): void {
  mkdirSync(join(dir, 'node_modules', '@mmkit'), { recursive: true });
  for (const p of ['core', 'kernel', 'buddy', 'slub', 'slab']) symlinkSync(join(repo, 'packages', p), join(dir, 'node_modules', '@mmkit', p), 'dir');
  symlinkSync(join(repo, 'conformance'), join(dir, 'node_modules', '@mmkit', 'conformance'), 'dir');
}

const TS_OPTIONS: ts.CompilerOptions = {
  strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, customConditions: ['source'], types: [],
};
/** One compiler host for every contract's project: lib and @mmkit/core are parsed once, not once per contract. */
const host = ts.createCompilerHost(TS_OPTIONS);
const parsed = new Map<string, ts.SourceFile | undefined>();
const readSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  if (!parsed.has(fileName)) parsed.set(fileName, readSourceFile(fileName, languageVersion, onError, shouldCreate));
  return parsed.get(fileName);
};

function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], TS_OPTIONS, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('mmkit new', () => {
  for (const contract of DEFAULT_KIT.CONTRACTS) {
    it(`writes a ${contract.id} project that typechecks and grades, every rule "not written yet"`, async () => {
      const dir = join(root, `my-${contract.id}`);
      const r = await run('new', contract.id, dir);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('npm install');
      expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'test', 'tsconfig.json']);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
      expect(pkg).toMatchObject({
        name: `my-${contract.id}`,
        type: 'module',
        dependencies: { '@mmkit/core': `^${version('packages/core')}` },
        devDependencies: { '@mmkit/conformance': `^${version('conformance')}`, '@mmkit/cli': `^${version('packages/cli')}`, vitest: expect.stringMatching(/^\^4\./) as unknown, typescript: expect.stringMatching(/^~5\./) as unknown },
        scripts: { test: 'vitest run', grade: `mmkit grade ${contract.id} ./src/${contract.id}.ts` },
      });
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const command of ['npm install', 'npm test', 'npm run grade']) expect(readme).toContain(command);
      expect(readFileSync(join(dir, 'test', `${contract.id}.test.ts`), 'utf8')).toContain(`describeSuite(contract.suite, factory)`);
      const source = join(dir, 'src', `${contract.id}.ts`);
      const text = readFileSync(source, 'utf8');
      expect(text).toContain(`implements ${contract.core.contract}`);
      expect(text).toContain(`export default ${contract.factoryExports[0]}`);
      linkWorkspace(dir);
      expect(typeErrors(source)).toEqual([]);
      // On the permission layer by default (conformance's unwritten.test.ts grades skeleton-like modules under bwrap, their frames named), the default layer with MMKIT_HOSTILE=full.
      const layer = process.env.MMKIT_HOSTILE === 'full' ? {} : { sandbox: 'permission' as const };
      const report = await DEFAULT_KIT.grade({ contract: contract.id, module: source, bench: true, filter: contract.suite.cases[0].name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), timeoutMs: 60_000, ...layer });
      expect(report.loadError).toBeUndefined();
      // A run-level error, if any (the skeleton does not boot, its figures cannot be measured), names a member too: never a timeout or a crash.
      if (report.error !== undefined) expect(report.error).toMatch(/not written yet: \w+ \(at .*\.ts:\d+:\d+\)$/);
      expect(report.rules.length).toBeGreaterThan(0);
      // Each rule fails in its own case, on the member that case reached (not on one failed boot of the whole run).
      for (const rule of report.rules) {
        expect(rule.status, rule.id).toBe('fail');
        expect(rule.failures[0].message, rule.id).toMatch(/^Error: not written yet: \w+ \(at /);
      }
    }, 60_000);
  }

  it('refuses a folder that is not empty, a file, an unknown contract and a missing folder, with exit 2', async () => {
    const full = join(root, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    writeFileSync(join(root, 'a-file'), '');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    for (const [argv, message] of [
      [['new', 'page-allocator', full], /is not empty: mmkit new writes into a new or empty folder/],
      [['new', 'page-allocator', join(root, 'a-file')], /is a file/],
      [['new', 'slob', join(root, 'x')], /unknown contract 'slob'; contracts: page-allocator, slab-allocator/],
      [['new', 'page-allocator'], /needs a folder/],
      [['new', 'page-allocator', ''], /needs a folder/],
      [['new'], /new needs a contract and a folder/],
    ] as const) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
    }
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('mine');
    expect((await run('new', 'buddy', empty)).code).toBe(0); // an alias, an empty folder
    expect(readdirSync(join(empty, 'src'))).toEqual(['page-allocator.ts']);
  });

  it('names the package after the folder', () => {
    expect(packageName('/home/me/My Allocator')).toBe('my-allocator');
    expect(packageName('/tmp/.x/')).toBe('x');
    expect(packageName('/')).toBe('my-implementation');
  });
});

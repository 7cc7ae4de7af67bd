// The published packages. By default (a few seconds): `npm pack --dry-run` of every publishable
// package, its file list checked (tools/publish/packed-files.ts). With MMKIT_PACK_TEST=1 (3 to
// 6 minutes on 2 busy cores, most of it the builds): every package is packed for real (its
// prepack script cleans and builds dist/ in the repository), the tarballs are installed with no
// network into a project in the system's temporary folder, each entry point is imported there
// with plain Node (no tsx, no "source" condition) and must export what its sources export, the
// installed `mmkit` bin boots a machine and grades the reference and a TypeScript module of the
// project, and `mmkit new page-allocator` writes a project that grades once it is written.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../eslint/workspace.js';
import { cleanNpmEnv, npmPack, type PackResult } from '../publish/npm-pack.js';
import { installOffline, tarballUrl, thirdPartyClosure } from '../publish/offline-install.js';
import { exportSpecifiers, forbiddenReason, packedFileProblems, publishablePackages, type PublishManifest } from '../publish/packed-files.js';

const run = promisify(execFile);
const FULL = process.env.MMKIT_PACK_TEST === '1';
const packages = publishablePackages();
const rootLicense = readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8');
const licenseOf = (dir: string) => (existsSync(path.join(REPO_ROOT, dir, 'LICENSE')) ? readFileSync(path.join(REPO_ROOT, dir, 'LICENSE'), 'utf8') : undefined);

describe('the publishable packages', () => {
  it('are packages/* and conformance; tools is private', () => {
    const dirs = packages.map((p) => p.dir);
    for (const d of ['packages/core', 'packages/hw-x86', 'packages/buddy', 'packages/slub', 'packages/slab', 'packages/kernel', 'packages/cli', 'conformance']) expect(dirs).toContain(d);
    expect(dirs).not.toContain('tools');
    const tools = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tools/package.json'), 'utf8')) as PublishManifest;
    expect(tools.private).toBe(true);
  });

  describe('npm pack --dry-run', () => {
    let packs: PackResult[] = [];
    beforeAll(async () => {
      packs = await npmPack(packages.map((p) => p.dir), { dryRun: true });
    }, 120_000);

    it.each(packages.map((p) => [p.dir, p] as const))('%s lists its build, sources, README and LICENSE and nothing else', (dir, p) => {
      const pack = packs.find((x) => x.name === p.manifest.name);
      expect(pack, `npm pack listed no ${p.manifest.name}`).toBeDefined();
      const files = pack!.files.map((f) => f.path);
      const built = existsSync(path.join(REPO_ROOT, dir, 'dist'));
      expect(packedFileProblems(p.manifest, files, built, rootLicense, licenseOf(dir))).toEqual([]);
      expect(files.some((f) => f.startsWith('src/'))).toBe(true);
    });
  });
});

describe('packedFileProblems', () => {
  const manifest: PublishManifest = {
    name: '@mmkit/x',
    license: 'MIT',
    exports: { '.': { source: './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' } },
    bin: { x: 'bin/x.js' },
    scripts: { build: 'tsc -p tsconfig.build.json', prepack: 'npm run clean && npm run build' },
  };
  const good = ['package.json', 'README.md', 'LICENSE', 'src/index.ts', 'bin/x.js'];

  it('takes a CHANGELOG.md (changeset version writes one) but does not need one', () => {
    expect(packedFileProblems(manifest, [...good, 'CHANGELOG.md'], false)).toEqual([]);
  });

  it('passes a list with every target, before and after the build', () => {
    expect(packedFileProblems(manifest, good, false)).toEqual([]);
    expect(packedFileProblems(manifest, [...good, 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map'], true)).toEqual([]);
  });

  it('fails tests, fixtures, configuration, benchmarks and stray files', () => {
    for (const file of ['src/gfp.test.ts', 'dist/gfp.test.js', 'test/suite.test.ts', 'src/fixtures/zoneinfo.txt', 'tsconfig.build.json', 'vitest.config.ts', 'bench/run.ts', 'scripts/search.ts', 'CHANGELOG.txt', 'docs/x.md']) {
      expect(forbiddenReason(file), file).toBeDefined();
      expect(packedFileProblems(manifest, [...good, file], false), file).toHaveLength(1);
    }
  });

  it('fails a missing README, LICENSE, export target, bin or build, and a missing prepack', () => {
    expect(packedFileProblems(manifest, good.filter((f) => f !== 'LICENSE'), false)).toEqual(['LICENSE is not packed']);
    expect(packedFileProblems(manifest, good.filter((f) => f !== 'README.md'), false)).toEqual(['README.md is not packed']);
    expect(packedFileProblems(manifest, good.filter((f) => f !== 'src/index.ts'), false)).toEqual([
      './src/index.ts (an export or bin target) is not packed and no shipped source builds it',
      './dist/index.d.ts (an export or bin target) is not packed and no shipped source builds it',
      './dist/index.js (an export or bin target) is not packed and no shipped source builds it',
    ]);
    expect(packedFileProblems(manifest, good.filter((f) => f !== 'bin/x.js'), false)).toHaveLength(1);
    expect(packedFileProblems({ ...manifest, bin: { x: './bin/x.js' } }, good, false)).toEqual(['bin target ./bin/x.js starts with ./: npm publish rewrites it, warning that it "was invalid"']);
    expect(packedFileProblems(manifest, [...good, 'dist/other.js'], true)).toHaveLength(2);
    expect(packedFileProblems(manifest, good, true)).toContain('no dist/ file is packed after the build');
    expect(packedFileProblems({ ...manifest, scripts: { build: 'tsc' } }, good, false)).toEqual(['the prepack script does not run the build (prepack: null)']);
    expect(packedFileProblems(manifest, good, false, 'MIT License', 'ISC License')).toEqual(["LICENSE differs from the repository's"]);
  });
});

describe('thirdPartyClosure', () => {
  it("takes the lockfile's versions of the runtime dependencies, transitively, with the optional ones installed here", () => {
    const closure = thirdPartyClosure(['fast-check', 'tsx', '@mmkit/core']);
    const names = closure.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fast-check', 'pure-rand', 'tsx', 'esbuild']));
    expect(names.filter((n) => n.startsWith('@esbuild/'))).toHaveLength(1);
    expect(names).not.toContain('fsevents');
    expect(names.some((n) => n.startsWith('@mmkit/'))).toBe(false);
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    for (const t of closure) expect(t.version).toBe(lock.packages[`node_modules/${t.name}`].version);
    expect(tarballUrl('@esbuild/linux-x64', '0.28.2')).toBe('https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-0.28.2.tgz');
  });
});

// A student's allocator as a TypeScript module of their own project: a type from @mmkit/core,
// runtime values from @mmkit/core and @mmkit/buddy. The reference does the work under the
// student's name (this checks the installation, not an algorithm; the report names it).
const STUDENT_MODULE = `import type { PageAllocatorFactory } from '@mmkit/core';
import { NO_PAGE } from '@mmkit/core';
import { createBuddyAllocator } from '@mmkit/buddy';

const factory: PageAllocatorFactory = (services) => {
  if (typeof NO_PAGE !== 'number') throw new Error('@mmkit/core has no NO_PAGE');
  return Object.defineProperty(createBuddyAllocator(services), 'name', { value: 'my-allocator' });
};
export default factory;
`;

// A student's tsconfig: strict, Node's ESM resolution (the packages' "types" conditions).
const STUDENT_TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] },
  include: ['*.ts'],
};

// Records every Node process and thread the bin starts (NODE_OPTIONS=--require): how it was started.
const RECORDER = `const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');
fs.appendFileSync(process.env.MMKIT_PACK_RECORD, JSON.stringify({ argv: process.argv, execArgv: process.execArgv, isMainThread }) + '\\n');
`;

interface Recorded {
  argv: string[];
  execArgv: string[];
  isMainThread: boolean;
}

describe.runIf(FULL)('the packed tarballs installed outside the repository (MMKIT_PACK_TEST=1)', () => {
  let tmp = '';
  let project = '';
  let packs: PackResult[] = [];
  const env = () => cleanNpmEnv({ PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` });

  beforeAll(async () => {
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mmkit-pack-')));
    expect(path.relative(REPO_ROOT, tmp).startsWith('..')).toBe(true);
    const tarballs = path.join(tmp, 'tarballs');
    mkdirSync(tarballs);
    packs = await npmPack(packages.map((p) => p.dir), { destination: tarballs });
    project = path.join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'student', private: true, type: 'module' }, null, 2)}\n`);
    const needed = new Set(packages.flatMap((p) => Object.keys(p.manifest.dependencies ?? {})));
    await installOffline(
      project,
      packs.map((p) => path.join(tarballs, p.filename)),
      thirdPartyClosure(needed),
    );
    // vitest, the optional peer of @mmkit/conformance/vitest, and typescript, which a student's
    // project has as a devDependency, from the repository (vitest's many dependencies are not
    // all in npm's cache by URL); their own imports resolve there.
    for (const tool of ['vitest', 'typescript']) symlinkSync(path.join(REPO_ROOT, 'node_modules', tool), path.join(project, 'node_modules', tool), 'dir');
    symlinkSync('../typescript/bin/tsc', path.join(project, 'node_modules/.bin/tsc'));
    writeFileSync(path.join(project, 'my-allocator.ts'), STUDENT_MODULE);
    writeFileSync(path.join(project, 'tsconfig.json'), `${JSON.stringify(STUDENT_TSCONFIG, null, 2)}\n`);
    writeFileSync(path.join(tmp, 'record.cjs'), RECORDER);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('packed every package with its build (prepack cleaned and built dist/)', () => {
    expect(packs.map((p) => p.name).sort()).toEqual(packages.map((p) => p.manifest.name).sort());
    for (const p of packages) {
      const pack = packs.find((x) => x.name === p.manifest.name)!;
      const files = pack.files.map((f) => f.path);
      expect(packedFileProblems(p.manifest, files, true, rootLicense, licenseOf(p.dir)), p.dir).toEqual([]);
      expect(files, p.dir).toContain('dist/index.js');
    }
  });

  it('installed them and their third-party dependencies, and nothing links back into the repository but vitest', () => {
    for (const p of packages) {
      const installed = realpathSync(path.join(project, 'node_modules', p.manifest.name));
      expect(installed.startsWith(project + path.sep), installed).toBe(true);
      expect(existsSync(path.join(installed, 'tsconfig.json'))).toBe(false);
    }
    for (const dep of ['fast-check', 'tsx']) expect(realpathSync(path.join(project, 'node_modules', dep)).startsWith(project + path.sep)).toBe(true);
  });

  const specifiers = packages.flatMap((p) => exportSpecifiers(p.manifest));
  it.each(specifiers)('%s imports with plain Node and exports what its sources export', async (spec) => {
    // A JSON export (conformance's report schema) imports as JSON, its contents compared.
    const json = spec.endsWith('.json');
    const options = json ? ", { with: { type: 'json' } }" : '';
    const show = json ? 'm.default' : 'Object.keys(m).sort()';
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}${options}); process.stdout.write(JSON.stringify(${show}));`], {
      cwd: project,
      env: env(),
    });
    const fromSources = json ? ((await import(spec, { with: { type: 'json' } })) as { default: unknown }).default : Object.keys((await import(spec)) as object).sort();
    expect(JSON.parse(stdout)).toEqual(fromSources);
    expect(Object.keys(fromSources as object).length).toBeGreaterThan(0);
  });

  async function mmkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string; processes: Recorded[] }> {
    const record = path.join(tmp, `record-${Date.now()}-${Math.random()}.jsonl`);
    const bin = path.join(project, 'node_modules/.bin/mmkit');
    const result = await run(bin, args, {
      cwd: project,
      env: { ...env(), NODE_OPTIONS: `--require=${path.join(tmp, 'record.cjs')}`, MMKIT_PACK_RECORD: record },
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
    const processes = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Recorded);
    return { ...result, processes };
  }

  /** One Node process, started on the installed launcher, with no tsx and no "source" condition. */
  function expectPlainNode(processes: Recorded[]) {
    const main = processes.filter((p) => p.isMainThread);
    expect(main).toHaveLength(1);
    expect(realpathSync(main[0].argv[1])).toBe(path.join(project, 'node_modules/@mmkit/cli/bin/mmkit.js'));
    for (const p of processes) {
      expect(p.execArgv.join(' ')).not.toMatch(/tsx|conditions/);
      expect(p.argv.join(' ')).not.toMatch(/\.ts\b/);
    }
  }

  it('mmkit --help, through npx', async () => {
    const { stdout } = await run('npx', ['--offline', 'mmkit', '--help'], { cwd: project, env: env() });
    expect(stdout).toMatch(/^usage: mmkit COMMAND/);
  });

  it('mmkit boot --mem 1G runs the built CLI with plain Node', async () => {
    const r = await mmkit(['boot', '--mem', '1G']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1.00 GiB present');
    expectPlainNode(r.processes);
  });

  // The suite runs in the grader's sandboxed child (a clean environment, so not recorded here),
  // from a bundle esbuild makes of the installed grader at grade time.
  it('mmkit grade buddy --no-bench grades the reference, the CLI plain Node', async () => {
    const r = await mmkit(['grade', 'buddy', '--no-bench']);
    expect(r.code, r.stderr).toBe(0);
    const score = /score: (\d+)\/(\d+) rules \(100%\)/.exec(r.stdout);
    expect(score, r.stdout.slice(-2000)).not.toBeNull();
    expect(score![1]).toBe(score![2]);
    expectPlainNode(r.processes);
  });

  it("mmkit grade buddy ./my-allocator.ts grades a student's TypeScript module of the project", async () => {
    const r = await mmkit(['grade', 'buddy', './my-allocator.ts', '--no-bench']);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
    expect(r.stdout).toMatch(/score: (\d+)\/\1 rules \(100%\)/);
    expect(r.stdout).toMatch(/^page-allocator conformance: my-allocator$/m);
  });

  it("the installed declarations type the student's module (tsc, strict, no skipLibCheck)", async () => {
    const tsc = path.join(project, 'node_modules/typescript/bin/tsc');
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, env: env() }).then(
      () => '',
      (err: { stdout?: string; message: string }) => err.stdout || err.message,
    );
    expect(r).toBe('');
  });

  /** `npm run SCRIPT -- ARGS` in a folder of the project. */
  async function npmRun(dir: string, script: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
    return run('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], { cwd: dir, env: env(), maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
  }

  // The student's first hour, from the installed tarballs: `mmkit new` writes the project, its
  // skeleton grades with every rule failing on a member not written yet, and once the student
  // has written the allocator (here: STUDENT_MODULE) `npm run grade` passes and `npm run
  // typecheck` is clean. The project's own `npm install` (from the registry) is stood in for by
  // the project folder it sits in, where the same tarballs are installed: Node and npm find the
  // packages and the mmkit bin there, as they would in the project's node_modules.
  it('mmkit new page-allocator, then the student\'s edits, grades with no other step', async () => {
    const made = await mmkit(['new', 'page-allocator', './my-allocator']);
    expect(made.code, made.stderr).toBe(0);
    expectPlainNode(made.processes);
    const dir = path.join(project, 'my-allocator');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PublishManifest & { type?: string; devDependencies?: Record<string, string> };
    expect(pkg.type).toBe('module');
    const mmkitDeps = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([name]) => name.startsWith('@mmkit/'));
    expect(mmkitDeps.map(([name]) => name).sort()).toEqual(['@mmkit/cli', '@mmkit/conformance', '@mmkit/core']);
    for (const [name, range] of mmkitDeps) expect(range, name).toBe(`^${packs.find((p) => p.name === name)!.version}`);
    const source = path.join(dir, 'src/page-allocator.ts');

    const skeleton = await npmRun(dir, 'grade', ['--no-bench']);
    expect(skeleton.code, skeleton.stderr).toBe(1);
    expect(skeleton.stdout).toMatch(/score: 0\/\d+ rules/);
    expect(skeleton.stdout).toContain('not written yet: ');
    expect(await npmRun(dir, 'typecheck')).toMatchObject({ code: 0 });

    writeFileSync(source, STUDENT_MODULE);
    const graded = await npmRun(dir, 'grade', ['--no-bench']);
    expect(graded.code, `${graded.stderr}\n${graded.stdout.slice(-2000)}`).toBe(0);
    expect(graded.stdout).toMatch(/score: (\d+)\/\1 rules \(100%\)/);
    expect(graded.stdout).toMatch(/^page-allocator conformance: my-allocator$/m);
    const typecheck = await npmRun(dir, 'typecheck');
    expect(typecheck.stdout + typecheck.stderr).toBe('');
    expect(typecheck.code).toBe(0);
  });

  it('a usage error exits 2 with one line', async () => {
    const r = await mmkit(['boot', '--mem', '1Q']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

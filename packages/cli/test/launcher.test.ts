// bin/mmkit.js, the `mmkit` launcher, copied into the two layouts it tells apart, with stub
// entries that report how they were started: installed (under node_modules) it runs dist/bin.js
// in its own process with plain Node; in a checkout it runs src/bin.ts in a child Node with the
// "source" condition and tsx, passing the arguments, exit status and signal through.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../bin/mmkit.js', import.meta.url));
const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));

const STUB = (entry: string) => `const report = { entry: '${entry}', pid: process.pid, argv: process.argv.slice(2), execArgv: process.execArgv };
process.stdout.write(JSON.stringify(report));
if (process.env.STUB_SIGNAL) process.kill(process.pid, process.env.STUB_SIGNAL);
process.exitCode = Number(process.env.STUB_CODE ?? 0);
`;

interface Layout {
  pkg: string;
  bin: string;
}

function layout(root: string, pkgRel: string, files: { dist?: boolean; src?: boolean }, tsx: boolean): Layout {
  const pkg = path.join(root, pkgRel);
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  copyFileSync(launcher, path.join(pkg, 'bin/mmkit.js'));
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@mmkit/cli', type: 'module' }));
  if (files.dist) {
    mkdirSync(path.join(pkg, 'dist'));
    writeFileSync(path.join(pkg, 'dist/bin.js'), STUB('dist'));
  }
  if (files.src) {
    mkdirSync(path.join(pkg, 'src'));
    writeFileSync(path.join(pkg, 'src/bin.ts'), STUB('source'));
  }
  if (tsx) {
    mkdirSync(path.join(root, 'node_modules'), { recursive: true });
    symlinkSync(tsxDir, path.join(root, 'node_modules/tsx'), 'dir');
  }
  return { pkg, bin: path.join(pkg, 'bin/mmkit.js') };
}

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function launch(l: Layout, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [l.bin, ...args], { env: { PATH: process.env.PATH, ...env } }, (_err, stdout, stderr) => {
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
    });
  });
}

describe('bin/mmkit.js', () => {
  let tmp = '';
  let installed: Layout;
  let checkout: Layout;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'mmkit-launcher-'));
    installed = layout(path.join(tmp, 'project'), 'node_modules/@mmkit/cli', { dist: true, src: true }, true);
    checkout = layout(path.join(tmp, 'repo'), 'packages/cli', { dist: true, src: true }, true);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('installed: imports dist/bin.js in its own process with plain Node, even with src/ and tsx at hand', async () => {
    const r = await launch(installed, ['grade', 'buddy']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { entry: string; argv: string[]; execArgv: string[] };
    expect(report).toMatchObject({ entry: 'dist', argv: ['grade', 'buddy'], execArgv: [] });
  });

  it('in a checkout: runs src/bin.ts through tsx with the source condition, passing the arguments', async () => {
    const r = await launch(checkout, ['boot', '--mem', '1G']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { entry: string; argv: string[]; execArgv: string[] };
    expect(report.entry).toBe('source');
    expect(report.argv).toEqual(['boot', '--mem', '1G']);
    expect(report.execArgv[0]).toBe('--conditions=source');
    expect(report.execArgv[1]).toBe('--import');
    expect(fileURLToPath(report.execArgv[2]).startsWith(tsxDir)).toBe(true);
  });

  it("passes the child's exit status and the signal that ended it", async () => {
    expect((await launch(checkout, [], { STUB_CODE: '2' })).code).toBe(2);
    expect((await launch(installed, [], { STUB_CODE: '2' })).code).toBe(2);
    const killed = await launch(checkout, [], { STUB_SIGNAL: 'SIGTERM' });
    expect(killed.signal).toBe('SIGTERM');
  });

  it('says in one line what to do when there is nothing to run (exit 70)', async () => {
    const bare = layout(path.join(tmp, 'bare'), 'node_modules/@mmkit/cli', { src: true }, false);
    const r = await launch(bare, ['--help']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^mmkit: @mmkit\/cli is not built \(.*dist\/bin\.js is missing\): run `npm run build` in .*\n$/);
    const noTsx = layout(path.join(tmp, 'no-tsx'), 'packages/cli', { src: true }, false);
    const r2 = await launch(noTsx, ['--help']);
    expect(r2.code).toBe(70);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toContain('tsx, which runs its sources, is not installed');
  });

  it('falls back to dist/bin.js in a checkout without tsx', async () => {
    const r = await launch(layout(path.join(tmp, 'built'), 'packages/cli', { dist: true, src: true }, false), ['x']);
    expect(JSON.parse(r.stdout)).toMatchObject({ entry: 'dist', execArgv: [] });
  });
});

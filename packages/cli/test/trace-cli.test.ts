import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { captureMissing, shellQuote } from '../src/trace/capture.js';
import { parseMaps } from '../src/trace/proc-maps.js';
import { parseStrace } from '../src/trace/strace-parser.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

const scratch = mkdtempSync(join(tmpdir(), 'mmkit-trace-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('mmkit replay: bad input is one line and exit 2', () => {
  it('refuses a missing folder, a file, and a folder without its files', async () => {
    expect(await run('replay')).toMatchObject({ code: 2, err: 'mmkit: replay: which folder? (mmkit replay DIR)\n' });
    const missing = await run('replay', join(scratch, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^mmkit: replay: cannot read '.*nope': ENOENT\n$/);
    const file = join(scratch, 'file');
    writeFileSync(file, '');
    expect((await run('replay', file)).err).toMatch(/is not a folder/);
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const bare = await run('replay', empty);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/has no initial\.maps \(mmkit trace capture records one\)\n$/);
    expect((await run('replay', empty, 'other')).err).toMatch(/one folder at a time/);
    expect((await run('replay', '--bogus', empty)).code).toBe(2);
    expect((await run('replay', '--help')).out).toMatch(/^usage: mmkit replay DIR \[--json\]/);
  });
});

describe('mmkit replay of recorded folders', () => {
  const traces = join(import.meta.dirname, 'fixtures', 'traces');
  it('exits 0 when everything agrees, 1 when something differs, and prints JSON with --json', async () => {
    const agrees = await run('replay', join(traces, 'c-errors'));
    expect(agrees.out).toContain('strace.txt:24: skipped: +++ exited with 0 +++\ncalls: 23, replayed 23, 0 differ\n');
    expect(agrees.code).toBe(0);
    const differs = await run('replay', join(traces, 'awk'));
    expect(differs.code).toBe(1);
    expect(differs.out).toContain('right after strace.txt line 23, not at the end');
    const json = await run('replay', join(traces, 'gzip'), '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { ok: boolean; calls: number; finalMaps: { equal: boolean; explained: { rule: { id: string }; lines: number[] }[] } };
    expect(report).toMatchObject({ ok: true, calls: 15, finalMaps: { equal: true } });
    expect(report.finalMaps.explained.map((u) => [u.rule.id, u.lines])).toEqual([['brk-separate-heap-vma', [6, 7]]]);
    expect((await run('replay', join(traces, 'c-errors'), '--mem', 'lots')).code).toBe(2);
  });
});

describe('mmkit trace capture', () => {
  it('refuses bad usage with exit 2', async () => {
    expect((await run('trace')).code).toBe(2);
    expect((await run('trace', 'record')).err).toMatch(/unknown subcommand 'record'/);
    expect((await run('trace', 'capture', join(scratch, 'x'))).err).toMatch(/no command after --/);
    expect((await run('trace', 'capture', '--', 'true')).err).toMatch(/give one folder/);
    expect((await run('trace', 'capture', join(scratch, 'x'), '--timeout', '-1', '--', 'true')).err).toMatch(/--timeout must be/);
    expect((await run('trace', '--help')).out).toMatch(/^usage: mmkit trace capture DIR/);
  });

  it('says what is missing when the tools are not installed', () => {
    const missing = captureMissing('/nonexistent');
    expect(missing.join('\n')).toMatch(/strace is not installed .*apt install strace/);
    expect(missing.join('\n')).toMatch(/gdb is not installed/);
    expect(missing.join('\n')).toMatch(/setarch is not installed/);
  });

  it('quotes a command line so that a shell reads it back', () => {
    expect([ '/usr/bin/awk', 'BEGIN{a[1]=1; print 1}', "it's" ].map(shellQuote).join(' ')).toBe(`/usr/bin/awk 'BEGIN{a[1]=1; print 1}' 'it'\\''s'`);
  });

  // Capture for real where strace, gdb and setarch are installed and ptrace is allowed.
  const canTrace = captureMissing().length === 0 && spawnSync('strace', ['-o', '/dev/null', 'true']).status === 0;
  it.skipIf(!canTrace)('records /bin/true: its memory calls, and its maps at the first instruction and at exit_group', async () => {
    const dir = join(scratch, 'true');
    const r = await run('trace', 'capture', dir, '--', 'true');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^recorded \S*\/true into .*: command\.txt, initial\.maps, strace\.txt, final\.maps \(exit status 0\)\n/);
    const trace = parseStrace(readFileSync(join(dir, 'strace.txt'), 'utf8'));
    expect(trace.problems).toEqual([]);
    expect(trace.calls[0].name).toBe('brk');
    expect(trace.calls.some((c) => c.fd?.path?.includes('libc'))).toBe(true);
    const initial = parseMaps(readFileSync(join(dir, 'initial.maps'), 'utf8'));
    const final = parseMaps(readFileSync(join(dir, 'final.maps'), 'utf8'));
    expect(initial.problems).toEqual([]);
    expect(final.problems).toEqual([]);
    // At exit libc is mapped; at the first instruction it was not.
    expect(initial.entries.some((e) => e.path.includes('libc'))).toBe(false);
    expect(final.entries.some((e) => e.path.includes('libc'))).toBe(true);
    expect((await run('trace', 'capture', dir, '--', 'true')).err).toMatch(/is not empty/);
    // A program ended by a signal has no final.maps, and capture says so.
    const killed = await run('trace', 'capture', join(scratch, 'killed'), '--', 'sh', '-c', 'kill -SEGV $$');
    expect(killed.code).toBe(0);
    expect(killed.out).toMatch(/: command\.txt, initial\.maps, strace\.txt \(exit status none: ended by a signal\)\nwarning: no final\.maps: /);
    // And it replays: every call and the final maps as this host's kernel gave them.
    const replayed = await run('replay', dir);
    expect(replayed.out).toMatch(/result: everything agrees\n$/);
    expect(replayed.code).toBe(0);
  }, 60_000);
});

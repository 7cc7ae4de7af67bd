/**
 * `mmkit grade`'s handling of its arguments and of what the grader reports, with the grader
 * replaced (these tests are about the CLI, not grading): bad arguments are refused before any
 * grading, a module that cannot load exits 2 with its message, a property failure prints a replay
 * that --replay takes back, progress goes to a terminal's stderr only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as conformance from '@mmkit/conformance';
import type { GradeOptions, GradeReport } from '@mmkit/conformance';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../src/main.js';
import { createProgress, runGrade } from '../src/grade-command.js';
import type { ConformanceKit } from '../src/kit.js';

const PROPERTY_CASE = 'property: random allocations and frees keep the lists consistent and end coalesced';

function fakeReport(over: Partial<GradeReport> = {}): GradeReport {
  const failure = {
    assertion: { operator: 'equal', expected: '0', actual: '1' },
    property: { seed: 7, path: '3:1:0', propertyRuns: 200, runs: 4, shrinks: 2, operations: ['allocPages(GFP_KERNEL, order 3) -> pfn 0x1200', 'freePages(0x1200, 2)'], reproduced: true },
  };
  const message = `no bad page: expected 0, got 1 ${'and then some more words '.repeat(12)}(end of message)`;
  return {
    contract: 'page-allocator',
    implementation: 'mine',
    rules: [{ id: 'page-allocator.invariants.property', text: 'x', source: { kind: 'man', ref: 'x' }, status: 'fail', failures: [{ case: PROPERTY_CASE, message, failure }] }],
    score: { passed: 0, failed: 1, notProvided: 0, total: 1, percent: 0 },
    cases: [{ name: PROPERTY_CASE, rules: ['page-allocator.invariants.property'], status: 'fail', message, failure, ms: 5 }],
    durationMs: 10,
    ...over,
  };
}

/** The real registry and formats, a grader that records its options and returns `report`. */
function kitWith(report: GradeReport | (() => never)): { kit: ConformanceKit; calls: GradeOptions[] } {
  const calls: GradeOptions[] = [];
  const kit: ConformanceKit = {
    ...conformance,
    grade: (o) => {
      calls.push(o);
      if (typeof report === 'function') report();
      for (const c of (report as GradeReport).cases) o.onCase?.(c);
      return Promise.resolve(report as GradeReport);
    },
  };
  return { kit, calls };
}

async function run(kit: ConformanceKit, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s), kit);
  return { code, out, err };
}

const never = () => {
  throw new Error('the grader must not run');
};

describe('mmkit grade: arguments', () => {
  it('refuses, before grading, an empty MODULE or mutant, limits out of bounds, unwritable outputs and bad replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmkit-grade-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.json'), '{"contract": "page-allocator"}');
    writeFileSync(join(dir, 'slab.json'), JSON.stringify({ contract: 'slab-allocator', case: 'x', seed: 1, path: '0', propertyRuns: 10 }));
    const { kit, calls } = kitWith(never);
    const cases: [string[], RegExp][] = [
      [['grade', 'buddy', ''], /MODULE is empty/],
      [['grade', 'buddy', '  '], /MODULE is empty/],
      [['grade', 'buddy', '--mutant='], /--mutant is empty/],
      [['grade', 'buddy', '--timeout', '3000000'], /--timeout takes seconds from 1 to 86400/],
      [['grade', 'buddy', '--timeout', '0'], /--timeout/],
      [['grade', 'buddy', '--timeout', '1e3'], /--timeout/],
      [['grade', 'buddy', '--memory', '10'], /--memory takes whole megabytes from 64 to \d+ \(this host's memory\)/],
      [['grade', 'buddy', '--memory', '99999999999'], /--memory/],
      [['grade', 'buddy', '--seed', '-1'], /--seed/],
      [['grade', 'buddy', '--html', join(dir, 'missing', 'r.html')], /--html: cannot write .* the folder .*missing' does not exist/],
      [['grade', 'buddy', '--junit', dir], /--junit: .* is a folder/],
      [['grade', 'buddy', '--junit', ''], /--junit needs a file name/],
      [['grade', 'buddy', '--replay', join(dir, 'nope.json')], /--replay: cannot read/],
      [['grade', 'buddy', '--replay', join(dir, 'bad.json')], /is not a replay/],
      [['grade', 'buddy', '--replay', join(dir, 'slab.json')], /replays a failure of slab-allocator, not of page-allocator/],
      [['grade', 'buddy', '--replay', '/dev/zero'], /--replay: '\/dev\/zero' is larger than 32 MiB/],
      [['grade', 'buddy', '--replay', dir], /--replay: cannot read .* it is a directory/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(kit, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
    expect(calls).toHaveLength(0);
  });

  it('exits 2 with the two lines of a module that cannot be loaded, and no table', async () => {
    const loadError = 'x.ts imports @mmkit/core, which is not installed where it can be found.\nfix: run `npm install @mmkit/core@0.1.0` in /tmp';
    const { kit } = kitWith(fakeReport({ loadError, error: `the implementation could not be loaded: ${loadError}` }));
    const r = await run(kit, 'grade', 'buddy', './x.ts');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`mmkit: cannot grade ./x.ts: ${loadError}\n`);
  });
});

describe('mmkit grade: reports', () => {
  it('wraps long messages, shows the property\'s calls and a replay that --replay takes back', async () => {
    const { kit, calls } = kitWith(fakeReport());
    const r = await run(kit, 'grade', 'buddy', './mine.ts');
    expect(r.code).toBe(1);
    expect(r.out).toContain('(end of message)'); // not cut
    expect(r.out.split('\n').every((l) => l.length <= 160)).toBe(true);
    expect(r.out).toMatch(/^ {4}allocPages\(GFP_KERNEL, order 3\) -> pfn 0x1200$/m);
    expect(r.out).toMatch(/^ {4}freePages\(0x1200, 2\)$/m);
    const file = /--replay (\S+mmkit-replay-page-allocator-\w+\.json)/.exec(r.out)?.[1];
    expect(file).toBeDefined();
    expect(JSON.parse(readFileSync(file!, 'utf8'))).toEqual({ contract: 'page-allocator', case: PROPERTY_CASE, seed: 7, path: '3:1:0', propertyRuns: 200 });
    const again = await run(kit, 'grade', 'buddy', './mine.ts', '--replay', file!);
    expect(again.code).toBe(1);
    expect(calls[1]).toMatchObject({ seed: 7, replayPath: '3:1:0', propertyRuns: 200, bench: false });
    expect(new RegExp(calls[1].filter!).test(PROPERTY_CASE)).toBe(true);
    expect(new RegExp(calls[1].filter!).test(`${PROPERTY_CASE} too`)).toBe(false);
    // A --json report replays its first property failure too.
    const json = await run(kit, 'grade', 'buddy', './mine.ts', '--json');
    const dir = mkdtempSync(join(tmpdir(), 'mmkit-grade-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'report.json'), json.out);
    await run(kit, 'grade', 'buddy', './mine.ts', '--replay', join(dir, 'report.json'));
    expect(calls[3]).toMatchObject({ seed: 7, replayPath: '3:1:0' });
    // --seed goes to the grader.
    await run(kit, 'grade', 'buddy', './mine.ts', '--seed', '42');
    expect(calls[4].seed).toBe(42);
  });

  it('--verbose lists every case with its time', async () => {
    const { kit } = kitWith(fakeReport());
    const r = await run(kit, 'grade', 'buddy', '--verbose');
    expect(r.out).toMatch(/^CASES$/m);
    expect(r.out).toMatch(/^FAIL +5 ms {2}property: random allocations/m);
  });
});

describe('progress', () => {
  it('counts cases done out of total and names the one running, then clears its line', () => {
    let text = '';
    const p = createProgress(['a', 'b', 'c'], (s) => (text += s));
    expect(text).toBe('\rgrading: 0/3 cases; running: a');
    p.onCase({ name: 'a', rules: [], status: 'fail', message: 'x', ms: 1 });
    expect(text.split('\r').at(-1)).toBe('grading: 1/3 cases, 1 failed; running: b');
    p.onCase({ name: 'b', rules: [], status: 'pass', message: '', ms: 1 });
    p.onCase({ name: 'c', rules: [], status: 'pass', message: '', ms: 1 });
    expect(text.split('\r').at(-1)).toBe('grading: 3/3 cases, 1 failed'.padEnd('grading: 1/3 cases, 1 failed; running: b'.length));
    p.done();
    const widest = Math.max(...text.split('\r').map((l) => l.length));
    expect(text.endsWith(`\r${' '.repeat(widest)}\r`)).toBe(true);
  });

  it('fits in the terminal', () => {
    let text = '';
    createProgress(['a case with a long name '.repeat(5)], (s) => (text += s), 40);
    expect(text).toBe('\rgrading: 0/1 cases; running: a case wi…');
    expect(text.length - 1).toBe(39);
  });

  it('is drawn on a terminal\'s stderr only, and not with --quiet', async () => {
    const { kit } = kitWith(fakeReport());
    for (const [tty, args, drawn] of [[true, [], true], [true, ['--quiet'], false], [false, [], false]] as const) {
      let err = '';
      await runGrade(['buddy', ...args], () => undefined, kit, { err: (s) => (err += s), errIsTTY: tty });
      expect(err.includes('grading: 1/'), `tty ${tty} ${args.join(' ')}`).toBe(drawn);
    }
  });
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GradeOptions, GradeReport, Gradebook } from '@mmkit/conformance';
import { runGradeBatch } from '../src/grade-batch-command.js';
import { DEFAULT_KIT, type ConformanceKit } from '../src/kit.js';
import { main } from '../src/main.js';
import { BatchProgress, renderBar } from '../src/progress-bar.js';

/** A grader that needs no worker: a score from the folder's name. */
const fakeGrade = (o: GradeOptions): Promise<GradeReport> => {
  const name = o.module!.split('/').at(-2)!;
  const failed = name.length % 3;
  for (let i = 1; i <= 3; i++) o.onCase?.({ name: `case ${i}`, rules: [], status: 'pass', message: '', ms: 1 });
  return Promise.resolve({
    contract: 'page-allocator', implementation: name, rules: [], cases: [], durationMs: 1200,
    score: { passed: 10 - failed, failed, notProvided: 0, total: 10, percent: (10 - failed) * 10 },
  });
};
const KIT: ConformanceKit = { ...DEFAULT_KIT, grade: fakeGrade };

async function run(argv: string[], kit = KIT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s), kit);
  return { code, out, err };
}

let dir: string;
let batch: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmkit-grade-batch-'));
  batch = join(dir, 'batch');
  for (const s of ['ann', 'bob', 'carla', 'dmitri', 'eve']) {
    mkdirSync(join(batch, s), { recursive: true });
    writeFileSync(join(batch, s, 'index.ts'), 'export default () => null;\n');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mmkit grade-batch', () => {
  it('writes the gradebook as JSON and CSV and prints it', async () => {
    const r = await run(['grade-batch', 'buddy', batch, '--out', join(dir, 'all.json'), '--no-bench', '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^STUDENT +SCORE +% +FAILED\nann +10\/10 +100\nbob +10\/10 +100\ncarla +8\/10 +80\n/);
    expect(r.out).toContain(`gradebook: ${join(dir, 'all.json')}, ${join(dir, 'all.csv')} (5 of 5 submissions)`);
    const book = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8')) as Gradebook;
    expect(book.entries.map((e) => [e.student, e.score.percent])).toEqual([['ann', 100], ['bob', 100], ['carla', 80], ['dmitri', 100], ['eve', 100]]);
    expect(book.settings).toEqual({ bench: false, timeoutMs: 300_000, memoryMb: 4096 });
    const csv = readFileSync(join(dir, 'all.csv'), 'utf8').split('\r\n');
    expect(csv[3]).toBe('carla,80,8,2,0,10,,,,,,1.2,');
  });

  it('shards 2 ways and merge-reports joins them into the same gradebook', async () => {
    for (const i of [1, 2]) {
      const r = await run(['grade-batch', 'page-allocator', batch, '--shard', `${i}/2`, '--no-bench', '--quiet', '--out', join(dir, `s${i}.json`)]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`(${i === 1 ? 3 : 2} of 5 submissions, shard ${i}/2)`);
    }
    const m = await run(['merge-reports', join(dir, 'merged.json'), join(dir, 's2.json'), join(dir, 's1.json')]);
    expect(m.err).toBe('');
    expect(m.code).toBe(0);
    expect(m.out).toContain('(5 of 5 submissions, 2 of 2 shards)');
    const strip = (f: string) => {
      const b = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Gradebook;
      return { ...b, shards: [], hosts: [], entries: b.entries.map(({ durationMs: _d, ...e }) => e) };
    };
    expect(strip('merged.json')).toEqual(strip('all.json'));
    expect(readFileSync(join(dir, 'merged.csv'), 'utf8')).toBe(readFileSync(join(dir, 'all.csv'), 'utf8'));
    const missing = await run(['merge-reports', join(dir, 'm2.json'), join(dir, 's1.json')]);
    expect(missing).toEqual({ code: 2, out: '', err: 'mmkit: shard 2/2 missing (--partial merges what is there)\n' });
    const twice = await run(['merge-reports', join(dir, 'm2.json'), join(dir, 's1.json'), join(dir, 's1.json')]);
    expect(twice.err).toMatch(/^mmkit: shard 1\/2 is in both .*s1.json and .*s1.json\n$/);
    writeFileSync(join(dir, 'bad.json'), '{"schemaVersion": 1}');
    expect((await run(['merge-reports', join(dir, 'm2.json'), join(dir, 'bad.json')])).err).toMatch(/^mmkit: .*bad.json is not an mmkit gradebook: /);
    writeFileSync(join(dir, 'text.json'), 'score: 35/35');
    expect((await run(['merge-reports', join(dir, 'm2.json'), join(dir, 'text.json')])).err).toMatch(/^mmkit: '.*text.json' is not JSON: /);
    expect(existsSync(join(dir, 'm2.json'))).toBe(false);
  });

  it('finds the module of a project `mmkit new` wrote', async () => {
    const project = join(dir, 'new-projects', 'zoe');
    expect((await run(['new', 'page-allocator', project])).code).toBe(0);
    expect(DEFAULT_KIT.gradeBatch).toBeTypeOf('function');
    const { submissionModule } = await import('@mmkit/conformance');
    expect(submissionModule(project)).toEqual({ module: join(project, 'src', 'page-allocator.ts') });
  });

  it('keeps each report with --reports', async () => {
    const real: ConformanceKit = { ...KIT, grade: async (o) => ({ ...(await fakeGrade(o)), rules: [], cases: [] }) };
    const r = await run(['grade-batch', 'buddy', batch, '--quiet', '--out', join(dir, 'r.json'), '--reports', join(dir, 'reports')], real);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'reports', 'eve.json'), 'utf8'))).toMatchObject({ schemaVersion: 1, implementation: 'eve' });
    expect(readFileSync(join(dir, 'reports', 'eve.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('refuses bad input in one line with exit 2, before grading', async () => {
    const refuse = async (args: string[], message: RegExp) => {
      const r = await run(['grade-batch', ...args]);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.code).toBe(2);
    };
    await refuse([], /^mmkit: grade-batch needs a contract and a directory/);
    await refuse(['buddy'], /^mmkit: grade-batch needs a directory of submissions/);
    await refuse(['slab', batch], /^mmkit: unknown contract 'slab'/);
    await refuse(['buddy', join(dir, 'nope')], /^mmkit: no directory '.*nope'/);
    await refuse(['buddy', join(batch, 'ann', 'index.ts')], /is not a directory/);
    await refuse(['buddy', batch, '--shard', '4/3'], /^mmkit: --shard i\/n: i must be in \[1, 3\], got 4/);
    await refuse(['buddy', batch, '--shard', 'x'], /^mmkit: --shard takes i\/n/);
    await refuse(['buddy', batch, '--jobs', '0'], /^mmkit: --jobs takes an integer in \[1, 256\], got '0'/);
    await refuse(['buddy', batch, '--jobs', '2.5'], /^mmkit: --jobs takes an integer/);
    await refuse(['buddy', batch, '--timeout=-1'], /^mmkit: --timeout takes a number of seconds/);
    await refuse(['buddy', batch, '--filter', '('], /^mmkit: --filter '\(' is not a regular expression/);
    await refuse(['buddy', batch, '--out', join(dir, 'no', 'such', 'gb.json')], /^mmkit: --out: cannot write .*the folder .* does not exist/);
    await refuse(['buddy', batch, '--out', dir], /is a folder/);
    await refuse(['buddy', batch, '--out='], /^mmkit: --out is empty\n$/);
    await refuse(['buddy', batch, '--bogus'], /^mmkit: Unknown option '--bogus'/);
  });

  it('shows a progress bar on a terminal, a line per submission elsewhere, nothing with --quiet', async () => {
    let err = '';
    await runGradeBatch([ 'buddy', batch, '--no-bench', '--jobs', '2', '--out', join(dir, 'p.json')], () => undefined, (s) => (err += s), KIT, { isTTY: true, columns: 120 });
    expect(err).toContain('\r\x1b[K[');
    expect(err).toMatch(/\[#+\.*\] \d\/5 graded/);
    expect(err).toMatch(/running: \w+ \d\/\d+/);
    expect(err).toContain('[5/5]');
    expect(err.endsWith('\r\x1b[K')).toBe(true); // the bar is taken off at the end
    err = '';
    await runGradeBatch(['buddy', batch, '--no-bench', '--out', join(dir, 'p.json')], () => undefined, (s) => (err += s), KIT, { isTTY: false });
    expect(err).not.toContain('\r');
    expect(err.trim().split('\n')).toHaveLength(5);
    expect(err).toMatch(/^\[1\/5\] \w+: \d+\/10 rules \(\d+%\), 1.2 s$/m);
    err = '';
    await runGradeBatch(['buddy', batch, '--no-bench', '--quiet', '--out', join(dir, 'p.json')], () => undefined, (s) => (err += s), KIT, { isTTY: true });
    expect(err).toBe('');
  });
});

describe('the progress bar', () => {
  it('counts finished submissions and the cases of the running ones', () => {
    const bar = renderBar({ total: 4, finished: 1, running: new Map([['ann', 24], ['bob', 12]]), casesPerSubmission: 48, elapsedMs: 62_000 }, 120);
    // (1 + 0.5 + 0.25) / 4 = 43%
    expect(bar).toBe('[#############.................] 1/4 graded  43%  1m02s  running: ann 24/48, bob 12/48');
    expect(renderBar({ total: 4, finished: 4, running: new Map(), casesPerSubmission: 48, elapsedMs: 5000 }, 40)).toBe('[##########] 4/4 graded 100%  5s');
    expect(renderBar({ total: 4, finished: 1, running: new Map([['a-very-long-student-name', 1]]), casesPerSubmission: 48, elapsedMs: 0 }, 50).length).toBeLessThanOrEqual(49);
  });

  it('redraws at most every 100 ms between cases', () => {
    let t = 0;
    let out = '';
    const p = new BatchProgress({ write: (s) => (out += s), isTTY: true, columns: 100 }, false, () => t);
    p.handle({ type: 'start', students: ['a'], jobs: 1, casesPerSubmission: 10, shard: { index: 1, count: 1 }, batchSize: 1 });
    p.handle({ type: 'submission-start', student: 'a' });
    const draws = () => out.split('\r\x1b[K[').length - 1;
    const before = draws();
    for (let i = 1; i <= 5; i++) p.handle({ type: 'case', student: 'a', caseName: `c${i}`, casesDone: i });
    expect(draws()).toBe(before);
    t = 150;
    p.handle({ type: 'case', student: 'a', caseName: 'c6', casesDone: 6 });
    expect(draws()).toBe(before + 1);
    expect(out).toContain('running: a 6/10');
  });
});

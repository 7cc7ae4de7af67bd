/**
 * Batches: a directory of submissions graded into a gradebook, whole and in shards, the shards
 * merged. The submissions are the folders of test/fixtures/batch/page-allocator (each with its
 * expected.json) and one generated folder per mutant of the contract. By default a few of them
 * are graded on a few cases (fast); MMKIT_BATCH_FULL=1 grades all of them on the whole suite,
 * with the bench, 1 way and 3 ways.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GRADEBOOK_SCHEMA, allMutants, formatGradebookCsv, formatGradebookJson, grade, gradeBatch, listSubmissions, mergeGradebooks, parseShard, shareOf,
  submissionModule, validateJson, type GradeOptions, type GradeReport, type Gradebook, type GradebookEntry,
} from '../src/index.js';
import { entryFromReport } from '../src/batch/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/batch/page-allocator/', import.meta.url));
const MUTANTS_MODULE = fileURLToPath(new URL('../src/mutants/index.ts', import.meta.url));
const FULL = !!process.env.MMKIT_BATCH_FULL;
const HOSTILE = fileURLToPath(new URL('./fixtures/hostile/', import.meta.url));

/**
 * Hostile submissions of test/fixtures/hostile/ (test/hostile.test.ts checks each in detail),
 * each linked into the batch as a folder of its own: the sandbox stops them, whatever the batch.
 */
const HOSTILE_EXPECTED: Readonly<Record<string, Expected>> = {
  'forge.ts': { error: '^violation: ', percent: 0 },
  'kill-self.ts': { error: '^crash: ', percent: 0 },
  'patch-globals.ts': { error: '^violation: ', percent: 0 },
};

interface Expected {
  readonly rulesFailed?: readonly string[];
  readonly rulesFailedInclude?: readonly string[];
  readonly percent?: number;
  readonly error?: string;
  /** The error when the bench runs (the full run): an allocator that throws while measured ends the run with a fatal error. */
  readonly errorWithBench?: string;
  readonly sameAsReference?: boolean;
  readonly slow?: boolean;
}

/**
 * A batch directory in the temporary folder: a link to each fixture folder (modules resolve
 * from the link's target, inside the repository) and a generated folder per mutant, whose
 * module imports the mutants by absolute path (the grader bundles it). Returns the expectations by student.
 */
async function buildBatch(dir: string, pick?: readonly string[]): Promise<Map<string, Expected>> {
  const expected = new Map<string, Expected>();
  for (const name of readdirSync(FIXTURES)) {
    if (name.endsWith('.md') || (pick && !pick.includes(name))) continue;
    const e = JSON.parse(readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
    if (e.slow && !FULL) continue;
    symlinkSync(path.join(FIXTURES, name), path.join(dir, name), 'dir');
    expected.set(name, e);
  }
  for (const m of await allMutants()) {
    const student = `mutant-${m.id}`;
    if (m.contract !== 'page-allocator' || (pick && !pick.includes(student))) continue;
    mkdirSync(path.join(dir, student));
    writeFileSync(
      path.join(dir, student, 'index.ts'),
      `import { MUTANTS } from ${JSON.stringify(MUTANTS_MODULE)};\nexport default MUTANTS.find((m) => m.id === ${JSON.stringify(m.id)})!.factory;\n`,
    );
    expected.set(student, { rulesFailedInclude: [m.breaks] });
  }
  for (const [file, e] of Object.entries(HOSTILE_EXPECTED)) {
    const student = `hostile-${file.replace(/\.ts$/, '')}`;
    if (pick ? !pick.includes(student) : !FULL) continue;
    mkdirSync(path.join(dir, student));
    symlinkSync(path.join(HOSTILE, file), path.join(dir, student, 'index.ts'));
    expected.set(student, e);
  }
  return expected;
}

function checkRow(e: GradebookEntry, x: Expected): void {
  const where = e.student;
  if (x.rulesFailed) expect(e.rulesFailed, where).toEqual(x.rulesFailed);
  for (const id of x.rulesFailedInclude ?? []) expect(e.rulesFailed, where).toContain(id);
  if (x.rulesFailedInclude) expect(e.score.percent, where).toBeLessThan(100);
  if (x.percent !== undefined) expect(e.score.percent, where).toBe(x.percent);
  const error = FULL && x.errorWithBench ? x.errorWithBench : x.error;
  if (error) expect(e.error, where).toMatch(new RegExp(error));
  else expect(e.error, where).toBeUndefined();
}

/** What must not depend on how the batch was split: everything but timings, throughput and hosts. */
function verdicts(book: Gradebook) {
  return {
    contract: book.contract,
    settings: book.settings,
    submissions: book.submissions,
    complete: book.complete,
    // A timeout's message says how long into the case it was: a timing, like durationMs.
    entries: book.entries.map(({ durationMs: _d, throughput: _t, throughputVsReference: _r, ...rest }) => ({ ...rest, ...(rest.error ? { error: rest.error.replace(/\(\d+ ms into the case\)/, '(N ms into the case)') } : {}) })),
  };
}

describe('the gradebook schema', () => {
  it('is published as conformance/schema/gradebook.schema.json (MMKIT_UPDATE_SCHEMA=1 rewrites it)', () => {
    const file = fileURLToPath(new URL('../schema/gradebook.schema.json', import.meta.url));
    const text = `${JSON.stringify(GRADEBOOK_SCHEMA, null, 2)}\n`;
    if (process.env.MMKIT_UPDATE_SCHEMA) writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('submissions', () => {
  it('finds each folder\'s module: package.json "main", index.*, or the one module file', () => {
    expect(submissionModule(path.join(FIXTURES, 'delegates'))).toEqual({ module: path.join(FIXTURES, 'delegates', 'src', 'allocator.ts') });
    expect(submissionModule(path.join(FIXTURES, 'reference'))).toEqual({ module: path.join(FIXTURES, 'reference', 'index.ts') });
    expect(submissionModule(path.join(FIXTURES, 'leaks'))).toEqual({ module: path.join(FIXTURES, 'leaks', 'my-allocator.mts') });
    expect(submissionModule(path.join(FIXTURES, 'two-modules'))).toEqual({ error: expect.stringMatching(/^2 module files in the folder \(first.ts, second.ts\)/) as unknown });
    expect(submissionModule(path.join(FIXTURES, 'no-module'))).toEqual({ error: expect.stringMatching(/^no module/) as unknown });
  });

  it('lists folders in code-unit order and shares them round robin, every one in exactly one shard', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mmkit-list-'));
    try {
      for (const n of ['b', 'a', 'B', 'node_modules', '.git', 'c10', 'c9']) mkdirSync(path.join(dir, n));
      writeFileSync(path.join(dir, 'notes.txt'), '');
      const names = listSubmissions(dir).map((s) => s.student);
      expect(names).toEqual(['B', 'a', 'b', 'c10', 'c9']);
      const shards = [1, 2, 3].map((i) => shareOf(names, { index: i, count: 3 }));
      expect(shards).toEqual([['B', 'c10'], ['a', 'c9'], ['b']]);
      expect(shards.flat().sort()).toEqual([...names].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => listSubmissions('/nonexistent/batch')).toThrow(/^no directory \/nonexistent\/batch$/);
  });

  it('parses --shard i/n and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('0/3')).toMatch(/i must be in \[1, 3\]/);
    expect(parseShard('4/3')).toMatch(/i must be in \[1, 3\]/);
    expect(parseShard('1/0')).toMatch(/n must be in/);
    expect(parseShard('1')).toMatch(/takes i\/n/);
    expect(parseShard('')).toMatch(/takes i\/n/);
  });
});

describe('gradebooks from a fake grader', () => {
  // grade() replaced by a function of the module's name: fast, and any split gives the same verdicts.
  const fakeGrade = async (o: GradeOptions): Promise<GradeReport> => {
    const name = path.basename(path.dirname(o.module!));
    const failing = name.length % 3;
    await new Promise((r) => setTimeout(r, name.length));
    return {
      contract: 'page-allocator', implementation: name, rules: [], cases: [], durationMs: 5,
      score: { passed: 10 - failing, failed: failing, notProvided: 0, total: 10, percent: (10 - failing) * 10 },
    };
  };
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mmkit-fake-batch-'));
    for (const s of ['ann', 'bob', 'carl', 'dora', 'ed', 'fay', 'gus']) {
      mkdirSync(path.join(dir, s));
      writeFileSync(path.join(dir, s, 'index.ts'), 'export default () => null;\n');
    }
    mkdirSync(path.join(dir, 'hal'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merges 3 shards into the gradebook of 1, and refuses overlaps, strangers and gaps', async () => {
    const opts = { contract: 'buddy', dir, grade: fakeGrade, bench: false, jobs: 2 } as const;
    const whole = await gradeBatch(opts);
    expect(whole.entries.map((e) => e.student)).toEqual(['ann', 'bob', 'carl', 'dora', 'ed', 'fay', 'gus', 'hal']);
    expect(whole.entries.find((e) => e.student === 'hal')!.error).toMatch(/^no module/);
    expect(whole.complete).toBe(true);
    const shards = await Promise.all([1, 2, 3].map((index) => gradeBatch({ ...opts, shard: { index, count: 3 } })));
    expect(shards.map((s) => s.entries.length)).toEqual([3, 3, 2]);
    const files = shards.map((book, i) => ({ file: `shard${i + 1}.json`, book: JSON.parse(formatGradebookJson(book)) as unknown }));
    const merged = mergeGradebooks(files);
    expect(verdicts(merged)).toEqual(verdicts(whole));
    expect(merged.shards).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
    expect(formatGradebookCsv(merged).replace(/,\d+\.\d,/g, ',T,')).toBe(formatGradebookCsv(whole).replace(/,\d+\.\d,/g, ',T,'));
    for (const b of [whole, merged, ...shards]) expect(validateJson(JSON.parse(formatGradebookJson(b)), GRADEBOOK_SCHEMA)).toEqual([]);

    expect(() => mergeGradebooks([files[0], files[1], files[1]])).toThrow('shard 2/3 is in both shard2.json and shard2.json');
    expect(() => mergeGradebooks([files[0], files[2]])).toThrow('shard 2/3 missing (--partial merges what is there)');
    expect(mergeGradebooks([files[0], files[2]], { partial: true })).toMatchObject({ complete: false, shards: [{ index: 1 }, { index: 3 }] });
    const slab = { file: 'slab.json', book: { ...(files[1].book as Gradebook), contract: 'slab-allocator' } };
    expect(() => mergeGradebooks([files[0], slab, files[2]])).toThrow('slab.json grades the slab-allocator contract, shard1.json the page-allocator contract');
    const other = { file: 'other.json', book: { ...(files[1].book as Gradebook), submissions: { count: 9, namesHash: '0123456789abcdef' } } };
    expect(() => mergeGradebooks([files[0], other, files[2]])).toThrow(/other.json and shard1.json come from different batches/);
    const settings = { file: 'seeded.json', book: { ...(files[1].book as Gradebook), settings: { ...(files[1].book as Gradebook).settings, seed: 7 } } };
    expect(() => mergeGradebooks([files[0], settings, files[2]])).toThrow(/seeded.json was graded with other settings/);
    const twice = { file: 'twice.json', book: { ...(files[1].book as Gradebook), shards: [{ index: 3, count: 3 }], entries: (files[0].book as Gradebook).entries } };
    expect(() => mergeGradebooks([files[0], twice])).toThrow(/student "ann" is in both shard1.json and twice.json/);
    expect(() => mergeGradebooks([{ file: 'report.json', book: { schemaVersion: 1, contract: 'page-allocator' } }])).toThrow(/^report.json is not an mmkit gradebook: \(the document\): the property 'kind' is missing/);
  });

  it("takes each row's fingerprint from the report's: a page allocator's free lists count, a slab allocator has one too", () => {
    const base: GradeReport = { contract: 'page-allocator', implementation: 'x', rules: [], cases: [], durationMs: 1, score: { passed: 1, failed: 0, notProvided: 0, total: 1, percent: 100 } };
    const state = { freePages: 1, largestFreeOrder: 0, unusableFreeIndex: { order: 9, value: 1 } };
    // The same allocations as the reference, other free lists after them: not the reference's decisions.
    const page = entryFromReport('p', undefined, {
      ...base,
      fragmentation: { ...state, machine: 'm', seed: 1, steps: 1, allocatedPages: 0, freeBlocksPerOrder: [1], allocationHash: '0000abcd', reference: { ...state, freeBlocksPerOrder: [0, 1], allocationHash: '0000abcd' } },
      fingerprint: { allocationHash: '0000abcd', referenceAllocationHash: '0000abcd', reference: '@mmkit/buddy', sameAsReference: false },
    });
    expect(page).toMatchObject({ fingerprint: '0000abcd', sameAsReference: false });
    const f = { activeObjs: 1, numObjs: 2, slabPages: 1, allocationHash: '1234abcd', stateHash: '00000001' };
    const slab = entryFromReport('s', undefined, {
      ...base, contract: 'slab-allocator',
      slabFragmentation: { ...f, machine: 'm', seed: 1, steps: 1, references: [{ implementation: '@mmkit/slub', ...f }] },
      fingerprint: { allocationHash: '1234abcd', referenceAllocationHash: '1234abcd', reference: '@mmkit/slub', sameAsReference: true },
    });
    expect(slab).toMatchObject({ fingerprint: '1234abcd', sameAsReference: true });
  });

  it('writes CSV a spreadsheet reads: quoted fields, no formulas', () => {
    const book = { entries: [{ student: '=HYPERLINK("x")', score: { passed: 1, failed: 0, notProvided: 0, total: 1, percent: 100 }, rulesFailed: [], durationMs: 1500, error: 'a, "b"\nc' }] } as unknown as Gradebook;
    const [head, row] = formatGradebookCsv(book).split('\r\n');
    expect(head).toBe('student,percent,passed,failed,not_provided,total,rules_failed,throughput,throughput_vs_reference,fingerprint,same_as_reference,duration_s,error');
    expect(row).toBe(`"'=HYPERLINK(""x"")",100,1,0,0,1,,,,,,1.5,"a, ""b""\nc"`);
  });
});

describe('grade-batch on real submissions', () => {
  // The fast default: three submissions (two graded, one without a module), the cases of one rule, no bench.
  const pick = FULL ? undefined : ['reference', 'no-module', 'mutant-buddy-never-coalesces'];
  // The default run's subject is the batch (its pool, shards and gradebook), not the isolation: its
  // two grades, each twice, run on the permission layer (a bwrap grade costs 3-4 s of CPU against
  // about 1 s); MMKIT_BATCH_FULL and MMKIT_HOSTILE=full grade on the default layer, as grade-batch does.
  const permission = { grade: (o: GradeOptions) => grade({ ...o, sandbox: 'permission' }) };
  const settings = FULL ? { propertyRuns: 20, bench: true, timeoutMs: 300_000 } : { filter: 'free\\.coalesce', bench: false, timeoutMs: 60_000, ...(process.env.MMKIT_HOSTILE === 'full' ? {} : permission) };
  let dir: string;
  let expected: Map<string, Expected>;
  let whole: Gradebook;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mmkit-batch-'));
    expected = await buildBatch(dir, pick);
    whole = await gradeBatch({ contract: 'page-allocator', dir, ...settings, jobs: 2 });
  }, FULL ? 3_600_000 : 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('grades every submission into the expected gradebook', () => {
    expect(whole.entries.map((e) => e.student)).toEqual([...expected.keys()].sort((a, b) => (a < b ? -1 : 1)));
    for (const e of whole.entries) checkRow(e, expected.get(e.student)!);
    if (FULL) {
      expect(whole.entries.length).toBeGreaterThanOrEqual(20);
      for (const e of whole.entries) {
        const x = expected.get(e.student)!;
        if (x.sameAsReference !== undefined) expect(e.sameAsReference, e.student).toBe(x.sameAsReference);
        if (!e.error) expect(e.fingerprint, e.student).toMatch(/^[0-9a-f]{8}$/);
      }
      expect(whole.entries.find((e) => e.student === 'mutant-buddy-never-coalesces')!.sameAsReference).toBe(false);
    }
    expect(validateJson(JSON.parse(formatGradebookJson(whole)), GRADEBOOK_SCHEMA)).toEqual([]);
  });

  it('gives the same gradebook sharded 3 ways and merged', async () => {
    // The three shards at once, as three machines would run them.
    const shards = await Promise.all([1, 2, 3].map((index) => gradeBatch({ contract: 'page-allocator', dir, ...settings, jobs: FULL ? 1 : 2, shard: { index, count: 3 } })));
    const merged = mergeGradebooks(shards.map((book, i) => ({ file: `shard-${i + 1}`, book: JSON.parse(formatGradebookJson(book)) as unknown })));
    expect(verdicts(merged)).toEqual(verdicts(whole));
  }, FULL ? 3_600_000 : 180_000);
});

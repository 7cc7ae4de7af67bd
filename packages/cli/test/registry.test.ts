/**
 * Adding a contract is adding a folder and one registry line. This test copies the conformance
 * kit's sources, adds a throwaway contract (a counter: its descriptor, one rule, a suite, a
 * mutant) and its line in the copy's registry, and checks that the grader, the CLI
 * (`mmkit grade NAME`, `mmkit mutants`), and the README tables pick it up with no other edit.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import type { ConformanceKit } from '../src/kit.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

const TOY = {
  'index.ts': `/** A throwaway contract: a counter. */
import { defineContract } from '../../contract.js';
import { TOY_RULES } from './rules.js';
import { toySuite, reference, type CounterFactory } from './suite.js';

export default defineContract<CounterFactory>({
  id: 'toy-counter',
  aliases: ['counter'],
  title: 'a counter that counts',
  core: { contract: 'Counter', factory: 'CounterFactory', file: 'none' },
  implementations: ['@mmkit/toy-counter'],
  rules: TOY_RULES,
  suite: toySuite,
  factoryExports: ['createCounter'],
  factoryPattern: /^create\\w*Counter$/,
  defaultImplementation: 'the reference counter',
  identify: (factory) => ({ implementation: (factory ?? reference)().name, supports: {} }),
  bench: () => ({}),
  mutants: async () => (await import('./mutants.js')).TOY_MUTANTS,
});
`,
  'rules.ts': `import type { Rule } from '../../rules/types.js';

export const TOY_RULES: readonly Rule[] = [
  { id: 'toy-counter.inc.adds-one', contract: 'toy-counter', text: 'inc() adds one to the value.', source: { kind: 'man', ref: 'counter(3)' } },
];
`,
  'suite.ts': `import * as assert from '../../assert.js';
import type { Suite } from '../../suite.js';

export interface Counter { readonly name: string; inc(): void; value(): number }
export type CounterFactory = () => Counter;
export const reference: CounterFactory = () => {
  let n = 0;
  return { name: 'reference counter', inc: () => void n++, value: () => n };
};

export const toySuite: Suite<CounterFactory | undefined> = {
  contract: 'toy-counter',
  cases: [
    {
      name: 'inc adds one',
      rules: ['toy-counter.inc.adds-one'],
      run(ctx) {
        const c = (ctx.factory ?? reference)();
        c.inc();
        c.inc();
        assert.equal(c.value(), 2, 'value after two inc()');
      },
    },
  ],
};
`,
  'mutants.ts': `import type { MutantOf } from '../../mutants/types.js';
import type { CounterFactory } from './suite.js';

export const TOY_MUTANTS: readonly MutantOf<CounterFactory>[] = [
  {
    id: 'toy-counter-adds-two',
    contract: 'toy-counter',
    breaks: 'toy-counter.inc.adds-one',
    description: 'inc() adds two (a bug, for this test).',
    source: { kind: 'man', ref: 'counter(3)' },
    factory: () => {
      let n = 0;
      return { name: 'counter (mutant: adds two)', inc: () => void (n += 2), value: () => n };
    },
  },
];
`,
};

let dir = '';
let kit: ConformanceKit & { contractTableMarkdown(): string; mutantTableMarkdown(m: readonly unknown[]): string };
const savedTmpdir = process.env.TMPDIR;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmkit-registry-'));
  // The copy's grader bundle is cached under the system's temporary folder, keyed by the copy's
  // path (new each run): here it goes in the copy's folder, removed with it (os.tmpdir() reads TMPDIR on each call).
  mkdirSync(join(dir, 'tmp'));
  process.env.TMPDIR = join(dir, 'tmp');
  cpSync(join(repo, 'conformance/src'), join(dir, 'src'), { recursive: true });
  // The copy resolves @mmkit/* and its other dependencies from the repository.
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'registry-copy', type: 'module', private: true }));
  const folder = join(dir, 'src/contracts/toy-counter');
  mkdirSync(folder);
  for (const [name, text] of Object.entries(TOY)) writeFileSync(join(folder, name), text);
  // The one registry line.
  const registry = join(dir, 'src/contracts/registry.ts');
  const text = readFileSync(registry, 'utf8');
  expect(text).toContain('\n];');
  writeFileSync(registry, text.replace('\n];', "\n  (await import('./toy-counter/index.js')).default,\n];"));
  // eslint-disable-next-line mmkit/layers -- the copy of @mmkit/conformance this test made, in a temporary directory
  kit = (await import(pathToFileURL(join(dir, 'src/index.ts')).href)) as typeof kit;
}, 60_000);

afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s), kit);
  return { code, out, err };
}

describe('a contract added as a folder and one registry line', () => {
  it('is known by id and alias, next to the others', () => {
    expect(kit.CONTRACT_NAMES).toEqual(expect.arrayContaining(['page-allocator', 'buddy', 'slab-allocator', 'toy-counter', 'counter']));
    expect(kit.contractByName('counter')?.id).toBe('toy-counter');
  });

  it('is graded by the grader in its worker: the reference passes, the mutant fails its rule', async () => {
    const ok = await kit.grade({ contract: 'toy-counter', bench: false, timeoutMs: 60_000 });
    expect(ok.error).toBeUndefined();
    expect(ok.implementation).toBe('reference counter');
    expect(ok.score).toMatchObject({ passed: 1, failed: 0, total: 1 });
    const bad = await kit.grade({ contract: 'counter', mutant: 'toy-counter-adds-two', bench: false, timeoutMs: 60_000 });
    expect(bad.rules.map((r) => [r.id, r.status])).toEqual([['toy-counter.inc.adds-one', 'fail']]);
  });

  it('is graded by `mmkit grade NAME`, listed by `mmkit mutants` and `mmkit grade --help`', async () => {
    const graded = await run('grade', 'toy-counter', '--no-bench');
    expect(graded.code).toBe(0);
    expect(graded.out).toMatch(/^PASS +toy-counter\.inc\.adds-one/m);
    const mutant = await run('grade', 'toy-counter', '--mutant', 'toy-counter-adds-two', '--no-bench');
    expect(mutant.code).toBe(1);
    expect((await run('mutants')).out).toMatch(/^toy-counter-adds-two +toy-counter: breaks toy-counter\.inc\.adds-one/m);
    expect((await run('grade', '--help')).out).toContain('toy-counter, counter: a counter that counts');
    const wrong = await run('grade', 'toy-counter', '--mutant', 'buddy-never-coalesces');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("mutant 'buddy-never-coalesces' is a mutant of page-allocator, not of toy-counter");
  }, 120_000);

  it('appears in the README tables generated from the registry', async () => {
    expect(kit.contractTableMarkdown()).toMatch(/^\| `toy-counter`, `counter` \| a counter that counts \| `Counter` \(`CounterFactory`\) \| `@mmkit\/toy-counter` \| 1 \| 1 \|$/m);
    expect(kit.mutantTableMarkdown(await kit.allMutants())).toContain('| `toy-counter-adds-two` | toy-counter | `toy-counter.inc.adds-one` |');
  });
});

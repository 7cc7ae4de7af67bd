// mmkit fuzz: the address-spaces target runs (a short campaign here) and bad arguments are one line, exit 2.
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('mmkit fuzz', () => {
  it('runs the address-spaces campaign and reports it', async () => {
    const r = await run('fuzz', 'address-spaces', '--ops', '40', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ok: boolean; ops: number; seed: number };
    expect(j).toMatchObject({ ok: true, ops: 40, seed: 3 });
    const t = await run('fuzz', 'address-spaces', '--ops', '10');
    expect(t.out).toMatch(/^address-spaces: 10 operations, seed 1, every step agreed/);
  });

  it('refuses a bad target or option with one line and exit 2', async () => {
    for (const argv of [['fuzz'], ['fuzz', 'nothing'], ['fuzz', 'address-spaces', '--ops', '-1'], ['fuzz', 'address-spaces', '--fail', '101'], ['fuzz', 'address-spaces', 'x']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect((await run('fuzz', '--help')).out).toContain('usage: mmkit fuzz TARGET');
  });
});

/** Issue 10, item 8: names a user gives are keys, never properties of Object.prototype. */
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function expectRefusal(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(pattern);
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
}

describe('mmkit: prototype names are names like any other', () => {
  it.each(PROTO_NAMES)('boot --show %s is an unknown view', async (name) => {
    expectRefusal(await run('boot', '--mem', '64M', '--show', name), new RegExp(`unknown view '${name}'`));
  });
  it.each(PROTO_NAMES)('boot --preset %s is an unknown preset', async (name) => {
    expectRefusal(await run('boot', '--preset', name), new RegExp(`unknown preset '${name}'`));
  });
  it.each(PROTO_NAMES)('boot --sysctl %s=1 is no such sysctl', async (name) => {
    expectRefusal(await run('boot', '--mem', '64M', '--sysctl', `${name}=1`), new RegExp(`sysctl ${name}=1: no such sysctl`));
  });
  it.each(PROTO_NAMES)('boot --mutant %s and grade with it are unknown', async (name) => {
    expectRefusal(await run('boot', '--mem', '64M', '--mutant', name), new RegExp(`unknown mutant '${name}'`));
    expectRefusal(await run('grade', name), new RegExp(`unknown contract '${name}'`));
  });
});

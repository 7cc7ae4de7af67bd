// The grader's bundle cache (src/grader/sandbox/bundle.ts) under two grades started at once in
// one process on a cold cache, as grade-batch's pool starts them: both build, both land.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { graderBundle } from '../src/grader/sandbox/bundle.js';

const saved = process.env.TMPDIR;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mmkit-bundle-test-'));
afterAll(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
  rmSync(tmp, { recursive: true, force: true });
});

it('builds the grader bundle twice at once on a cold cache without a collision', async () => {
  process.env.TMPDIR = tmp; // os.tmpdir() reads it on each call: a cache nobody built
  const [a, b] = await Promise.all([graderBundle(true), graderBundle(true)]);
  expect(a.file).toBe(b.file);
  expect(readdirSync(path.dirname(a.file)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

// The grader's bundle cache (src/grader/sandbox/bundle.ts) under two grades started at once in
// one process on a cold cache, as grade-batch's pool starts them: both build, both land.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
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
  // The child's threads (under bwrap) start from bundles of their own, without the suites the child's holds.
  const size = (name: string) => statSync(path.join(a.dir, name)).size;
  expect(readdirSync(a.dir).filter((f) => f.endsWith('.mjs')).sort()).toEqual(['child.mjs', 'isolate.mjs', 'watchdog.mjs']);
  expect(size('watchdog.mjs')).toBeLessThan(size('child.mjs') / 10);
  expect(size('isolate.mjs')).toBeLessThan(size('child.mjs') / 2);
  expect(readFileSync(path.join(a.dir, 'isolate.mjs'), 'utf8')).not.toContain('page-allocator.free.coalesce');
});

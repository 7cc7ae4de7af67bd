// No file git tracks holds a merge-conflict marker: one in a help text reached users unseen
// (mmkit grade --help showed "<<<<<<< HEAD" ... ">>>>>>>" after a rebase).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../eslint/workspace.js';

const MARKER = /^(<{7} |>{7} |={7}$)/m;
const TEXT = /\.(ts|mts|js|mjs|json|md|yml|yaml|txt)$/;

describe('the tracked files', () => {
  it('hold no merge-conflict marker', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => TEXT.test(f) && !f.includes('/fixtures/'));
    expect(files.length).toBeGreaterThan(100);
    const marked = files.filter((f) => MARKER.test(readFileSync(path.join(REPO_ROOT, f), 'utf8')));
    expect(marked).toEqual([]);
  });
});

// Totals the vitest JSON reports (reports/vitest/**.json: all.json from the root run of every
// project that `npm test` makes, or one per package from `nx run-many -t test`) into the closing
// line CI reads: "tests: N passed, N failed, N skipped". With --clean, removes old reports.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = new URL('../reports/vitest/', import.meta.url).pathname;
if (process.argv.includes('--clean')) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
/** @type {string[]} */
const files = [];
/** @param {string} d */
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.json')) files.push(p);
  }
};
if (existsSync(dir)) walk(dir);
let passed = 0;
let failed = 0;
let skipped = 0;
/** Projects (package folders) with tests in the reports: packages/X, conformance, tools. */
const projects = new Set();
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  for (const t of r.testResults ?? []) {
    const parts = relative(root, t.name).split('/');
    projects.add(parts[0] === 'packages' ? parts.slice(0, 2).join('/') : parts[0]);
  }
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log(`\n${projects.size} packages tested`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || projects.size === 0 ? 1 : 0);

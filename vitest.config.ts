// `npm test` runs every project's tests in one vitest process (test.projects): one worker pool
// for all test files, so the long files start first and the 2 cores stay busy, and vitest
// starts once instead of once per package. Each project keeps its own vitest.config.ts
// (vitest.shared.ts), which `cd packages/X && npx vitest run` uses alone. One JSON report,
// reports/vitest/all.json, feeds tools/test-summary.mjs. It uses every core (vitest's default
// leaves one free: one worker on 2 cores); lint and typecheck share them only for their first
// half minute.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  test: {
    projects: ['packages/*', 'conformance', 'tools'],
    maxWorkers: availableParallelism(),
    reporters: ['default', 'json'],
    outputFile: { json: resolve(root, 'reports/vitest/all.json') },
  },
});

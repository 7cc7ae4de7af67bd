// `npm test` runs every project's tests in one vitest process (test.projects): one worker pool
// for all test files, so the long files start first and the 2 cores stay busy, and vitest
// starts once instead of once per package. Each project keeps its own vitest.config.ts
// (vitest.shared.ts), which `cd packages/X && npx vitest run` uses alone. One JSON report,
// reports/vitest/all.json, feeds tools/test-summary.mjs.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  test: {
    projects: ['packages/*', 'conformance', 'tools'],
    reporters: ['default', 'json'],
    outputFile: { json: resolve(root, 'reports/vitest/all.json') },
  },
});

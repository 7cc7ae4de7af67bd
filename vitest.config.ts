// `npm test` runs every project's tests in one vitest process (test.projects): one worker pool
// for all test files, so the long files start first and the 2 cores stay busy, and vitest
// starts once instead of once per package. Each project keeps its own vitest.config.ts
// (vitest.shared.ts), which `cd packages/X && npx vitest run` uses alone. One JSON report,
// reports/vitest/all.json, feeds tools/test-summary.mjs. It uses one worker more than the
// cores (vitest's default leaves one free: one worker on 2 cores): many files wait on child
// processes (sandboxed grades, the CLI), and the third worker fills those waits. On an idle
// 2-core machine the whole `npm test` took 2 min 37 s with 2 workers, 2 min 5 s with 3 and
// 2 min 16 s with 4 (one run each). Lint and typecheck share the cores only for their first
// half minute.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  test: {
    projects: ['packages/*', 'conformance', 'tools'],
    maxWorkers: availableParallelism() + 1,
    reporters: ['default', 'json'],
    outputFile: { json: resolve(root, 'reports/vitest/all.json') },
  },
});

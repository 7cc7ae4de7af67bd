// `npm test` runs every package's tests in one vitest process and one project: one worker pool
// for all test files. Each package keeps its own vitest.config.ts (vitest.shared.ts), which
// `cd packages/X && npx vitest run` uses alone; here the same settings cover every package's
// files at once. One project, not one per package (test.projects): vitest runs projects one
// after another, by name, and a worker (isolate: false, so it loads tsx and the packages once)
// serves one project only, so with projects the cores idled while each package's last long
// file ran alone and while the next package's workers started. One JSON report,
// reports/vitest/all.json, feeds tools/test-summary.mjs. It uses one worker more than the cores
// (vitest's default leaves one free: one worker on 2 cores): many files wait on child processes
// (sandboxed grades, the CLI), and the third worker fills those waits (a fourth gained nothing:
// 88 s either way). `npm test` runs check-all (tools/check-all.mjs: the type check and the lint on
// one TypeScript program, about 30 s) beside test-all (vitest, 87 s alone), nx --parallel=2. (Lint
// and typecheck as two targets, all three at once, took 121 s against 114 s for two at a time,
// and one at a time 122 s: a fresh clone, idle machine, one window.)
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'conformance/test/**/*.test.ts', 'tools/test/**/*.test.ts'],
      maxWorkers: availableParallelism() + 1,
      outputFile: { json: resolve(root, 'reports/vitest/all.json') },
    },
  }),
);

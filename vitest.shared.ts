// One vitest configuration for every workspace package: workspace packages resolve to their
// TypeScript sources (the "source" export condition), so tests need no build step. Each run
// also writes a JSON report under reports/vitest/ that tools/test-summary.mjs totals.
//
// Tests run on Node's own module loader with tsx (as `npm run mmkit` does), not through Vite's
// module runner (experimental.viteModuleRunner: false): the runner turns every imported binding
// into a getter on a module object, and the simulator's hot paths, which call across modules on
// every operation, ran 3-5x slower under it (1M SLUB 64 B alloc+free pairs: 400-700 ms of CPU
// against 135-160 ms natively; buddy order-0: 1.2-2.2 s against 0.21 s). tsx's loader hooks
// need child processes on Node 20 (pool 'forks'; a worker's --import does not apply), and a
// process reused across test files (isolate: false) starts tsx and loads the packages once per
// worker instead of once per file. No test mocks modules (vi.mock needs the runner) or keeps
// state between files: every kernel, allocator and suite is made by the test that uses it.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const project = relative(root, process.cwd()) || 'root';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    isolate: false,
    execArgv: ['--conditions=source', '--import', 'tsx'],
    experimental: { viteModuleRunner: false, nodeLoader: false },
    reporters: ['default', 'json'],
    outputFile: { json: resolve(root, 'reports/vitest', `${project}.json`) },
  },
});

// One vitest configuration for every workspace package: workspace packages resolve to their
// TypeScript sources (the "source" export condition), so tests need no build step. Each run
// also writes a JSON report under reports/vitest/ that tools/test-summary.mjs totals.
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
    pool: 'threads',
    reporters: ['default', 'json'],
    outputFile: { json: resolve(root, 'reports/vitest', `${project}.json`) },
  },
});

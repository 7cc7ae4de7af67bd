// The page-allocator suite run through the vitest adapter against the kernel's default
// allocator (@mmkit/buddy): what a contributor does with '@mmkit/conformance/vitest'.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSlabAllocator } from '@mmkit/slab';
import { pageAllocatorSuite, slabAllocatorSuite } from '../src/index.js';
import { describeSuite } from '../src/vitest.js';

describeSuite(pageAllocatorSuite, undefined);
describeSuite(slabAllocatorSuite, undefined, { label: 'SLUB, the default' });
describeSuite(slabAllocatorSuite, createSlabAllocator, { label: 'SLAB' });

describe('package exports', () => {
  it('exposes the suite and the vitest adapter', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { source: string; default: string } | string> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './vitest', './mutants', './grade-report.schema.json', './gradebook.schema.json']);
    expect(pkg.exports['./vitest']).toMatchObject({ default: './dist/vitest.js' });
    for (const e of Object.values(pkg.exports)) expect(existsSync(new URL(`../${typeof e === 'string' ? e : e.source}`, import.meta.url))).toBe(true);
  });
});

// One flat config for the whole repository. Besides typescript-eslint's type-checked rules it
// enforces the dependency rules of DESIGN.md:
//  - core imports nothing from the repository;
//  - a subsystem package imports only @mmkit/core;
//  - kernel imports core and the default implementations, never conformance or cli;
//  - conformance suites and the grader import core and kernel only (mutants, which are old
//    versions of reference implementations, may import the implementation they mutate);
//  - no package reaches into another through a relative path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SUBSYSTEMS = ['hw-x86', 'hypervisor-xen', 'buddy', 'slub', 'slab', 'cma', 'memcg', 'migrate', 'hmm', 'swap', 'gup', 'mmap'];
const outOfPackage = { group: ['../../*', '../../../*', '../../../../*'], message: 'Import another package by its name (@mmkit/...), never through a relative path.' };
// conformance/src/contracts/<id>/suite/*.ts sits four folders deep in its package.
const outOfConformance = { group: ['../../../../*', '../../../../../*'], message: outOfPackage.message };
const only = (allowed, why) => ({
  group: ['@mmkit/*', ...allowed.map((a) => `!@mmkit/${a}`)],
  message: why,
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '.nx/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.ts', 'packages/*/*.ts', 'conformance/*.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_(?!_)', varsIgnorePattern: '^_(?!_)' }], // Linux's __names are names, not "unused" marks
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outOfPackage, only([], 'core depends on nothing in the repository (DESIGN.md).')] }] },
  },
  {
    files: SUBSYSTEMS.map((s) => `packages/${s}/src/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [outOfPackage, only(['core'], 'A subsystem package depends on @mmkit/core alone (DESIGN.md): reach other subsystems through the contracts handed over at boot.')] }] },
  },
  {
    files: ['packages/kernel/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outOfPackage, { group: ['@mmkit/conformance', '@mmkit/cli'], message: 'kernel depends on core and the default implementations only.' }] }] },
  },
  {
    files: ['conformance/src/**/*.ts'],
    ignores: ['conformance/src/contracts/*/mutants.ts', 'conformance/src/contracts/*/mutants/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outOfConformance, only(['core', 'kernel'], 'Suites and the grader are written against contracts: import @mmkit/core and @mmkit/kernel only.')] }] },
  },
  {
    files: ['conformance/src/contracts/*/mutants.ts', 'conformance/src/contracts/*/mutants/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [outOfConformance, { group: ['@mmkit/cli'], message: 'Mutants do not depend on the CLI.' }] }] },
  },
  {
    files: ['**/*.test.ts', 'tools/**/*.ts', '**/bench/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);

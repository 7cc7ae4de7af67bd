// One flat config for the whole repository. Besides typescript-eslint's type-checked rules it
// enforces the dependency rules of docs/architecture.md ("How the pieces depend on each other")
// with the local rule mmkit/layers (tools/eslint/mmkit-layers.js), which denies by default: the
// layer table (tools/eslint/layers.js, kept equal to the doc's table by a test in tools/) says
// what each package may import, every @mmkit/* import must be a declared dependency, and no
// relative import leaves its package. It covers every file of every workspace package (src,
// test, bench, scripts, configuration) and import(), import types and require() as well.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import mmkit from './tools/eslint/mmkit-layers.js';
import { ROOT_PROGRAM_FILES, ROOT_PROGRAM_IGNORES } from './tools/eslint/root-program.js';

// Type information: the repository's files are typed by one TypeScript program, the root
// tsconfig.json (the one `npm run typecheck` checks), built once per ESLint run instead of once
// per package (the project service made one program per package tsconfig, re-reading core and
// the libs each time: lint took 2.5x the CPU). ROOT_PROGRAM_FILES (tools/eslint/root-program.js)
// mirror that tsconfig's include. Anything else, such as a package under a dot name
// (tools/test/lint-layers.test.ts makes some), still gets its types from the project service
// through its nearest tsconfig.json.

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '.nx/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_(?!_)', varsIgnorePattern: '^_(?!_)' }], // Linux's __names are names, not "unused" marks
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ROOT_PROGRAM_FILES,
    ignores: ROOT_PROGRAM_IGNORES,
    languageOptions: { parserOptions: { projectService: false, project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx}'],
    plugins: { mmkit },
    rules: { 'mmkit/layers': ['error', { root: import.meta.dirname }] },
  },
  {
    files: ['**/*.test.ts', 'tools/**/*.ts', '**/bench/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain JS here is Node tooling (tools/), type-checked by tsc with checkJs: TypeScript, not
    // no-undef, knows Node's globals.
    files: ['**/*.{js,mjs,cjs}'],
    rules: { 'no-undef': 'off' },
  },
);

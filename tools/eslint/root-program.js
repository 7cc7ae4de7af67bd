// The files ESLint types with the root tsconfig.json's program (eslint.config.js), and what under
// them is not in it. Here, not in eslint.config.js, so that tools/check-all.mjs (`npm test`'s type
// check and lint in one process) can hand those files the program it type-checked.
//
// These globs mirror that tsconfig's include, with every TypeScript extension it takes: a file
// outside them gets its types from the project service through its nearest tsconfig.json, a
// program of its own built beside the root one (one .mts fixture outside them cost 4 s of CPU).

/** The root program's files. */
export const ROOT_PROGRAM_FILES = ['*.{ts,js}', 'packages/*/{src,test,bench,scripts}/**/*.{ts,mts,cts}', 'packages/*/*.ts', 'conformance/{src,test,bench}/**/*.{ts,mts,cts}', 'conformance/*.ts', 'tools/{eslint,test,bench,publish}/**/*.{ts,js}', 'tools/*.{ts,mjs}'];

/** Under those globs but not in the root program: a package under a dot name (tools/test/lint-layers.test.ts makes some; the project service types it). */
export const ROOT_PROGRAM_IGNORES = ['packages/.*/**'];

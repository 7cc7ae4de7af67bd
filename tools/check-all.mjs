// `npm test`'s type check and lint in one process on one TypeScript program: what `tsc -p
// tsconfig.json` (typecheck-all) reports, then what `eslint .` (lint-all) reports, the exit code 1
// when either found an error. Run apart, each built its own program of the root tsconfig.json
// (typescript-eslint's type-checked rules need one as tsc does) and type-checked the same files
// again: here the lint rules are handed the program tsc's diagnostics have already checked
// (parserOptions.programs), for the files eslint.config.js types with the root program. `npm run
// typecheck` and `npm run lint` still run each alone.
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { ROOT_PROGRAM_FILES, ROOT_PROGRAM_IGNORES } from './eslint/root-program.js';

const root = path.resolve(new URL('..', import.meta.url).pathname);
process.chdir(root);

// The type check: tsc's program and diagnostics (noEmit: every pre-emit diagnostic).
const configFile = path.join(root, 'tsconfig.json');
/** @type {ts.Diagnostic[]} */
const configErrors = [];
const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
});
if (!parsed) {
  process.stderr.write(ts.formatDiagnostics(configErrors, formatHost()));
  process.exit(1);
}
const host = ts.createCompilerHost(parsed.options, true);
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences, configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed) });
const diagnostics = ts.sortAndDeduplicateDiagnostics(ts.getPreEmitDiagnostics(program));
const typeErrors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
if (diagnostics.length) {
  const text = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost()) : ts.formatDiagnostics(diagnostics, formatHost());
  process.stdout.write(`${text}\n`);
}
process.stdout.write(`typecheck: ${typeErrors} error${typeErrors === 1 ? '' : 's'} in ${parsed.fileNames.length} files\n`);

// The lint: `eslint .` with the repository's config, the root program's files typed by this program.
// It runs beside the tests (nx --parallel=2), and tools/test/lint-layers.test.ts writes and removes
// temporary packages under dot names (packages/.lint-fixture-*, not workspace packages, and
// failing the layer rules on purpose): they are no files of the repository, and not linted here.
const eslint = new ESLint({
  cwd: root,
  ignorePatterns: ROOT_PROGRAM_IGNORES,
  overrideConfig: { files: ROOT_PROGRAM_FILES, ignores: ROOT_PROGRAM_IGNORES, languageOptions: { parserOptions: { programs: [program], project: false } } },
});
const results = await eslint.lintFiles(['.']);
const formatter = await eslint.loadFormatter('stylish');
const out = await formatter.format(results);
if (out) process.stdout.write(`${out}\n`);
const lintErrors = results.reduce((n, r) => n + r.errorCount + r.fatalErrorCount, 0);
process.stdout.write(`lint: ${lintErrors} error${lintErrors === 1 ? '' : 's'} in ${results.length} files\n`);
process.exitCode = typeErrors || lintErrors ? 1 : 0;

/** @returns {ts.FormatDiagnosticsHost} */
function formatHost() {
  return { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => ts.sys.newLine };
}

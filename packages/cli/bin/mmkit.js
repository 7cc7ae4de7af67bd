#!/usr/bin/env node
// The `mmkit` command, a plain-JavaScript launcher so that it runs with nothing built.
//
// Installed from npm (this file lies under a node_modules directory) it imports the built CLI,
// dist/bin.js, in this process with plain Node. In a checkout of the repository (`npx mmkit`
// right after `npm install`, which builds nothing) it runs the TypeScript sources, src/bin.ts,
// in a child Node with the "source" export condition and tsx, as `npm run mmkit` does, so it
// never runs a stale build; the child's exit status (or the signal that ended it) is this one's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.dirname(here);
const sourceEntry = path.join(pkg, 'src', 'bin.ts');
const builtEntry = path.join(pkg, 'dist', 'bin.js');

/** A checkout: not under a node_modules directory (Node gives the main module's real path), with its sources. */
const checkout = !pkg.split(path.sep).includes('node_modules') && existsSync(sourceEntry);

/** tsx's module hooks (what `--import tsx` loads), resolved from here: undefined when tsx is not installed. */
function tsxEntry() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

const tsx = checkout ? tsxEntry() : undefined;
if (tsx) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, sourceEntry, ...process.argv.slice(2)], { stdio: 'inherit' });
  const forward = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal);
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`mmkit: cannot start ${sourceEntry} through tsx: ${err.message}\n`);
    process.exitCode = 70;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? 70;
  });
} else if (existsSync(builtEntry)) {
  // dist/ exists only after a build, and a checkout is typechecked before any (with or without
  // it, so not @ts-expect-error).
  // eslint-disable-next-line @typescript-eslint/ban-ts-comment
  // @ts-ignore
  await import('../dist/bin.js');
} else {
  process.stderr.write(`mmkit: @mmkit/cli is not built (${builtEntry} is missing)${checkout ? ' and tsx, which runs its sources, is not installed' : ''}: run \`npm run build\` in ${pkg}\n`);
  process.exitCode = 70;
}

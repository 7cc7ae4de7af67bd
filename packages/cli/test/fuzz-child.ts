/**
 * Run by fuzz.test.ts in a child process: each argument is one command line (JSON), run through
 * main() in this one process; prints one JSON result per line. A V8 fatal error or an abort
 * kills the process, which the test sees.
 */
import { main } from '../src/main.js';

for (const json of process.argv.slice(2)) {
  const argv = JSON.parse(json) as string[];
  let err = '';
  const code = await main(argv, () => undefined, (s) => (err += s));
  process.stdout.write(`${JSON.stringify({ argv, code, err })}\n`);
}

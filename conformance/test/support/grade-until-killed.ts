// A grader process for test/cleanup.test.ts: it grades an allocator that hangs (argv: module,
// sandbox layer), says so on stdout once the grade's child runs, and is killed by the test under it.
import { grade } from '../../src/index.js';

const [module, sandbox] = process.argv.slice(2);
const r = await grade({ contract: 'buddy', module, sandbox: sandbox as 'bwrap' | 'permission', bench: false, timeoutMs: 120_000 });
process.stdout.write(`finished: ${r.error ?? 'no error'}\n`);

/**
 * The watchdog thread's entry (under bwrap, started by child.ts): a bundle of its own beside the
 * child's (bundle.ts), so that the thread loads the few modules it runs and not the suites, the
 * kernel and the reference implementations the child's bundle holds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runWatchdog } from './operations.js';

runWatchdog(workerData as Parameters<typeof runWatchdog>[0], parentPort!);

/**
 * The submission's thread's entry (under bwrap, started by startIsolate() in the child): a bundle
 * of its own beside the child's (../sandbox/bundle.ts), so that the thread loads the servers and
 * the reference implementations it serves, not the suites, their rules and fast-check.
 */
import { workerData } from 'node:worker_threads';
import { submissionFrame } from '../sandbox/frames.js';
import { runIsolate, type IsolateData } from './worker.js';

const data = workerData as IsolateData;
const frameNote = (err: unknown): string => {
  const frame = submissionFrame(err, data.submissionDir);
  return frame ? ` (at ${frame})` : '';
};
void runIsolate(data, frameNote);

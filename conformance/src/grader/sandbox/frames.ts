/** The submission's own place in a stack trace: the first frame in its folder, as path:line:column. */
import { fileURLToPath } from 'node:url';

const FRAME = /^\s*at (?:.*? \()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/;

export function submissionFrame(err: unknown, dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  let stack: unknown;
  try {
    stack = (err as { stack?: unknown } | null)?.stack;
  } catch {
    return undefined;
  }
  if (typeof stack !== 'string') return undefined;
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[1];
    try {
      if (file.startsWith('file:')) file = fileURLToPath(file);
    } catch {
      continue;
    }
    if (file.startsWith(prefix) && !file.includes('/node_modules/')) return `${file}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

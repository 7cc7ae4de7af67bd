/**
 * What a running grade leaves if the grader's process ends under it: its work folder (the
 * submission's bundle and the scratch folder, /tmp/mmkit-grade-*) and its child's process group.
 * A grade holds both while it runs and releases them when it ends (run.ts's finally). While any
 * grade runs, the other ways the process can end remove them too: process.exit() or the end of
 * the event loop (the 'exit' event), and SIGINT, SIGTERM or SIGHUP, after which the signal is
 * raised again, so the process ends as that signal would have ended it (unless something else
 * of the process handles the signal: then that is left to decide).
 */
import { rmSync } from 'node:fs';

/** One running grade's leftovers. */
export interface GradeHold {
  /** The process group of the grade's child while it runs (its pid: it leads its own group); undefined once it is gone. */
  group: number | undefined;
  /** The grade is over: remove its folder and forget it. */
  release(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const holds = new Set<{ readonly dir: string; group: number | undefined }>();

function removeAll(): void {
  for (const h of holds) {
    if (h.group !== undefined) {
      try {
        process.kill(-h.group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(h.dir, { recursive: true, force: true });
  }
  holds.clear();
  uninstall();
}

const onSignal = new Map(
  SIGNALS.map((signal) => [
    signal,
    () => {
      removeAll();
      // Nothing else handles it: end as the signal ends a process that does not catch it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    },
  ]),
);

function install(): void {
  process.on('exit', removeAll);
  for (const [signal, handler] of onSignal) process.on(signal, handler);
}

function uninstall(): void {
  process.off('exit', removeAll);
  for (const [signal, handler] of onSignal) process.off(signal, handler);
}

/** Hold a grade's work folder (and, once set, its child's process group) until release(). */
export function holdGrade(dir: string): GradeHold {
  const h = { dir, group: undefined as number | undefined };
  if (holds.size === 0) install();
  holds.add(h);
  return {
    get group() {
      return h.group;
    },
    set group(pid: number | undefined) {
      h.group = pid;
    },
    release() {
      rmSync(dir, { recursive: true, force: true });
      if (holds.delete(h) && holds.size === 0) uninstall();
    },
  };
}

/** How many grades are held (for tests). */
export function heldGrades(): number {
  return holds.size;
}

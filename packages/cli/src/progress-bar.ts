/**
 * The progress of a batch on stderr: on a terminal, a bar redrawn in place (submissions graded
 * out of the share, the ones running with their cases done, elapsed time) with a line per
 * finished submission above it; elsewhere (a CI log) just the line per finished submission;
 * nothing with --quiet.
 */
import type { BatchEvent } from '@mmkit/conformance';

export interface ProgressStream {
  write(s: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface BarState {
  readonly total: number;
  readonly finished: number;
  /** Cases done per running submission. */
  readonly running: ReadonlyMap<string, number>;
  readonly casesPerSubmission: number;
  readonly elapsedMs: number;
}

/** One line, at most `columns` wide: "[#####.....] 7/20 graded  35%  running: alice 12/48, bob 3/48  1m02s". */
export function renderBar(state: BarState, columns: number): string {
  const partial = state.casesPerSubmission > 0 ? [...state.running.values()].reduce((n, done) => n + Math.min(1, done / state.casesPerSubmission), 0) : 0;
  const fraction = state.total === 0 ? 1 : Math.min(1, (state.finished + partial) / state.total);
  const width = Math.max(10, Math.min(30, columns - 60));
  const filled = Math.round(fraction * width);
  const head = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.finished}/${state.total} graded ${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const running = [...state.running].map(([student, done]) => `${student} ${done}/${state.casesPerSubmission}`).join(', ');
  const line = `${head}  ${elapsed(state.elapsedMs)}${running ? `  running: ${running}` : ''}`;
  return line.length > columns - 1 ? `${line.slice(0, Math.max(0, columns - 2))}…` : line;
}

export class BatchProgress {
  private readonly running = new Map<string, number>();
  private total = 0;
  private finished = 0;
  private cases = 0;
  private readonly t0 = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly quiet = false,
    private readonly now: () => number = Date.now,
  ) {}

  private get tty(): boolean {
    return !this.quiet && this.stream.isTTY === true;
  }

  private draw(force = false): void {
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const bar = renderBar({ total: this.total, finished: this.finished, running: this.running, casesPerSubmission: this.cases, elapsedMs: t - this.t0 }, this.stream.columns ?? 80);
    this.stream.write(`\r\x1b[K${bar}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  handle(event: BatchEvent): void {
    if (this.quiet) return;
    switch (event.type) {
      case 'start':
        this.total = event.students.length;
        this.cases = event.casesPerSubmission;
        this.draw(true);
        break;
      case 'submission-start':
        this.running.set(event.student, 0);
        this.draw(true);
        break;
      case 'case':
        this.running.set(event.student, event.casesDone);
        this.draw();
        break;
      case 'submission-done': {
        this.running.delete(event.student);
        this.finished = event.finished;
        const e = event.entry;
        const graded = e.score.total - e.score.notProvided;
        this.clear();
        this.stream.write(`[${event.finished}/${this.total}] ${event.student}: ${e.score.passed}/${graded} rules (${e.score.percent}%), ${(e.durationMs / 1000).toFixed(1)} s${e.error ? `; ${e.error.length > 100 ? `${e.error.slice(0, 99)}…` : e.error}` : ''}\n`);
        this.draw(true);
        break;
      }
    }
  }

  /** Take the bar off the terminal. */
  finish(): void {
    this.clear();
  }
}

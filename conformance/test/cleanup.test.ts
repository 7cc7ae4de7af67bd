/**
 * A grade leaves nothing behind however the grader's process ends: killed by SIGINT or SIGTERM
 * while a grade runs, its work folder (/tmp/mmkit-grade-*) is removed, its child's process group
 * is killed, and the process still ends by that signal. Every process a grade starts has the
 * grade's scratch folder in its environment (TMPDIR): that is how they are found, and nothing of
 * another run is.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bwrapAvailable } from '../src/grader/sandbox/layers.js';
import { heldGrades } from '../src/grader/cleanup.js';
import { grade } from '../src/index.js';

const SCRIPT = fileURLToPath(new URL('./support/grade-until-killed.ts', import.meta.url));
const HANGING = fileURLToPath(new URL('./fixtures/hanging-allocator.ts', import.meta.url));

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
  readonly environ: string;
}

function processes(): Proc[] {
  const found: Proc[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ppid = Number(/^\d+ \(.*\) \S+ (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      found.push({ pid: Number(pid), ppid, cmdline, environ: readFileSync(`/proc/${pid}/environ`, 'latin1') });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** The environment of each child process of `ppid` (read only for those: a scan of every process's files costs about 10 ms a poll). */
function childEnvirons(ppid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (Number(/^\d+ \(.*\) \S+ (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1]) !== ppid) continue;
      found.push(readFileSync(`/proc/${pid}/environ`, 'latin1'));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function until<T>(what: string, get: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a grade cut short', () => {
  // Under bwrap (the layer a grade uses where it can) by default; the permission layer too with MMKIT_HOSTILE=full, or alone without bwrap.
  const full = process.env.MMKIT_HOSTILE === 'full';
  const layers = bwrapAvailable() ? (full ? (['permission', 'bwrap'] as const) : (['bwrap'] as const)) : (['permission'] as const);
  const signals = { permission: 'SIGTERM', bwrap: 'SIGINT' } as const;
  layers.forEach((layer) => {
    const signal = signals[layer];
    it(`${layer}: ${signal} to the grader removes the grade's folder and its processes, and ends the grader by ${signal}`, async () => {
      const grader = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, HANGING, layer], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      grader.stdout.on('data', (d: Buffer) => (output += d.toString()));
      grader.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => grader.on('exit', (code, sig) => resolve({ code, signal: sig })));
      // The grade is under way: the grader's sandboxed child runs, in the grade's scratch folder.
      const work = await until(
        'the grade starts',
        () => {
          const environ = childEnvirons(grader.pid!).find((e) => e.includes('TMPDIR='));
          const scratch = environ && /(?:^|\0)TMPDIR=([^\0]*\/mmkit-grade-[^/\0]+)\/scratch(?:\0|$)/.exec(environ)?.[1];
          return scratch && existsSync(scratch) ? scratch : undefined;
        },
        60_000,
      );
      grader.kill(signal);
      expect(await ended, output).toEqual({ code: null, signal });
      expect(existsSync(work)).toBe(false);
      const left = () => processes().filter((p) => p.environ.includes(work)).map((p) => `${p.pid} ${p.cmdline}`);
      await until('nothing of the grade runs', () => (left().length === 0 ? true : undefined), 30_000).catch(() => undefined);
      expect(left()).toEqual([]);
    }, 90_000);
  });

  it('a grade that ends holds nothing: no folder, no handler left on the process', async () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
    const r = await grade({ contract: 'buddy', bench: false, filter: 'wrong-order-larger' });
    expect(r.error).toBeUndefined();
    expect(heldGrades()).toBe(0);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e))).toEqual(before);
  }, 60_000);
});

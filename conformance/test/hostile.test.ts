/**
 * Hostile submissions: each is stopped or fails, none scores above what its allocation
 * behaviour earns, no file outside the scratch directory changes, no process remains, and the
 * grader always reports. By default a representative few (a few seconds); MMKIT_HOSTILE=full
 * runs every fixture under every sandbox layer this machine has. The page-allocator fixtures are
 * test/fixtures/hostile/*.ts, the slab-allocator ones test/fixtures/hostile/slab/, the address-spaces
 * ones test/fixtures/hostile/mmap/.
 *
 * The grades of this file run with their temporary folder (TMPDIR) in a folder of this run's
 * own: every process a grade starts has it in its environment (the sandbox's TMPDIR is the
 * grade's scratch folder inside it), whatever its command line, and no other run's has. That is
 * how the processes a grade left are found, and its folders.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateRules, formatText, grade, mmapSuite, runSuite, type GradeOptions, type GradeReport } from '../src/index.js';
import { MMAP_RULES } from '../src/contracts/mmap/rules.js';
import { createLeakyAddressSpaces } from './fixtures/hostile/mmap/leak.js';
import { bwrapAvailable } from '../src/grader/sandbox/layers.js';

const FULL = process.env.MMKIT_HOSTILE === 'full';
const LAYERS = bwrapAvailable() ? (['bwrap', 'permission'] as const) : (['permission'] as const);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/hostile/${name}`, import.meta.url));
/** A few quick cases that allocate and free (the free.wrong-order-* rules): enough to grade an allocator, cheap to run many times. */
const FILTER = 'wrong-order';
/** The same for an object allocator: kmalloc's classes and limits, kmem_cache_shrink and kmem_cache_destroy. */
const SLAB_FILTER = '^slab-allocator\\.(kmalloc|reclaim)\\.';
/** The same for address spaces: exit's pages and fork's copies. */
const MMAP_FILTER = '^mmap\\.(exit|fork)\\.';
const VICTIM = '/tmp/mmkit-hostile-victim.txt';
const CREATED = '/tmp/mmkit-hostile-created.txt';
const SUITE_SOURCE = fileURLToPath(new URL('../src/suite.ts', import.meta.url));
const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** This run's temporary folder (see the file comment), made and set before the first grade. */
let runTmp = '';
const tmpdirBefore = process.env.TMPDIR;
beforeAll(() => {
  runTmp = mkdtempSync(path.join(os.tmpdir(), 'mmkit-hostile-run-'));
  process.env.TMPDIR = runTmp;
});
afterAll(() => {
  if (tmpdirBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdirBefore;
  rmSync(runTmp, { recursive: true, force: true });
});

/**
 * The processes of this run's grades: every process whose environment or command line names this
 * run's folder ("pid command line"), but esbuild's service, a child of this process (the grader
 * bundles with it) that lives as long as this process does.
 */
function processesOfThisRun(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      const ppid = Number(/^\d+ \(.*\) \S+ (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1]);
      if (ppid === process.pid && /\/esbuild --service=/.test(cmdline)) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(runTmp) || cmdline.includes(runTmp)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function hostile(name: string, options: Partial<GradeOptions> = {}): Promise<GradeReport> {
  const [contract, filter] = name.startsWith('slab/') ? ['slab-allocator', SLAB_FILTER] : name.startsWith('mmap/') ? ['mmap', MMAP_FILTER] : ['buddy', FILTER];
  // 60 s: a deadline for what hangs where no test expects it; the tests that expect a timeout set theirs. Loading has
  // its own allowance (run.ts's LOAD_ALLOWANCE_MS); the budgets of the tests are generous for a machine at load 25 on 2 cores.
  const r = await grade({ contract, module: fixture(name), bench: false, filter, timeoutMs: 60_000, ...options });
  // Nothing the grade started is left: not the child, not what it spawned, not its folders.
  expect(processesOfThisRun()).toEqual([]);
  expect(readdirSync(runTmp).filter((n) => n.startsWith('mmkit-grade-'))).toEqual([]);
  return r;
}

/** The grader's cached bundles (sandbox/bundle.ts: the child's and its threads'), which a submission would poison to pass the next grade. */
function graderBundleFiles(): string[] {
  const root = path.join(os.tmpdir(), `mmkit-grader-${process.getuid?.() ?? 'user'}`);
  return readdirSync(root).flatMap((d) => ['child.mjs', 'watchdog.mjs', 'isolate.mjs'].map((f) => path.join(root, d, f))).filter((f) => existsSync(f));
}

function outcomes(r: GradeReport): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of r.sandbox!.stdout.split('\n')) {
    const m = /^HOSTILE (\S+) (blocked|done)/.exec(line);
    if (m) map.set(m[1], m[2]);
  }
  return map;
}

describe('hostile submissions', () => {
  beforeAll(() => {
    writeFileSync(VICTIM, 'original\n');
    rmSync(CREATED, { force: true });
  });

  for (const layer of LAYERS) {
    it(`${layer}: files outside scratch, the grader's bundle, the suite's source and detached processes stay out of reach`, async () => {
      const suiteBefore = hash(SUITE_SOURCE);
      const r = await hostile('escape.ts', { sandbox: layer });
      expect(r.sandbox!.layer).toBe(layer);
      expect(r.error).toBeUndefined();
      // It allocates as the reference does, and is graded as the reference is: every rule passes.
      expect(r.score.failed).toBe(0);
      expect(r.score.passed).toBe(r.score.total);
      const o = outcomes(r);
      expect([...o.keys()].sort()).toEqual(['append-grader-bundle', 'append-suite-source', 'append-victim', 'read-passwd', 'spawn-detached', 'write-own-folder', 'write-tmp']);
      for (const name of ['read-passwd', 'write-own-folder', 'append-grader-bundle', 'append-suite-source']) expect(`${name} ${o.get(name)}`).toBe(`${name} blocked`);
      // Under the permission model these are refused; under bwrap they land in the sandbox's own /tmp and process namespace, gone with it.
      if (layer === 'permission') for (const name of ['write-tmp', 'append-victim', 'spawn-detached']) expect(`${name} ${o.get(name)}`).toBe(`${name} blocked`);
      expect(readFileSync(VICTIM, 'utf8')).toBe('original\n');
      expect(existsSync(CREATED)).toBe(false);
      expect(existsSync(fixture('written-by-submission.txt'))).toBe(false);
      // The next grade runs the same code: neither the suite's source nor the grader's cached bundle changed.
      expect(hash(SUITE_SOURCE)).toBe(suiteBefore);
      for (const bundle of graderBundleFiles()) expect(readFileSync(bundle, 'utf8')).not.toContain('the next submission passes');
    }, 120_000);
  }

  it('forged report lines on every descriptor and a fake report on stdout: ignored, counted, and the run scores nothing', async () => {
    const r = await hostile('forge.ts');
    expect(r.error).toMatch(/^violation: ignored a line with a forged signature on the report channel/);
    expect(r.sandbox!.violations.length).toBeGreaterThan(10);
    expect(r.score.passed).toBe(0);
    expect(r.rules.every((x) => x.status === 'fail' && x.failures[0].message.startsWith('violation: '))).toBe(true);
    expect(r.sandbox!.stdout).toContain('score: 47/47 rules (100%)');
    // The text report shows the fake one as the submission's output, indented, under the real score.
    const text = formatText(r);
    expect(text).toMatch(/^ {2}\| score: 47\/47 rules \(100%\)$/m);
    expect(text).toMatch(/^score: 0\/\d+ rules \(0%\)/m);
    expect(text).toMatch(/^sandbox: (bwrap|permission), /m);
  }, 120_000);

  it('a submission that kills its own process gets a report naming the case', async () => {
    const r = await hostile('kill-self.ts');
    expect(r.error).toMatch(/^crash: the submission's process was killed by SIGKILL in case /);
    expect(r.score.passed).toBe(0);
  }, 120_000);

  // Two grades (~9 s): with the full matrix.
  it.runIf(FULL && (LAYERS as readonly string[]).includes('bwrap'))("bwrap: a built-in patched at every call and restored before the case ends, in the submission's own thread, changes no verdict", async () => {
    // Sharing the suite's realm (the permission layer) this is a violation that voids the run, when
    // the check after the case catches it; in its own thread it is nothing to the grader, and it
    // scores exactly what never freeing earns, failing the same rules.
    const filter = '^free';
    const isolated = await hostile('patch-between-calls.ts', { sandbox: 'bwrap', filter });
    const never = await grade({ contract: 'buddy', module: fixture('null-allocator.ts'), bench: false, filter, timeoutMs: 20_000, sandbox: 'bwrap' });
    expect(isolated.error).toBeUndefined();
    expect(isolated.sandbox!.violations, `violations: ${JSON.stringify(isolated.sandbox!.violations)}`).toEqual([]); // in full: it failed once, in a loaded run
    expect(isolated.score).toEqual(never.score);
    expect(isolated.rules.map((x) => [x.id, x.status])).toEqual(never.rules.map((x) => [x.id, x.status]));
    expect(isolated.score.failed).toBeGreaterThan(0);
  }, 120_000);

  it("an exception thrown from a callback outside the suite's calls is a crash naming the file and line it came from", async () => {
    const r = await hostile('callback-throw.ts');
    expect(r.error).toMatch(new RegExp(`^crash: Error: boom from a callback \\(at ${fixture('callback-throw.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:12:\\d+\\) in case `));
    expect(r.score.passed).toBe(0);
  }, 120_000);

  describe('slab-allocator', () => {
    it('rewriting the page count the kernel checks it with, or the struct pages it shares, is refused or sways nothing: a leak scores as a leak', async () => {
      // Under bwrap shared-state.ts runs in a thread of its own (the grader's isolate), sharing struct page and the page contents
      // with the kernel; by default the two others share the suite's realm (the permission layer), with MMKIT_HOSTILE=full the default layer.
      const layer = FULL ? {} : { sandbox: 'permission' as const };
      const counters = await hostile('slab/counters.ts', layer); // one after the other: hostile() checks that each grade left no process
      const shared = await hostile('slab/shared-state.ts');
      const leaks = await hostile('slab/null.ts', layer);
      for (const r of [counters, shared, leaks]) expect(r.error).toBeUndefined();
      const o = outcomes(counters);
      expect(o.get('rewrite-held')).toBe('blocked');
      expect(o.get('swap-bad-page-count')).toBe('blocked');
      const s = outcomes(shared);
      expect(s.get('rewrite-held')).toBe('blocked');
      expect(s.get('reach-zones')).toBe('blocked');
      expect(s.get('clear-pg-slab')).toBe('done'); // struct page is shared: rewritten, and it hides nothing
      // Rule by rule, neither passes anything the allocator that only leaks fails (kmem_cache_shrink's pages, destroy's).
      const failing = new Set(leaks.rules.filter((x) => x.status === 'fail').map((x) => x.id));
      expect(failing.has('slab-allocator.reclaim.shrink')).toBe(true);
      for (const r of [counters, shared]) {
        expect(r.rules.filter((x) => x.status === 'pass' && failing.has(x.id)).map((x) => x.id)).toEqual([]);
        expect(r.score.passed).toBeLessThanOrEqual(leaks.score.passed);
      }
    }, 180_000);

    describe.runIf(FULL)('the full matrix (MMKIT_HOSTILE=full)', () => {
      it.runIf((LAYERS as readonly string[]).includes('bwrap'))("bwrap: a built-in patched at every call and restored before the case ends, in the submission's own thread, changes no verdict", async () => {
        const isolated = await hostile('slab/patch-between-calls.ts', { sandbox: 'bwrap' });
        const never = await hostile('slab/null.ts', { sandbox: 'bwrap' });
        expect(isolated.error).toBeUndefined();
        expect(isolated.sandbox!.violations, `violations: ${JSON.stringify(isolated.sandbox!.violations)}`).toEqual([]);
        expect(isolated.score).toEqual(never.score);
        expect(isolated.rules.map((x) => [x.id, x.status])).toEqual(never.rules.map((x) => [x.id, x.status]));
        expect(isolated.score.failed).toBeGreaterThan(0);
      }, 180_000);

      it('forged report lines score nothing', async () => {
        const r = await hostile('slab/forge.ts');
        expect(r.error).toMatch(/^violation: ignored a line with a forged signature on the report channel/);
        expect(r.score.passed).toBe(0);
        expect(r.sandbox!.stdout).toContain('score: 31/31 rules (100%)');
      }, 120_000);

      it('a submission that kills its own process gets a report naming the case', async () => {
        const r = await hostile('slab/kill-self.ts');
        expect(r.error).toMatch(/^crash: the submission's process was killed by SIGKILL in case /);
        expect(r.score.passed).toBe(0);
      }, 120_000);

      for (const layer of LAYERS) {
        it(`${layer}: files outside scratch and detached processes stay out of reach of an object allocator too`, async () => {
          const r = await hostile('slab/escape.ts', { sandbox: layer });
          expect(r.error).toBeUndefined();
          expect(r.score.failed).toBe(0);
          const o = outcomes(r);
          for (const name of ['read-passwd', 'append-grader-bundle', 'append-suite-source']) expect(`${name} ${o.get(name)}`).toBe(`${name} blocked`);
          // The attempts write next to ../escape.ts, the folder above this submission's: under bwrap
          // that folder is not mounted, so the write lands in the sandbox's own root, gone with it.
          if (layer === 'permission') for (const name of ['write-own-folder', 'write-tmp', 'append-victim', 'spawn-detached']) expect(`${name} ${o.get(name)}`).toBe(`${name} blocked`);
          expect(readFileSync(VICTIM, 'utf8')).toBe('original\n');
          expect(existsSync(CREATED)).toBe(false);
          expect(existsSync(fixture('written-by-submission.txt'))).toBe(false);
        }, 120_000);
      }
    });
  });

  describe('address spaces', () => {
    /** What leaking every page at exit earns (leak.ts, the behaviour of every fixture here), rule by rule: run in this process, no grade. */
    let leaks: Map<string, string>;
    beforeAll(async () => {
      const filter = new RegExp(MMAP_FILTER);
      const results = await runSuite(mmapSuite, createLeakyAddressSpaces, { filter });
      leaks = new Map(aggregateRules(MMAP_RULES.filter((r) => filter.test(r.id)), results).map((v) => [v.id, v.status]));
      expect(leaks.get('mmap.exit.frees')).toBe('fail');
    }, 120_000);
    /** The rules a grade passed that leaking fails: none may be. */
    const overLeaks = (r: GradeReport) => r.rules.filter((x) => x.status === 'pass' && leaks.get(x.id) !== 'pass').map((x) => x.id);

    it('rewriting struct page, the page allocator or the zones to say the pages leaked at exit are free sways nothing: a leak scores as a leak', async () => {
      // Under bwrap (the default layer where it runs) in a thread of its own, sharing struct page and the page contents, page tables included, with the kernel.
      const r = await hostile('mmap/shared-state.ts');
      expect(r.error).toBeUndefined();
      const o = outcomes(r);
      expect(o.get('reach-zones')).toBe('blocked');
      expect(o.get('clear-struct-page')).toMatch(/^(done|blocked)$/);
      if (r.sandbox!.layer === 'bwrap') {
        expect(o.get('rewrite-page-allocator')).toBe('blocked'); // the kernel's page allocator as the thread sees it: frozen, its calls crossing
        expect(o.get('clear-struct-page')).toBe('done'); // struct page is shared: rewritten, and it hides nothing
      }
      expect(r.rules.find((x) => x.id === 'mmap.exit.frees')?.status).toBe('fail');
      expect(overLeaks(r)).toEqual([]);
    }, 120_000);

    describe.runIf(FULL)('the full matrix (MMKIT_HOSTILE=full)', () => {
      it('forged report lines, and forged messages from its thread, score nothing', async () => {
        const r = await hostile('mmap/forge.ts');
        expect(r.error).toMatch(/^violation: ignored a line with a forged signature on the report channel/);
        expect(r.score.passed).toBe(0);
        expect(r.sandbox!.stdout).toContain('score: 47/47 rules (100%)');
        if (r.sandbox!.layer === 'bwrap') expect(outcomes(r).get('post-parent')).toBe('done'); // posted, and nobody listens
      }, 120_000);

      it.runIf((LAYERS as readonly string[]).includes('bwrap'))('bwrap: frames forged on the call channel by a thread of its own end the grade with a report, and pass no rule the leak fails', async () => {
        const r = await hostile('mmap/forge-frames.ts', { sandbox: 'bwrap', timeoutMs: 10_000 });
        expect(outcomes(r).get('forge-frames')).toBe('done');
        expect(r.error).toMatch(/^(crash|timeout|fatal): /);
        expect(overLeaks(r)).toEqual([]);
        expect(r.score.passed).toBeLessThanOrEqual([...leaks.values()].filter((x) => x === 'pass').length);
      }, 120_000);

      it.runIf((LAYERS as readonly string[]).includes('bwrap'))("bwrap: a built-in patched at every call and restored before the case ends, in the submission's own thread, changes no verdict", async () => {
        const r = await hostile('mmap/patch-between-calls.ts', { sandbox: 'bwrap' });
        expect(r.error).toBeUndefined();
        expect(r.sandbox!.violations).toEqual([]);
        expect(r.rules.filter((x) => leaks.has(x.id)).map((x) => [x.id, x.status])).toEqual([...leaks]);
        expect(overLeaks(r)).toEqual([]);
      }, 120_000);
    });
  });

  describe.runIf(FULL)('the full matrix (MMKIT_HOSTILE=full)', () => {
    let nullScore: number;
    beforeAll(async () => {
      nullScore = (await grade({ contract: 'buddy', module: fixture('null-allocator.ts'), bench: false, filter: FILTER })).score.passed;
    }, 120_000);

    for (const layer of LAYERS) {
      for (const name of ['busy-loop.ts', 'atomics-wait.ts', 'exec-sleep.ts']) {
        it(`${layer}: ${name} is stopped at the deadline, naming the case${layer === 'bwrap' ? ' and the call' : ''}`, async () => {
          const r = await hostile(name, { sandbox: layer, timeoutMs: 5000 });
          expect(r.score.passed).toBeLessThan(r.score.total);
          if (name === 'exec-sleep.ts' && layer === 'permission') {
            // No child processes at all under the permission model: the allocation throws.
            expect(r.rules.some((x) => x.failures.some((f) => f.message.includes('ERR_ACCESS_DENIED') || f.message.includes('restricted')))).toBe(true);
            return;
          }
          expect(r.error).toMatch(/^timeout: the run did not finish within 5000 ms in case free: /);
          if (layer === 'bwrap') expect(r.error).toMatch(/waiting on allocPages\(0x[0-9a-f]+, \d+\)/);
        }, 120_000);
      }

      it(`${layer}: the host's loopback is ${layer === 'bwrap' ? 'out of reach' : 'reachable (Node 20\'s permission model has no network restriction)'}`, async () => {
        const connections: string[] = [];
        const server = net.createServer((socket) => socket.on('data', (d: Buffer) => connections.push(d.toString())));
        await new Promise<void>((resolve) => server.listen(47613, '127.0.0.1', resolve));
        try {
          const r = await hostile('network.ts', { sandbox: layer });
          expect(outcomes(r).get('net-loopback')).toBe(layer === 'bwrap' ? 'blocked' : 'done');
          if (layer === 'bwrap') expect(connections).toEqual([]);
        } finally {
          server.close();
        }
      }, 120_000);

      it(`${layer}: 10 GiB of Buffers and an unbounded heap are stopped by the process's memory limit`, async () => {
        const r = await hostile('huge-memory.ts', { sandbox: layer, memoryMb: 256 });
        expect(outcomes(r).get('buffers-10GiB')).toBe('blocked');
        // Under bwrap the heap is its own thread's: at its limit Node ends that thread (the grader
        // noticed only at the deadline before CallChannel.peerAlive), under the permission layer the process.
        expect(r.error).toMatch(layer === 'bwrap' ? /^crash: the submission's thread ended without a word: out of memory/ : /^crash: the submission's process was killed by SIG\w+ \(out of memory\?/);
        expect(r.score.passed).toBe(0);
      }, 120_000);

      it(`${layer}: an allocator that uses little memory passes every rule within that limit${layer === 'bwrap' ? ', in a thread of its own that lets go of each kernel it is done with' : ''}`, async () => {
        // Under bwrap the third thread's own reservations are allowed for, and it collects the
        // kernels it attached to (each boot of the suite's 22 GiB machine left 220 MiB of
        // address space held until that thread's GC, which ran too rarely: SIGABRT at 256 MiB).
        const r = await grade({ contract: 'buddy', module: '@mmkit/buddy', bench: false, sandbox: layer, memoryMb: 256, timeoutMs: 120_000 });
        expect(processesOfThisRun()).toEqual([]);
        expect(r.error).toBeUndefined();
        expect(r.score.failed).toBe(0);
      }, 150_000);

      it(layer === 'bwrap' ? 'bwrap: patched built-ins stay in the submission\'s own thread and sway nothing' : `${layer}: patched built-ins are noticed and void the run`, async () => {
        const r = await hostile('patch-globals.ts', { sandbox: layer });
        if (layer === 'bwrap') {
          // Its realm is not the suite's: nothing to notice, and it scores what never freeing earns.
          expect(r.error).toBeUndefined();
          expect(r.score.passed).toBeLessThanOrEqual(nullScore);
        } else {
          expect(r.error).toMatch(/^violation: the submission changed built-ins the grader relies on \(.*Object\.is/);
          expect(r.score.passed).toBe(0);
        }
      }, 120_000);

      it(`${layer}: rewriting the suite's objects and the kernel's classes changes nothing`, async () => {
        const r = await hostile('mutate-suite.ts', { sandbox: layer });
        // Under bwrap the classes it is handed are its own thread's copies (their state is the kernel's shared memory): rewriting them is its business.
        expect(outcomes(r).get('rewrite-services-prototypes')).toBe(layer === 'bwrap' ? 'done' : 'blocked');
        expect(r.score.passed).toBeLessThanOrEqual(nullScore);
      }, 120_000);

      it(`${layer}: a fake report printed on stdout is the submission's output, not its score`, async () => {
        const r = await hostile('fake-stdout.ts', { sandbox: layer });
        expect(r.error).toBeUndefined();
        expect(r.sandbox!.stdout).toContain('score: 47/47 rules (100%)');
        expect(r.sandbox!.stderr).toContain('error: none');
        expect(r.score.passed).toBe(nullScore);
      }, 120_000);
    }
  });
});

/**
 * Garbage collections during a piece of synchronous code, from V8's own count: perf_hooks'
 * 'gc' performance entries (one per collection, with its kind). A hot path that allocates no
 * JavaScript objects runs a million operations without a single scavenge; one that allocates a
 * small object per call fills the young generation (a few to 16 MiB per semi-space) several
 * times over.
 *
 * countGc() first runs a full collection (V8's gc(), exposed with
 * v8.setFlagsFromString('--expose-gc')), which empties the young generation and finishes any
 * incremental marking, so garbage made before `run` cannot cause a collection during it (the
 * test process runs other test files too), and when no scavenge ran it also answers the bytes `run` allocated in the young
 * generation (where V8 puts new objects): a few KiB of noise for a path that allocates nothing.
 * Node delivers 'gc' entries to observers a little later, on the event loop, so countGc() waits
 * for them and counts the collections that started while `run` ran.
 */
import { PerformanceObserver, constants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface GcCount {
  /** Young-generation collections (scavenges; V8's minor GCs). */
  readonly scavenges: number;
  /** Full mark-sweep(-compact) collections (V8's major GCs). */
  readonly markSweeps: number;
  /** Incremental marking steps and weak-callback processing. */
  readonly other: number;
  /** Bytes allocated in the young generation during the run, when no scavenge ran (null otherwise). */
  readonly youngBytes: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let gcFunction: ((options: { type: 'minor' | 'major' }) => void) | undefined;
/** V8's gc() (a context made after --expose-gc is set has it as a global). */
function v8Gc(): (options: { type: 'minor' | 'major' }) => void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;
  }
  return gcFunction;
}

/** Bytes in use in V8's young generation (new objects go there first). */
export function youngUsed(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_used_size;
  throw new Error('V8 reports no new_space');
}

/** Runs `run` (synchronous) after a full collection and answers the collections that started during it. */
export async function countGc(run: () => void): Promise<GcCount> {
  const starts: { start: number; kind: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) starts.push({ start: e.startTime, kind: (e as { detail?: NodeGCPerformanceDetail }).detail?.kind ?? -1 });
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    v8Gc()({ type: 'major' });
    const young0 = youngUsed();
    const t0 = performance.now();
    run();
    const t1 = performance.now();
    const young1 = youngUsed();
    // Let the pending entries arrive: until nothing new comes for three turns (at most ~1 s).
    for (let quiet = 0, turns = 0, seen = -1; quiet < 3 && turns < 100; turns++) {
      await sleep(10);
      quiet = starts.length === seen ? quiet + 1 : 0;
      seen = starts.length;
    }
    let scavenges = 0;
    let markSweeps = 0;
    let other = 0;
    for (const { start, kind } of starts) {
      if (start < t0 || start > t1) continue;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) markSweeps++;
      else other++;
    }
    const youngBytes = scavenges === 0 && markSweeps === 0 ? young1 - young0 : null;
    return { scavenges, markSweeps, other, youngBytes };
  } finally {
    observer.disconnect();
  }
}

/**
 * Runs `loop` until a round of `roundLoops` loops allocates at most `quietBytes` in the young
 * generation (V8 has compiled the hot path: its interpreter and baseline code box every double
 * they compute, which counts as allocation), or `maxRounds` rounds have run (a path that
 * allocates per call never gets quiet). Answers the rounds it ran.
 */
export function warmUp(loop: () => void, roundLoops = 64, quietBytes = 16 * 1024, maxRounds = 200): number {
  for (let r = 1; r <= maxRounds; r++) {
    const before = youngUsed();
    for (let i = 0; i < roundLoops; i++) loop();
    const allocated = youngUsed() - before;
    if (allocated >= 0 && allocated <= quietBytes) return r; // (< 0: a scavenge ran in between)
  }
  return maxRounds;
}

/** Runs `loop` (which does `opsPerLoop` operations) until it has done at least `ops`, counting collections. */
export async function countGcOver(loop: () => void, opsPerLoop: number, ops: number): Promise<GcCount & { ops: number }> {
  const loops = Math.ceil(ops / opsPerLoop);
  const count = await countGc(() => {
    for (let i = 0; i < loops; i++) loop();
  });
  return { ...count, ops: loops * opsPerLoop };
}

/**
 * Bytes `loop` allocates per operation in the young generation: `rounds` runs of
 * `loopsPerRound` loops (each after a full collection, and short enough that no scavenge runs
 * in it), their young-generation growth summed over their operations. null when a scavenge ran
 * in a round anyway (a path that allocates far more than the rounds were sized for).
 */
export async function youngBytesPerOp(loop: () => void, opsPerLoop: number, loopsPerRound: number, rounds: number): Promise<number | null> {
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const count = await countGc(() => {
      for (let i = 0; i < loopsPerRound; i++) loop();
    });
    if (count.youngBytes === null) return null;
    bytes += count.youngBytes;
  }
  return Number((bytes / (rounds * loopsPerRound * opsPerLoop)).toFixed(2));
}

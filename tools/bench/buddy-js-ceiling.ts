/**
 * How fast JavaScript can run the native buddy peer's algorithm (the project's linux_buddy.c:
 * zoned buddy free lists, pfn-indexed struct-page arrays, an order-0 per-cpu list with high 186
 * and batch 31, rmqueue_bulk / free_pcppages_bulk, __free_one_page with the tail heuristic),
 * ported line by line, in two shapes:
 * - `module`: every array a constant of one closure scope made once in the process, which V8
 *   folds into the code (the most JavaScript can do; one allocator per process);
 * - `instance`: the arrays held by an object passed to every function, as any allocator that
 *   can exist more than once in a process holds them (mmkit's kernels do).
 * It is the yardstick for the "buddy order-0 >= 0.25x the native port": run it beside
 * the C peer, same patterns, same window.
 *
 *   node --import tsx tools/bench/buddy-js-ceiling.ts [burst512|pair] [SECS] [ROUNDS]
 *
 * Prints one JSON line per shape: pairs per CPU-second, median over rounds.
 */
const MAX_ORDER = 11;
const NPAGES = 1 << 18; // 1 GiB of 4 KiB pages, as the peer
const BUDDY_MAP = -129;
const PCP_HIGH = 186;
const PCP_BATCH = 31;
const PCP = MAX_ORDER; // list MAX_ORDER is the per-cpu list

/** The peer's state; `instance` reads it through this object on every access. */
class BuddyArrays {
  readonly flags = new Uint32Array(NPAGES);
  readonly refcount = new Int32Array(NPAGES);
  readonly mapcount = new Int32Array(NPAGES).fill(-1);
  readonly lnext = new Int32Array(NPAGES).fill(-1);
  readonly lprev = new Int32Array(NPAGES).fill(-1);
  readonly priv = new Uint32Array(NPAGES);
  readonly mapping = new Uint32Array(NPAGES);
  readonly allocOrder = new Uint8Array(NPAGES);
  readonly head = new Int32Array(MAX_ORDER + 1).fill(-1);
  readonly tail = new Int32Array(MAX_ORDER + 1).fill(-1);
  readonly nrFree = new Uint32Array(MAX_ORDER + 1);
  freePages = 0;
  pcpCount = 0;
}

type Loop = (pair: boolean) => void;

/** The port with the arrays as constants of one scope (`module`). */
function moduleShape(): Loop {
  const { flags, refcount, mapcount, lnext, lprev, priv, mapping, allocOrder, head, tail, nrFree } = new BuddyArrays();
  let freePages = 0;
  let pcpCount = 0;
  const addHead = (l: number, p: number): void => {
    const o = head[l];
    lprev[p] = -1;
    lnext[p] = o;
    if (o === -1) tail[l] = p;
    else lprev[o] = p;
    head[l] = p;
  };
  const addTail = (l: number, p: number): void => {
    const o = tail[l];
    lnext[p] = -1;
    lprev[p] = o;
    if (o === -1) head[l] = p;
    else lnext[o] = p;
    tail[l] = p;
  };
  const del = (l: number, p: number): void => {
    const n = lnext[p];
    const q = lprev[p];
    if (q === -1) head[l] = n;
    else lnext[q] = n;
    if (n === -1) tail[l] = q;
    else lprev[n] = q;
    lnext[p] = lprev[p] = -1;
  };
  const isBuddy = (b: number, order: number): boolean => b < NPAGES && mapcount[b] === BUDDY_MAP && priv[b] === order;
  const addFree = (p: number, order: number, atTail: boolean): void => {
    mapcount[p] = BUDDY_MAP;
    priv[p] = order;
    if (atTail) addTail(order, p);
    else addHead(order, p);
    nrFree[order]++;
    freePages += 1 << order;
  };
  const delFree = (p: number, order: number): void => {
    del(order, p);
    mapcount[p] = -1;
    priv[p] = 0;
    nrFree[order]--;
    freePages -= 1 << order;
  };
  const freeOne = (pfn: number, order: number): void => {
    while (order < MAX_ORDER - 1) {
      const b = pfn ^ (1 << order);
      if (!isBuddy(b, order)) break;
      delFree(b, order);
      pfn &= b;
      order++;
    }
    let atTail = false;
    if (order < MAX_ORDER - 2) atTail = isBuddy((pfn & ~(1 << order)) ^ (1 << (order + 1)), order + 1);
    addFree(pfn, order, atTail);
  };
  const rmqueueSmallest = (order: number): number => {
    for (let c = order; c < MAX_ORDER; c++) {
      const p = head[c];
      if (p === -1) continue;
      delFree(p, c);
      while (c > order) {
        c--;
        addFree(p + (1 << c), c, false);
      }
      return p;
    }
    return -1;
  };
  const alloc = (): number => {
    if (freePages <= 1000) return -1;
    if (head[PCP] === -1) {
      for (let i = 0; i < PCP_BATCH; i++) {
        const q = rmqueueSmallest(0);
        if (q < 0) break;
        addTail(PCP, q);
        pcpCount++;
      }
      if (head[PCP] === -1) return -1;
    }
    const p = head[PCP];
    del(PCP, p);
    pcpCount--;
    priv[p] = 0;
    refcount[p] = 1;
    mapcount[p] = -1;
    flags[p] = 0;
    allocOrder[p] = 1;
    return p;
  };
  const free = (p: number): void => {
    if (p < 0 || p >= NPAGES || mapcount[p] === BUDDY_MAP || refcount[p] <= 0 || allocOrder[p] !== 1) throw new Error('bad free');
    if (refcount[p] > 1) {
      refcount[p]--;
      return;
    }
    if (mapcount[p] !== -1 || mapping[p] !== 0 || flags[p] !== 0) throw new Error('bad page');
    refcount[p] = 0;
    flags[p] = 0;
    allocOrder[p] = 0;
    addHead(PCP, p);
    if (++pcpCount >= PCP_HIGH) {
      for (let n = PCP_BATCH; n > 0 && pcpCount > 0; n--) {
        const q = tail[PCP];
        del(PCP, q);
        pcpCount--;
        freeOne(q, 0);
      }
    }
  };
  for (let p = 0; p < NPAGES; p += 1 << (MAX_ORDER - 1)) addFree(p, MAX_ORDER - 1, false);
  return loopOf(alloc, free);
}

/** The same port with every array read through the state object (`instance`). */
function instanceShape(): Loop {
  const s = new BuddyArrays();
  for (let p = 0; p < NPAGES; p += 1 << (MAX_ORDER - 1)) iAddFree(s, p, MAX_ORDER - 1, false);
  return loopOf(
    () => iAlloc(s),
    (p) => iFree(s, p),
  );
}

function iAddHead(s: BuddyArrays, l: number, p: number): void {
  const o = s.head[l];
  s.lprev[p] = -1;
  s.lnext[p] = o;
  if (o === -1) s.tail[l] = p;
  else s.lprev[o] = p;
  s.head[l] = p;
}

function iAddTail(s: BuddyArrays, l: number, p: number): void {
  const o = s.tail[l];
  s.lnext[p] = -1;
  s.lprev[p] = o;
  if (o === -1) s.head[l] = p;
  else s.lnext[o] = p;
  s.tail[l] = p;
}

function iDel(s: BuddyArrays, l: number, p: number): void {
  const n = s.lnext[p];
  const q = s.lprev[p];
  if (q === -1) s.head[l] = n;
  else s.lnext[q] = n;
  if (n === -1) s.tail[l] = q;
  else s.lprev[n] = q;
  s.lnext[p] = s.lprev[p] = -1;
}

function iIsBuddy(s: BuddyArrays, b: number, order: number): boolean {
  return b < NPAGES && s.mapcount[b] === BUDDY_MAP && s.priv[b] === order;
}

function iAddFree(s: BuddyArrays, p: number, order: number, atTail: boolean): void {
  s.mapcount[p] = BUDDY_MAP;
  s.priv[p] = order;
  if (atTail) iAddTail(s, order, p);
  else iAddHead(s, order, p);
  s.nrFree[order]++;
  s.freePages += 1 << order;
}

function iDelFree(s: BuddyArrays, p: number, order: number): void {
  iDel(s, order, p);
  s.mapcount[p] = -1;
  s.priv[p] = 0;
  s.nrFree[order]--;
  s.freePages -= 1 << order;
}

function iFreeOne(s: BuddyArrays, pfn: number, order: number): void {
  while (order < MAX_ORDER - 1) {
    const b = pfn ^ (1 << order);
    if (!iIsBuddy(s, b, order)) break;
    iDelFree(s, b, order);
    pfn &= b;
    order++;
  }
  let atTail = false;
  if (order < MAX_ORDER - 2) atTail = iIsBuddy(s, (pfn & ~(1 << order)) ^ (1 << (order + 1)), order + 1);
  iAddFree(s, pfn, order, atTail);
}

function iRmqueueSmallest(s: BuddyArrays, order: number): number {
  for (let c = order; c < MAX_ORDER; c++) {
    const p = s.head[c];
    if (p === -1) continue;
    iDelFree(s, p, c);
    while (c > order) {
      c--;
      iAddFree(s, p + (1 << c), c, false);
    }
    return p;
  }
  return -1;
}

function iAlloc(s: BuddyArrays): number {
  if (s.freePages <= 1000) return -1;
  if (s.head[PCP] === -1) {
    for (let i = 0; i < PCP_BATCH; i++) {
      const q = iRmqueueSmallest(s, 0);
      if (q < 0) break;
      iAddTail(s, PCP, q);
      s.pcpCount++;
    }
    if (s.head[PCP] === -1) return -1;
  }
  const p = s.head[PCP];
  iDel(s, PCP, p);
  s.pcpCount--;
  s.priv[p] = 0;
  s.refcount[p] = 1;
  s.mapcount[p] = -1;
  s.flags[p] = 0;
  s.allocOrder[p] = 1;
  return p;
}

function iFree(s: BuddyArrays, p: number): void {
  if (p < 0 || p >= NPAGES || s.mapcount[p] === BUDDY_MAP || s.refcount[p] <= 0 || s.allocOrder[p] !== 1) throw new Error('bad free');
  if (s.refcount[p] > 1) {
    s.refcount[p]--;
    return;
  }
  if (s.mapcount[p] !== -1 || s.mapping[p] !== 0 || s.flags[p] !== 0) throw new Error('bad page');
  s.refcount[p] = 0;
  s.flags[p] = 0;
  s.allocOrder[p] = 0;
  iAddHead(s, PCP, p);
  if (++s.pcpCount >= PCP_HIGH) {
    for (let n = PCP_BATCH; n > 0 && s.pcpCount > 0; n--) {
      const q = s.tail[PCP];
      iDel(s, PCP, q);
      s.pcpCount--;
      iFreeOne(s, q, 0);
    }
  }
}

const BURST = 512;

/** The peer's two patterns: 512 allocations then LIFO frees, or each allocation freed at once. */
function loopOf(alloc: () => number, free: (p: number) => void): Loop {
  const held = new Int32Array(BURST);
  return (pair) => {
    if (pair) {
      for (let i = 0; i < BURST; i++) {
        const p = alloc();
        if (p < 0) throw new Error('alloc failed');
        free(p);
      }
      return;
    }
    for (let i = 0; i < BURST; i++) {
      const p = alloc();
      if (p < 0) throw new Error('alloc failed');
      held[i] = p;
    }
    for (let i = BURST - 1; i >= 0; i--) free(held[i]);
  };
}

function cpuRate(loop: Loop, pair: boolean, seconds: number, rounds: number): number {
  const t0 = performance.now();
  while (performance.now() - t0 < 300) loop(pair);
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    let pairs = 0;
    do {
      loop(pair);
      pairs += BURST;
    } while (performance.now() - w0 < seconds * 1000);
    const c = process.cpuUsage(c0);
    rates.push(pairs / ((c.user + c.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[rates.length >> 1]);
}

const [pattern = 'burst512', secs = '0.5', rounds = '5'] = process.argv.slice(2);
if (pattern !== 'burst512' && pattern !== 'pair') {
  console.error(`buddy-js-ceiling: pattern must be burst512 or pair, got '${pattern}'`);
  process.exit(2);
}
const seconds = Number(secs);
const nRounds = Number(rounds);
if (!(seconds > 0 && seconds <= 60) || !(Number.isInteger(nRounds) && nRounds >= 1 && nRounds <= 64)) {
  console.error('buddy-js-ceiling: SECS must be in (0, 60] and ROUNDS an integer in [1, 64]');
  process.exit(2);
}
for (const [shape, make] of [
  ['module', moduleShape],
  ['instance', instanceShape],
] as const) {
  console.log(JSON.stringify({ impl: `js-port-${shape}`, pattern, unit: 'pairs/s', cpuMedian: cpuRate(make(), pattern === 'pair', seconds, nRounds) }));
}

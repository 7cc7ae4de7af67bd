/**
 * The per-cpu side of SLUB (struct kmem_cache_cpu, mm/slub.c 4.17, CONFIG_SLUB_CPU_PARTIAL):
 * giving the cpu slab back to its node (deactivate_slab(), flush_all()) and the per-cpu partial
 * list c->partial (put_cpu_partial(), unfreeze_partials(), s->cpu_partial).
 */
import {
  CPU_END,
  CPU_START,
  CPU_STATE,
  CPU_WORD,
  NO_WORDS,
  SLAB_BASE,
  SLAB_END,
  SLAB_FROZEN,
  SLAB_INUSE,
  SLAB_STATE,
  SLAB_WORD,
  cpuFreelist,
  setCpuFreelist,
  setSlabFreelist,
  slabFreelist,
  type SlubCache,
} from './cache.js';
import { checkValidPointer, freepointerCorrupt } from './debug.js';
import { discardSlab, getFreepointer, setFreepointer } from './slab-page.js';
import type { SlubState } from './state.js';

/**
 * c->page = slot (-1: none), with the cpu slab's direct view (SlubCache.cpuState's CPU_START,
 * CPU_END, CPU_WORD, and cpuWords) moved to it: its slab's view (pinSlab()), when it has one.
 * Every change of s.cpuSlab[cpu] goes through here.
 */
export function setCpuSlab(st: SlubState, s: SlubCache, cpu: number, slot: number): void {
  const c = s.cpuState;
  const at = cpu * CPU_STATE;
  s.cpuSlab[cpu] = slot;
  if (slot === s.hitSlot) s.forgetHit(); // the free fast path takes c->page's frees by its own test
  const r = slot * SLAB_STATE;
  if (slot < 0 || s.slabState[r + SLAB_WORD] < 0) {
    c[at + CPU_START] = 1;
    c[at + CPU_END] = 0;
    s.cpuWords[cpu] = NO_WORDS;
    return;
  }
  c[at + CPU_START] = s.slabState[r + SLAB_BASE];
  c[at + CPU_END] = s.slabState[r + SLAB_END];
  c[at + CPU_WORD] = s.slabState[r + SLAB_WORD];
  s.cpuWords[cpu] = s.slabWords[slot];
}

/**
 * deactivate_slab(): give the cpu freelist back to the slab (object by object onto
 * page->freelist), unfreeze it, and put it on the partial list (at the tail if others freed
 * into it meanwhile), discard it if empty and the node has min_partial partial slabs, or
 * leave it off the lists if full.
 */
export function deactivateSlab(st: SlubState, s: SlubCache, slot: number, freelist: number): void {
  const tail = slabFreelist(s, slot) !== 0;
  let object = freelist;
  let steps = 0;
  while (object !== 0) {
    const next = getFreepointer(st, s, object);
    if (!checkValidPointer(s, slot, next) || ++steps > s.slabObjects[slot]) {
      freepointerCorrupt(st, s, slot, object, next);
      return;
    }
    setFreepointer(st, s, object, slabFreelist(s, slot));
    setSlabFreelist(s, slot, object);
    s.slabState[slot * SLAB_STATE + SLAB_INUSE]--;
    object = next;
  }
  s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 0;
  const node = s.slabNode[slot];
  const pfn = s.slabPfn[slot];
  if (s.slabState[slot * SLAB_STATE + SLAB_INUSE] === 0 && s.partial.length[node] >= s.minPartial) discardSlab(st, s, slot); // M_FREE
  else if (slabFreelist(s, slot) !== 0) {
    // M_PARTIAL
    if (tail) s.partial.addTail(node, pfn);
    else s.partial.addHead(node, pfn);
  }
  // M_FULL: on no list
}

/** flush_all() → __flush_cpu_slab() on every CPU: flush_slab() and unfreeze_partials(). */
export function flushAll(st: SlubState, s: SlubCache): void {
  for (let cpu = 0; cpu < st.nrCpus; cpu++) {
    const slot = s.cpuSlab[cpu];
    if (slot >= 0) {
      const freelist = cpuFreelist(s, cpu);
      setCpuSlab(st, s, cpu, -1);
      setCpuFreelist(s, cpu, 0);
      deactivateSlab(st, s, slot, freelist);
    }
    unfreezePartials(st, s, cpu);
  }
}

/**
 * put_cpu_partial(): push a frozen slab onto this CPU's c->partial; with `drain`, a list
 * already holding more than s->cpu_partial free objects goes to the node first
 * (CPU_PARTIAL_DRAIN). The list head carries the counts (page->pages, page->pobjects).
 */
export function putCpuPartial(st: SlubState, s: SlubCache, slot: number, drain: boolean): void {
  const cpu = st.sched.currentCpu;
  let old = s.cpuPartialList[cpu];
  let pages = 0;
  let pobjects = 0;
  if (old >= 0) {
    pobjects = s.slabPobjects[old];
    pages = s.slabPages[old];
    if (drain && pobjects > s.cpuPartial) {
      unfreezePartials(st, s, cpu);
      old = -1;
      pobjects = 0;
      pages = 0;
    }
  }
  pages++;
  pobjects += s.slabObjects[slot] - s.slabState[slot * SLAB_STATE + SLAB_INUSE];
  s.slabPages[slot] = pages;
  s.slabPobjects[slot] = pobjects;
  s.slabNext[slot] = old;
  s.cpuPartialList[cpu] = slot;
  if (!s.cpuPartial) unfreezePartials(st, s, cpu);
}

/**
 * unfreeze_partials(): every slab of c->partial is unfrozen onto its node's partial list
 * (at the tail), or discarded when empty and the node has min_partial partial slabs.
 */
export function unfreezePartials(st: SlubState, s: SlubCache, cpu: number): void {
  let slot = s.cpuPartialList[cpu];
  s.cpuPartialList[cpu] = -1;
  let discard = -1;
  while (slot >= 0) {
    const next = s.slabNext[slot];
    s.slabNext[slot] = -1;
    s.slabState[slot * SLAB_STATE + SLAB_FROZEN] = 0;
    const node = s.slabNode[slot];
    if (s.slabState[slot * SLAB_STATE + SLAB_INUSE] === 0 && s.partial.length[node] >= s.minPartial) {
      s.slabNext[slot] = discard;
      discard = slot;
    } else s.partial.addTail(node, s.slabPfn[slot]); // FREE_ADD_PARTIAL
    slot = next;
  }
  while (discard >= 0) {
    const next = s.slabNext[discard];
    s.slabNext[discard] = -1;
    discardSlab(st, s, discard);
    discard = next;
  }
}

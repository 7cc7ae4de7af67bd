/**
 * The VMAs of one mm: struct vm_area_struct as typed arrays indexed by a VMA number (slot 0 is
 * NULL), kept twice as 4.17 keeps them (mm/mmap.c): a doubly linked list in address order
 * (vm_next, vm_prev, mm->mmap) and a search tree ordered by vm_start, augmented with
 * rb_subtree_gap (the largest free gap below each node: vm_start_gap(vma) - vm_end_gap(prev),
 * vma_compute_subtree_gap()) so unmapped_area() and unmapped_area_topdown() find a hole in
 * O(log n).
 *
 * Linux's tree is an augmented rbtree; ours is an augmented treap (a binary search tree whose
 * priorities, from a seeded generator, keep it balanced in expectation): lookup, insert and
 * remove are O(log n) with rotations as simple as the rbtree's, and no operation allocates.
 */
import { VM_GROWSDOWN } from '@mmkit/core';

const INITIAL_VMAS = 64;

export class VmaTable {
  /** Capacity: slots 1..cap-1 are VMAs. */
  cap = INITIAL_VMAS;
  vmStart = new Float64Array(INITIAL_VMAS);
  vmEnd = new Float64Array(INITIAL_VMAS);
  vmPgoff = new Float64Array(INITIAL_VMAS);
  vmFlags = new Uint32Array(INITIAL_VMAS);
  /** The struct file mapped (an open-file number of the mm's FileTable), 0 for none. */
  vmFile = new Int32Array(INITIAL_VMAS);
  /** The anon_vma's identity, 0 for none. */
  anonVma = new Int32Array(INITIAL_VMAS);
  /** The length of anon_vma_chain (0 without anon_vma, 1 for its own, more after fork). */
  anonChain = new Uint16Array(INITIAL_VMAS);
  /** A special mapping's name (vm_ops with .name and .close), an index into the mm's names + 1; 0 for none. */
  special = new Int32Array(INITIAL_VMAS);
  vmNext = new Int32Array(INITIAL_VMAS);
  vmPrev = new Int32Array(INITIAL_VMAS);
  left = new Int32Array(INITIAL_VMAS);
  right = new Int32Array(INITIAL_VMAS);
  parent = new Int32Array(INITIAL_VMAS);
  prio = new Uint32Array(INITIAL_VMAS);
  /** vm_start_gap(vma) - vm_end_gap(vma->vm_prev), at least 0: this VMA's own gap. */
  gap = new Float64Array(INITIAL_VMAS);
  /** rb_subtree_gap. */
  subGap = new Float64Array(INITIAL_VMAS);

  /** The tree's root (mm->mm_rb), the list's head (mm->mmap) and tail, 0 when empty. */
  root = 0;
  head = 0;
  tail = 0;
  /** mm->map_count. */
  mapCount = 0;
  /** mm->highest_vm_end: vm_end_gap() of the last VMA. */
  highestVmEnd = 0;
  /**
   * The address a call answers (unmapped_area()'s hole, get_unmapped_area()'s and do_mmap()'s
   * address), read right after the call: the call itself returns 0 or -errno, since V8 boxes a
   * double returned from a call it has not inlined (a HeapNumber per mmap), never a typed
   * array's element.
   */
  readonly addrOut = new Float64Array(1);
  /** Free slots, linked through vmNext. */
  private freeHead = 0;
  private used = 1;
  private seed = 0x2545f491;

  constructor(readonly stackGuardGap: number) {}

  /** A new VMA number with its fields zero (kmem_cache_zalloc(vm_area_cachep)); grows the arrays when full. */
  alloc(): number {
    let v = this.freeHead;
    if (v !== 0) {
      this.freeHead = this.vmNext[v];
    } else {
      if (this.used === this.cap) this.grow();
      v = this.used++;
    }
    this.vmStart[v] = 0;
    this.vmEnd[v] = 0;
    this.vmPgoff[v] = 0;
    this.vmFlags[v] = 0;
    this.vmFile[v] = 0;
    this.anonVma[v] = 0;
    this.anonChain[v] = 0;
    this.special[v] = 0;
    this.vmNext[v] = 0;
    this.vmPrev[v] = 0;
    this.left[v] = 0;
    this.right[v] = 0;
    this.parent[v] = 0;
    // xorshift32: deterministic priorities.
    let s = this.seed;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.seed = s >>> 0;
    this.prio[v] = this.seed;
    return v;
  }

  /** kmem_cache_free(vm_area_cachep): the VMA must be unlinked. */
  free(v: number): void {
    this.vmEnd[v] = 0;
    this.vmStart[v] = 0;
    this.vmNext[v] = this.freeHead;
    this.freeHead = v;
  }

  /** *new = *vma (split_vma, copy_vma): every field but the links. */
  copyFields(to: number, from: number): void {
    this.vmStart[to] = this.vmStart[from];
    this.vmEnd[to] = this.vmEnd[from];
    this.vmPgoff[to] = this.vmPgoff[from];
    this.vmFlags[to] = this.vmFlags[from];
    this.vmFile[to] = this.vmFile[from];
    this.anonVma[to] = this.anonVma[from];
    this.anonChain[to] = this.anonChain[from];
    this.special[to] = this.special[from];
  }

  private grow(): void {
    const cap = this.cap * 2;
    const f64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
    this.vmStart = f64(this.vmStart);
    this.vmEnd = f64(this.vmEnd);
    this.vmPgoff = f64(this.vmPgoff);
    this.gap = f64(this.gap);
    this.subGap = f64(this.subGap);
    const flags = new Uint32Array(cap);
    flags.set(this.vmFlags);
    this.vmFlags = flags;
    const prio = new Uint32Array(cap);
    prio.set(this.prio);
    this.prio = prio;
    const chain = new Uint16Array(cap);
    chain.set(this.anonChain);
    this.anonChain = chain;
    this.vmFile = i32(this.vmFile);
    this.anonVma = i32(this.anonVma);
    this.special = i32(this.special);
    this.vmNext = i32(this.vmNext);
    this.vmPrev = i32(this.vmPrev);
    this.left = i32(this.left);
    this.right = i32(this.right);
    this.parent = i32(this.parent);
    this.cap = cap;
  }

  /** vm_start_gap(): the start, lowered by stack_guard_gap for a VMA that grows down (0 if that underflows). */
  vmStartGap(v: number): number {
    const start = this.vmStart[v];
    if (this.vmFlags[v] & VM_GROWSDOWN) return start > this.stackGuardGap ? start - this.stackGuardGap : 0;
    return start;
  }

  /** vm_end_gap(): the end (x86 has no VM_GROWSUP). */
  vmEndGap(v: number): number {
    return this.vmEnd[v];
  }

  /** find_vma() of an address given as its vaHigh()/vaLow() halves (the fault path: int32s cross the call, core's units.ts). */
  findVmaHalves(high: number, low: number): number {
    const addr = high * 4294967296 + (low >>> 0); // vaJoin(): a local double is never boxed
    let node = this.root;
    let vma = 0;
    while (node !== 0) {
      if (this.vmEnd[node] > addr) {
        vma = node;
        if (this.vmStart[node] <= addr) break;
        node = this.left[node];
      } else {
        node = this.right[node];
      }
    }
    return vma;
  }

  /** find_vma(): the first VMA with addr < vm_end, or 0. */
  findVma(addr: number): number {
    let node = this.root;
    let vma = 0;
    while (node !== 0) {
      if (this.vmEnd[node] > addr) {
        vma = node;
        if (this.vmStart[node] <= addr) break;
        node = this.left[node];
      } else {
        node = this.right[node];
      }
    }
    return vma;
  }

  /** find_vma_prev()'s *pprev for find_vma(addr) = vma: vma's predecessor, or the last VMA when vma is 0. */
  prevOf(vma: number): number {
    return vma !== 0 ? this.vmPrev[vma] : this.tail;
  }

  /**
   * find_vma_links() of [addr, end), both given as their vaHigh()/vaLow() halves (joined here as
   * vaJoin() does, written out: a call V8 does not inline boxes its double result): the VMA after
   * which the range would be linked, or -1 when a VMA overlaps it (Linux's -ENOMEM, which makes
   * mmap_region() and do_brk_flags() unmap first).
   */
  findVmaLinks(addrHigh: number, addrLow: number, endHigh: number, endLow: number): number {
    const vma = this.findVmaHalves(addrHigh, addrLow);
    if (vma !== 0 && this.vmStart[vma] < (endHigh * 4294967296 + (endLow >>> 0))) return -1;
    return this.prevOf(vma);
  }

  private pull(v: number): void {
    let g = this.gap[v];
    const l = this.left[v];
    const r = this.right[v];
    if (l !== 0 && this.subGap[l] > g) g = this.subGap[l];
    if (r !== 0 && this.subGap[r] > g) g = this.subGap[r];
    this.subGap[v] = g;
  }

  /** Recompute rb_subtree_gap from v to the root. */
  private pullToRoot(v: number): void {
    while (v !== 0) {
      this.pull(v);
      v = this.parent[v];
    }
  }

  /** vma_compute_gap() of v itself, then vma_gap_update(): its ancestors, stopping where nothing changes. */
  gapUpdate(v: number): void {
    const prev = this.vmPrev[v];
    const start = this.vmStartGap(v);
    const prevEnd = prev !== 0 ? this.vmEndGap(prev) : 0;
    this.gap[v] = start > prevEnd ? start - prevEnd : 0;
    while (v !== 0) {
      const old = this.subGap[v];
      this.pull(v);
      if (this.subGap[v] === old) return;
      v = this.parent[v];
    }
  }

  /** The new highest_vm_end after the last VMA changed. */
  private updateHighest(): void {
    this.highestVmEnd = this.tail !== 0 ? this.vmEndGap(this.tail) : 0;
  }

  private rotateUp(v: number): void {
    const p = this.parent[v];
    const g = this.parent[p];
    if (this.left[p] === v) {
      const c = this.right[v];
      this.left[p] = c;
      if (c !== 0) this.parent[c] = p;
      this.right[v] = p;
    } else {
      const c = this.left[v];
      this.right[p] = c;
      if (c !== 0) this.parent[c] = p;
      this.left[v] = p;
    }
    this.parent[p] = v;
    this.parent[v] = g;
    if (g === 0) this.root = v;
    else if (this.left[g] === p) this.left[g] = v;
    else this.right[g] = v;
    this.pull(p);
    this.pull(v);
  }

  /**
   * vma_link() / __vma_link_list() + __vma_link_rb(): put v (its start and end set, disjoint from
   * every VMA) after prev (0: first) in the list and into the tree; map_count++.
   */
  link(v: number, prev: number): void {
    const next = prev !== 0 ? this.vmNext[prev] : this.head;
    this.vmPrev[v] = prev;
    this.vmNext[v] = next;
    if (prev !== 0) this.vmNext[prev] = v;
    else this.head = v;
    if (next !== 0) this.vmPrev[next] = v;
    else this.tail = v;
    // Tree insertion as a leaf, then rotations up by priority.
    const start = this.vmStart[v];
    this.left[v] = 0;
    this.right[v] = 0;
    let p = 0;
    let node = this.root;
    let goLeft = false;
    while (node !== 0) {
      p = node;
      goLeft = start < this.vmStart[node];
      node = goLeft ? this.left[node] : this.right[node];
    }
    this.parent[v] = p;
    if (p === 0) this.root = v;
    else if (goLeft) this.left[p] = v;
    else this.right[p] = v;
    const prevEnd = prev !== 0 ? this.vmEndGap(prev) : 0;
    const startGap = this.vmStartGap(v);
    this.gap[v] = startGap > prevEnd ? startGap - prevEnd : 0;
    this.subGap[v] = this.gap[v];
    while (this.parent[v] !== 0 && this.prio[v] > this.prio[this.parent[v]]) this.rotateUp(v);
    this.pullToRoot(v);
    if (next !== 0) this.gapUpdate(next);
    this.mapCount++;
    this.updateHighest();
  }

  /** __vma_unlink_common() / vma_rb_erase(): take v out of the list and the tree; map_count--. The slot stays allocated. */
  unlink(v: number): void {
    const prev = this.vmPrev[v];
    const next = this.vmNext[v];
    if (prev !== 0) this.vmNext[prev] = next;
    else this.head = next;
    if (next !== 0) this.vmPrev[next] = prev;
    else this.tail = prev;
    // Rotate v down until it has at most one child, then splice it out.
    for (;;) {
      const l = this.left[v];
      const r = this.right[v];
      if (l === 0 || r === 0) break;
      this.rotateUp(this.prio[l] > this.prio[r] ? l : r);
    }
    const child = this.left[v] !== 0 ? this.left[v] : this.right[v];
    const p = this.parent[v];
    if (child !== 0) this.parent[child] = p;
    if (p === 0) this.root = child;
    else if (this.left[p] === v) this.left[p] = child;
    else this.right[p] = child;
    this.pullToRoot(p);
    this.left[v] = 0;
    this.right[v] = 0;
    this.parent[v] = 0;
    if (next !== 0) this.gapUpdate(next);
    this.mapCount--;
    this.updateHighest();
  }

  /**
   * The bounds of v changed in place (vma_adjust(), expand_stack()): its own gap, the next VMA's
   * gap and highest_vm_end follow. The order of the VMAs must not change.
   */
  boundsChanged(v: number): void {
    this.gapUpdate(v);
    const next = this.vmNext[v];
    if (next !== 0) this.gapUpdate(next);
    else this.updateHighest();
  }

  /**
   * unmapped_area(): the lowest gap_start in [low_limit, high_limit - length] where length bytes
   * fit below vm_start_gap() of the next VMA: 0 with it in addrOut[0], or -ENOMEM (-12). Ported
   * from 4.17 (align_mask 0). The arguments come as vaHigh()/vaLow() halves.
   */
  unmappedArea(lengthHigh: number, lengthLow: number, lowHigh: number, lowLow: number, highHigh: number, highLow: number): number {
    const length = lengthHigh * 4294967296 + (lengthLow >>> 0);
    const lowLimit = lowHigh * 4294967296 + (lowLow >>> 0);
    const highLimit = highHigh * 4294967296 + (highLow >>> 0);
    if (highLimit < length) return -12;
    const high = highLimit - length;
    if (lowLimit > high) return -12;
    const low = lowLimit + length;
    let gapStart = 0;
    let gapEnd = 0;
    found: {
      if (this.root === 0) break found;
      let vma = this.root;
      if (this.subGap[vma] < length) break found;
      for (;;) {
        gapEnd = this.vmStartGap(vma);
        const l = this.left[vma];
        if (gapEnd >= low && l !== 0 && this.subGap[l] >= length) {
          vma = l;
          continue;
        }
        const prev = this.vmPrev[vma];
        gapStart = prev !== 0 ? this.vmEndGap(prev) : 0;
        for (;;) {
          // check_current
          if (gapStart > high) return -12;
          if (gapEnd >= low && gapEnd > gapStart && gapEnd - gapStart >= length) return this.foundBottomUp(gapStart, lowLimit);
          const r = this.right[vma];
          if (r !== 0 && this.subGap[r] >= length) {
            vma = r;
            break;
          }
          // Go back up to find the next candidate.
          let climbed = false;
          for (;;) {
            const child = vma;
            vma = this.parent[child];
            if (vma === 0) break;
            if (child === this.left[vma]) {
              gapStart = this.vmEndGap(this.vmPrev[vma]);
              gapEnd = this.vmStartGap(vma);
              climbed = true;
              break;
            }
          }
          if (!climbed) break found;
        }
      }
    }
    // Check the highest gap, which does not precede any VMA.
    gapStart = this.highestVmEnd;
    if (gapStart > high) return -12;
    return this.foundBottomUp(gapStart, lowLimit);
  }

  private foundBottomUp(gapStart: number, lowLimit: number): number {
    this.addrOut[0] = gapStart < lowLimit ? lowLimit : gapStart;
    return 0;
  }

  /**
   * unmapped_area_topdown(): the highest address below high_limit where length bytes fit, at or
   * above low_limit: 0 with it in addrOut[0], or -ENOMEM. Ported from 4.17 (align_mask 0). The
   * arguments come as vaHigh()/vaLow() halves.
   */
  unmappedAreaTopdown(lengthHigh: number, lengthLow: number, lowHigh: number, lowLow: number, highHigh: number, highLow: number): number {
    const length = lengthHigh * 4294967296 + (lengthLow >>> 0);
    const lowLimit = lowHigh * 4294967296 + (lowLow >>> 0);
    const highLimit = highHigh * 4294967296 + (highLow >>> 0);
    let gapEnd = highLimit;
    if (gapEnd < length) return -12;
    const high = gapEnd - length;
    if (lowLimit > high) return -12;
    const low = lowLimit + length;
    let gapStart = this.highestVmEnd;
    if (gapStart <= high) {
      this.addrOut[0] = gapEnd - length; // found_highest
      return 0;
    }
    if (this.root === 0) return -12;
    let vma = this.root;
    if (this.subGap[vma] < length) return -12;
    for (;;) {
      let prev = this.vmPrev[vma];
      gapStart = prev !== 0 ? this.vmEndGap(prev) : 0;
      const r = this.right[vma];
      if (gapStart <= high && r !== 0 && this.subGap[r] >= length) {
        vma = r;
        continue;
      }
      for (;;) {
        // check_current
        gapEnd = this.vmStartGap(vma);
        if (gapEnd < low) return -12;
        if (gapStart <= high && gapEnd > gapStart && gapEnd - gapStart >= length) {
          if (gapEnd > highLimit) gapEnd = highLimit;
          this.addrOut[0] = gapEnd - length;
          return 0;
        }
        const l = this.left[vma];
        if (l !== 0 && this.subGap[l] >= length) {
          vma = l;
          break;
        }
        let climbed = false;
        for (;;) {
          const child = vma;
          vma = this.parent[child];
          if (vma === 0) return -12;
          if (child === this.right[vma]) {
            prev = this.vmPrev[vma];
            gapStart = prev !== 0 ? this.vmEndGap(prev) : 0;
            climbed = true;
            break;
          }
        }
        if (!climbed) return -12;
      }
    }
  }
}

/**
 * KASAN's part in freeing slab objects (mm/kasan/kasan.c, mm/kasan/quarantine.c, 4.17):
 * the shadow state of each object, __kasan_slab_free()'s verdict, and the quarantine that
 * delays the reuse of freed objects so that use-after-free is caught.
 *
 * The quarantine is one FIFO of objects (Linux keeps per-cpu qlists batched into a global ring
 * of batches; the order objects leave it in is the same, oldest first), held in a ring of
 * typed-array slots that grows by doubling: putting an object allocates nothing, and however
 * many objects it holds, no call ever takes them as arguments.
 */
import { SLAB_KASAN, SLAB_TYPESAFE_BY_RCU, type KasanHooks, type KmemCache, type ObjAddr, type SlabAllocator } from '@mmkit/core';

/** QUARANTINE_FRACTION: the quarantine may hold 1/32 of RAM. */
export const QUARANTINE_FRACTION = 32;

const ALLOCATED = 1;
const FREED = 2;

const INITIAL_SLOTS = 1024;

export interface KasanReport {
  readonly kind: 'double-free' | 'invalid-free';
  readonly cache: string;
  readonly addr: ObjAddr;
}

export class Kasan implements KasanHooks {
  /** Shadow state of every object KASAN has seen, by address. */
  private readonly shadow = new Map<ObjAddr, number>();
  /** The quarantine, a ring: object addresses and their caches, oldest at qHead. */
  private qAddr = new Float64Array(INITIAL_SLOTS);
  private qCache: (KmemCache | undefined)[] = new Array<KmemCache | undefined>(INITIAL_SLOTS).fill(undefined);
  private qHead = 0;
  private qLen = 0;
  private bytes = 0;
  readonly reports: KasanReport[] = [];
  private slab: SlabAllocator | undefined;

  constructor(
    /** The most the quarantine holds, in bytes (totalram / QUARANTINE_FRACTION). */
    /** Set at boot once totalram is known (kasanInit). */
    public quarantineMaxBytes: number,
    private readonly report: (r: KasanReport, message: string) => void,
  ) {}

  /** The allocator the quarantine hands objects back to. */
  attach(slab: SlabAllocator): void {
    this.slab = slab;
  }

  /** Objects now in the quarantine. */
  get quarantined(): number {
    return this.qLen;
  }

  get quarantineBytes(): number {
    return this.bytes;
  }

  /** kasan_slab_alloc() / kasan_kmalloc(): unpoison the object. */
  slabAlloc(_cache: KmemCache, addr: ObjAddr): void {
    this.shadow.set(addr, ALLOCATED);
  }

  /** kasan_slab_free() → __kasan_slab_free(cache, object, ip, quarantine = true). */
  slabFree(cache: KmemCache, addr: ObjAddr): boolean {
    const state = this.shadow.get(addr);
    if (state === undefined) {
      // nearest_obj(cache, page, object) != object, or an object KASAN never saw handed out.
      this.fail({ kind: 'invalid-free', cache: cache.name, addr }, `BUG: KASAN: double-free or invalid-free in kmem_cache_free+0x0/0x0\nobject 0x${addr.toString(16)} is not the start of an allocated object of cache ${cache.name}`);
      return true;
    }
    // RCU slabs could be legally used after free within the RCU period.
    if (cache.flags & SLAB_TYPESAFE_BY_RCU) return false;
    if (state !== ALLOCATED) {
      this.fail({ kind: 'double-free', cache: cache.name, addr }, `BUG: KASAN: double-free or invalid-free in kmem_cache_free+0x0/0x0\nobject 0x${addr.toString(16)} of cache ${cache.name} is already free`);
      return true;
    }
    this.shadow.set(addr, FREED); // kasan_poison_shadow(..., KASAN_KMALLOC_FREE)
    if (!(cache.flags & SLAB_KASAN)) {
      this.shadow.delete(addr);
      return false;
    }
    this.quarantinePut(cache, addr);
    return true;
  }

  private fail(r: KasanReport, message: string): void {
    this.reports.push(r);
    this.report(r, message);
  }

  /** quarantine_put(), then quarantine_reduce() when over the limit. */
  private quarantinePut(cache: KmemCache, addr: ObjAddr): void {
    if (this.qLen === this.qAddr.length) this.growRing();
    const slot = (this.qHead + this.qLen) % this.qAddr.length;
    this.qAddr[slot] = addr;
    this.qCache[slot] = cache;
    this.qLen++;
    this.bytes += cache.size;
    while (this.bytes > this.quarantineMaxBytes && this.qLen > 0) this.releaseOldest();
  }

  /** The ring doubles, its objects kept in order from slot 0. */
  private growRing(): void {
    const n = this.qAddr.length;
    const addr = new Float64Array(n * 2);
    const caches = new Array<KmemCache | undefined>(n * 2).fill(undefined);
    for (let i = 0; i < this.qLen; i++) {
      const from = (this.qHead + i) % n;
      addr[i] = this.qAddr[from];
      caches[i] = this.qCache[from];
    }
    this.qAddr = addr;
    this.qCache = caches;
    this.qHead = 0;
  }

  /** qlink_free() of the oldest object: back to its cache, its shadow forgotten. */
  private releaseOldest(): void {
    const slot = this.qHead;
    const cache = this.qCache[slot]!;
    const addr = this.qAddr[slot];
    this.qCache[slot] = undefined;
    this.qHead = (slot + 1) % this.qAddr.length;
    this.qLen--;
    this.release(cache, addr);
  }

  private release(cache: KmemCache, addr: ObjAddr): void {
    this.bytes -= cache.size;
    this.shadow.delete(addr);
    if (!this.slab) throw new Error('kernel bug: KASAN quarantine has no allocator attached');
    this.slab.quarantineRelease(cache, addr);
  }

  /** Empty the quarantine (quarantine_reduce() to zero, as memory pressure would). */
  drain(): void {
    while (this.qLen > 0) this.releaseOldest();
  }

  /**
   * kasan_cache_shutdown() → quarantine_remove_cache(): every object of the cache leaves the
   * quarantine and goes back to it (qlist_move_cache() then qlist_free_all()); the others stay,
   * in their order. The ring is compacted in place.
   */
  cacheShutdown(cache: KmemCache): void {
    const n = this.qAddr.length;
    const len = this.qLen;
    let kept = 0;
    for (let i = 0; i < len; i++) {
      const from = (this.qHead + i) % n;
      const c = this.qCache[from]!;
      const addr = this.qAddr[from];
      if (c === cache) {
        this.qCache[from] = undefined;
        this.release(c, addr);
        continue;
      }
      const to = (this.qHead + kept) % n;
      if (to !== from) {
        this.qAddr[to] = addr;
        this.qCache[to] = c;
        this.qCache[from] = undefined;
      }
      kept++;
    }
    this.qLen = kept;
  }

  /** Every quarantined object, oldest first (for the invariant checker). */
  forEachQuarantined(fn: (cache: KmemCache, addr: ObjAddr) => void): void {
    const n = this.qAddr.length;
    for (let i = 0; i < this.qLen; i++) {
      const slot = (this.qHead + i) % n;
      fn(this.qCache[slot]!, this.qAddr[slot]);
    }
  }

  /** Objects the shadow marks freed (KASAN_KMALLOC_FREE): each must be in the quarantine. */
  shadowFreed(): number {
    let n = 0;
    for (const v of this.shadow.values()) if (v === FREED) n++;
    return n;
  }
}

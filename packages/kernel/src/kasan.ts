/**
 * KASAN's part in freeing slab objects (mm/kasan/kasan.c, mm/kasan/quarantine.c, 4.17):
 * the shadow state of each object, __kasan_slab_free()'s verdict, and the quarantine that
 * delays the reuse of freed objects so that use-after-free is caught.
 */
import { SLAB_KASAN, SLAB_TYPESAFE_BY_RCU, type KasanHooks, type KmemCache, type ObjAddr, type SlabAllocator } from '@mmkit/core';

/** QUARANTINE_FRACTION: the quarantine may hold 1/32 of RAM. */
export const QUARANTINE_FRACTION = 32;

const ALLOCATED = 1;
const FREED = 2;

export interface KasanReport {
  readonly kind: 'double-free' | 'invalid-free';
  readonly cache: string;
  readonly addr: ObjAddr;
}

export class Kasan implements KasanHooks {
  /** Shadow state of every object KASAN has seen, by address. */
  private readonly shadow = new Map<ObjAddr, number>();
  /** The quarantine, oldest first: objects whose free is delayed. */
  private readonly quarantine: { cache: KmemCache; addr: ObjAddr }[] = [];
  private quarantineHead = 0;
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
    return this.quarantine.length - this.quarantineHead;
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
    this.quarantine.push({ cache, addr });
    this.bytes += cache.size;
    while (this.bytes > this.quarantineMaxBytes && this.quarantined > 0) this.releaseOldest();
  }

  private releaseOldest(): void {
    const entry = this.quarantine[this.quarantineHead++];
    this.bytes -= entry.cache.size;
    this.shadow.delete(entry.addr);
    if (!this.slab) throw new Error('kernel bug: KASAN quarantine has no allocator attached');
    this.slab.quarantineRelease(entry.cache, entry.addr);
    if (this.quarantineHead > 1024 && this.quarantineHead * 2 > this.quarantine.length) {
      this.quarantine.splice(0, this.quarantineHead);
      this.quarantineHead = 0;
    }
  }

  /** Empty the quarantine (quarantine_reduce() to zero, as memory pressure would). */
  drain(): void {
    while (this.quarantined > 0) this.releaseOldest();
  }

  /** kasan_cache_shutdown() → quarantine_remove_cache(): give back every object of a cache. */
  cacheShutdown(cache: KmemCache): void {
    const keep: { cache: KmemCache; addr: ObjAddr }[] = [];
    for (let i = this.quarantineHead; i < this.quarantine.length; i++) {
      const e = this.quarantine[i];
      if (e.cache === cache) {
        this.bytes -= cache.size;
        this.shadow.delete(e.addr);
        this.slab?.quarantineRelease(cache, e.addr);
      } else keep.push(e);
    }
    this.quarantine.length = 0;
    this.quarantine.push(...keep);
    this.quarantineHead = 0;
  }
}

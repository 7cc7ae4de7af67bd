/**
 * What the paths of SLAB (mm/slab.c, Linux 4.17) share: the services, the slab_caches list,
 * the caches by id (page->slab_cache), the per-slab table, the poison templates, and the lookup
 * of an address (virt_to_head_page() -> PG_slab -> page->slab_cache, then the object index).
 *
 * The allocator is a chain of classes, each adding one concern of mm/slab.c:
 * SlabState -> SlabDebugChecks (debug-checks.ts) -> SlabGrow (grow.ts) -> SlabFreePath
 * (free.ts) -> SlabAllocPath (alloc.ts) -> SlabReap (reap.ts) -> Slab (slab.ts). The per-slab,
 * per-cpu and per-node state is in typed arrays and the paths are methods of the one object, so
 * the hot paths allocate no JavaScript objects.
 */
import { PAGE_SIZE, PG_slab, PG_tail, type KmemCache, type PageStore, type Scheduler, type SlabAllocatorServices } from '@mmkit/core';
import type { SlabCache } from './cache.js';
import { ObjectBytes } from './debug.js';
import { SlabTable } from './slab-table.js';

/** An address or gfp mask as the messages print it: 0x and lowercase hex. */
export function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}

export class SlabState {
  protected readonly sched: Scheduler;
  protected readonly pages: PageStore;
  protected readonly bytes: ObjectBytes;
  protected readonly slabs = new SlabTable();
  /** slab_caches: the live caches in creation order. */
  protected readonly cacheList: SlabCache[] = [];
  /** Caches by id (page->slab_cache); undefined once destroyed. */
  protected readonly cacheById: (SlabCache | undefined)[] = [undefined];
  protected readonly nrNodes: number;
  protected readonly nrZones: number;
  /** Poison templates per cache id (POISON_FREE, POISON_INUSE). */
  protected readonly poisonFree: (Uint8Array | undefined)[] = [undefined];
  protected readonly poisonInuse: (Uint8Array | undefined)[] = [undefined];
  /** Set by lookupObject(): the slab and index of the address looked up. */
  protected foundSlab = -1;
  protected foundIdx = -1;

  constructor(protected readonly services: SlabAllocatorServices) {
    this.sched = services.sched;
    this.pages = services.pages;
    this.bytes = new ObjectBytes(services.contents, services.phys);
    let maxNid = 0;
    for (const node of services.layout.nodes) maxNid = Math.max(maxNid, node.nid);
    this.nrNodes = maxNid + 1;
    this.nrZones = services.layout.zones.nrZones;
  }

  /** A live cache of this allocator, or undefined after a report. */
  protected live(cache: KmemCache, what: string): SlabCache | undefined {
    const c = this.cacheById[(cache as Partial<SlabCache>).id ?? 0];
    if (c && c === cache) return c;
    this.services.slabError('wrong-cache', cache, 0, `${what}: cache ${cache.name} is not a live cache (destroyed, or from another allocator)`);
    return undefined;
  }

  /**
   * The cache and slab of an address: page -> compound head -> PG_slab -> page->slab_cache.
   * Sets foundSlab and foundIdx (-1 when addr is inside the slab but not an object's start).
   */
  protected lookupObject(addr: number): SlabCache | undefined {
    this.foundSlab = -1;
    this.foundIdx = -1;
    if (!Number.isInteger(addr) || addr <= 0) return undefined;
    const pages = this.pages;
    const pfn = Math.floor(addr / PAGE_SIZE);
    if (pfn >= pages.maxPfn) return undefined;
    const head = pages.testFlag(pfn, PG_tail) ? pages.private[pfn] : pfn;
    if (!pages.testFlag(head, PG_slab)) return undefined;
    const c = this.cacheById[pages.mapping[head]];
    if (!c) return undefined;
    const slab = pages.index[head];
    const t = this.slabs;
    if (t.headPfn[slab] !== head || t.cacheId[slab] !== c.id) return undefined;
    this.foundSlab = slab;
    const off = addr - c.objOffset - t.sMem[slab];
    if (off >= 0 && off % c.size === 0 && off / c.size < c.num) this.foundIdx = off / c.size;
    return c;
  }

  /** numa_mem_id() of a CPU: cpu_to_node(), as the kernel maps CPUs to nodes. */
  protected cpuNode(cpu: number): number {
    return this.services.cpuToNode(cpu);
  }
}

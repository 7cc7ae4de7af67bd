/**
 * The invariant checker: what must hold after every step, whatever the implementations do.
 */
import { MAX_ORDER, MIGRATE_TYPES, PG_head, PG_reserved, PG_slab, PG_tail, type FreelistCorruption, type KmemCache, type PageAllocator, type PageStore, type SlabAllocator, type Zone } from '@mmkit/core';

export interface InvariantViolation {
  /** Which invariant: 'free-block', 'free-overlap', 'free-counters', 'pcp', 'free-page-state', 'zone-sizes', 'watermarks', 'slab-pages', 'slab-freelist', 'kasan-quarantine'. */
  readonly invariant: string;
  readonly message: string;
}

const MAX_REPORTS = 20;

export function checkInvariants(zones: readonly Zone[], pages: PageStore, allocator: PageAllocator): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const report = (invariant: string, message: string) => {
    if (out.length < MAX_REPORTS) out.push({ invariant, message });
  };
  const seen = new Uint8Array(pages.maxPfn); // 1 = in a free block, 2 = on a pcp list
  const freePages = new Float64Array(zones.length);
  const nrFree = zones.map(() => new Uint32Array(MAX_ORDER));
  const nrFreeByType = zones.map(() => new Uint32Array(MAX_ORDER * MIGRATE_TYPES));
  const zoneIndex = new Map<Zone, number>(zones.map((z, i) => [z, i]));

  allocator.forEachFreeBlock((zone, pfn, order, mt) => {
    const zi = zoneIndex.get(zone);
    if (zi === undefined) return report('free-block', `free block at pfn ${hex(pfn)} belongs to no zone of this kernel`);
    if (!Number.isInteger(order) || order < 0 || order >= MAX_ORDER) return report('free-block', `free block at pfn ${hex(pfn)} has order ${order}`);
    const size = 2 ** order;
    if (pfn % size !== 0) report('free-block', `order-${order} free block at pfn ${hex(pfn)} is not aligned`);
    if (pfn < zone.zoneStartPfn || pfn + size > zone.zoneEndPfn) report('free-block', `order-${order} free block at pfn ${hex(pfn)} is outside ${zoneLabel(zone)}`);
    if (!pages.isBuddy(pfn) || pages.buddyOrder(pfn) !== order) report('free-block', `free block head ${hex(pfn)} is not marked PageBuddy with order ${order}`);
    for (let p = pfn; p < pfn + size && p < pages.maxPfn; p++) {
      if (seen[p]) {
        report('free-overlap', `pfn ${hex(p)} is on two free lists (order-${order} block at ${hex(pfn)})`);
        break;
      }
      seen[p] = 1;
      // A negative _refcount is no violation: it is a double free under 4.17's default
      // configuration (put_page_testzero() without CONFIG_DEBUG_VM underflows the count and
      // frees nothing); check_new_page() reports the page when an allocation takes it.
      if (pages.refcount[p] > 0 || pages.testFlag(p, PG_reserved) || pages.testFlag(p, PG_slab) || (p !== pfn && pages.getMapcount(p) !== -1)) {
        const flags = `${pages.testFlag(p, PG_reserved) ? ', PG_reserved' : ''}${pages.testFlag(p, PG_slab) ? ', PG_slab' : ''}`;
        report('free-page-state', `free pfn ${hex(p)} has refcount ${pages.refcount[p]}, mapcount ${pages.getMapcount(p)}${flags}: a page both free and in use`);
      }
      if (pages.zoneNumOf(p) !== zone.zoneNum) report('free-block', `free pfn ${hex(p)} is on ${zoneLabel(zone)}'s lists but belongs to zone ${pages.zoneNumOf(p)}`);
    }
    freePages[zi] += size;
    nrFree[zi][order]++;
    if (mt >= 0 && mt < MIGRATE_TYPES) nrFreeByType[zi][order * MIGRATE_TYPES + mt]++;
  });

  const pcpCount = zones.map((z) => new Uint32Array(z.pageset.length));
  allocator.forEachPcpPage((zone, cpu, pfn) => {
    const zi = zoneIndex.get(zone);
    if (zi === undefined) return;
    if (seen[pfn] === 1) report('pcp', `pfn ${hex(pfn)} is both on a per-cpu list and in a free block`);
    else if (seen[pfn] === 2) report('pcp', `pfn ${hex(pfn)} is on two per-cpu lists`);
    seen[pfn] = 2;
    if (pages.zoneNumOf(pfn) !== zone.zoneNum) report('pcp', `pcp pfn ${hex(pfn)} of ${zoneLabel(zone)} belongs to zone ${pages.zoneNumOf(pfn)}`);
    pcpCount[zi][cpu]++;
  });

  zones.forEach((zone, zi) => {
    if (zone.freePages !== freePages[zi]) report('free-counters', `${zoneLabel(zone)}: NR_FREE_PAGES is ${zone.freePages} but the free lists hold ${freePages[zi]} pages`);
    for (let o = 0; o < MAX_ORDER; o++) {
      if (zone.nrFree[o] !== nrFree[zi][o]) report('free-counters', `${zoneLabel(zone)}: free_area[${o}].nr_free is ${zone.nrFree[o]} but the lists hold ${nrFree[zi][o]} blocks`);
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const i = o * MIGRATE_TYPES + mt;
        if (zone.nrFreeByType[i] !== nrFreeByType[zi][i]) report('free-counters', `${zoneLabel(zone)}: order ${o} type ${mt} counts ${zone.nrFreeByType[i]} blocks but the list holds ${nrFreeByType[zi][i]}`);
      }
    }
    zone.pageset.forEach((pcp, cpu) => {
      if (pcp.count !== pcpCount[zi][cpu]) report('pcp', `${zoneLabel(zone)} cpu ${cpu}: pcp count is ${pcp.count} but its lists hold ${pcpCount[zi][cpu]} pages`);
    });
    if (!(zone.managedPages <= zone.presentPages && zone.presentPages <= zone.spannedPages)) {
      report('zone-sizes', `${zoneLabel(zone)}: managed ${zone.managedPages}, present ${zone.presentPages}, spanned ${zone.spannedPages} are not in order`);
    }
    if (!(zone.minWmarkPages() <= zone.lowWmarkPages() && zone.lowWmarkPages() <= zone.highWmarkPages())) {
      report('watermarks', `${zoneLabel(zone)}: min ${zone.minWmarkPages()} low ${zone.lowWmarkPages()} high ${zone.highWmarkPages()} are not in order`);
    }
    if (zone.freePages > zone.managedPages) report('free-counters', `${zoneLabel(zone)}: ${zone.freePages} free pages but only ${zone.managedPages} managed`);
  });
  return out;
}

/**
 * The object allocator against struct page: the pages of every slab its caches report
 * (numPages, the sum of 1 << order over the slabs, as NR_SLAB_* count them) are exactly the
 * pages marked PG_slab (a PG_slab head and its PG_tail pages), and no more than the pages it
 * holds from the page allocator (`held`, which also counts kmalloc_large blocks). A slab may
 * have a smaller order and fewer objects than the cache's preferred one (SLUB's fallback to
 * s->min), so a cache's objects and pages lie between one object / one page per slab and
 * num_slabs × objperslab / num_slabs × pagesperslab.
 */
export function checkSlabInvariants(pages: PageStore, slab: SlabAllocator, held: number): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  let reported = 0;
  for (const cache of slab.caches()) {
    const s = slab.slabinfo(cache);
    reported += s.numPages;
    if (!(s.numObjs >= s.numSlabs && s.numObjs <= s.numSlabs * s.objectsPerSlab) && out.length < MAX_REPORTS) {
      out.push({ invariant: 'slab-pages', message: `cache ${cache.name}: num_objs ${s.numObjs} is not between num_slabs ${s.numSlabs} and num_slabs × objperslab ${s.objectsPerSlab}` });
    }
    if (!(s.numPages >= s.numSlabs && s.numPages <= s.numSlabs * s.pagesPerSlab) && out.length < MAX_REPORTS) {
      out.push({ invariant: 'slab-pages', message: `cache ${cache.name}: ${s.numPages} slab pages is not between num_slabs ${s.numSlabs} and num_slabs × pagesperslab ${s.pagesPerSlab}` });
    }
    if (!(s.activeObjs <= s.numObjs && s.activeSlabs <= s.numSlabs) && out.length < MAX_REPORTS) {
      out.push({ invariant: 'slab-pages', message: `cache ${cache.name}: active ${s.activeObjs}/${s.numObjs} objects, ${s.activeSlabs}/${s.numSlabs} slabs` });
    }
  }
  let marked = 0;
  for (let p = 0; p < pages.maxPfn; p++) {
    if (!pages.testFlag(p, PG_slab) || pages.testFlag(p, PG_tail)) continue;
    marked++;
    if (!pages.testFlag(p, PG_head)) continue;
    for (let q = p + 1; q < pages.maxPfn && pages.testFlag(q, PG_tail) && !pages.testFlag(q, PG_head); q++) marked++;
  }
  if (marked !== reported) out.push({ invariant: 'slab-pages', message: `the caches report ${reported} slab pages but ${marked} pages are marked PG_slab` });
  if (marked > held) out.push({ invariant: 'slab-pages', message: `${marked} pages are marked PG_slab but the object allocator holds only ${held} pages` });
  if (slab.validateFreelists && out.length < MAX_REPORTS) {
    for (const c of slab.validateFreelists(MAX_REPORTS - out.length)) out.push({ invariant: 'slab-freelist', message: describeFreelistCorruption(c) });
  }
  return out;
}

/**
 * A corrupted freelist in words. 4.17 without slub_debug / CONFIG_DEBUG_SLAB does not check a
 * free, so misuse shows here, later, as in Linux (where it shows as a crash or as two users of
 * one object).
 */
function describeFreelistCorruption(c: FreelistCorruption): string {
  const where = `cache ${c.cache.name}, slab at pfn ${hex(c.slab)}`;
  switch (c.kind) {
    case 'duplicate':
      return `${where}: object ${hex(c.addr)} is on the freelist twice (a double free; the freelist cycles there)`;
    case 'not-an-object':
      return `${where}: freelist entry ${hex(c.addr)} is no object start (the free of an interior pointer, or a corrupt free pointer)`;
    case 'allocated':
      return `${where}: object ${hex(c.addr)} is on a freelist and allocated`;
    case 'count':
      return `${where}: ${c.inuse} objects in use and ${c.free} free on the slab's freelist, but it has ${c.objects}`;
  }
}

/** What the checker reads of KASAN: its quarantine and its shadow states. */
export interface KasanView {
  readonly quarantined: number;
  readonly quarantineBytes: number;
  /** Every quarantined object, oldest first. */
  forEachQuarantined(fn: (cache: KmemCache, addr: number) => void): void;
  /** How many objects the shadow marks freed (KASAN_KMALLOC_FREE): those waiting in the quarantine. */
  shadowFreed(): number;
}

/**
 * KASAN's quarantine against what it counts and what the object allocator holds: every object
 * the shadow marks freed is in the quarantine, once (an object lost from the quarantine would
 * stay freed-but-not-free in its slab for good: a leak nothing else reports); the quarantine's
 * byte count is the sum of its objects' sizes; each quarantined object is an object of a live
 * cache.
 */
export function checkKasanInvariants(kasan: KasanView, slab: SlabAllocator): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const report = (message: string) => {
    if (out.length < MAX_REPORTS) out.push({ invariant: 'kasan-quarantine', message });
  };
  const live = new Set(slab.caches());
  let count = 0;
  let bytes = 0;
  kasan.forEachQuarantined((cache, addr) => {
    count++;
    bytes += cache.size;
    if (!live.has(cache)) report(`quarantined object ${hex(addr)} belongs to ${cache.name}, which is no live cache`);
    else if (!(slab.ksize(addr) > 0)) report(`quarantined object ${hex(addr)} of ${cache.name} is in no slab`);
  });
  if (count !== kasan.quarantined) report(`the quarantine says it holds ${kasan.quarantined} objects but holds ${count}`);
  if (bytes !== kasan.quarantineBytes) report(`the quarantine counts ${kasan.quarantineBytes} bytes but its objects take ${bytes}`);
  const freed = kasan.shadowFreed();
  if (freed !== count) report(`${freed} objects are freed in KASAN's shadow but ${count} are in the quarantine: ${freed - count} lost`);
  return out;
}

function hex(pfn: number): string {
  return `0x${pfn.toString(16)}`;
}

function zoneLabel(zone: Zone): string {
  return `node ${zone.nid} zone ${zone.name}`;
}

/** What the address-space invariants need of an implementation (@mmkit/mmap's extras, duck-typed). */
export interface AddressSpaceChecks {
  mms(): number[];
  checkMm(mm: number): string[];
  forEachMappedPage(mm: number, visit: (addr: number, pfn: number) => void): void;
}

export function hasAddressSpaceChecks(as: unknown): as is AddressSpaceChecks {
  const a = as as Partial<AddressSpaceChecks> | undefined;
  return typeof a?.mms === 'function' && typeof a.checkMm === 'function' && typeof a.forEachMappedPage === 'function';
}

/**
 * Every mm: its VMAs sorted and disjoint, its page tables agreeing with its VMAs and counters,
 * no mapped page free (the implementation's checkMm()); across all mms, each mapped page's
 * _mapcount equal to the number of PTEs that map it.
 */
export function checkAddressSpaceInvariants(as: AddressSpaceChecks, pages: PageStore): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const mapped = new Map<number, number>();
  for (const mm of as.mms()) {
    for (const message of as.checkMm(mm)) if (out.length < MAX_REPORTS) out.push({ invariant: 'mm', message: `mm ${mm}: ${message}` });
    as.forEachMappedPage(mm, (_addr, pfn) => {
      mapped.set(pfn, (mapped.get(pfn) ?? 0) + 1);
    });
  }
  for (const [pfn, n] of mapped) {
    const mapcount = pages.getMapcount(pfn) + 1;
    if (mapcount !== n && out.length < MAX_REPORTS) out.push({ invariant: 'mapcount', message: `pfn ${hex(pfn)}: page_mapcount() ${mapcount}, mapped by ${n} PTEs` });
    if (pages.refcount[pfn] < n && out.length < MAX_REPORTS) out.push({ invariant: 'mapcount', message: `pfn ${hex(pfn)}: _refcount ${pages.refcount[pfn]} below the ${n} PTEs that map it` });
  }
  return out;
}

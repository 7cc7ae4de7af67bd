/**
 * struct zone and struct per_cpu_pages: shared state the page allocator fills in and the
 * rest of the kernel reads (/proc/zoneinfo, /proc/buddyinfo, the invariant checker).
 */
import { MAX_ORDER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, type ZoneLayout, type ZoneLayoutConfig } from './mmzone.js';
import { MIGRATE_CMA, MIGRATE_PCPTYPES, MIGRATE_TYPES } from './migratetype.js';

/** struct per_cpu_pages. */
export interface PerCpuPages {
  count: number;
  high: number;
  batch: number;
}

export class Zone {
  readonly nid: number;
  /** zone_idx(). */
  readonly idx: number;
  readonly name: string;
  /** Position in the kernel's flat zone array: nid * MAX_NR_ZONES + idx (page_zonenum encoding). */
  readonly zoneNum: number;
  readonly zoneStartPfn: number;
  readonly spannedPages: number;
  readonly presentPages: number;
  /** managed_pages: present pages handed to the buddy allocator. */
  managedPages = 0;
  /** zone->watermark[WMARK_MIN..WMARK_HIGH]. */
  readonly watermark = new Float64Array(3);
  /** zone->lowmem_reserve[MAX_NR_ZONES]: the "protection" line of /proc/zoneinfo. */
  readonly lowmemReserve: Float64Array;
  nrReservedHighatomic = 0;
  /** free_area[order].nr_free: free blocks (not pages) of each order. */
  readonly nrFree = new Uint32Array(MAX_ORDER);
  /** Free blocks of each order and migratetype: nrFreeByType[order * MIGRATE_TYPES + mt] (pagetypeinfo). */
  readonly nrFreeByType = new Uint32Array(MAX_ORDER * MIGRATE_TYPES);
  /** NR_FREE_PAGES: free pages in the buddy lists (per-cpu lists not included, as in Linux). */
  freePages = 0;
  /** NR_PAGETABLE: pages of PTE tables in this zone (pgtable_page_ctor()/dtor(); meminfo's PageTables). */
  nrPagetable = 0;
  /** zone->pageset: one per CPU (count, high, batch). */
  readonly pageset: PerCpuPages[];
  /** Pages on each CPU's lists, per migratetype: pcpCount[cpu * MIGRATE_PCPTYPES + mt]. */
  readonly pcpCount: Uint32Array;

  constructor(layout: ZoneLayout, zones: ZoneLayoutConfig, nrCpus: number) {
    this.nid = layout.nid;
    this.idx = layout.zoneIdx;
    this.name = zones.names[layout.zoneIdx];
    this.zoneNum = layout.nid * zones.nrZones + layout.zoneIdx;
    this.zoneStartPfn = layout.startPfn;
    this.spannedPages = layout.spanned;
    this.presentPages = layout.present;
    this.lowmemReserve = new Float64Array(zones.nrZones);
    this.pageset = Array.from({ length: nrCpus }, () => ({ count: 0, high: 0, batch: 1 }));
    this.pcpCount = new Uint32Array(nrCpus * MIGRATE_PCPTYPES);
  }

  get zoneEndPfn(): number {
    return this.zoneStartPfn + this.spannedPages;
  }

  /** populated_zone(). */
  get populated(): boolean {
    return this.presentPages > 0;
  }

  /** managed_zone(). */
  get managed(): boolean {
    return this.managedPages > 0;
  }

  minWmarkPages(): number {
    return this.watermark[WMARK_MIN];
  }

  lowWmarkPages(): number {
    return this.watermark[WMARK_LOW];
  }

  highWmarkPages(): number {
    return this.watermark[WMARK_HIGH];
  }

  /** zone_spans_pfn(). */
  spansPfn(pfn: number): boolean {
    return pfn >= this.zoneStartPfn && pfn < this.zoneEndPfn;
  }

  /**
   * NR_FREE_CMA_PAGES: the free pages of freePages on MIGRATE_CMA free lists, summed from
   * nrFreeByType when read (11 orders), so the free-list hot paths keep no second counter.
   */
  get freeCmaPages(): number {
    let n = 0;
    for (let o = 0; o < MAX_ORDER; o++) n += this.nrFreeByType[o * MIGRATE_TYPES + MIGRATE_CMA] * 2 ** o;
    return n;
  }

  /** Pages on every CPU's lists. */
  pcpPages(): number {
    let n = 0;
    for (const pcp of this.pageset) n += pcp.count;
    return n;
  }
}

/**
 * struct zone and struct per_cpu_pages: shared state the page allocator fills in and the
 * rest of the kernel reads (/proc/zoneinfo, /proc/buddyinfo, the invariant checker).
 */
import { MAX_ORDER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, type ZoneLayout, type ZoneLayoutConfig } from './mmzone.js';
import { MIGRATE_CMA, MIGRATE_TYPES } from './migratetype.js';

/** struct per_cpu_pages. */
export interface PerCpuPages {
  count: number;
  high: number;
  batch: number;
}

/**
 * The words of one CPU's per_cpu_pages in Zone.pcpWords: CPU `cpu`'s count is
 * pcpWords[cpu * PCP_WORDS + PCP_COUNT]. The page allocator's hot paths read and write them
 * there; everything else goes through zone.pageset[cpu].
 */
export const PCP_COUNT = 0;
export const PCP_HIGH = 1;
export const PCP_BATCH = 2;
export const PCP_WORDS = 3;

/** per_cpu_pages of one CPU as three words of the zone's storage (count, high, batch). */
class PerCpuPagesView implements PerCpuPages {
  constructor(
    private readonly words: Int32Array,
    private readonly at: number,
  ) {}

  get count(): number {
    return this.words[this.at + PCP_COUNT];
  }
  set count(v: number) {
    this.words[this.at + PCP_COUNT] = v;
  }
  get high(): number {
    return this.words[this.at + PCP_HIGH];
  }
  set high(v: number) {
    this.words[this.at + PCP_HIGH] = v;
  }
  get batch(): number {
    return this.words[this.at + PCP_BATCH];
  }
  set batch(v: number) {
    this.words[this.at + PCP_BATCH] = v;
  }
}

/** Slots of Zone.counters (float64: page counts above 2^31 stay exact); read them by name (zone.managedPages, ...). */
const C_MANAGED = 0;
const C_HIGHATOMIC = 1;
const C_PAGETABLE = 2;
const NR_COUNTERS = 3;

/**
 * The places in Zone.freeCounts, one Int32Array for what every free-list operation updates:
 * NR_FREE_PAGES at FREE_PAGES, free_area[order].nr_free at NR_FREE + order, and the blocks of
 * each order and migratetype at NR_FREE_BY_TYPE + order * MIGRATE_TYPES + mt. The page
 * allocator's hot paths index it directly (one view, one bounds check); everything else reads
 * zone.freePages, zone.nrFree and zone.nrFreeByType (views of the same words). A zone holds
 * fewer than 2^31 pages (struct page's pfns are below PageStore.MAX_PAGES).
 */
export const FREE_PAGES = 0;
export const NR_FREE = 1;
export const NR_FREE_BY_TYPE = NR_FREE + MAX_ORDER;
const FREE_COUNTS = NR_FREE_BY_TYPE + MAX_ORDER * MIGRATE_TYPES;

export interface ZoneOptions {
  /**
   * Keep every counter of the zone on one SharedArrayBuffer (Zone.storage), so that another
   * thread can attach a Zone to the same state (`storage`) and both see each other's writes.
   */
  readonly shared?: boolean;
  /** Attach to the storage of a shared zone of the same layout (another thread's Zone.storage). */
  readonly storage?: SharedArrayBuffer;
}

/** Bytes of a zone's storage: its float64 counters and tables, then its 32-bit tables. */
function zoneStorageBytes(nrZones: number, nrCpus: number): { f64: number; bytes: number } {
  const f64 = NR_COUNTERS + 3 + nrZones;
  const u32 = FREE_COUNTS + nrCpus * PCP_WORDS;
  return { f64, bytes: f64 * 8 + u32 * 4 };
}

/**
 * struct zone. Its counters and tables live in one buffer (`storage`: an ArrayBuffer, or a
 * SharedArrayBuffer with `shared`), so the state can be shared with another isolate: a Zone
 * attached to the same storage in another thread reads and writes the same counters. The plain
 * counters (managedPages, freePages, ...) are accessors over `counters` and `freeCounts`, and
 * pageset[cpu] a view of three words of `pcpWords`; hot paths index the typed arrays themselves.
 */
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
  /** The buffer every counter and table below lives on. */
  readonly storage: ArrayBuffer | SharedArrayBuffer;
  /** managed_pages, nr_reserved_highatomic, NR_PAGETABLE (read them by name). */
  private readonly counters: Float64Array;
  /** NR_FREE_PAGES, nr_free per order, and free blocks per order and type: see FREE_PAGES, NR_FREE, NR_FREE_BY_TYPE. */
  readonly freeCounts: Int32Array;
  /** zone->watermark[WMARK_MIN..WMARK_HIGH]. */
  readonly watermark: Float64Array;
  /** zone->lowmem_reserve[MAX_NR_ZONES]: the "protection" line of /proc/zoneinfo. */
  readonly lowmemReserve: Float64Array;
  /** free_area[order].nr_free: free blocks (not pages) of each order. */
  readonly nrFree: Uint32Array;
  /** Free blocks of each order and migratetype: nrFreeByType[order * MIGRATE_TYPES + mt] (pagetypeinfo). */
  readonly nrFreeByType: Uint32Array;
  /** zone->pageset: one per CPU (count, high, batch), views of pcpWords. */
  readonly pageset: PerCpuPages[];
  /** Every CPU's per_cpu_pages as PCP_WORDS words (count, high, batch): what pageset[cpu] reads. */
  readonly pcpWords: Int32Array;

  constructor(layout: ZoneLayout, zones: ZoneLayoutConfig, nrCpus: number, options: ZoneOptions = {}) {
    this.nid = layout.nid;
    this.idx = layout.zoneIdx;
    this.name = zones.names[layout.zoneIdx];
    this.zoneNum = layout.nid * zones.nrZones + layout.zoneIdx;
    this.zoneStartPfn = layout.startPfn;
    this.spannedPages = layout.spanned;
    this.presentPages = layout.present;
    const { f64, bytes } = zoneStorageBytes(zones.nrZones, nrCpus);
    const given = options.storage;
    if (given !== undefined && !(given instanceof SharedArrayBuffer && given.byteLength === bytes)) {
      throw new RangeError(`zone ${this.name}: the storage to attach to is not a shared zone's of ${zones.nrZones} zones and ${nrCpus} CPUs (${bytes} bytes)`);
    }
    const buf = given ?? (options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    this.storage = buf;
    this.counters = new Float64Array(buf, 0, NR_COUNTERS);
    this.watermark = new Float64Array(buf, NR_COUNTERS * 8, 3);
    this.lowmemReserve = new Float64Array(buf, (NR_COUNTERS + 3) * 8, zones.nrZones);
    let at = f64 * 8;
    this.freeCounts = new Int32Array(buf, at, FREE_COUNTS);
    this.nrFree = new Uint32Array(buf, at + NR_FREE * 4, MAX_ORDER);
    this.nrFreeByType = new Uint32Array(buf, at + NR_FREE_BY_TYPE * 4, MAX_ORDER * MIGRATE_TYPES);
    at += FREE_COUNTS * 4;
    const words = new Int32Array(buf, at, nrCpus * PCP_WORDS);
    this.pcpWords = words;
    this.pageset = Array.from({ length: nrCpus }, (_, cpu) => new PerCpuPagesView(words, cpu * PCP_WORDS));
    if (given === undefined) for (const pcp of this.pageset) pcp.batch = 1;
  }

  /** managed_pages: present pages handed to the buddy allocator. */
  get managedPages(): number {
    return this.counters[C_MANAGED];
  }
  set managedPages(v: number) {
    this.counters[C_MANAGED] = v;
  }

  /** NR_FREE_PAGES: free pages in the buddy lists (per-cpu lists not included, as in Linux). */
  get freePages(): number {
    return this.freeCounts[FREE_PAGES];
  }
  set freePages(v: number) {
    this.freeCounts[FREE_PAGES] = v;
  }

  /** zone->nr_reserved_highatomic. */
  get nrReservedHighatomic(): number {
    return this.counters[C_HIGHATOMIC];
  }
  set nrReservedHighatomic(v: number) {
    this.counters[C_HIGHATOMIC] = v;
  }

  /** NR_PAGETABLE: pages of PTE tables in this zone (pgtable_page_ctor()/dtor(); meminfo's PageTables). */
  get nrPagetable(): number {
    return this.counters[C_PAGETABLE];
  }
  set nrPagetable(v: number) {
    this.counters[C_PAGETABLE] = v;
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

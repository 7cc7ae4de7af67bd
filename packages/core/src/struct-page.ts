/**
 * struct page as a set of typed arrays indexed by pfn, shared by every subsystem as in Linux.
 * No object exists per page: a machine of tens of millions of pages costs a few bytes each.
 */
import { PAGE_BUDDY_MAPCOUNT_VALUE, PAGE_UNMAPPED_MAPCOUNT } from './page-flags.js';
import { PAGEBLOCK_ORDER, type PfnRange } from './mmzone.js';

/** The "no page" sentinel: what an allocator returns when it has nothing to give. */
export const NO_PAGE = -1;

export class PageStore {
  /** One past the highest pfn this memmap describes. */
  readonly maxPfn: number;
  /** page->flags (bit numbers from page-flags.ts). */
  readonly flags: Uint32Array;
  /** page->_refcount. */
  readonly refcount: Int32Array;
  /** page->_mapcount: -1 when unmapped, PAGE_BUDDY_MAPCOUNT_VALUE on a free buddy head. */
  readonly mapcount: Int32Array;
  /** page->private: the order of a free buddy block, a swap entry, ... */
  readonly private: Uint32Array;
  /** page->lru as pfn links (-1 = none): free lists, per-cpu lists, LRU lists. */
  readonly lruNext: Int32Array;
  readonly lruPrev: Int32Array;
  /** page->mapping as an id (0 = none). */
  readonly mapping: Uint32Array;
  /** page->index. */
  readonly index: Float64Array;
  /** page->mem_cgroup as a cgroup id (0 = root / none). */
  readonly memcg: Uint16Array;
  /** page_zonenum/page_to_nid encoded as zone number nid * MAX_NR_ZONES + zone_idx (255 = no zone). */
  readonly zoneNum: Uint8Array;
  /** pageblock_flags: the migratetype of each pageblock (pfn >> pageblock_order). */
  readonly pageblockMigratetype: Uint8Array;
  /**
   * The memory model. FLATMEM (the default): one memmap for every pfn below maxPfn. SPARSEMEM
   * (after sparseInit()): the pfns come in sections of 2^pfnSectionShift pages and only the
   * sections with memory have a memmap; sectionHasMemmap[nr] is 1 for those (valid_section()).
   */
  pfnSectionShift = 0;
  sectionHasMemmap: Uint8Array | undefined = undefined;

  /**
   * The most pages a PageStore holds: pfns live in Int32Array list links (lruNext/lruPrev, -1
   * the end), so every pfn must fit in an int32 (2^31 pages: 8 TiB of 4 KiB pages).
   */
  static readonly MAX_PAGES = 2 ** 31 - 1;

  private static bytesPerPage: number | undefined;

  /** Bytes of host memory one page's struct page takes (the typed arrays indexed by pfn), measured once. */
  static get BYTES_PER_PAGE(): number {
    if (PageStore.bytesPerPage === undefined) {
      const n = 4096;
      const probe = new PageStore(n) as unknown as Record<string, unknown>;
      let bytes = 0;
      for (const v of Object.values(probe)) if (ArrayBuffer.isView(v)) bytes += v.byteLength;
      PageStore.bytesPerPage = bytes / n;
    }
    return PageStore.bytesPerPage;
  }

  constructor(maxPfn: number) {
    if (!Number.isInteger(maxPfn) || maxPfn <= 0) throw new RangeError(`memmap size ${maxPfn} is not a positive page count`);
    if (maxPfn > PageStore.MAX_PAGES) throw new RangeError(`memmap size ${maxPfn} is more than the ${PageStore.MAX_PAGES} pages a PageStore holds (pfns are int32 list links)`);
    this.maxPfn = maxPfn;
    this.flags = new Uint32Array(maxPfn);
    this.refcount = new Int32Array(maxPfn);
    this.mapcount = new Int32Array(maxPfn).fill(PAGE_UNMAPPED_MAPCOUNT);
    this.private = new Uint32Array(maxPfn);
    this.lruNext = new Int32Array(maxPfn).fill(-1);
    this.lruPrev = new Int32Array(maxPfn).fill(-1);
    this.mapping = new Uint32Array(maxPfn);
    this.index = new Float64Array(maxPfn);
    this.memcg = new Uint16Array(maxPfn);
    this.zoneNum = new Uint8Array(maxPfn).fill(255);
    this.pageblockMigratetype = new Uint8Array((maxPfn >>> PAGEBLOCK_ORDER) + 1);
  }

  /** pfn_valid(): the pfn has a struct page (below maxPfn, and in a section with a memmap under SPARSEMEM). */
  validPfn(pfn: number): boolean {
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn < this.maxPfn)) return false;
    const sections = this.sectionHasMemmap;
    return sections === undefined || sections[pfn >>> this.pfnSectionShift] === 1;
  }

  /** The first pfn of the section after pfn's (maxPfn at most; maxPfn under FLATMEM). */
  nextSectionPfn(pfn: number): number {
    if (this.sectionHasMemmap === undefined) return this.maxPfn;
    return Math.min(this.maxPfn, ((pfn >>> this.pfnSectionShift) + 1) * 2 ** this.pfnSectionShift);
  }

  /**
   * SPARSEMEM's memory_present() and sparse_init() (mm/sparse.c, 4.17): every section of
   * 2^pfnSectionShift pages that memblock.memory reaches into gets a memmap, the others none
   * (pfn_valid() is false there). Called once, before the memmap is initialised.
   */
  sparseInit(memory: readonly PfnRange[], pfnSectionShift: number): void {
    if (!Number.isInteger(pfnSectionShift) || pfnSectionShift < PAGEBLOCK_ORDER || pfnSectionShift > 31) {
      throw new RangeError(`section shift ${pfnSectionShift} is not a whole number of pageblocks below 2^31 pages`);
    }
    const sections = new Uint8Array(Math.ceil(this.maxPfn / 2 ** pfnSectionShift));
    for (const r of memory) {
      const end = Math.min(r.end, this.maxPfn);
      if (end <= r.start) continue;
      sections.fill(1, r.start >>> pfnSectionShift, ((end - 1) >>> pfnSectionShift) + 1);
    }
    this.pfnSectionShift = pfnSectionShift;
    this.sectionHasMemmap = sections;
  }

  testFlag(pfn: number, bit: number): boolean {
    return (this.flags[pfn] & (1 << bit)) !== 0;
  }

  setFlag(pfn: number, bit: number): void {
    this.flags[pfn] |= 1 << bit;
  }

  clearFlag(pfn: number, bit: number): void {
    this.flags[pfn] &= ~(1 << bit);
  }

  /** PageBuddy(): the head of a free block in the buddy allocator. */
  isBuddy(pfn: number): boolean {
    return this.mapcount[pfn] === PAGE_BUDDY_MAPCOUNT_VALUE;
  }

  /** __SetPageBuddy() + set_page_order(). */
  setBuddy(pfn: number, order: number): void {
    this.mapcount[pfn] = PAGE_BUDDY_MAPCOUNT_VALUE;
    this.private[pfn] = order;
  }

  /** __ClearPageBuddy() + rmv_page_order(). */
  clearBuddy(pfn: number): void {
    this.mapcount[pfn] = PAGE_UNMAPPED_MAPCOUNT;
    this.private[pfn] = 0;
  }

  getPageblockMigratetype(pfn: number): number {
    return this.pageblockMigratetype[pfn >>> PAGEBLOCK_ORDER];
  }

  setPageblockMigratetype(pfn: number, mt: number): void {
    this.pageblockMigratetype[pfn >>> PAGEBLOCK_ORDER] = mt;
  }
}

/**
 * Doubly linked lists of pfns threaded through PageStore.lruNext/lruPrev (struct list_head
 * on page->lru). A set holds many lists, each named by a number; heads, tails and lengths are
 * typed arrays, so list operations allocate nothing.
 */
export class PfnListSet {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly length: Uint32Array;

  constructor(private readonly pages: PageStore, nrLists: number) {
    this.head = new Int32Array(nrLists).fill(-1);
    this.tail = new Int32Array(nrLists).fill(-1);
    this.length = new Uint32Array(nrLists);
  }

  isEmpty(list: number): boolean {
    return this.head[list] === -1;
  }

  first(list: number): number {
    return this.head[list];
  }

  last(list: number): number {
    return this.tail[list];
  }

  next(pfn: number): number {
    return this.pages.lruNext[pfn];
  }

  /** list_add(): at the head. */
  addHead(list: number, pfn: number): void {
    const { lruNext, lruPrev } = this.pages;
    const old = this.head[list];
    lruPrev[pfn] = -1;
    lruNext[pfn] = old;
    if (old === -1) this.tail[list] = pfn;
    else lruPrev[old] = pfn;
    this.head[list] = pfn;
    this.length[list]++;
  }

  /** list_add_tail(). */
  addTail(list: number, pfn: number): void {
    const { lruNext, lruPrev } = this.pages;
    const old = this.tail[list];
    lruNext[pfn] = -1;
    lruPrev[pfn] = old;
    if (old === -1) this.head[list] = pfn;
    else lruNext[old] = pfn;
    this.tail[list] = pfn;
    this.length[list]++;
  }

  /** list_del(): the caller guarantees pfn is on this list. */
  remove(list: number, pfn: number): void {
    const { lruNext, lruPrev } = this.pages;
    const n = lruNext[pfn];
    const p = lruPrev[pfn];
    if (p === -1) this.head[list] = n;
    else lruNext[p] = n;
    if (n === -1) this.tail[list] = p;
    else lruPrev[n] = p;
    lruNext[pfn] = -1;
    lruPrev[pfn] = -1;
    this.length[list]--;
  }

  /** Remove and return the first pfn, or -1. */
  popHead(list: number): number {
    const pfn = this.head[list];
    if (pfn !== -1) this.remove(list, pfn);
    return pfn;
  }
}

/**
 * struct page as a set of typed arrays indexed by pfn, shared by every subsystem as in Linux.
 * No object exists per page: a machine of tens of millions of pages costs a few bytes each.
 *
 * Layout (issue 12): 24 bytes per page in 32-bit words, zero as every field's "nothing" (so a
 * fresh PageStore is all zero, and untouched pages cost no host memory: the arrays are
 * calloc'ed and the OS maps their pages on first write):
 * - flags (page->flags): the page flags of page-flags.ts in bits 0..NR_PAGEFLAGS-1. Linux keeps
 *   the section, node and zone in the upper bits; here the zone comes from the pfn
 *   (zoneNumOf()), so bits PAGE_FLAGS_ALLOCATOR_SHIFT..31 (6 bits) are left to the page
 *   allocator for its per-page extras: the buddy allocator's listMigratetype (the free or
 *   per-cpu list a page is on, 3 bits; Linux keeps it in page->index on a per-cpu page,
 *   set_pcppage_migratetype()) fits there. page_owner's allocation order (buddy's allocOrder)
 *   is page_ext data in Linux: a LazyPageArray, or the 3 bits left plus private, fit it.
 *   Nothing but the page allocator may use these bits; free pages must have them 0 when
 *   nothing is recorded (boot writes only block heads).
 * - refcount (page->_refcount).
 * - mapLru: three words per page, side by side as in struct page, so that freeing a block at
 *   boot (which writes them on the block's head) touches one host page where three arrays
 *   would touch three: [MAPLRU_MAPCOUNT] page->_mapcount + 1 (page_mapcount()), so 0 is
 *   "unmapped" (_mapcount -1); [MAPLRU_NEXT], [MAPLRU_PREV] the page->lru links as pfn + 1
 *   (0 = none). A free buddy head keeps everything the allocator needs in this group: its
 *   mapcount word is BUDDY_WORD_TAG | aux << 8 | order, where Linux has _mapcount =
 *   PAGE_BUDDY_MAPCOUNT_VALUE (the PageBuddy type, which getMapcount() still answers) and
 *   page->private = order (set_page_order(), which buddyOrder() answers); aux is 8 bits the
 *   page allocator keeps with the head (buddy: the migratetype of its free list). So a block
 *   freed at boot writes one host page of struct page, not one per array. Use the accessors:
 *   getMapcount(), setMapcount(), resetMapcount(), isBuddy(), setBuddy(), buddyOrder(),
 *   buddyAux(), clearBuddy(), lruNextOf(), clearLru(), PfnListSet. Measured when introduced:
 *   a 256 GiB boot took 155K host page faults instead of 284K (1 TiB: 597K instead of 1.11M),
 *   for about 6% more instructions on the buddy allocator's order-0 alloc/free path
 *   (callgrind), the index arithmetic; with the order and list migratetype of a free head in
 *   the mapcount word too, 87K (see the core README).
 * - private (page->private): a swap entry, the slab's slot... (not the order of a free buddy
 *   head, which is in its mapcount word; clearBuddy() zeroes private as rmv_page_order() does).
 *   In 4.17 page->private shares a union with page->slab_cache (include/linux/mm_types.h), so
 *   a slab page may keep its cache there; a page on a per-cpu list has it free (the allocator
 *   may keep the list's migratetype there, as Linux keeps it in page->index).
 * page->mapping, page->index (32 bits here) and page->mem_cgroup are only checked (free_pages_check())
 * by the page allocator, never written: they live in side storage allocated lazily per PAGE_EXT_CHUNK_PAGES pages on
 * the first write of a nonzero value (like page_ext), read through getMapping()/setMapping(),
 * getIndex()/setIndex(), getMemcg()/setMemcg(); an unwritten chunk reads 0. The zone of a pfn
 * and the migratetype of a pageblock are per-pageblock tables (a few bytes per 512 pages).
 * LazyPageArray is the same side storage for other per-page records of that kind (Linux's
 * page_ext, e.g. page_owner's allocation order).
 *
 * Every array can live on a SharedArrayBuffer (`new PageStore(n, { shared: true })`), so the
 * state can be shared with another isolate: sharedState() gives it as buffers and numbers, and
 * `new PageStore(n, { attach: state })` in another thread is a PageStore over the same memory.
 * Shared, everything is on that storage: the side storage is one buffer per field (still
 * resident only where written), and the zone spans and handover list have a fixed capacity
 * (SHARED_MAX_ZONE_SPANS, SHARED_MAX_HANDOVER_RANGES), their lengths in a shared word each.
 */
import { NR_PAGEFLAGS, PAGE_BUDDY_MAPCOUNT_VALUE } from './page-flags.js';
import { MAX_ORDER, PAGEBLOCK_ORDER, type PfnRange } from './mmzone.js';

/** The "no page" sentinel: what an allocator returns when it has nothing to give. */
export const NO_PAGE = -1;

/** zoneNumOf() of a pfn that belongs to no zone (no struct page, or outside every zone span). */
export const NO_ZONE = -1;

/** The first bit of page->flags left to the page allocator (bits 26..31): see the file comment. */
export const PAGE_FLAGS_ALLOCATOR_SHIFT = NR_PAGEFLAGS;

/** Side storage chunks: 2^15 pages, a SPARSEMEM section of x86-64 (128 MiB). */
export const PAGE_EXT_CHUNK_SHIFT = 15;
export const PAGE_EXT_CHUNK_PAGES = 1 << PAGE_EXT_CHUNK_SHIFT;
if (PAGE_EXT_CHUNK_SHIFT !== 15) throw new Error('struct-page.ts: LazyPageArray.get() uses PAGE_EXT_CHUNK_SHIFT as the literal 15');

/** Words of PageStore.mapLru: page->_mapcount + 1, page->lru.next and .prev as pfn + 1. */
export const MAPLRU_MAPCOUNT = 0;
export const MAPLRU_NEXT = 1;
export const MAPLRU_PREV = 2;
const MAPLRU_WORDS = 3;
if (MAPLRU_WORDS !== 3 || MAPLRU_NEXT !== 1 || MAPLRU_PREV !== 2) throw new Error('struct-page.ts: PfnListSet and getPageblockMigratetype() use the mapLru places as literals');

/**
 * A free block of the top order (MAX_ORDER - 1: 2^10 pages, 4 MiB) keeps its buddy word and lru
 * links not in its head's mapLru words but in PageStore.topBlock, three words per 2^10 pfns,
 * so handing memory to the buddy lists in top-order blocks (boot, memblock_free_all())
 * writes 12 bytes per 4 MiB instead of a host page per block. The accessors hide it: a
 * top-order free head is PageBuddy with page_order() MAX_ORDER - 1 as any other.
 */
export const TOP_ORDER = MAX_ORDER - 1;
const TOP_SHIFT = TOP_ORDER;
const TOP_MASK = (1 << TOP_SHIFT) - 1;

/**
 * The mapcount word of a free buddy head: BUDDY_WORD_TAG | aux << 8 | order (int32). The tag
 * is far below any _mapcount + 1 a page can have, and below PAGE_BUDDY_MAPCOUNT_VALUE + 1.
 */
const BUDDY_WORD_TAG = 0x80000000 | 0;
/** The bits of the mapcount word that say "free buddy head" (the rest: aux and order). */
const BUDDY_WORD_TAG_MASK = 0xffff0000 | 0;
/** The largest aux value setBuddy() keeps with a free head. */
export const BUDDY_AUX_MAX = 0xff;
if (BUDDY_AUX_MAX !== 0xff || TOP_SHIFT !== TOP_ORDER) throw new Error('struct-page.ts: buddyAux() and the top-order tests use BUDDY_AUX_MAX and TOP_SHIFT for TOP_ORDER');
/** The per-pageblock zone table's "more than one zone, or zone and no zone": ask the spans. */
const ZONE_MIXED = 0xffff;
if (ZONE_MIXED !== 0xffff || PAGEBLOCK_ORDER !== 9) throw new Error('struct-page.ts: zoneNumOf() and getPageblockMigratetype() use ZONE_MIXED and PAGEBLOCK_ORDER as literals');

export interface PageStoreOptions {
  /** Allocate every array on a SharedArrayBuffer (default: ArrayBuffer). */
  readonly shared?: boolean;
  /** Attach to the state of a shared PageStore (its sharedState(), from another thread): both see each other's writes. */
  readonly attach?: PageStoreSharedState;
}

/**
 * Everything a shared PageStore holds, as SharedArrayBuffers and numbers (what a worker is
 * posted to attach to it): the per-page arrays, the per-pageblock tables, the side storage, the
 * zone spans and the handover list with their lengths, the SPARSEMEM sections.
 */
export interface PageStoreSharedState {
  readonly maxPfn: number;
  readonly flags: SharedArrayBuffer;
  readonly refcount: SharedArrayBuffer;
  readonly mapLru: SharedArrayBuffer;
  readonly private: SharedArrayBuffer;
  readonly topBlock: SharedArrayBuffer;
  readonly pageblockMigratetype: SharedArrayBuffer;
  readonly pageblockZone: SharedArrayBuffer;
  readonly mapping: SharedArrayBuffer;
  readonly index: SharedArrayBuffer;
  readonly memcg: SharedArrayBuffer;
  readonly pageTables: SharedArrayBuffer;
  readonly lists: SharedArrayBuffer;
  readonly zoneSpans: SharedArrayBuffer;
  readonly handover: SharedArrayBuffer;
  readonly pfnSectionShift: number;
  readonly sectionHasMemmap: SharedArrayBuffer | undefined;
}

/** The most zone spans (setZoneSpan() calls) and handover ranges a shared PageStore holds (its lists cannot grow once shared). */
export const SHARED_MAX_ZONE_SPANS = 1024;
export const SHARED_MAX_HANDOVER_RANGES = 8192;
/** Words of PageStore's list lengths: [zone span words, handover words]. */
const LIST_SPANS = 0;
const LIST_HANDOVER = 1;

type TypedArrayCtor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

function allocArray<T>(ctor: TypedArrayCtor<T>, length: number, shared: boolean): T {
  const bytes = length * ctor.BYTES_PER_ELEMENT;
  return new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

/** A typed array of `length` elements on `attach` (checked to be that size), else freshly allocated. */
function arrayOn<T>(ctor: TypedArrayCtor<T>, length: number, shared: boolean, attach: SharedArrayBuffer | undefined, what: string): T {
  if (attach === undefined) return allocArray(ctor, length, shared);
  if (!(attach instanceof SharedArrayBuffer) || attach.byteLength !== length * ctor.BYTES_PER_ELEMENT) throw new RangeError(`PageStore: the shared ${what} to attach to is not ${length * ctor.BYTES_PER_ELEMENT} bytes`);
  return new ctor(attach);
}

function sharedBuffer(a: { buffer: ArrayBufferLike }): SharedArrayBuffer {
  const b = a.buffer;
  if (!(b instanceof SharedArrayBuffer)) throw new Error('PageStore: not on shared storage');
  return b;
}

/**
 * A per-pfn record kept in chunks of PAGE_EXT_CHUNK_PAGES allocated on the first write of a
 * nonzero value (Linux's page_ext): resident only where written; an unallocated chunk reads 0.
 *
 * Shared (`shared`, or attached to another's `buffer`): one SharedArrayBuffer for every pfn,
 * whose chunks are all views from the start, so that a chunk another thread writes first is
 * seen here; the OS still maps its host pages only where they are written.
 */
export class LazyPageArray<T extends Uint8Array | Uint16Array | Uint32Array> {
  private readonly chunks: (T | undefined)[];
  private allocated = 0;
  /** The one buffer of a shared array (undefined: chunks allocated on demand). */
  readonly buffer: SharedArrayBuffer | undefined;

  constructor(
    readonly maxPfn: number,
    private readonly ctor: TypedArrayCtor<T>,
    private readonly shared = false,
    attach?: SharedArrayBuffer,
  ) {
    const n = Math.ceil(maxPfn / PAGE_EXT_CHUNK_PAGES);
    this.chunks = new Array<T | undefined>(n).fill(undefined);
    if (shared || attach !== undefined) {
      const bytes = n * PAGE_EXT_CHUNK_PAGES * ctor.BYTES_PER_ELEMENT;
      if (attach !== undefined && !(attach instanceof SharedArrayBuffer && attach.byteLength === bytes)) throw new RangeError(`LazyPageArray: the shared buffer to attach to is not ${bytes} bytes`);
      const buf = attach ?? new SharedArrayBuffer(bytes);
      this.buffer = buf;
      for (let i = 0; i < n; i++) this.chunks[i] = new ctor(buf, i * PAGE_EXT_CHUNK_PAGES * ctor.BYTES_PER_ELEMENT, PAGE_EXT_CHUNK_PAGES);
      this.allocated = n;
    }
  }

  get(pfn: number): number {
    const c = this.chunks[pfn >>> 15]; // PAGE_EXT_CHUNK_SHIFT (checked at load: an exported constant is a cell V8 loads on each use)
    return c === undefined ? 0 : c[pfn & 0x7fff]; // PAGE_EXT_CHUNK_PAGES - 1
  }

  /** The caller checks that v fits the element type (PageStore's setters do). */
  set(pfn: number, v: number): void {
    const i = pfn >>> PAGE_EXT_CHUNK_SHIFT;
    let c = this.chunks[i];
    if (c === undefined) {
      if (v === 0) return;
      if (!(pfn >= 0 && pfn < this.maxPfn)) throw new RangeError(`pfn ${pfn} is outside the memmap (${this.maxPfn} pages)`);
      c = allocArray(this.ctor, PAGE_EXT_CHUNK_PAGES, this.shared);
      this.chunks[i] = c;
      this.allocated++;
    }
    c[pfn & (PAGE_EXT_CHUNK_PAGES - 1)] = v;
  }

  /** Host bytes of the chunks allocated so far (a shared array: all of them, reserved at once; the host maps the written ones). */
  residentBytes(): number {
    return this.allocated * PAGE_EXT_CHUNK_PAGES * this.ctor.BYTES_PER_ELEMENT;
  }
}

export class PageStore {
  /** One past the highest pfn this memmap describes. */
  readonly maxPfn: number;
  /** page->flags (bit numbers from page-flags.ts; bits from PAGE_FLAGS_ALLOCATOR_SHIFT up: the page allocator's). */
  readonly flags: Uint32Array;
  /** page->_refcount. */
  readonly refcount: Int32Array;
  /** page->_mapcount + 1 and page->lru as pfn + 1 links, 3 words a page at 3 * pfn (MAPLRU_*; use the accessors). */
  readonly mapLru: Int32Array;
  /** page->private: the order of a free buddy block, a swap entry, ... */
  readonly private: Uint32Array;
  /** [buddy word, next + 1, prev + 1] of each 2^TOP_ORDER-aligned block while it is a free top-order block (see TOP_ORDER). */
  readonly topBlock: Int32Array;
  /** pageblock_flags: the migratetype of each pageblock (pfn >> pageblock_order). */
  readonly pageblockMigratetype: Uint8Array;
  /**
   * The zone of each pageblock as zone number + 1 (nid * MAX_NR_ZONES + zone_idx; 0 = none),
   * ZONE_MIXED where a zone boundary (or the end of the memmap) cuts the pageblock: those
   * pfns are looked up in zoneSpans. Set by memmap init (setZoneSpan()); Linux keeps this in
   * the upper bits of page->flags (set_page_links()).
   */
  readonly pageblockZone: Uint16Array;
  /** [start, end, zoneNum] of every setZoneSpan(), in order (the exact answer for ZONE_MIXED blocks); lists[LIST_SPANS] words are used. */
  private zoneSpans: Int32Array;
  /** The used words of zoneSpans and handover (on the shared storage with them). */
  private readonly lists: Int32Array;
  /**
   * page->mapping as an id (0 = none), page->index (32 bits), page->mem_cgroup as a cgroup id
   * (0 = root / none). Read them through getMapping(), getIndex(), getMemcg(); mappingExt and
   * memcgExt are public for the page allocator's checks, which hold them (read-only).
   */
  readonly mappingExt: LazyPageArray<Uint32Array>;
  private readonly indexExt: LazyPageArray<Uint32Array>;
  readonly memcgExt: LazyPageArray<Uint16Array>;
  /**
   * The arch's page-table directory, indexed by table number (a dense number the arch gives each
   * page-table page, kept in that page's struct page): the table page's pfn, or while the number
   * is free, the arch's free list. maxPfn + 2 words (no more tables than pages, and two words of
   * allocator state), resident only in the chunks written. Linux has none: x86 names an entry by
   * its physical address, which here would be no int32 above 16 GiB (see core's arch contract).
   */
  readonly pageTables: LazyPageArray<Uint32Array>;
  /**
   * Free memory whose struct pages memmap init left zero (see memmapInitZone()), not yet
   * handed to the page allocator: sorted, disjoint [start, end) pairs, lists[LIST_HANDOVER]
   * words of it. Boot takes ranges out of it (takeHandover()); what is left is memory that
   * boot has not freed yet (deferred).
   */
  private handover: Int32Array;
  /**
   * The memory model. FLATMEM (the default): one memmap for every pfn below maxPfn. SPARSEMEM
   * (after sparseInit()): the pfns come in sections of 2^pfnSectionShift pages and only the
   * sections with memory have a memmap; sectionHasMemmap[nr] is 1 for those (valid_section()).
   */
  pfnSectionShift = 0;
  sectionHasMemmap: Uint8Array | undefined = undefined;
  readonly shared: boolean;

  /**
   * The most pages a PageStore holds: mapLru holds 3 words a page in one typed array, whose
   * length V8 caps at 2^32 - 1 (about 5.3 TiB of 4 KiB pages); pfns also live in int32 list
   * links (pfn + 1) and PfnListSet's int32 heads, which that bound keeps below 2^31.
   */
  static readonly MAX_PAGES = Math.floor((2 ** 32 - 1) / MAPLRU_WORDS);

  /**
   * Bytes of host memory one page's struct page takes in the arrays allocated per pfn (flags,
   * refcount, private, mapLru's three words). Besides: BYTES_PER_PAGEBLOCK per pageblock
   * of 512 pages, BYTES_PER_TOP_BLOCK per 2^TOP_ORDER pages, and the side storage (mapping 4, index 4, memcg 2 bytes a page) only in the
   * chunks written (residentBytes() counts all of it).
   */
  static readonly BYTES_PER_PAGE = 24;
  /** pageblockMigratetype (1) and pageblockZone (2). */
  static readonly BYTES_PER_PAGEBLOCK = 3;
  /** topBlock: the buddy word and links of a free top-order block (3 words per 2^TOP_ORDER pages). */
  static readonly BYTES_PER_TOP_BLOCK = 12;

  constructor(maxPfn: number, options: PageStoreOptions = {}) {
    if (!Number.isInteger(maxPfn) || maxPfn <= 0) throw new RangeError(`memmap size ${maxPfn} is not a positive page count`);
    if (maxPfn > PageStore.MAX_PAGES) throw new RangeError(`memmap size ${maxPfn} is more than the ${PageStore.MAX_PAGES} pages a PageStore holds (3 words a page in one typed array)`);
    const a = options.attach;
    if (a !== undefined && a.maxPfn !== maxPfn) throw new RangeError(`PageStore: the shared state to attach to has ${a.maxPfn} pages, not ${maxPfn}`);
    const shared = a !== undefined || (options.shared ?? false);
    this.maxPfn = maxPfn;
    this.shared = shared;
    this.flags = arrayOn(Uint32Array, maxPfn, shared, a?.flags, 'flags');
    this.refcount = arrayOn(Int32Array, maxPfn, shared, a?.refcount, 'refcount');
    this.mapLru = arrayOn(Int32Array, maxPfn * MAPLRU_WORDS, shared, a?.mapLru, 'mapLru');
    this.private = arrayOn(Uint32Array, maxPfn, shared, a?.private, 'private');
    this.topBlock = arrayOn(Int32Array, ((maxPfn >>> TOP_SHIFT) + 1) * MAPLRU_WORDS, shared, a?.topBlock, 'topBlock');
    const blocks = (maxPfn >>> PAGEBLOCK_ORDER) + 1;
    this.pageblockMigratetype = arrayOn(Uint8Array, blocks, shared, a?.pageblockMigratetype, 'pageblockMigratetype');
    this.pageblockZone = arrayOn(Uint16Array, blocks, shared, a?.pageblockZone, 'pageblockZone');
    this.mappingExt = new LazyPageArray(maxPfn, Uint32Array, shared, a?.mapping);
    this.indexExt = new LazyPageArray(maxPfn, Uint32Array, shared, a?.index);
    this.memcgExt = new LazyPageArray(maxPfn, Uint16Array, shared, a?.memcg);
    this.pageTables = new LazyPageArray(maxPfn + 2, Uint32Array, shared, a?.pageTables);
    // Shared lists cannot grow (a new buffer would not be seen by the other thread): a fixed capacity.
    this.lists = arrayOn(Int32Array, 2, shared, a?.lists, 'list lengths');
    this.zoneSpans = arrayOn(Int32Array, shared ? 3 * SHARED_MAX_ZONE_SPANS : 3 * 8, shared, a?.zoneSpans, 'zone spans');
    this.handover = arrayOn(Int32Array, shared ? 2 * SHARED_MAX_HANDOVER_RANGES : 2 * 8, shared, a?.handover, 'handover list');
    if (a !== undefined && a.sectionHasMemmap !== undefined) {
      this.pfnSectionShift = a.pfnSectionShift;
      this.sectionHasMemmap = new Uint8Array(a.sectionHasMemmap);
    }
  }

  /**
   * The state of a shared PageStore (`shared: true`) as SharedArrayBuffers and numbers, for
   * another thread to attach to (`new PageStore(state.maxPfn, { attach: state })`). Take it
   * after sparseInit(), which is not shared once done.
   */
  sharedState(): PageStoreSharedState {
    if (!this.shared) throw new Error('PageStore.sharedState(): this memmap is not on shared storage (new PageStore(n, { shared: true }))');
    const ext = (x: LazyPageArray<Uint8Array | Uint16Array | Uint32Array>): SharedArrayBuffer => x.buffer!;
    return {
      maxPfn: this.maxPfn,
      flags: sharedBuffer(this.flags),
      refcount: sharedBuffer(this.refcount),
      mapLru: sharedBuffer(this.mapLru),
      private: sharedBuffer(this.private),
      topBlock: sharedBuffer(this.topBlock),
      pageblockMigratetype: sharedBuffer(this.pageblockMigratetype),
      pageblockZone: sharedBuffer(this.pageblockZone),
      mapping: ext(this.mappingExt),
      index: ext(this.indexExt),
      memcg: ext(this.memcgExt),
      pageTables: ext(this.pageTables),
      lists: sharedBuffer(this.lists),
      zoneSpans: sharedBuffer(this.zoneSpans),
      handover: sharedBuffer(this.handover),
      pfnSectionShift: this.pfnSectionShift,
      sectionHasMemmap: this.sectionHasMemmap === undefined ? undefined : sharedBuffer(this.sectionHasMemmap),
    };
  }

  /** Room for `words` more words in list `which` (zoneSpans or handover): grown when not shared, a RangeError when shared and full. */
  private listRoom(which: number, words: number): Int32Array {
    const list = which === LIST_SPANS ? this.zoneSpans : this.handover;
    const need = this.lists[which] + words;
    if (need <= list.length) return list;
    if (this.shared) throw new RangeError(`PageStore: more than ${which === LIST_SPANS ? `${SHARED_MAX_ZONE_SPANS} zone spans` : `${SHARED_MAX_HANDOVER_RANGES} ranges awaiting handover`} on shared storage`);
    const grown = new Int32Array(Math.max(need, list.length * 2));
    grown.set(list);
    if (which === LIST_SPANS) this.zoneSpans = grown;
    else this.handover = grown;
    return grown;
  }

  /** Host bytes this memmap holds now: the per-page arrays, the per-pageblock tables, the zone span and handover lists and the side storage chunks written so far. */
  residentBytes(): number {
    const perPage = this.flags.byteLength + this.refcount.byteLength + this.mapLru.byteLength + this.private.byteLength;
    const lists = this.lists.byteLength + this.zoneSpans.byteLength + this.handover.byteLength;
    return perPage + this.topBlock.byteLength + this.pageblockMigratetype.byteLength + this.pageblockZone.byteLength + lists + this.mappingExt.residentBytes() + this.indexExt.residentBytes() + this.memcgExt.residentBytes() + this.pageTables.residentBytes();
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
    const sections = allocArray(Uint8Array, Math.ceil(this.maxPfn / 2 ** pfnSectionShift), this.shared);
    for (const r of memory) {
      const end = Math.min(r.end, this.maxPfn);
      if (end <= r.start) continue;
      sections.fill(1, r.start >>> pfnSectionShift, ((end - 1) >>> pfnSectionShift) + 1);
    }
    this.pfnSectionShift = pfnSectionShift;
    this.sectionHasMemmap = sections;
  }

  /**
   * set_page_links() for every pfn of [start, end), which must have struct pages: they belong
   * to zone number zoneNum from now on (a later call wins over an earlier one, as a second
   * memmap_init_zone() would). O(pageblocks).
   */
  setZoneSpan(start: number, end: number, zoneNum: number): void {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= this.maxPfn)) {
      throw new RangeError(`zone span [${start}, ${end}) is not a pfn range of this memmap (${this.maxPfn} pages)`);
    }
    if (!(Number.isInteger(zoneNum) && zoneNum >= 0 && zoneNum < ZONE_MIXED - 1)) throw new RangeError(`zone number ${zoneNum} does not fit page_zonenum's encoding`);
    const spans = this.listRoom(LIST_SPANS, 3);
    const n = this.lists[LIST_SPANS];
    spans[n] = start;
    spans[n + 1] = end;
    spans[n + 2] = zoneNum;
    this.lists[LIST_SPANS] = n + 3;
    const table = this.pageblockZone;
    const firstFull = (start + (1 << PAGEBLOCK_ORDER) - 1) >>> PAGEBLOCK_ORDER;
    const lastFull = end >>> PAGEBLOCK_ORDER; // one past the last block wholly inside
    if (firstFull < lastFull) table.fill(zoneNum + 1, firstFull, lastFull);
    if (start & ((1 << PAGEBLOCK_ORDER) - 1) || firstFull >= lastFull) table[start >>> PAGEBLOCK_ORDER] = ZONE_MIXED;
    if (end & ((1 << PAGEBLOCK_ORDER) - 1)) table[end >>> PAGEBLOCK_ORDER] = ZONE_MIXED;
  }

  /**
   * page_zonenum()/page_zone_id(): the zone number (nid * MAX_NR_ZONES + zone_idx) of the pfn,
   * NO_ZONE when it has none. page_to_nid() is zoneNumOf(pfn) / MAX_NR_ZONES, floored.
   */
  zoneNumOf(pfn: number): number {
    const z = this.pageblockZone[pfn >>> 9]; // PAGEBLOCK_ORDER (checked at load)
    return z !== 0xffff ? z - 1 : this.zoneNumOfSpans(pfn); // ZONE_MIXED
  }

  private zoneNumOfSpans(pfn: number): number {
    const spans = this.zoneSpans;
    for (let i = this.lists[LIST_SPANS] - 3; i >= 0; i -= 3) if (pfn >= spans[i] && pfn < spans[i + 1]) return spans[i + 2];
    return NO_ZONE;
  }

  /** Whether every pfn of [start, end) belongs to zone number zoneNum (O(pageblocks)). */
  rangeInZone(start: number, end: number, zoneNum: number): boolean {
    const mask = (1 << PAGEBLOCK_ORDER) - 1;
    for (let pfn = start; pfn < end; ) {
      const z = this.pageblockZone[pfn >>> PAGEBLOCK_ORDER];
      const blockEnd = Math.min(end, (pfn | mask) + 1);
      if (z === ZONE_MIXED) {
        for (; pfn < blockEnd; pfn++) if (this.zoneNumOfSpans(pfn) !== zoneNum) return false;
      } else {
        if (z - 1 !== zoneNum) return false;
        pfn = blockEnd;
      }
    }
    return true;
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

  /** page->_mapcount as Linux holds it: -1 unmapped, PAGE_BUDDY_MAPCOUNT_VALUE on a free buddy head. */
  getMapcount(pfn: number): number {
    const w = this.mapLru[pfn * MAPLRU_WORDS];
    if ((w & BUDDY_WORD_TAG_MASK) === BUDDY_WORD_TAG) return PAGE_BUDDY_MAPCOUNT_VALUE;
    if (w === 0 && (pfn & TOP_MASK) === 0 && (this.topBlock[(pfn >>> TOP_SHIFT) * MAPLRU_WORDS] & BUDDY_WORD_TAG_MASK) === BUDDY_WORD_TAG) return PAGE_BUDDY_MAPCOUNT_VALUE;
    return w - 1;
  }

  /** atomic_set(&page->_mapcount, v) (not a way to make a page PageBuddy: setBuddy() is). */
  setMapcount(pfn: number, v: number): void {
    this.mapLru[pfn * MAPLRU_WORDS] = v + 1;
  }

  /** page_mapcount_reset(): _mapcount = -1. */
  resetMapcount(pfn: number): void {
    this.mapLru[pfn * MAPLRU_WORDS] = 0;
  }

  /** The buddy word of pfn: its mapcount word, or its top-order block word (0 when neither is one). */
  private buddyWord(pfn: number): number {
    return buddyWordOf(this.mapLru, this.topBlock, pfn);
  }

  /** PageBuddy(): the head of a free block in the buddy allocator. */
  isBuddy(pfn: number): boolean {
    return this.buddyWord(pfn) !== 0;
  }

  /**
   * __SetPageBuddy() + set_page_order(), in the buddy word alone (see the file comment), with
   * `aux` (0..BUDDY_AUX_MAX) kept alongside for the page allocator. The caller passes an order
   * below MAX_ORDER; a block of TOP_ORDER keeps its word in topBlock.
   */
  setBuddy(pfn: number, order: number, aux = 0): void {
    setBuddyWord(this.mapLru, this.topBlock, pfn, order, aux);
  }

  /** page_order() of a free buddy head (meaningful only where isBuddy()). */
  buddyOrder(pfn: number): number {
    return this.buddyWord(pfn) & 0xff;
  }

  /** The aux value setBuddy() kept with a free buddy head (meaningful only where isBuddy()). */
  buddyAux(pfn: number): number {
    return (this.buddyWord(pfn) >>> 8) & 0xff; // BUDDY_AUX_MAX
  }

  /** Whether pfn is a free buddy head of exactly this order: PageBuddy() && page_order() == order. */
  isBuddyOfOrder(pfn: number, order: number): boolean {
    return isBuddyWordOfOrder(this.mapLru, this.topBlock, pfn, order);
  }

  /** __ClearPageBuddy() + rmv_page_order() (page->private = 0). */
  clearBuddy(pfn: number): void {
    clearBuddyWord(this.mapLru, this.private, this.topBlock, pfn);
  }

  /** The next pfn on the page's lru list, -1 at the end. */
  lruNextOf(pfn: number): number {
    return this.mapLru[pfn * MAPLRU_WORDS + MAPLRU_NEXT] - 1;
  }

  /** The page is on no list (INIT_LIST_HEAD(&page->lru) after list_del()). */
  clearLru(pfn: number): void {
    const i = pfn * MAPLRU_WORDS;
    this.mapLru[i + MAPLRU_NEXT] = 0;
    this.mapLru[i + MAPLRU_PREV] = 0;
  }

  /** page->mapping as an id (0 = none). */
  getMapping(pfn: number): number {
    return this.mappingExt.get(pfn);
  }

  setMapping(pfn: number, id: number): void {
    if (id >>> 0 !== id) throw new RangeError(`page->mapping ${id} is not a 32-bit id`);
    this.mappingExt.set(pfn, id);
  }

  /** page->index (pgoff_t, 32 bits here). */
  getIndex(pfn: number): number {
    return this.indexExt.get(pfn);
  }

  setIndex(pfn: number, index: number): void {
    if (index >>> 0 !== index) throw new RangeError(`page->index ${index} does not fit in 32 bits`);
    this.indexExt.set(pfn, index);
  }

  /** page->mem_cgroup as a cgroup id (0 = root / none). */
  getMemcg(pfn: number): number {
    return this.memcgExt.get(pfn);
  }

  setMemcg(pfn: number, id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id <= 0xffff)) throw new RangeError(`page->mem_cgroup ${id} is not a cgroup id (0..65535)`);
    this.memcgExt.set(pfn, id);
  }

  getPageblockMigratetype(pfn: number): number {
    return this.pageblockMigratetype[pfn >>> 9]; // PAGEBLOCK_ORDER (checked at load)
  }

  setPageblockMigratetype(pfn: number, mt: number): void {
    this.pageblockMigratetype[pfn >>> PAGEBLOCK_ORDER] = mt;
  }

  /**
   * memmap init left the struct pages of [start, end) zero for boot to hand them over (see
   * memmapInitZone()): record the range as awaiting handover. Ranges must not overlap.
   */
  addHandover(start: number, end: number): void {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= this.maxPfn)) {
      throw new RangeError(`handover range [${start}, ${end}) is not a pfn range of this memmap`);
    }
    let h = this.handover;
    const len = this.lists[LIST_HANDOVER];
    let i = len;
    while (i > 0 && h[i - 2] > start) i -= 2;
    if ((i > 0 && h[i - 1] > start) || (i < len && h[i] < end)) throw new RangeError(`handover range [${start}, ${end}) overlaps one already recorded`);
    h = this.listRoom(LIST_HANDOVER, 2);
    h.copyWithin(i + 2, i, len);
    h[i] = start;
    h[i + 1] = end;
    this.lists[LIST_HANDOVER] = len + 2;
  }

  /** The index (of its start) in `handover` of the range awaiting handover that holds pfn, or -1. */
  private findHandover(pfn: number): number {
    const h = this.handover;
    let lo = 0;
    let hi = (this.lists[LIST_HANDOVER] >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pfn < h[2 * mid]) hi = mid - 1;
      else if (pfn >= h[2 * mid + 1]) lo = mid + 1;
      else return 2 * mid;
    }
    return -1;
  }

  /** The end of the range awaiting handover that holds pfn, or pfn when none does. */
  handoverEndAt(pfn: number): number {
    const i = this.findHandover(pfn);
    return i < 0 ? pfn : this.handover[i + 1];
  }

  /**
   * Take [start, ...) out of the ranges awaiting handover: returns the end (at most `end`) of
   * the part starting at `start` that was awaiting handover, or `start` when `start` was not.
   */
  takeHandover(start: number, end: number): number {
    const i = this.findHandover(start);
    if (i < 0) return start;
    const s = this.handover[i];
    const e = this.handover[i + 1];
    const takeEnd = Math.min(end, e);
    const len = this.lists[LIST_HANDOVER];
    const keepLeft = s < start;
    const keepRight = takeEnd < e;
    if (keepLeft && keepRight) {
      // The range splits in two: [s, start) and [takeEnd, e).
      const h = this.listRoom(LIST_HANDOVER, 2);
      h.copyWithin(i + 4, i + 2, len);
      h[i + 1] = start;
      h[i + 2] = takeEnd;
      h[i + 3] = e;
      this.lists[LIST_HANDOVER] = len + 2;
    } else if (keepLeft) this.handover[i + 1] = start;
    else if (keepRight) this.handover[i] = takeEnd;
    else {
      this.handover.copyWithin(i, i + 2, len);
      this.lists[LIST_HANDOVER] = len - 2;
    }
    return takeEnd;
  }

  /** The first pfn at or after `pfn` awaiting handover (maxPfn when none). */
  nextHandoverPfn(pfn: number): number {
    const h = this.handover;
    for (let i = 0; i < this.lists[LIST_HANDOVER]; i += 2) if (h[i + 1] > pfn) return Math.max(pfn, h[i]);
    return this.maxPfn;
  }

  /** The ranges still awaiting handover, as [start, end) pairs in pfn order. */
  pendingHandover(): PfnRange[] {
    const out: PfnRange[] = [];
    for (let i = 0; i < this.lists[LIST_HANDOVER]; i += 2) out.push({ start: this.handover[i], end: this.handover[i + 1] });
    return out;
  }
}

/**
 * Doubly linked lists of pfns threaded through PageStore.mapLru's link words (struct list_head
 * on page->lru; the links hold pfn + 1, 0 for none). A set holds many lists, each named by a
 * number; heads and tails (pfns, -1 for none) and lengths are typed arrays, so list operations
 * allocate nothing.
 */
export class PfnListSet {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly length: Uint32Array;
  /** pages.mapLru, read once. */
  private readonly w: Int32Array;

  constructor(pages: PageStore, nrLists: number) {
    this.w = pages.mapLru;
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
    return this.w[pfn * 3 + 1] - 1;
  }

  /** list_add(): at the head. */
  addHead(list: number, pfn: number): void {
    pfnListAddHead(this.w, this.head, this.tail, this.length, list, pfn);
  }

  /** list_add_tail(). */
  addTail(list: number, pfn: number): void {
    pfnListAddTail(this.w, this.head, this.tail, this.length, list, pfn);
  }

  /** list_del(): the caller guarantees pfn is on this list. */
  remove(list: number, pfn: number): void {
    pfnListRemove(this.w, this.head, this.tail, this.length, list, pfn);
  }

  /** Remove and return the first pfn, or -1. */
  popHead(list: number): number {
    const pfn = this.head[list];
    if (pfn !== -1) this.remove(list, pfn);
    return pfn;
  }
}

/**
 * Lists of free top-order blocks (TOP_ORDER, 2^10 pages), the same operations as PfnListSet,
 * with the links in PageStore.topBlock (one entry per 2^TOP_ORDER pfns) instead of the head's
 * mapLru words: freeing memory in top-order blocks (boot) writes no per-page struct page.
 * Every pfn on these lists is 2^TOP_ORDER-aligned. The heads, tails and lengths are those of a
 * PfnListSet (`lists`), whose lists of top-order blocks this set links: readers of a list's
 * first block or length need not know where its links are; only adding, removing and walking
 * (next()) go through this set.
 */
export class TopOrderListSet {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly length: Uint32Array;
  /** pages.topBlock, read once. */
  private readonly t: Int32Array;

  constructor(pages: PageStore, lists: PfnListSet) {
    this.t = pages.topBlock;
    this.head = lists.head;
    this.tail = lists.tail;
    this.length = lists.length;
  }

  /** The pfn after `pfn` on its top-order list (isEmpty(), first() and last(): the PfnListSet's). */
  next(pfn: number): number {
    return this.t[(pfn >>> TOP_SHIFT) * MAPLRU_WORDS + MAPLRU_NEXT] - 1;
  }

  /** list_add() (tail false) or list_add_tail() (tail true). */
  add(list: number, pfn: number, tail: boolean): void {
    topListAdd(this.t, this.head, this.tail, this.length, list, pfn, tail);
  }

  /** list_del(): the caller guarantees pfn is on this list. */
  remove(list: number, pfn: number): void {
    topListRemove(this.t, this.head, this.tail, this.length, list, pfn);
  }
}

// The buddy-word and list operations on the arrays themselves: PageStore's, PfnListSet's and
// TopOrderListSet's methods call them, and so can code that holds the arrays (a page
// allocator's closures, made once per allocator: V8 reads arrays a closure holds as constants
// of its code, and a class instance's fields never, docs/implementations.md). MAPLRU_WORDS 3,
// MAPLRU_NEXT 1, MAPLRU_PREV 2 and TOP_SHIFT 10 are literals here (checked at load).
if (MAPLRU_WORDS !== 3 || MAPLRU_NEXT !== 1 || MAPLRU_PREV !== 2 || TOP_SHIFT !== 10) throw new Error('struct-page.ts: the array operations use MAPLRU_WORDS, MAPLRU_NEXT, MAPLRU_PREV and TOP_SHIFT as literals');

/** The buddy word of a free head (PageBuddy() with its order and aux), in mapLru or for a top-order block in topBlock; 0 when none. */
export function buddyWordOf(mapLru: Int32Array, topBlock: Int32Array, pfn: number): number {
  const w = mapLru[pfn * 3];
  if ((w & BUDDY_WORD_TAG_MASK) === BUDDY_WORD_TAG) return w;
  if ((pfn & TOP_MASK) === 0) {
    const t = topBlock[(pfn >>> 10) * 3];
    if ((t & BUDDY_WORD_TAG_MASK) === BUDDY_WORD_TAG) return t;
  }
  return 0;
}

/**
 * page_mapcount() == -1 (PAGE_UNMAPPED_MAPCOUNT: PageStore.getMapcount()) on the arrays: no
 * mapcount and no buddy word, in mapLru or, for a top-order-aligned pfn, in topBlock.
 */
export function isUnmappedWord(mapLru: Int32Array, topBlock: Int32Array, pfn: number): boolean {
  return mapLru[pfn * 3] === 0 && ((pfn & TOP_MASK) !== 0 || (topBlock[(pfn >>> 10) * 3] & BUDDY_WORD_TAG_MASK) !== BUDDY_WORD_TAG); // TOP_SHIFT
}

/** PageStore.setBuddy() on the arrays. */
export function setBuddyWord(mapLru: Int32Array, topBlock: Int32Array, pfn: number, order: number, aux: number): void {
  if (order === 10) topBlock[(pfn >>> 10) * 3] = BUDDY_WORD_TAG | (aux << 8) | order; // TOP_SHIFT: TOP_ORDER
  else setLowBuddyWord(mapLru, pfn, order, aux);
}

/** PageStore.isBuddyOfOrder() on the arrays. */
export function isBuddyWordOfOrder(mapLru: Int32Array, topBlock: Int32Array, pfn: number, order: number): boolean {
  if (order === 10) return (pfn & TOP_MASK) === 0 && (topBlock[(pfn >>> 10) * 3] & (BUDDY_WORD_TAG_MASK | 0xff)) === (BUDDY_WORD_TAG | order);
  return lowBuddyWordOf(mapLru, pfn, order) !== 0;
}

/**
 * The buddy word of pfn when it heads a free block of exactly `order`, an order below
 * TOP_ORDER (whose words are in mapLru), else 0: isBuddyWordOfOrder() and buddyWordOf() in one
 * read, for the merging loop of __free_one_page(). buddyWordAux() reads its aux.
 */
export function lowBuddyWordOf(mapLru: Int32Array, pfn: number, order: number): number {
  const w = mapLru[pfn * 3];
  return (w & (BUDDY_WORD_TAG_MASK | 0xff)) === (BUDDY_WORD_TAG | order) ? w : 0;
}

/** The aux a buddy word keeps (PageStore.buddyAux(): the page allocator's migratetype of the free list). */
export function buddyWordAux(word: number): number {
  return (word >>> 8) & 0xff; // BUDDY_AUX_MAX
}

/** setBuddyWord() of an order below TOP_ORDER: the word goes in mapLru. */
export function setLowBuddyWord(mapLru: Int32Array, pfn: number, order: number, aux: number): void {
  mapLru[pfn * 3] = BUDDY_WORD_TAG | (aux << 8) | order;
}

/** PageStore.clearBuddy() on the arrays. */
export function clearBuddyWord(mapLru: Int32Array, priv: Uint32Array, topBlock: Int32Array, pfn: number): void {
  mapLru[pfn * 3] = 0;
  priv[pfn] = 0;
  if ((pfn & TOP_MASK) === 0) topBlock[(pfn >>> 10) * 3] = 0;
}

/** PfnListSet.addHead() (list_add()) on the arrays: w is PageStore.mapLru. */
export function pfnListAddHead(w: Int32Array, head: Int32Array, tail: Int32Array, length: Uint32Array, list: number, pfn: number): void {
  const old = head[list];
  const i = pfn * 3;
  w[i + 2] = 0;
  w[i + 1] = old + 1;
  if (old === -1) tail[list] = pfn;
  else w[old * 3 + 2] = pfn + 1;
  head[list] = pfn;
  length[list]++;
}

/** PfnListSet.addTail() (list_add_tail()) on the arrays. */
export function pfnListAddTail(w: Int32Array, head: Int32Array, tail: Int32Array, length: Uint32Array, list: number, pfn: number): void {
  const old = tail[list];
  const i = pfn * 3;
  w[i + 1] = 0;
  w[i + 2] = old + 1;
  if (old === -1) head[list] = pfn;
  else w[old * 3 + 1] = pfn + 1;
  tail[list] = pfn;
  length[list]++;
}

/**
 * PfnListSet.remove() (list_del()) on the arrays: the caller guarantees pfn is on the list. The
 * links are kept as stored (a neighbour's pfn + 1, 0 for none): (p - 1) * 3 + 1 is p * 3 - 2.
 */
export function pfnListRemove(w: Int32Array, head: Int32Array, tail: Int32Array, length: Uint32Array, list: number, pfn: number): void {
  const i = pfn * 3;
  const next = w[i + 1];
  const prev = w[i + 2];
  if (prev === 0) head[list] = next - 1;
  else w[prev * 3 - 2] = next;
  if (next === 0) tail[list] = prev - 1;
  else w[next * 3 - 1] = prev;
  w[i + 1] = 0;
  w[i + 2] = 0;
  length[list]--;
}

/** TopOrderListSet.add() on the arrays: t is PageStore.topBlock; list_add() (atTail false) or list_add_tail(). */
export function topListAdd(t: Int32Array, head: Int32Array, tail: Int32Array, length: Uint32Array, list: number, pfn: number, atTail: boolean): void {
  const i = (pfn >>> 10) * 3;
  if (atTail) {
    const old = tail[list];
    t[i + 1] = 0;
    t[i + 2] = old + 1;
    if (old === -1) head[list] = pfn;
    else t[(old >>> 10) * 3 + 1] = pfn + 1;
    tail[list] = pfn;
  } else {
    const old = head[list];
    t[i + 2] = 0;
    t[i + 1] = old + 1;
    if (old === -1) tail[list] = pfn;
    else t[(old >>> 10) * 3 + 2] = pfn + 1;
    head[list] = pfn;
  }
  length[list]++;
}

/** TopOrderListSet.remove() (list_del()) on the arrays: the caller guarantees pfn is on the list. */
export function topListRemove(t: Int32Array, head: Int32Array, tail: Int32Array, length: Uint32Array, list: number, pfn: number): void {
  const i = (pfn >>> 10) * 3;
  const n = t[i + 1] - 1;
  const p = t[i + 2] - 1;
  if (p === -1) head[list] = n;
  else t[(p >>> 10) * 3 + 1] = n + 1;
  if (n === -1) tail[list] = p;
  else t[(n >>> 10) * 3 + 2] = p + 1;
  t[i + 1] = 0;
  t[i + 2] = 0;
  length[list]--;
}

/**
 * The bytes of physical pages, materialised lazily: a page never written reads as zeros.
 * Freeing a page does not clear it (Linux does not either); __GFP_ZERO and clear_page() do.
 *
 * Storage: a pool of PAGE_SIZE page buffers ("slots"), held PAGE_CHUNK_PAGES to a chunk in
 * large ArrayBuffers (or SharedArrayBuffers, `shared`), and slotOf[pfn] (an Int32Array) giving
 * each pfn's slot, 0 for a page never written since it was last cleared. No Map on any path:
 * an access is slotOf[pfn], then a chunk's typed view. clear() gives the slot back to a stack
 * of free slots, which later materialisations reuse (zeroed then). The pool holds at most
 * `maxPages` pages: a write that needs more throws a RangeError and changes nothing.
 *
 * Shared (`shared`): slotOf and the chunks are SharedArrayBuffers, and sharedState() hands them
 * (with the pins and the chunk count) to another thread, whose `new PageContents({ attach,
 * remote })` reads and writes the same bytes. The pool's bookkeeping (which slots are free, the
 * next one) stays with the owner: the attached side asks it, through `remote`, to materialise
 * or clear a page, and takes the chunks the owner added since (attachChunks()) before it
 * touches their slots. Only one thread works at a time (the grader's isolated submissions call
 * across a channel that strictly alternates).
 */
import { PAGE_SIZE } from './mmzone.js';

/** 1 when the host stores a Uint32Array big-endian (a number: tested on the hot paths, where a boolean costs more). */
const HOST_BIG_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;

/** Pages per chunk of the pool (1 MiB chunks: a fresh chunk costs the process nothing until written). */
export const PAGE_CHUNK_SHIFT = 8;
export const PAGE_CHUNK_PAGES = 1 << PAGE_CHUNK_SHIFT;
const CHUNK_MASK = PAGE_CHUNK_PAGES - 1;
/** log2 of the 32-bit words of a page. */
const PAGE_WORDS_SHIFT = 10;
/** The default bound of the pool when no maxPfn gives one: 2^20 pages (4 GiB of written pages). */
export const DEFAULT_MAX_CONTENT_PAGES = 1 << 20;
/** The pfn bound when none is given (slotOf grows on demand up to it). */
const MAX_GROWABLE_PFN = 2 ** 31 - 1;

if (PAGE_SIZE !== 4096 || PAGE_CHUNK_SHIFT !== 8 || PAGE_WORDS_SHIFT !== 10) throw new Error('page-contents.ts: the literals of readU64()/writeU64() assume 4 KiB pages in chunks of 256');

export interface PageContentsOptions {
  /**
   * One past the last pfn (max_pfn): slotOf is allocated for it at once and a pfn at or beyond
   * it is refused. Without it, slotOf grows on demand (not possible with `shared`).
   */
  readonly maxPfn?: number;
  /** The most pages the pool may hold at once (default: maxPfn, else DEFAULT_MAX_CONTENT_PAGES). */
  readonly maxPages?: number;
  /** Keep slotOf and every chunk in SharedArrayBuffers, to share them with another isolate. */
  readonly shared?: boolean;
  /** Attach to a shared PageContents of another thread (its sharedState()); needs `remote`. */
  readonly attach?: PageContentsSharedState;
  /** What an attached PageContents asks the owner to do (the owner keeps the pool's bookkeeping). */
  readonly remote?: PageContentsRemote;
}

/** A shared PageContents as buffers and numbers (sharedState()), for another thread to attach to. */
export interface PageContentsSharedState {
  readonly maxPfn: number;
  readonly maxPages: number;
  /** slotOf: Int32 per pfn. */
  readonly slotOf: SharedArrayBuffer;
  /** The pins of every slot (pinContiguous()): one byte each. */
  readonly pins: SharedArrayBuffer;
  /** Int32 words: [0] the chunks the owner has added so far. */
  readonly ctl: SharedArrayBuffer;
  /** The chunks so far (PAGE_CHUNK_PAGES pages each); later ones come through attachChunks(). */
  readonly chunks: readonly SharedArrayBuffer[];
}

/** The owner's side of an attached PageContents (in the owner's thread, reached by a call across). */
export interface PageContentsRemote {
  /** Give every page of first..last that has no slot one (zeroed); the chunks it added must be attached (attachChunks()) before this returns. */
  materialise(firstPfn: number, lastPfn: number): void;
  /** clear(pfn) on the owner. */
  clear(pfn: number): void;
  /** The owner's `materialised`. */
  materialised(): number;
}

/** Bytes of one chunk of the pool. */
export const PAGE_CHUNK_BYTES = PAGE_CHUNK_PAGES * PAGE_SIZE;

export class PageContents {
  /** slotOf[pfn]: the pool slot of the page's bytes, 0 = never written (reads zeros). */
  private slotOf: Int32Array;
  /** Whether slotOf has a fixed size (maxPfn given): a pfn beyond it is an error, not a page never written. */
  private readonly fixedPfns: boolean;
  /** The chunks of the pool, as bytes and as 32-bit words (views of the same buffers). */
  private readonly chunkBytes: Uint8Array[] = [];
  private readonly chunkWords: Uint32Array[] = [];
  /** Slots ever handed out (slot 0 is never used: it means "no page"), and the free ones to reuse. */
  private nextSlot = 1;
  private freeSlots = new Int32Array(64);
  private nrFree = 0;
  private readonly maxSlots: number;
  readonly shared: boolean;
  /** Pins per slot (pinContiguous()), grown on demand: a pinned slot never leaves its page (shared once sharedState() is taken: every slot's). */
  private pins: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  /** Shared: [0] the number of chunks (the owner's, for the attached sides to catch up with). */
  private readonly ctl: Int32Array | undefined;
  /** Attached: the owner, which materialises and clears. */
  private readonly remote: PageContentsRemote | undefined;

  constructor(options: PageContentsOptions = {}) {
    const attach = options.attach;
    const { maxPfn, shared = false } = attach ? { maxPfn: attach.maxPfn, shared: true } : options;
    if (attach && (options.maxPfn !== undefined || options.maxPages !== undefined)) throw new RangeError('PageContents: an attached PageContents takes its sizes from the state it attaches to');
    if (attach && !options.remote) throw new RangeError('PageContents: attaching needs the owner (remote) to materialise and clear pages');
    if (maxPfn !== undefined && !(Number.isInteger(maxPfn) && maxPfn > 0 && maxPfn <= MAX_GROWABLE_PFN)) {
      throw new RangeError(`PageContents: maxPfn must be a positive integer up to ${MAX_GROWABLE_PFN}, got ${maxPfn}`);
    }
    if (shared && maxPfn === undefined) throw new RangeError('PageContents: shared storage needs maxPfn (slotOf cannot grow once shared)');
    const maxPages = attach ? attach.maxPages : options.maxPages ?? Math.min(maxPfn ?? DEFAULT_MAX_CONTENT_PAGES, DEFAULT_MAX_CONTENT_PAGES * 64);
    if (!(Number.isInteger(maxPages) && maxPages > 0 && maxPages < 2 ** 31 - PAGE_CHUNK_PAGES)) {
      throw new RangeError(`PageContents: maxPages must be a positive integer below 2^31, got ${maxPages}`);
    }
    this.shared = shared;
    this.maxSlots = maxPages + 1;
    this.fixedPfns = maxPfn !== undefined;
    if (attach) {
      this.slotOf = new Int32Array(sharedOf(attach.slotOf, maxPfn! * 4, 'slotOf'));
      this.pins = new Uint8Array(sharedOf(attach.pins, this.maxSlots, 'pins'));
      this.ctl = new Int32Array(sharedOf(attach.ctl, 16, 'ctl'));
      this.remote = options.remote;
      this.attachChunks(attach.chunks);
      return;
    }
    this.slotOf = maxPfn !== undefined ? new Int32Array(this.buffer(maxPfn * 4)) : new Int32Array(1024);
    this.ctl = shared ? new Int32Array(new SharedArrayBuffer(16)) : undefined;
    this.remote = undefined;
  }

  /**
   * The state another thread attaches to (`new PageContents({ attach, remote })`). From the
   * first call on, the pins are shared too (every slot's, one byte each).
   */
  sharedState(): PageContentsSharedState {
    if (!this.shared || this.ctl === undefined) throw new Error('PageContents.sharedState(): this pool is not on shared storage (new PageContents({ maxPfn, shared: true }))');
    if (!(this.pins.buffer instanceof SharedArrayBuffer)) {
      const pins = new Uint8Array(new SharedArrayBuffer(this.maxSlots));
      pins.set(this.pins.subarray(0, Math.min(this.pins.length, this.maxSlots)));
      this.pins = pins;
    }
    return { maxPfn: this.slotOf.length, maxPages: this.maxSlots - 1, slotOf: this.slotOf.buffer as SharedArrayBuffer, pins: this.pins.buffer as SharedArrayBuffer, ctl: this.ctl.buffer as SharedArrayBuffer, chunks: this.chunkBytes.map((c) => c.buffer as SharedArrayBuffer) };
  }

  /** Chunks of the pool so far (a shared owner's: what attached sides must have, chunkBuffer(i) each). */
  get chunkCount(): number {
    return this.chunkBytes.length;
  }

  chunkBuffer(i: number): SharedArrayBuffer | ArrayBuffer {
    return this.chunkBytes[i].buffer;
  }

  /** Attached: how many chunks the owner has that this side has not attached yet. */
  get chunksMissing(): number {
    return this.ctl === undefined ? 0 : this.ctl[0] - this.chunkBytes.length;
  }

  /** Attached: take the owner's next chunks, in order (chunkBuffer(chunkCount), ...). */
  attachChunks(buffers: readonly SharedArrayBuffer[]): void {
    if (this.remote === undefined) throw new Error('PageContents.attachChunks(): this pool is not attached to another');
    for (const b of buffers) {
      if (this.chunkBytes.length * PAGE_CHUNK_PAGES >= this.maxSlots) throw new RangeError('PageContents: more chunks than the pool holds');
      this.chunkBytes.push(new Uint8Array(sharedOf(b, PAGE_CHUNK_BYTES, 'chunk')));
      this.chunkWords.push(new Uint32Array(b));
    }
  }

  private buffer(bytes: number): ArrayBuffer | SharedArrayBuffer {
    return this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }

  /** Pages that hold written bytes (for memory accounting of the simulator itself). */
  get materialised(): number {
    if (this.remote !== undefined) return this.remote.materialised();
    return this.nextSlot - 1 - this.nrFree;
  }

  /** The most pages the pool may hold at once. */
  get maxPages(): number {
    return this.maxSlots - 1;
  }

  has(pfn: number): boolean {
    return this.slotAt(pfn) !== 0;
  }

  /** slotOf[pfn] for a read: 0 for a pfn never written (and beyond a growable slotOf). */
  private slotAt(pfn: number): number {
    const slotOf = this.slotOf;
    const p = pfn >>> 0; // not pfn itself for a negative, fractional or NaN pfn
    if (p === pfn && p < slotOf.length) return slotOf[p];
    return this.slotBeyond(pfn);
  }

  /** slotAt() of a pfn beyond slotOf: never written if slotOf can still grow to it, else an error (cold). */
  private slotBeyond(pfn: number): number {
    const p = pfn >>> 0;
    if (this.fixedPfns || p !== pfn || p > MAX_GROWABLE_PFN) throw badPfn(pfn, this.fixedPfns ? this.slotOf.length : MAX_GROWABLE_PFN + 1);
    return 0;
  }

  /** The slot of pfn, materialised (zeroed) if it had none. */
  private slotFor(pfn: number): number {
    const slotOf = this.slotOf;
    const p = pfn >>> 0;
    if (p === pfn && p < slotOf.length) {
      const slot = slotOf[p];
      if (slot !== 0) return slot;
    }
    return this.materialise(pfn);
  }

  private materialise(pfn: number): number {
    if (this.remote !== undefined) return this.materialiseRemote(pfn);
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.slotOf.length) this.growSlotOf(pfn);
    let slot: number;
    if (this.nrFree > 0) {
      slot = this.freeSlots[--this.nrFree];
      this.chunkWords[slot >>> PAGE_CHUNK_SHIFT].fill(0, (slot & CHUNK_MASK) << PAGE_WORDS_SHIFT, ((slot & CHUNK_MASK) + 1) << PAGE_WORDS_SHIFT);
    } else {
      slot = this.nextSlot;
      if (slot >= this.maxSlots) {
        throw new RangeError(`PageContents: the pool holds its maximum of ${this.maxSlots - 1} written pages; writing pfn ${pfn} needs one more (raise maxPages)`);
      }
      if (slot >>> PAGE_CHUNK_SHIFT === this.chunkBytes.length) this.addChunk();
      this.nextSlot = slot + 1;
    }
    this.slotOf[pfn] = slot;
    return slot;
  }

  /** Attached: the owner gives pfn a slot; its chunk is attached by then. */
  private materialiseRemote(pfn: number): number {
    this.checkPfns(pfn, pfn);
    this.remote!.materialise(pfn, pfn);
    const slot = this.slotOf[pfn];
    if (slot === 0 || slot >>> PAGE_CHUNK_SHIFT >= this.chunkBytes.length) throw new RangeError(`PageContents: the owner gave pfn ${pfn} no slot this thread can reach (slot ${slot})`);
    return slot;
  }

  private addChunk(): void {
    let buf: ArrayBuffer | SharedArrayBuffer;
    try {
      buf = this.buffer(PAGE_CHUNK_PAGES * PAGE_SIZE);
    } catch (err) {
      throw new RangeError(`PageContents: cannot grow the pool beyond ${this.chunkBytes.length * PAGE_CHUNK_PAGES} pages (${err instanceof Error ? err.message : String(err)})`);
    }
    this.chunkBytes.push(new Uint8Array(buf));
    this.chunkWords.push(new Uint32Array(buf));
    if (this.ctl !== undefined) Atomics.store(this.ctl, 0, this.chunkBytes.length);
  }

  /** A growable slotOf covers pfn (doubling); a fixed one refuses it. */
  private growSlotOf(pfn: number): void {
    if (this.fixedPfns || !(Number.isInteger(pfn) && pfn >= 0 && pfn <= MAX_GROWABLE_PFN)) throw badPfn(pfn, this.fixedPfns ? this.slotOf.length : MAX_GROWABLE_PFN + 1);
    let n = this.slotOf.length;
    while (n <= pfn) n = Math.min(n * 2, MAX_GROWABLE_PFN + 1);
    const grown = new Int32Array(n);
    grown.set(this.slotOf);
    this.slotOf = grown;
  }

  /**
   * Refuse, before anything is written, a write to pages firstPfn..lastPfn that could not be
   * done whole: a pfn outside the memmap (a fixed one, or beyond what slotOf can grow to), or
   * more pages to materialise than the pool has room for. The chunks those pages need are
   * added here, so the write that follows cannot fail half-way.
   */
  prepareWrite(firstPfn: number, lastPfn: number): void {
    this.checkPfns(firstPfn, lastPfn);
    if (this.remote !== undefined) {
      // Attached: the owner materialises what has no slot yet (the write that follows then cannot fail).
      for (let pfn = firstPfn; pfn <= lastPfn; pfn++) {
        if (this.slotOf[pfn] === 0) {
          this.remote.materialise(pfn, lastPfn);
          break;
        }
      }
      for (let pfn = firstPfn; pfn <= lastPfn; pfn++) if (this.slotOf[pfn] >>> PAGE_CHUNK_SHIFT >= this.chunkBytes.length || this.slotOf[pfn] === 0) throw new RangeError(`PageContents: the owner gave pfn ${pfn} no slot this thread can reach`);
      return;
    }
    let need = 0;
    for (let pfn = firstPfn; pfn <= lastPfn; pfn++) if (pfn >= this.slotOf.length || this.slotOf[pfn] === 0) need++;
    const fromFree = Math.min(need, this.nrFree);
    const fresh = need - fromFree;
    if (this.nextSlot + fresh > this.maxSlots) {
      throw new RangeError(`PageContents: the pool holds its maximum of ${this.maxSlots - 1} written pages; writing pfns ${firstPfn}..${lastPfn} needs ${need} more, ${this.nrFree + this.maxSlots - this.nextSlot} are left (raise maxPages)`);
    }
    if (fresh > 0) while (((this.nextSlot + fresh - 1) >>> PAGE_CHUNK_SHIFT) >= this.chunkBytes.length) this.addChunk();
  }

  /**
   * Give every page of firstPfn..lastPfn a slot, zeroed where it had none (all or nothing, as
   * prepareWrite()): the owner's answer to an attached side's remote.materialise().
   */
  materialiseRange(firstPfn: number, lastPfn: number): void {
    this.prepareWrite(firstPfn, lastPfn);
    for (let pfn = firstPfn; pfn <= lastPfn; pfn++) this.slotFor(pfn);
  }

  /** Refuse a pfn range that reaches outside the memmap (a read or zero fill of it would throw half-way). */
  checkPfns(firstPfn: number, lastPfn: number): void {
    if (!(Number.isInteger(firstPfn) && Number.isInteger(lastPfn) && firstPfn >= 0 && firstPfn <= lastPfn)) throw badPfn(firstPfn < 0 || !Number.isInteger(firstPfn) ? firstPfn : lastPfn, this.fixedPfns ? this.slotOf.length : MAX_GROWABLE_PFN + 1);
    const limit = this.fixedPfns ? this.slotOf.length : MAX_GROWABLE_PFN + 1;
    if (lastPfn >= limit) throw badPfn(lastPfn, limit);
  }

  /**
   * For a caller that keeps a direct view of pages it owns (SLUB's cpu slab): when pages
   * pfn .. pfn + nrPages - 1 are all materialised, in consecutive slots of one chunk, on a
   * little-endian host, pins their slots and returns the first; else pins nothing and returns 0.
   * The words of page pfn + k are then chunkWordsOf(slot) from ((slot & (PAGE_CHUNK_PAGES - 1)) + k) << 10.
   * While a slot is pinned it stays its page's: clear() zeroes the page in place instead of
   * giving the slot back. unpin() with the same slot and count ends it.
   */
  pinContiguous(pfn: number, nrPages: number): number {
    if (HOST_BIG_ENDIAN !== 0 || !(Number.isInteger(pfn) && Number.isInteger(nrPages) && pfn >= 0 && nrPages >= 1 && pfn + nrPages <= this.slotOf.length)) return 0;
    const slot = this.slotOf[pfn];
    if (slot === 0 || (slot & CHUNK_MASK) + nrPages > PAGE_CHUNK_PAGES) return 0;
    for (let k = 1; k < nrPages; k++) if (this.slotOf[pfn + k] !== slot + k) return 0;
    if (slot + nrPages > this.pins.length) {
      const grown = new Uint8Array(Math.max(this.nextSlot, slot + nrPages, this.pins.length * 2));
      grown.set(this.pins);
      this.pins = grown;
    }
    for (let k = 0; k < nrPages; k++) {
      if (this.pins[slot + k] === 255) throw new RangeError(`PageContents: slot of pfn ${pfn + k} pinned 255 times`);
      this.pins[slot + k]++;
    }
    return slot;
  }

  /** Undo pinContiguous() (slot: what it returned). */
  unpin(slot: number, nrPages: number): void {
    for (let k = 0; k < nrPages; k++) {
      if (!(slot + k < this.pins.length && this.pins[slot + k] !== 0)) throw new RangeError(`PageContents: slot ${slot + k} is not pinned`);
      this.pins[slot + k]--;
    }
  }

  /** Slots pinned now (for tests and the invariant checks). */
  get pinned(): number {
    let n = 0;
    for (let i = 0; i < this.pins.length; i++) if (this.pins[i] !== 0) n++;
    return n;
  }

  /** The 32-bit words of the chunk that holds `slot` (a slot contiguousSlot() gave). */
  chunkWordsOf(slot: number): Uint32Array {
    return this.chunkWords[slot >>> PAGE_CHUNK_SHIFT];
  }

  /** The page's bytes as a view into its chunk (materialising it). */
  private pageBytes(pfn: number): Uint8Array {
    const slot = this.slotFor(pfn);
    const start = (slot & CHUNK_MASK) * PAGE_SIZE;
    return this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT].subarray(start, start + PAGE_SIZE);
  }

  read(pfn: number, offset: number, dst: Uint8Array): void {
    checkSpan(offset, dst.length);
    const slot = this.slotAt(pfn);
    if (slot === 0) {
      dst.fill(0);
      return;
    }
    const start = (slot & CHUNK_MASK) * PAGE_SIZE + offset;
    dst.set(this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT].subarray(start, start + dst.length));
  }

  write(pfn: number, offset: number, src: Uint8Array): void {
    checkSpan(offset, src.length);
    const slot = this.slotFor(pfn);
    this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT].set(src, (slot & CHUNK_MASK) * PAGE_SIZE + offset);
  }

  /** Fill [offset, offset + length) of the page with one byte (memset within a page). */
  fill(pfn: number, offset: number, length: number, byte: number): void {
    checkSpan(offset, length);
    if (byte === 0 && this.slotAt(pfn) === 0) return; // zeros already
    const slot = this.slotFor(pfn);
    const start = (slot & CHUNK_MASK) * PAGE_SIZE + offset;
    this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT].fill(byte, start, start + length);
  }

  readByte(pfn: number, offset: number): number {
    if (!(offset >= 0 && offset < PAGE_SIZE)) checkSpan(offset, 1);
    const slot = this.slotAt(pfn);
    if (slot === 0) return 0;
    return this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT][(slot & CHUNK_MASK) * PAGE_SIZE + (offset | 0)];
  }

  /**
   * A 64-bit little-endian word at an 8-aligned offset, as a double (exact below 2^53): pointers
   * kept in memory, such as SLUB's free pointer. Allocates nothing.
   */
  readU64(pfn: number, offset: number): number {
    // Literals rather than the module constants on this path (V8 loads and checks those; the
    // module checks them at load): 0xff8 = (PAGE_SIZE - 1) & ~7 holds every bit an aligned word's
    // offset may have (a negative one has others), 8 is PAGE_CHUNK_SHIFT, 0xff CHUNK_MASK, 10 PAGE_WORDS_SHIFT.
    const o = offset | 0;
    if (o !== offset || (o & ~0xff8) !== 0) throw badWord(offset);
    const slot = this.slotAt(pfn);
    if (slot === 0) return 0;
    if (HOST_BIG_ENDIAN !== 0) return this.readU64Bytes(slot, o);
    const w = this.chunkWords[slot >>> 8];
    const i = ((slot & 0xff) << 10) + (o >>> 2);
    return w[i + 1] * 4294967296 + w[i];
  }

  /** writeU64(): value must be an integer in [0, 2^53). */
  writeU64(pfn: number, offset: number, value: number): void {
    const o = offset | 0;
    if (o !== offset || (o & ~0xff8) !== 0) throw badWord(offset); // literals: see readU64()
    // ToUint32 is value mod 2^32 for an integer below 2^53; the rest is an exact multiple of 2^32.
    const lo = value >>> 0;
    const hi = (value - lo) * 2.3283064365386963e-10;
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER) || (hi | 0) !== hi) throw badValue(value);
    const slot = this.slotFor(pfn);
    if (HOST_BIG_ENDIAN !== 0) return this.writeU64Bytes(slot, o, lo, hi);
    const w = this.chunkWords[slot >>> 8];
    const i = ((slot & 0xff) << 10) + (o >>> 2);
    w[i] = lo;
    w[i + 1] = hi;
  }

  /**
   * A 32-bit little-endian word at a 4-aligned offset, unsigned: half of a 64-bit entry whose
   * value does not fit in a double (a page-table entry with NX, bit 63). Allocates nothing.
   */
  readU32(pfn: number, offset: number): number {
    const o = offset | 0;
    if (o !== offset || (o & ~0xffc) !== 0) throw badWord32(offset); // 0xffc: (PAGE_SIZE - 1) & ~3
    const slot = this.slotAt(pfn);
    if (slot === 0) return 0;
    if (HOST_BIG_ENDIAN !== 0) {
      const page = this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT];
      const at = (slot & CHUNK_MASK) * PAGE_SIZE + o;
      return (page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24)) >>> 0;
    }
    return this.chunkWords[slot >>> 8][((slot & 0xff) << 10) + (o >>> 2)];
  }

  /** writeU32(): value must be an integer in [0, 2^32). Writing 0 to a page never written keeps it unmaterialised. */
  writeU32(pfn: number, offset: number, value: number): void {
    const o = offset | 0;
    if (o !== offset || (o & ~0xffc) !== 0) throw badWord32(offset);
    if (value >>> 0 !== value) throw new RangeError(`u32 value ${value} is not an integer in [0, 2^32)`);
    if (value === 0 && this.slotAt(pfn) === 0) return;
    const slot = this.slotFor(pfn);
    if (HOST_BIG_ENDIAN !== 0) {
      const page = this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT];
      const at = (slot & CHUNK_MASK) * PAGE_SIZE + o;
      for (let i = 0; i < 4; i++) page[at + i] = (value >>> (8 * i)) & 0xff;
      return;
    }
    this.chunkWords[slot >>> 8][((slot & 0xff) << 10) + (o >>> 2)] = value;
  }

  /**
   * readU32() as a signed int32 (the same 32 bits): a word with bit 31 set, such as the high word
   * of a page-table entry with NX, comes back as a negative small integer, which V8 passes and
   * returns without boxing it (a uint32 above 2^31 - 1 is a HeapNumber when it crosses a call).
   */
  readI32(pfn: number, offset: number): number {
    const o = offset | 0;
    if (o !== offset || (o & ~0xffc) !== 0) throw badWord32(offset);
    const slot = this.slotAt(pfn);
    if (slot === 0) return 0;
    if (HOST_BIG_ENDIAN !== 0) {
      const page = this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT];
      const at = (slot & CHUNK_MASK) * PAGE_SIZE + o;
      return page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24);
    }
    return this.chunkWords[slot >>> 8][((slot & 0xff) << 10) + (o >>> 2)] | 0;
  }

  /** writeU32() of an int32's 32 bits (value an integer in [-2^31, 2^31)). */
  writeI32(pfn: number, offset: number, value: number): void {
    if ((value | 0) !== value) throw new RangeError(`i32 value ${value} is not an integer in [-2^31, 2^31)`);
    this.writeU32(pfn, offset, value >>> 0);
  }

  private readU64Bytes(slot: number, offset: number): number {
    const page = this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT];
    const at = (slot & CHUNK_MASK) * PAGE_SIZE + offset;
    let lo = 0;
    let hi = 0;
    for (let i = 3; i >= 0; i--) lo = lo * 256 + page[at + i];
    for (let i = 7; i >= 4; i--) hi = hi * 256 + page[at + i];
    return hi * 4294967296 + lo;
  }

  private writeU64Bytes(slot: number, offset: number, lo: number, hi: number): void {
    const page = this.chunkBytes[slot >>> PAGE_CHUNK_SHIFT];
    const at = (slot & CHUNK_MASK) * PAGE_SIZE + offset;
    for (let i = 0; i < 4; i++) {
      page[at + i] = (lo >>> (8 * i)) & 0xff;
      page[at + 4 + i] = (hi >>> (8 * i)) & 0xff;
    }
  }

  /** clear_page(): the page reads zeros again; its slot goes back to the pool. */
  clear(pfn: number): void {
    const slot = this.slotAt(pfn);
    if (slot === 0) return;
    if (this.remote !== undefined) {
      this.remote.clear(pfn);
      return;
    }
    if (slot < this.pins.length && this.pins[slot] !== 0) {
      // Pinned (a direct view holds it): zeroed in place, the slot stays the page's.
      this.chunkWords[slot >>> PAGE_CHUNK_SHIFT].fill(0, (slot & CHUNK_MASK) << PAGE_WORDS_SHIFT, ((slot & CHUNK_MASK) + 1) << PAGE_WORDS_SHIFT);
      return;
    }
    this.slotOf[pfn] = 0;
    if (this.nrFree === this.freeSlots.length) {
      const grown = new Int32Array(this.freeSlots.length * 2);
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.nrFree++] = slot;
  }

  /** copy_highpage(): used by migration. */
  copy(dstPfn: number, srcPfn: number): void {
    const src = this.slotAt(srcPfn);
    if (src === 0) {
      this.clear(dstPfn);
      return;
    }
    const dst = this.pageBytes(dstPfn);
    const start = (src & CHUNK_MASK) * PAGE_SIZE;
    dst.set(this.chunkBytes[src >>> PAGE_CHUNK_SHIFT].subarray(start, start + PAGE_SIZE));
  }
}

/** An attached buffer, checked: a SharedArrayBuffer of `bytes` bytes. */
function sharedOf(b: unknown, bytes: number, what: string): SharedArrayBuffer {
  if (!(b instanceof SharedArrayBuffer) || b.byteLength !== bytes) throw new RangeError(`PageContents: the shared ${what} to attach to is not a SharedArrayBuffer of ${bytes} bytes`);
  return b;
}

function badPfn(pfn: number, limit: number): RangeError {
  return new RangeError(`page contents: pfn ${pfn} is not a page frame below ${limit}`);
}

function badWord(offset: number): RangeError {
  return new RangeError(`u64 at offset ${offset} is not an aligned word of the page`);
}

function badWord32(offset: number): RangeError {
  return new RangeError(`u32 at offset ${offset} is not an aligned word of the page`);
}

function badValue(value: number): RangeError {
  return new RangeError(`u64 value ${value} is not an integer in [0, 2^53)`);
}

function checkSpan(offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0 || offset + length > PAGE_SIZE) {
    throw new RangeError(`page access [${offset}, ${offset + length}) is outside a ${PAGE_SIZE}-byte page`);
  }
}

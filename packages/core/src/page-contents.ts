/**
 * The bytes of physical pages, materialised lazily: a page never written reads as zeros.
 * Freeing a page does not clear it (Linux does not either); __GFP_ZERO and clear_page() do.
 */
import { PAGE_SIZE } from './mmzone.js';

/** The host stores a Uint32Array little-endian (every machine Node runs on in practice). */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export class PageContents {
  private readonly bytes = new Map<number, Uint8Array>();
  /** The same pages as 32-bit words (a view of each page's buffer), for 64-bit accesses. */
  private readonly words = new Map<number, Uint32Array>();

  /** Pages that hold written bytes (for memory accounting of the simulator itself). */
  get materialised(): number {
    return this.bytes.size;
  }

  has(pfn: number): boolean {
    return this.bytes.has(pfn);
  }

  private page(pfn: number): Uint8Array {
    let page = this.bytes.get(pfn);
    if (!page) {
      page = new Uint8Array(PAGE_SIZE);
      this.bytes.set(pfn, page);
      this.words.set(pfn, new Uint32Array(page.buffer));
    }
    return page;
  }

  read(pfn: number, offset: number, dst: Uint8Array): void {
    checkSpan(offset, dst.length);
    const page = this.bytes.get(pfn);
    if (page) dst.set(page.subarray(offset, offset + dst.length));
    else dst.fill(0);
  }

  write(pfn: number, offset: number, src: Uint8Array): void {
    checkSpan(offset, src.length);
    this.page(pfn).set(src, offset);
  }

  readByte(pfn: number, offset: number): number {
    return this.bytes.get(pfn)?.[offset] ?? 0;
  }

  /**
   * A 64-bit little-endian word at an 8-aligned offset, as a double (exact below 2^53): pointers
   * kept in memory, such as SLUB's free pointer. Allocates nothing.
   */
  readU64(pfn: number, offset: number): number {
    checkWord(offset);
    if (HOST_LITTLE_ENDIAN) {
      const w = this.words.get(pfn);
      if (!w) return 0;
      const i = offset >>> 2;
      return w[i + 1] * 4294967296 + w[i];
    }
    const page = this.bytes.get(pfn);
    if (!page) return 0;
    let lo = 0;
    let hi = 0;
    for (let i = 3; i >= 0; i--) lo = lo * 256 + page[offset + i];
    for (let i = 7; i >= 4; i--) hi = hi * 256 + page[offset + i];
    return hi * 2 ** 32 + lo;
  }

  writeU64(pfn: number, offset: number, value: number): void {
    checkWord(offset);
    const page = this.page(pfn);
    const lo = value % 4294967296;
    const hi = Math.floor(value / 4294967296);
    if (HOST_LITTLE_ENDIAN) {
      const w = this.words.get(pfn)!;
      const i = offset >>> 2;
      w[i] = lo;
      w[i + 1] = hi;
      return;
    }
    for (let i = 0, l = lo, h = hi; i < 4; i++) {
      page[offset + i] = l & 0xff;
      l = Math.floor(l / 256);
      page[offset + 4 + i] = h & 0xff;
      h = Math.floor(h / 256);
    }
  }

  /** clear_page(). */
  clear(pfn: number): void {
    this.bytes.delete(pfn);
    this.words.delete(pfn);
  }

  /** copy_highpage(): used by migration. */
  copy(dstPfn: number, srcPfn: number): void {
    const src = this.bytes.get(srcPfn);
    if (src) this.page(dstPfn).set(src);
    else this.clear(dstPfn);
  }
}

function checkWord(offset: number): void {
  if (!Number.isInteger(offset) || (offset & 7) !== 0 || offset < 0 || offset > PAGE_SIZE - 8) throw new RangeError(`u64 at offset ${offset} is not an aligned word of the page`);
}

function checkSpan(offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > PAGE_SIZE) {
    throw new RangeError(`page access [${offset}, ${offset + length}) is outside a ${PAGE_SIZE}-byte page`);
  }
}

/**
 * Byte access to physical memory through the direct map: an address here is a physical
 * address (the kernel's __pa(ptr): pfn * PAGE_SIZE + offset), exact in a double. Accesses may
 * cross page boundaries (a slab of order > 0 is physically contiguous). The pfn of an address
 * is Math.floor(addr * 2^-PAGE_SHIFT) (exact: a power of two), its offset a subtraction; no
 * `%` on doubles.
 */
import { PAGE_SHIFT, PAGE_SIZE } from './mmzone.js';
import type { PageContents } from './page-contents.js';

/** 1 / PAGE_SIZE, exact; readU64()/writeU64() use it as the literal 2.44140625e-4. */
const INV_PAGE_SIZE = 2 ** -PAGE_SHIFT;
if (INV_PAGE_SIZE !== 2.44140625e-4) throw new Error('phys-memory.ts: readU64()/writeU64() assume 4 KiB pages');

export class PhysMemory {
  constructor(readonly contents: PageContents) {}

  read(addr: number, dst: Uint8Array): void {
    this.copy(addr, dst, false);
  }

  write(addr: number, src: Uint8Array): void {
    this.copy(addr, src, true);
  }

  /**
   * Copy between buf and [addr, addr + buf.length), a page at a time. The whole range is
   * checked first (PageContents.prepareWrite(), checkPfns()): an access that runs past the
   * memmap or the pool changes nothing, in memory or in buf.
   */
  private copy(addr: number, buf: Uint8Array, toMemory: boolean): void {
    checkAddr(addr, buf.length);
    if (buf.length === 0) return;
    const first = Math.floor(addr * INV_PAGE_SIZE);
    const last = Math.floor((addr + buf.length - 1) * INV_PAGE_SIZE);
    if (toMemory) this.contents.prepareWrite(first, last);
    else this.contents.checkPfns(first, last);
    let done = 0;
    while (done < buf.length) {
      const a = addr + done;
      const pfn = Math.floor(a * INV_PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, buf.length - done);
      const part = buf.subarray(done, done + n);
      if (toMemory) this.contents.write(pfn, off, part);
      else this.contents.read(pfn, off, part);
      done += n;
    }
  }

  /** Fill [addr, addr + len) with one byte (memset). */
  fill(addr: number, len: number, byte: number): void {
    checkAddr(addr, len);
    if (len === 0) return;
    const first = Math.floor(addr * INV_PAGE_SIZE);
    const last = Math.floor((addr + len - 1) * INV_PAGE_SIZE);
    // Zeros on a page never written need no slot (PageContents.fill() leaves it unwritten).
    if (byte !== 0) this.contents.prepareWrite(first, last);
    else this.contents.checkPfns(first, last);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const pfn = Math.floor(a * INV_PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      this.contents.fill(pfn, off, n, byte);
      done += n;
    }
  }

  /**
   * A 64-bit little-endian word at an 8-aligned address (a pointer kept in memory).
   *
   * The pfn is ToUint32(addr / PAGE_SIZE) (`>>> 0`), not Math.floor(): V8 keeps it a 32-bit
   * integer, and indexes slotOf with it, about 1.5x faster than with a double. The two agree for
   * every address in [0, 2^44), and for any other one (negative, fractional, beyond, NaN) the
   * offset addr - pfn * PAGE_SIZE is not an aligned word in [0, PAGE_SIZE), which PageContents
   * refuses, so a bad address still throws and nothing is read or written.
   */
  readU64(addr: number): number {
    const pfn = (addr * 2.44140625e-4) >>> 0; // INV_PAGE_SIZE, as a literal on the hot path
    return this.contents.readU64(pfn, addr - pfn * 4096);
  }

  /** writeU64(): see readU64() for the pfn. */
  writeU64(addr: number, value: number): void {
    const pfn = (addr * 2.44140625e-4) >>> 0; // INV_PAGE_SIZE
    this.contents.writeU64(pfn, addr - pfn * 4096, value);
  }

  static pfnOf(addr: number): number {
    return Math.floor(addr * INV_PAGE_SIZE);
  }

  static addrOf(pfn: number): number {
    return pfn * PAGE_SIZE;
  }
}

function checkAddr(addr: number, len: number): void {
  if (!(Number.isInteger(addr) && addr >= 0 && addr <= Number.MAX_SAFE_INTEGER && Number.isInteger(len) && len >= 0)) {
    throw new RangeError(`physical memory access [${addr}, ${addr} + ${len}) is not a range of addresses`);
  }
}

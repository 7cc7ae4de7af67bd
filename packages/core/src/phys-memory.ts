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
  /** Scratch of the unaligned word accesses (never read across calls). */
  private readonly word = new Uint8Array(8);

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
   * A 64-bit little-endian word at any address (a pointer kept in memory), as x86-64 reads one:
   * aligned or not, across a page boundary or not. A value of 2^53 or more is the nearest
   * double (only an unaligned read of two halves of pointers gives one: pointers are below 2^53).
   *
   * The aligned case is the hot one. Its pfn is ToUint32(addr / PAGE_SIZE) (`>>> 0`), not
   * Math.floor(): V8 keeps it a 32-bit integer, and indexes slotOf with it, about 1.5x faster
   * than with a double. The two agree for every address in [0, 2^44); for any other one
   * (negative, fractional, beyond, NaN) the offset addr - pfn * PAGE_SIZE is no aligned word in
   * [0, PAGE_SIZE), and the unaligned way refuses the address (a RangeError, nothing read).
   */
  readU64(addr: number): number {
    const pfn = (addr * 2.44140625e-4) >>> 0; // INV_PAGE_SIZE, as a literal on the hot path
    const off = addr - pfn * 4096;
    if ((off | 0) !== off || (off & ~0xff8) !== 0) return this.readU64Unaligned(addr); // 0xff8: (PAGE_SIZE - 1) & ~7
    return this.contents.readU64(pfn, off);
  }

  /** writeU64(): value an integer in [0, 2^53); any address, as readU64(). */
  writeU64(addr: number, value: number): void {
    const pfn = (addr * 2.44140625e-4) >>> 0; // INV_PAGE_SIZE
    const off = addr - pfn * 4096;
    if ((off | 0) !== off || (off & ~0xff8) !== 0) return this.writeU64Unaligned(addr, value);
    this.contents.writeU64(pfn, off, value);
  }

  /** readU64() of an address that is not 8-aligned (or no address: refused by copy()). */
  private readU64Unaligned(addr: number): number {
    const b = this.word;
    this.copy(addr, b, false);
    return ((b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0) * 4294967296 + ((b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0);
  }

  /** writeU64() of an address that is not 8-aligned. */
  private writeU64Unaligned(addr: number, value: number): void {
    if (!(Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`u64 value ${value} is not an integer in [0, 2^53)`);
    const lo = value >>> 0;
    const hi = (value - lo) / 4294967296;
    const b = this.word;
    for (let i = 0; i < 4; i++) {
      b[i] = (lo >>> (8 * i)) & 0xff;
      b[4 + i] = (hi >>> (8 * i)) & 0xff;
    }
    this.copy(addr, b, true);
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

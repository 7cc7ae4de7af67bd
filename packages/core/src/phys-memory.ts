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

  /** Copy between buf and [addr, addr + buf.length), a page at a time. */
  private copy(addr: number, buf: Uint8Array, toMemory: boolean): void {
    checkAddr(addr, buf.length);
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

  /** A 64-bit little-endian word at an 8-aligned address (a pointer kept in memory). */
  readU64(addr: number): number {
    const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE, as a literal on the hot path
    return this.contents.readU64(pfn, addr - pfn * PAGE_SIZE);
  }

  writeU64(addr: number, value: number): void {
    const pfn = Math.floor(addr * 2.44140625e-4); // INV_PAGE_SIZE
    this.contents.writeU64(pfn, addr - pfn * PAGE_SIZE, value);
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

/**
 * Byte access to physical memory through the direct map: an address here is a physical
 * address (the kernel's __pa(ptr): pfn * PAGE_SIZE + offset), exact in a double. Accesses may
 * cross page boundaries (a slab of order > 0 is physically contiguous).
 */
import { PAGE_SHIFT, PAGE_SIZE } from './mmzone.js';
import type { PageContents } from './page-contents.js';

export class PhysMemory {
  constructor(private readonly contents: PageContents) {}

  read(addr: number, dst: Uint8Array): void {
    this.copy(addr, dst, false);
  }

  write(addr: number, src: Uint8Array): void {
    this.copy(addr, src, true);
  }

  /** Copy between buf and [addr, addr + buf.length), a page at a time. */
  private copy(addr: number, buf: Uint8Array, toMemory: boolean): void {
    let done = 0;
    while (done < buf.length) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, buf.length - done);
      const pfn = Math.floor(a / PAGE_SIZE);
      const part = buf.subarray(done, done + n);
      if (toMemory) this.contents.write(pfn, off, part);
      else this.contents.read(pfn, off, part);
      done += n;
    }
  }

  /** Fill [addr, addr + len) with one byte (memset). */
  fill(addr: number, len: number, byte: number): void {
    const chunk = new Uint8Array(Math.min(len, PAGE_SIZE)).fill(byte);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), len - done);
      this.write(a, chunk.subarray(0, n));
      done += n;
    }
  }

  /** A 64-bit little-endian word at an 8-aligned address (a pointer kept in memory). */
  readU64(addr: number): number {
    return this.contents.readU64(Math.floor(addr / PAGE_SIZE), addr % PAGE_SIZE);
  }

  writeU64(addr: number, value: number): void {
    this.contents.writeU64(Math.floor(addr / PAGE_SIZE), addr % PAGE_SIZE, value);
  }

  static pfnOf(addr: number): number {
    return Math.floor(addr / PAGE_SIZE);
  }

  static addrOf(pfn: number): number {
    return pfn * 2 ** PAGE_SHIFT;
  }
}

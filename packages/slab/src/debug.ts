/**
 * SLAB's debug object layout and checks (mm/slab.c, 4.17, the DEBUG parts): red zones
 * (dbg_redzone1/2, verify_redzone_free), the user word (dbg_userword) and poisoning
 * (poison_obj, check_poison_obj). Page bytes are read and written through PageContents so that
 * the checks allocate nothing for objects inside one page.
 */
import { PAGE_SIZE, POISON_END, POISON_FREE, POISON_INUSE, PhysMemory, type PageContents } from '@mmkit/core';
import { REDZONE_ALIGN, RED_ACTIVE_BYTES, RED_INACTIVE_BYTES } from './constants.js';

export const RED_INACTIVE = Uint8Array.from(RED_INACTIVE_BYTES);
export const RED_ACTIVE = Uint8Array.from(RED_ACTIVE_BYTES);
const ZERO_WORD = new Uint8Array(8);
const ZERO_TAILS = Array.from({ length: 8 }, (_, n) => new Uint8Array(n));

/** The bytes one poison_obj(cachep, objp, val) writes: val, with POISON_END as the last byte. */
export function poisonTemplate(objectSize: number, val: number): Uint8Array {
  const t = new Uint8Array(objectSize).fill(val);
  t[objectSize - 1] = POISON_END;
  return t;
}

export class ObjectBytes {
  constructor(private readonly contents: PageContents, private readonly phys: PhysMemory) {}

  /** Write `src` at addr (one page: no allocation). */
  write(addr: number, src: Uint8Array): void {
    const off = addr % PAGE_SIZE;
    if (off + src.length <= PAGE_SIZE) this.contents.write((addr - off) / PAGE_SIZE, off, src);
    else this.phys.write(addr, src);
  }

  /** True when the bytes at addr equal `expect`. */
  matches(addr: number, expect: Uint8Array): boolean {
    for (let i = 0; i < expect.length; i++) {
      const a = addr + i;
      const off = a % PAGE_SIZE;
      if (this.contents.readByte((a - off) / PAGE_SIZE, off) !== expect[i]) return false;
    }
    return true;
  }

  /** memset(addr, 0, len) for an 8-aligned addr. */
  zero(addr: number, len: number): void {
    let i = 0;
    for (; i + 8 <= len; i += 8) this.write(addr + i, ZERO_WORD);
    if (i < len) this.write(addr + i, ZERO_TAILS[len - i]);
  }
}

/** dbg_redzone1(): the word before the object. */
export function redzone1(userAddr: number): number {
  return userAddr - 8;
}

/** dbg_redzone2(): the last word of the buffer, before the user word when SLAB_STORE_USER. */
export function redzone2(userAddr: number, objOffset: number, size: number, storeUser: boolean): number {
  return userAddr - objOffset + size - 8 - (storeUser ? REDZONE_ALIGN : 0);
}

/** dbg_userword(): the last word of the buffer. */
export function userword(userAddr: number, objOffset: number, size: number): number {
  return userAddr - objOffset + size - 8;
}

export { POISON_FREE, POISON_INUSE };

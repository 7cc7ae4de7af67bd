import { describe, expect, it } from 'vitest';
import { PageContents } from './page-contents.js';
import { PhysMemory } from './phys-memory.js';

describe('page contents', () => {
  it('reads zeros from a page never written, and what was written after', () => {
    const c = new PageContents();
    const out = new Uint8Array(4);
    c.read(7, 100, out);
    expect([...out]).toEqual([0, 0, 0, 0]);
    expect(c.readU64(7, 8)).toBe(0);
    c.write(7, 100, Uint8Array.of(1, 2, 3, 4));
    c.read(7, 100, out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(c.materialised).toBe(1);
    c.clear(7);
    expect(c.readU64(7, 96)).toBe(0);
  });

  it('keeps 64-bit words little-endian and exact up to 2^53', () => {
    const c = new PageContents();
    for (const v of [0, 1, 0xff, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 0x123456789abc, Number.MAX_SAFE_INTEGER]) {
      c.writeU64(3, 4088, v);
      expect(c.readU64(3, 4088)).toBe(v);
    }
    c.writeU64(3, 16, 0x0102030405);
    const bytes = new Uint8Array(8);
    c.read(3, 16, bytes);
    expect([...bytes]).toEqual([5, 4, 3, 2, 1, 0, 0, 0]);
    c.write(3, 24, Uint8Array.of(0x10, 0x20, 0, 0, 1, 0, 0, 0));
    expect(c.readU64(3, 24)).toBe(2 ** 32 + 0x2010);
  });

  it('refuses a word that is not an aligned word of the page', () => {
    const c = new PageContents();
    for (const off of [4, 4089, -8, 4096, 8.5, NaN]) {
      expect(() => c.readU64(1, off)).toThrow(RangeError);
      expect(() => c.writeU64(1, off, 1)).toThrow(RangeError);
    }
  });

  it('copies a page (copy_highpage) and copies an unwritten page as zeros', () => {
    const c = new PageContents();
    c.writeU64(1, 0, 42);
    c.copy(2, 1);
    expect(c.readU64(2, 0)).toBe(42);
    c.copy(2, 9);
    expect(c.readU64(2, 0)).toBe(0);
    expect(c.has(2)).toBe(false);
  });

  it('PhysMemory addresses bytes and words across pages', () => {
    const m = new PhysMemory(new PageContents());
    m.write(4096 - 2, Uint8Array.of(1, 2, 3, 4));
    const out = new Uint8Array(4);
    m.read(4094, out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    m.writeU64(5 * 4096 + 8, 2 ** 40 + 1);
    expect(m.readU64(5 * 4096 + 8)).toBe(2 ** 40 + 1);
    m.fill(8192 - 10, 20, 0xab);
    const around = new Uint8Array(22);
    m.read(8192 - 11, around);
    expect(around[0]).toBe(0);
    expect(around.slice(1, 21).every((b) => b === 0xab)).toBe(true);
    expect(around[21]).toBe(0);
    expect(PhysMemory.pfnOf(PhysMemory.addrOf(77) + 4095)).toBe(77);
  });
});

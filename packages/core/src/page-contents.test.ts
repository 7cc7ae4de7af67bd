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

describe('page contents pool', () => {
  it('reuses the slot of a cleared page, zeroed, and counts what is materialised', () => {
    const c = new PageContents({ maxPfn: 64 });
    c.writeU64(5, 0, 0xdead);
    c.writeU64(6, 8, 7);
    expect(c.materialised).toBe(2);
    c.clear(5);
    expect(c.materialised).toBe(1);
    expect(c.has(5)).toBe(false);
    c.writeU64(9, 16, 1); // takes the slot pfn 5 had: no stale bytes
    expect(c.materialised).toBe(2);
    expect(c.readU64(9, 0)).toBe(0);
    expect(c.readU64(9, 16)).toBe(1);
    expect(c.readU64(5, 0)).toBe(0);
    expect(c.readU64(6, 8)).toBe(7);
    c.clear(5); // clearing an unwritten page changes nothing
    expect(c.materialised).toBe(2);
  });

  it('materialises nothing for reads, zero fills and copies of unwritten pages', () => {
    const c = new PageContents({ maxPfn: 16 });
    c.read(3, 0, new Uint8Array(16));
    c.fill(3, 0, 4096, 0);
    c.copy(4, 3);
    expect(c.readByte(3, 4095)).toBe(0);
    expect(c.materialised).toBe(0);
    c.fill(3, 4000, 96, 0x5a);
    expect([c.readByte(3, 3999), c.readByte(3, 4000), c.readByte(3, 4095)]).toEqual([0, 0x5a, 0x5a]);
  });

  it('refuses a pfn outside a fixed memmap and values that are no u64 below 2^53', () => {
    const c = new PageContents({ maxPfn: 8 });
    for (const pfn of [8, -1, 1.5, NaN]) {
      expect(() => c.readU64(pfn, 0)).toThrow(RangeError);
      expect(() => c.writeU64(pfn, 0, 1)).toThrow(RangeError);
      expect(() => c.write(pfn, 0, Uint8Array.of(1))).toThrow(RangeError);
    }
    for (const v of [-1, 1.5, 2 ** 53, NaN, Infinity]) expect(() => c.writeU64(1, 0, v)).toThrow(RangeError);
    expect(c.materialised).toBe(0);
    expect(() => new PageContents({ maxPfn: 0 })).toThrow(RangeError);
    expect(() => new PageContents({ shared: true })).toThrow(/maxPfn/);
  });

  it('grows slotOf on demand without maxPfn, reading zeros beyond what was written', () => {
    const c = new PageContents();
    expect(c.readU64(1_000_000, 0)).toBe(0);
    c.writeU64(1_000_000, 8, 99);
    c.writeU64(3, 8, 4);
    expect(c.readU64(1_000_000, 8)).toBe(99);
    expect(c.readU64(3, 8)).toBe(4);
    expect(c.readU64(2_000_000, 8)).toBe(0);
  });

  it('bounds the pool: a write beyond maxPages is refused and changes nothing', () => {
    const c = new PageContents({ maxPfn: 1024, maxPages: 300 });
    expect(c.maxPages).toBe(300);
    for (let pfn = 0; pfn < 300; pfn++) c.writeU64(pfn, 0, pfn + 1); // crosses a chunk of 256 pages
    expect(() => c.writeU64(300, 0, 1)).toThrow(/maximum of 300 written pages/);
    expect(c.has(300)).toBe(false);
    expect(c.readU64(299, 0)).toBe(300);
    expect(c.readU64(255, 0)).toBe(256);
    expect(c.readU64(256, 0)).toBe(257);
    c.clear(10);
    c.writeU64(300, 0, 7); // a cleared slot makes room
    expect(c.readU64(300, 0)).toBe(7);
  });

  it('keeps its storage in SharedArrayBuffers when asked', () => {
    const c = new PageContents({ maxPfn: 32, shared: true });
    expect(c.shared).toBe(true);
    c.writeU64(31, 4088, 2 ** 52 + 3);
    c.write(30, 4094, Uint8Array.of(1, 2));
    expect(c.readU64(31, 4088)).toBe(2 ** 52 + 3);
    const m = new PhysMemory(c);
    const out = new Uint8Array(2);
    m.read(30 * 4096 + 4094, out);
    expect([...out]).toEqual([1, 2]);
    m.write(30 * 4096 + 4095, Uint8Array.of(9, 8, 7)); // crosses into pfn 31
    expect(c.readByte(30, 4095)).toBe(9);
    expect(c.readByte(31, 0)).toBe(8);
    expect(c.readByte(31, 1)).toBe(7);
    expect(() => m.read(32 * 4096 - 1, new Uint8Array(2))).toThrow(RangeError); // runs past the memmap
  });

  it('PhysMemory refuses an address range that is no range of addresses', () => {
    const m = new PhysMemory(new PageContents({ maxPfn: 4 }));
    expect(() => m.read(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => m.fill(0.5, 4, 0)).toThrow(RangeError);
    expect(() => m.readU64(4 * 4096)).toThrow(RangeError);
  });

  it('PhysMemory refuses a write or fill that runs past the memmap or the pool before writing any of it', () => {
    const m = new PhysMemory(new PageContents({ maxPfn: 4 }));
    const src = new Uint8Array(4096 + 16).fill(0xab);
    expect(() => m.write(3 * 4096 + 8, src)).toThrow(RangeError); // pfn 3, then 4: beyond the memmap
    expect(m.contents.has(3)).toBe(false);
    expect(() => m.fill(3 * 4096, 4096 + 1, 7)).toThrow(RangeError);
    expect(m.contents.has(3)).toBe(false);
    const dst = new Uint8Array(4096 + 16).fill(9);
    expect(() => m.read(3 * 4096 + 8, dst)).toThrow(RangeError);
    expect(dst.every((b) => b === 9)).toBe(true); // nothing read into the caller's buffer either

    const small = new PhysMemory(new PageContents({ maxPfn: 8, maxPages: 2 }));
    small.write(0, Uint8Array.of(1));
    expect(() => small.write(4096 - 1, new Uint8Array(4096 + 2).fill(5))).toThrow(RangeError); // pages 0..2: two more needed, one left
    expect(small.contents.materialised).toBe(1);
    expect(small.contents.readByte(0, 4095)).toBe(0);
    small.write(4096 - 1, new Uint8Array(2).fill(5)); // pages 0..1: one more, fits
    expect(small.contents.readByte(1, 0)).toBe(5);
    small.fill(2 * 4096, 3 * 4096, 0); // zeros on unwritten pages need no slot
    expect(small.contents.materialised).toBe(2);
  });

  it('PhysMemory reads and writes a 64-bit word at an unaligned address, across a page boundary too (as x86-64)', () => {
    const m = new PhysMemory(new PageContents({ maxPfn: 4 }));
    m.writeU64(12, 2 ** 52 + 0x0102);
    expect(m.readU64(12)).toBe(2 ** 52 + 0x0102);
    expect(m.contents.readU64(0, 8)).toBe(0x0102 * 2 ** 32); // bytes 12..15 of the word at 8 hold the low half
    m.writeU64(4096 - 3, 0x1122334455667);
    expect(m.readU64(4096 - 3)).toBe(0x1122334455667);
    expect(m.contents.readByte(1, 3)).toBe(0x01); // byte 6 of the word: on the next page
    m.writeU64(8, 0xffffffff);
    m.writeU64(16, 0xffffffff * 2 ** 21);
    expect(m.readU64(12)).toBe(0xffe00000 * 2 ** 32); // the high half of one word (0), the low half of the next
    expect(() => m.writeU64(4 * 4096 - 4, 1)).toThrow(RangeError); // runs past the memmap: nothing written
    expect(m.contents.readU64(3, 4088)).toBe(0);
    expect(() => m.writeU64(13, 2 ** 53)).toThrow(RangeError);
    expect(() => m.writeU64(13, -1)).toThrow(RangeError);
  });

  it('PhysMemory refuses a word address that is negative, fractional, NaN or beyond 2^44, writing nothing', () => {
    // readU64()/writeU64() take the pfn as ToUint32(addr / PAGE_SIZE): each of these wraps or
    // truncates to a pfn inside the memmap, and must still be refused by its offset.
    const m = new PhysMemory(new PageContents({ maxPfn: 4 }));
    m.writeU64(8, 42);
    for (const addr of [-8, -4096, -4096 + 8, 8.5, 4096.25, NaN, Infinity, -Infinity, 2 ** 44, 2 ** 44 + 8, 2 ** 45 + 4096 + 8, 2 ** 32 * 4096 * 3 + 8]) {
      expect(() => m.readU64(addr), String(addr)).toThrow(RangeError);
      expect(() => m.writeU64(addr, 1), String(addr)).toThrow(RangeError);
    }
    expect(m.readU64(8)).toBe(42);
    for (let pfn = 0; pfn < 4; pfn++) for (let off = 0; off < 4096; off += 8) if (pfn * 4096 + off !== 8) expect(m.readU64(pfn * 4096 + off)).toBe(0);
  });
});

describe('pinned slots (pinContiguous/unpin)', () => {
  it('pins consecutive materialised slots, and a pinned page is cleared in place, keeping its slot', () => {
    const c = new PageContents({ maxPfn: 64 });
    expect(c.pinContiguous(5, 1)).toBe(0); // never written: nothing to pin
    c.writeU64(5, 0, 7);
    c.writeU64(6, 0, 8);
    const slot = c.pinContiguous(5, 2);
    expect(slot).toBeGreaterThan(0);
    expect(c.pinned).toBe(2);
    const words = c.chunkWordsOf(slot);
    const at = (slot % 256) * 1024;
    expect(words[at]).toBe(7);
    expect(words[at + 1024]).toBe(8); // the next page: the next slot
    c.clear(5); // __GFP_ZERO of a pinned page: zeros, same slot
    expect(c.has(5)).toBe(true);
    expect(c.readU64(5, 0)).toBe(0);
    c.writeU64(5, 8, 9);
    expect(words[at + 2]).toBe(9); // the view still sees the page
    c.unpin(slot, 2);
    expect(c.pinned).toBe(0);
    c.clear(5); // unpinned: the slot goes back to the pool
    expect(c.has(5)).toBe(false);
    expect(() => c.unpin(slot, 1)).toThrow(RangeError);
  });

  it('refuses to pin pages whose slots are not consecutive', () => {
    const c = new PageContents({ maxPfn: 64 });
    c.writeU64(9, 0, 1);
    c.writeU64(3, 0, 1);
    c.writeU64(10, 0, 1); // slots: 9 -> 1, 3 -> 2, 10 -> 3
    expect(c.pinContiguous(9, 2)).toBe(0);
    expect(c.pinContiguous(63, 2)).toBe(0); // past the memmap
    expect(c.pinned).toBe(0);
  });
});

describe('32-bit words (readU32/writeU32)', () => {
  it('reads and writes little-endian unsigned words at aligned offsets, allocating nothing for zeros', () => {
    const c = new PageContents({ maxPfn: 4 });
    c.writeU32(1, 0, 0);
    expect(c.has(1)).toBe(false);
    c.writeU32(1, 4092, 0x80000027);
    expect(c.readU32(1, 4092)).toBe(0x80000027);
    const b = new Uint8Array(4);
    c.read(1, 4092, b);
    expect([...b]).toEqual([0x27, 0, 0, 0x80]);
    expect(c.readU32(2, 0)).toBe(0);
    c.writeU32(1, 8, 0xffffffff);
    expect(c.readU64(1, 8)).toBe(0xffffffff);
    for (const bad of [2, -4, 4096, 1.5]) {
      expect(() => c.readU32(1, bad)).toThrow(/aligned word/);
      expect(() => c.writeU32(1, bad, 1)).toThrow(/aligned word/);
    }
    expect(() => c.writeU32(1, 0, 2 ** 32)).toThrow(/u32 value/);
    expect(() => c.writeU32(1, 0, -1)).toThrow(/u32 value/);
  });
});

describe('a PageContents attached to a shared one (another thread: sharedState(), attach, remote)', () => {
  /** The owner, and an attached side whose remote calls the owner directly and then attaches the chunks it added, as the grader's channel does. */
  function pair(maxPfn = 4096, maxPages?: number) {
    const owner = new PageContents({ maxPfn, shared: true, ...(maxPages ? { maxPages } : {}) });
    const asked: string[] = [];
    const side: { attached?: PageContents } = {};
    const catchUp = (): void => {
      const attached = side.attached!;
      const from = attached.chunkCount;
      const buffers: SharedArrayBuffer[] = [];
      for (let i = from; i < owner.chunkCount; i++) buffers.push(owner.chunkBuffer(i) as SharedArrayBuffer);
      attached.attachChunks(buffers);
    };
    const attached = new PageContents({
      attach: owner.sharedState(),
      remote: {
        materialise: (first, last) => {
          asked.push(`materialise ${first}..${last}`);
          owner.materialiseRange(first, last);
          catchUp();
        },
        clear: (pfn) => {
          asked.push(`clear ${pfn}`);
          owner.clear(pfn);
        },
        materialised: () => owner.materialised,
      },
    });
    side.attached = attached;
    return { owner, attached, asked, catchUp };
  }

  it('reads and writes the same bytes; the owner materialises and clears for it', () => {
    const { owner, attached, asked, catchUp } = pair();
    owner.writeU64(5, 8, 0x1234);
    catchUp(); // as the channel does before its next call
    expect(attached.readU64(5, 8)).toBe(0x1234);
    attached.writeU64(9, 16, 77); // page 9 has no slot: the owner gives it one
    expect(asked).toEqual(['materialise 9..9']);
    expect(owner.readU64(9, 16)).toBe(77);
    expect(attached.materialised).toBe(2);
    const phys = new PhysMemory(attached);
    phys.write(10 * 4096 + 4090, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)); // pages 10 and 11, materialised at once
    expect(asked.at(-1)).toBe('materialise 10..11');
    const out = new Uint8Array(8);
    new PhysMemory(owner).read(10 * 4096 + 4090, out);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    attached.clear(9);
    expect(asked.at(-1)).toBe('clear 9');
    expect(owner.has(9)).toBe(false);
    expect(attached.readU64(9, 16)).toBe(0);
  });

  it("takes the chunks the owner added since (chunksMissing), and shares the pins: the owner clears a page pinned on the other side in place", () => {
    const { owner, attached, catchUp } = pair(4096);
    expect(attached.chunksMissing).toBe(0);
    for (let pfn = 0; pfn < 300; pfn++) owner.writeU32(pfn, 0, pfn + 1); // two chunks of 256 pages
    expect(owner.chunkCount).toBe(2);
    expect(attached.chunksMissing).toBe(2);
    catchUp();
    expect(attached.chunksMissing).toBe(0);
    expect(attached.readU32(299, 0)).toBe(300);
    const slot = attached.pinContiguous(299, 1);
    expect(slot).toBeGreaterThan(0);
    expect(owner.pinned).toBe(1);
    owner.clear(299);
    expect(owner.has(299)).toBe(true); // pinned: zeroed in place, the slot stays the page's
    expect(attached.readU32(299, 0)).toBe(0);
    const words = attached.chunkWordsOf(slot);
    words[((slot & 255) << 10) + 1] = 42;
    expect(owner.readU32(299, 4)).toBe(42);
    attached.unpin(slot, 1);
    expect(owner.pinned).toBe(0);
  });

  it('refuses to attach without the owner, to buffers of the wrong size, and a write the pool has no room for', () => {
    const owner = new PageContents({ maxPfn: 64, shared: true, maxPages: 2 });
    const state = owner.sharedState();
    expect(() => new PageContents({ attach: state })).toThrow(/needs the owner/);
    const side: { attached?: PageContents } = {};
    const remote = {
      materialise: (f: number, l: number) => {
        owner.materialiseRange(f, l);
        const a = side.attached;
        if (a && owner.chunkCount > a.chunkCount) a.attachChunks([owner.chunkBuffer(0) as SharedArrayBuffer]);
      },
      clear: (p: number) => owner.clear(p),
      materialised: () => owner.materialised,
    };
    expect(() => new PageContents({ attach: { ...state, slotOf: new SharedArrayBuffer(8) }, remote })).toThrow(/slotOf to attach to is not a SharedArrayBuffer of 256 bytes/);
    const attached = new PageContents({ attach: state, remote });
    side.attached = attached;
    expect(() => attached.attachChunks([new SharedArrayBuffer(4096)])).toThrow(/chunk to attach to/);
    attached.writeU64(1, 0, 1);
    attached.writeU64(2, 0, 2);
    expect(() => attached.writeU64(3, 0, 3)).toThrow(/holds its maximum of 2 written pages/);
    expect(attached.has(3)).toBe(false);
    expect(owner.readU64(2, 0)).toBe(2);
    expect(() => new PageContents({ maxPfn: 64 }).sharedState()).toThrow(/not on shared storage/);
  });
});

// Issue 13, "must show": data integrity through mprotect, a moving mremap and fork with writes on
// both sides, everything back after exit; and the random address-space campaign (a small default
// here; MMKIT_AS_FUZZ_OPS=100000 or `mmkit fuzz address-spaces` for the long run).
import { describe, expect, it } from 'vitest';
import { MAP_ANONYMOUS, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE } from '@mmkit/core';
import { createKernel, freePages, runAddressSpaceFuzz, type Kernel, type Process } from '../src/index.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/** A page's pattern: every byte depends on the address, the generation and the position. */
function pattern(addr: number, gen: number): Uint8Array {
  const b = new Uint8Array(PAGE);
  const seed = ((addr / PAGE) * 2654435761 + gen * 40503) >>> 0;
  for (let i = 0; i < PAGE; i++) b[i] = (seed + i * 31 + (i >>> 8)) & 255;
  return b;
}

function pageTables(k: Kernel): number {
  return k.zones.reduce((s, z) => s + z.nrPagetable, 0);
}

/** Read [addr, addr + len) and compare it page by page with what `expect` says each page holds. */
function verify(p: Process, addr: number, pages: number, want: (i: number) => Uint8Array, what: string): void {
  const r = p.read(addr, pages * PAGE);
  if (!r.ok) throw new Error(`${what}: read of 0x${addr.toString(16)} gave ${r.signal} ${r.code} at 0x${r.addr.toString(16)}`);
  for (let i = 0; i < pages; i++) {
    const got = r.bytes.subarray(i * PAGE, (i + 1) * PAGE);
    const exp = want(i);
    for (let j = 0; j < PAGE; j++) {
      if (got[j] !== exp[j]) throw new Error(`${what}: page ${i} of 0x${addr.toString(16)}, byte ${j}: ${got[j]}, expected ${exp[j]}`);
    }
  }
}

describe('data integrity', () => {
  it('patterns survive mprotect, a moving mremap and fork with writes on both sides; exit gives every page and page table back', () => {
    const k = createKernel({ machine: { mem: 128 * 2 ** 20 }, pcp: true });
    const free0 = freePages(k);
    const tables0 = pageTables(k);
    const p = k.spawn({ vmas: [] });
    // Many mappings of different sizes, each written with its own pattern (gen 1).
    const maps: { addr: number; pages: number; gen: number[] }[] = [];
    for (let i = 0; i < 24; i++) {
      const pages = 1 + ((i * 7) % 19);
      const addr = p.mmap(0, pages * PAGE, RW, ANON);
      for (let j = 0; j < pages; j++) expect(p.write(addr + j * PAGE, pattern(addr + j * PAGE, 1)).ok).toBe(true);
      maps.push({ addr, pages, gen: Array.from({ length: pages }, () => 1) });
    }
    const patternOf = (m: { addr: number; gen: number[] }, origin: number) => (j: number) => (m.gen[j] === 0 ? new Uint8Array(PAGE) : pattern(origin + j * PAGE, m.gen[j]));
    // mprotect read-only and back on every third mapping: the bytes stay.
    for (const m of maps.filter((_, i) => i % 3 === 0)) {
      p.mprotect(m.addr, m.pages * PAGE, PROT_READ);
      expect(p.write(m.addr, new Uint8Array(1)).ok).toBe(false);
      verify(p, m.addr, m.pages, patternOf(m, m.addr), 'after mprotect(PROT_READ)');
      p.mprotect(m.addr, m.pages * PAGE, RW);
    }
    // A moving mremap of every fourth mapping, grown by two untouched pages.
    const origin = new Map<number, number>();
    for (const m of maps.filter((_, i) => i % 4 === 1)) {
      const to = 0x200000000 + maps.indexOf(m) * 64 * PAGE;
      expect(p.mremap(m.addr, m.pages * PAGE, (m.pages + 2) * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to)).toBe(to);
      expect(p.read(m.addr, 1)).toMatchObject({ ok: false, signal: 'SIGSEGV' });
      origin.set(to, m.addr);
      m.addr = to;
      m.pages += 2;
      m.gen.push(0, 0);
    }
    const originOf = (m: { addr: number }) => origin.get(m.addr) ?? m.addr;
    for (const m of maps) verify(p, m.addr, m.pages, patternOf(m, originOf(m)), 'after mremap');
    // fork, then each side writes half of the pages of every mapping with its own generation.
    const c = p.fork();
    const childMaps = maps.map((m) => ({ ...m, gen: [...m.gen] }));
    maps.forEach((m, i) => {
      for (let j = 0; j < m.pages; j += 2) {
        expect(p.write(m.addr + j * PAGE, pattern(originOf(m) + j * PAGE, 2)).ok).toBe(true);
        m.gen[j] = 2;
      }
      const cm = childMaps[i];
      for (let j = i % 2; j < cm.pages; j += 3) {
        expect(c.write(cm.addr + j * PAGE, pattern(originOf(m) + j * PAGE, 3)).ok).toBe(true);
        cm.gen[j] = 3;
      }
    });
    maps.forEach((m, i) => {
      verify(p, m.addr, m.pages, patternOf(m, originOf(m)), 'the parent after fork');
      verify(c, childMaps[i].addr, childMaps[i].pages, patternOf(childMaps[i], originOf(m)), 'the child after fork');
    });
    k.assertInvariants();
    expect(k.readFile(`/proc/${c.pid}/status`)).toMatch(/\nVmRSS:\t +\d+ kB\n/);
    c.exit();
    verify(p, maps[5].addr, maps[5].pages, patternOf(maps[5], originOf(maps[5])), 'the parent after the child exits');
    p.exit();
    k.assertInvariants();
    expect(pageTables(k)).toBe(tables0);
    expect(freePages(k)).toBe(free0);
  });
});

describe('random address-space operations', () => {
  it('8 processes, fail_page_alloc at 1%: every access as the model says, every invariant after every step, every page back', () => {
    const ops = Number(process.env.MMKIT_AS_FUZZ_OPS ?? 250);
    const r = runAddressSpaceFuzz({ ops, seed: Number(process.env.MMKIT_AS_FUZZ_SEED ?? 7), processes: 8, failPercent: 1 });
    expect(r.ops).toBe(ops);
    expect(r.counts.fork).toBeGreaterThan(0);
    expect(r.counts.write).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { Prng } from '@mmkit/core';
import {
  DEFAULT_STACK_GUARD_GAP, ELF_ET_DYN_BASE, MMAP_GAP_MIN, RLIM_INFINITY, STACK_TOP, TASK_SIZE_MAX, TASK_UNMAPPED_BASE, archMmapRnd, mmapBase,
  pickMmapLayout,
} from './mm-layout.js';

const MiB = 2 ** 20;

describe('x86-64 layout (processor.h, elf.h, mm/mmap.c of 4.17)', () => {
  it('TASK_SIZE, STACK_TOP, ELF_ET_DYN_BASE, TASK_UNMAPPED_BASE', () => {
    expect(TASK_SIZE_MAX).toBe(0x7ffffffff000);
    expect(STACK_TOP).toBe(0x7ffffffff000);
    expect(ELF_ET_DYN_BASE).toBe(0x555555554aaa);
    // load_elf_binary(): ELF_PAGESTART(ELF_ET_DYN_BASE - 0) for a PIE linked at 0.
    expect(ELF_ET_DYN_BASE - (ELF_ET_DYN_BASE % 4096)).toBe(0x555555554000);
    expect(TASK_UNMAPPED_BASE).toBe(0x2aaaaaaab000);
    expect(DEFAULT_STACK_GUARD_GAP).toBe(MiB);
  });

  it('mmap_base without randomisation: the gap is at least 128 MiB', () => {
    // 8 MiB stack + 1 MiB guard gap < 128 MiB: the classic 0x7ffff7fff000.
    expect(pickMmapLayout({ rlimitStack: 8 * MiB })).toEqual({ mmapBase: 0x7ffff7fff000, mmapLegacyBase: 0x2aaaaaaab000, topDown: true });
    // 200 MiB + 1 MiB of guard gap.
    expect(pickMmapLayout({ rlimitStack: 200 * MiB }).mmapBase).toBe(0x7ffffffff000 - 201 * MiB);
    // A gap larger than 5/6 of TASK_SIZE is cut to it; RLIM_INFINITY does not overflow.
    const max = Math.floor(0x7ffffffff000 / 6) * 5;
    const expectMax = Math.ceil((0x7ffffffff000 - max) / 4096) * 4096;
    expect(pickMmapLayout({ rlimitStack: Infinity }).mmapBase).toBe(expectMax);
    expect(pickMmapLayout({ rlimitStack: RLIM_INFINITY }).mmapBase).toBe(expectMax);
    expect(pickMmapLayout({ rlimitStack: RLIM_INFINITY - 4096n }).mmapBase).toBe(expectMax);
    expect(pickMmapLayout({ rlimitStack: 0, stackGuardGap: 0 }).mmapBase).toBe(0x7ffffffff000 - MMAP_GAP_MIN);
  });

  it('the legacy layout starts at TASK_UNMAPPED_BASE, bottom-up', () => {
    expect(pickMmapLayout({ rlimitStack: 8 * MiB, legacy: true })).toEqual({ mmapBase: 0x2aaaaaaab000, mmapLegacyBase: 0x2aaaaaaab000, topDown: false });
  });

  it('randomisation: 28 bits of pages from the seeded generator, and the stack\'s 16 GiB in the gap', () => {
    const rnd = archMmapRnd(true, () => 0xffffffff);
    expect(rnd).toBe((2 ** 28 - 1) * 4096);
    // gap = 8 MiB + (0x3fffff pages + 1 MiB) > 128 MiB.
    expect(mmapBase(0, 0x7ffffffff000, 8 * MiB, true)).toBe(0x7ffffffff000 - 8 * MiB - 0x3fffff000 - MiB);
    const a = new Prng(42);
    const b = new Prng(42);
    const la = pickMmapLayout({ rlimitStack: 8 * MiB, randomize: true, random: () => a.nextU32() });
    const lb = pickMmapLayout({ rlimitStack: 8 * MiB, randomize: true, random: () => b.nextU32() });
    expect(la).toEqual(lb);
    expect(la.mmapBase % 4096).toBe(0);
    expect(la.mmapBase).toBeLessThanOrEqual(0x7ffffffff000 - 8 * MiB - 0x3fffff000 - MiB);
    expect(la.mmapBase).toBeGreaterThan(0x7ffffffff000 - 8 * MiB - 0x3fffff000 - MiB - 2 ** 40);
    expect(() => pickMmapLayout({ rlimitStack: 8 * MiB, randomize: true })).toThrow(/random source/);
  });
});

import { describe, expect, it } from 'vitest';
import { NO_SLOT, PG_LEVEL_4K, USER_PMD_UNITS } from '@mmkit/core';
import { createKernel } from '../src/index.js';

const MiB = 2 ** 20;

function meminfoKb(text: string, label: string): number {
  const m = new RegExp(`^${label}:\\s+(\\d+) kB$`, 'm').exec(text);
  if (!m) throw new Error(`no ${label} in meminfo`);
  return Number(m[1]);
}

describe('the x86-64 page tables in the kernel', () => {
  it('are subsystems.archPageTables; their PTE tables show in PageTables and nr_page_table_pages; teardown frees every page', () => {
    const k = createKernel({ machine: { mem: 256 * MiB }, pcp: false });
    const pt = k.archPageTables;
    if (!pt) throw new Error('no page tables on x86_64');
    const free0 = k.zones.reduce((n, z) => n + z.freePages, 0);
    expect(meminfoKb(k.readFile('/proc/meminfo'), 'PageTables')).toBe(0);
    const pgd = pt.pgdAlloc(1);
    for (let i = 0; i < 8; i++) expect(pt.alloc(pgd, 0, 0x400000 + i * 2 * MiB, PG_LEVEL_4K)).not.toBe(NO_SLOT);
    expect(meminfoKb(k.readFile('/proc/meminfo'), 'PageTables')).toBe(8 * 4);
    const zoneinfo = k.readFile('/proc/zoneinfo');
    const counts = [...zoneinfo.matchAll(/nr_page_table_pages (\d+)/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(8);
    expect(pt.pgtablesBytes(pgd)).toBe(10 * 4096); // 8 PTE tables, a PMD and a PUD table: VmPTE 40 kB
    pt.freePgdRange(pgd, 0, USER_PMD_UNITS, 0, USER_PMD_UNITS); // the whole user half, no ceiling
    pt.pgdFree(pgd);
    expect(k.zones.reduce((n, z) => n + z.freePages, 0)).toBe(free0);
    expect(meminfoKb(k.readFile('/proc/meminfo'), 'PageTables')).toBe(0);
    expect(k.checkInvariants()).toEqual([]);
  });

  it('has none on i386', () => {
    expect(createKernel({ machine: { arch: 'i386', mem: 256 * MiB } }).archPageTables).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, __GFP_COMP, __GFP_ZERO } from '../gfp.js';
import { PG_head, PG_tail } from '../page-flags.js';
import { NO_PAGE } from '../struct-page.js';
import { createTestMachine } from './simple-page-allocator.js';

describe('the test machine', () => {
  it('hands out aligned blocks, compound when asked, never pfn 0, and takes them back', () => {
    const m = createTestMachine({ nrPages: 64 });
    const a = m.pageAllocator.allocPages(GFP_KERNEL | __GFP_COMP, 3);
    expect(a % 8).toBe(0);
    expect(a).toBeGreaterThan(0);
    expect(m.pages.testFlag(a, PG_head)).toBe(true);
    expect(m.pages.testFlag(a + 7, PG_tail)).toBe(true);
    m.phys.writeU64(a * 4096 + 8, 0x1234_5678_9abc);
    expect(m.phys.readU64(a * 4096 + 8)).toBe(0x1234_5678_9abc);
    m.pageAllocator.freePages(a, 3);
    expect(m.allocatedPages()).toBe(0);
    const b = m.pageAllocator.allocPages(GFP_KERNEL | __GFP_ZERO, 3);
    expect(b).toBe(a);
    expect(m.phys.readU64(b * 4096 + 8)).toBe(0);
    while (m.pageAllocator.allocPages(GFP_KERNEL, 0) !== NO_PAGE);
    expect(m.zone.freePages).toBe(0);
  });
});

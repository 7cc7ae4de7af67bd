/**
 * The page-allocator suite: cases written against the PageAllocator contract and the kernel API
 * only, one file per area. Each case boots small kernels around the implementation under test
 * and checks what Linux 4.17 does, with expected values computed from the formulas (model.ts)
 * except where the seed changelog gives the number.
 */
import { BUDDY_RULES } from '../rules.js';
import type { FeatureSet, Suite } from '../../../suite.js';
import { gfpZoneCases } from './gfp-zone.js';
import { minFreeKbytesCases } from './min-free-kbytes.js';
import { watermarkCases } from './watermarks.js';
import { lowmemReserveCases } from './lowmem-reserve.js';
import { sysctlCases } from './sysctl.js';
import { watermarkOkCases } from './watermark-ok.js';
import { allocationCases } from './allocation.js';
import { freeCases } from './free.js';
import { fallbackCases } from './fallback.js';
import { highatomicCases } from './highatomic.js';
import { pcpCases } from './pcp.js';
import { faultInjectCases } from './fault-inject.js';
import { propertyCases } from './property.js';
import { cmaCases } from './cma.js';
import { memmapSectionCases } from './memmap-sections.js';
import { declaringAllocator } from './declared.js';
import type { PageAllocatorUnderTest } from './helpers.js';

export type { PageAllocatorUnderTest } from './helpers.js';

export const pageAllocatorSuite: Suite<PageAllocatorUnderTest> = {
  contract: 'page-allocator',
  rules: BUDDY_RULES,
  cases: [
    ...gfpZoneCases,
    ...minFreeKbytesCases,
    ...watermarkCases,
    ...lowmemReserveCases,
    ...sysctlCases,
    ...watermarkOkCases,
    ...allocationCases,
    ...freeCases,
    ...fallbackCases,
    ...highatomicCases,
    ...cmaCases,
    ...pcpCases,
    ...faultInjectCases,
    ...memmapSectionCases,
    ...propertyCases,
  ],
  probe(factory: PageAllocatorUnderTest): FeatureSet {
    const s = declaringAllocator(factory).supports;
    return { pcp: Boolean(s.pcp), highatomic: Boolean(s.highatomic) };
  },
};

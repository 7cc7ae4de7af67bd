import { describe, expect, it } from 'vitest';
import { PG_slab } from './page-flags.js';
import {
  MAPPING_ID_MAX, PAGE_MAPPING_ANON, PAGE_MAPPING_KSM, PAGE_MAPPING_MOVABLE, encodeMapping, mappingId, pageAnon, pageFileMapping,
  pageKsm, pageMovable,
} from './page-mapping.js';
import { PageStore } from './struct-page.js';

describe('page->mapping encoding', () => {
  it('keeps the id above Linux two flag bits, and tells the kinds apart', () => {
    const pages = new PageStore(8);
    pages.setMapping(1, encodeMapping(7, PAGE_MAPPING_ANON));
    pages.setMapping(2, encodeMapping(7, 0));
    pages.setMapping(3, encodeMapping(7, PAGE_MAPPING_KSM));
    pages.setMapping(4, encodeMapping(MAPPING_ID_MAX, PAGE_MAPPING_MOVABLE));
    expect([1, 2, 3, 4].map((p) => mappingId(pages.getMapping(p)))).toEqual([7, 7, 7, MAPPING_ID_MAX]);
    expect([0, 1, 2, 3, 4].map((p) => [pageAnon(pages, p), pageFileMapping(pages, p), pageKsm(pages, p), pageMovable(pages, p)])).toEqual([
      [false, false, false, false],
      [true, false, false, false],
      [false, true, false, false],
      [true, false, true, false],
      [false, false, false, true],
    ]);
  });

  it('reads a slab page as none of them: its mapping is the cache id', () => {
    const pages = new PageStore(2);
    pages.setMapping(1, 3); // cache id 3 (would look anonymous: bit 0)
    pages.setFlag(1, PG_slab);
    expect([pageAnon(pages, 1), pageFileMapping(pages, 1), pageKsm(pages, 1), pageMovable(pages, 1)]).toEqual([false, false, false, false]);
  });

  it('refuses ids and kinds that do not fit', () => {
    expect(() => encodeMapping(0, 0)).toThrow(RangeError);
    expect(() => encodeMapping(MAPPING_ID_MAX + 1, 0)).toThrow(RangeError);
    expect(() => encodeMapping(1.5, 0)).toThrow(RangeError);
    expect(() => encodeMapping(1, 4)).toThrow(RangeError);
  });
});

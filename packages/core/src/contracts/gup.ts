/**
 * Draft: get_user_pages and friends (mm/gup.c). Implemented by @mmkit/gup over VmaLookup and
 * ArchPageTables (late-bound), faulting pages in through AddressSpaces.handleMmFault().
 */
import type { MmId, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

export interface UserPagePinning {
  /** get_user_pages(): pages pinned (pfns in `pages`), or -errno. */
  getUserPages(mm: MmId, start: VirtAddr, nrPages: number, gupFlags: number, pages: Int32Array): number;
  /** get_user_pages_fast() on the current mm. */
  getUserPagesFast(start: VirtAddr, nrPages: number, write: boolean, pages: Int32Array): number;
  /** __get_user_pages_fast(): never faults, never sleeps. */
  __getUserPagesFast(start: VirtAddr, nrPages: number, write: boolean, pages: Int32Array): number;
}
export type UserPagePinningFactory = (services: MmServices) => UserPagePinning;

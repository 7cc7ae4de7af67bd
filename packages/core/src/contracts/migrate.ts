/**
 * Draft: page migration (mm/migrate.c): migrate_pages(), move_pages(2), THP migration. Implemented
 * by @mmkit/migrate; it isolates pages from the LRU and unmaps them through Rmap (late-bound).
 */
import type { Pfn, VirtAddr } from '../units.js';
import type { MmServices } from './services.js';

export interface PageMigration {
  /** migrate_pages(): pages not migrated, or -errno. */
  migratePages(pfns: readonly Pfn[], targetNid: number, mode: number): number;
  /** move_pages(2): 0 or -errno; per-page node or -errno in status. */
  movePages(pid: number, pages: readonly VirtAddr[], nodes: readonly number[] | null, status: Int32Array, flags: number): number;
}
export type PageMigrationFactory = (services: MmServices) => PageMigration;

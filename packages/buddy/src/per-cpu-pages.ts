/**
 * struct per_cpu_pages (mm/page_alloc.c, 4.17): setup_per_cpu_pageset(), and the per-cpu lists
 * of order-0 pages in front of the buddy lists: __rmqueue_pcplist() and rmqueue_bulk() on the
 * allocation side, free_unref_page() and free_pcppages_bulk() on the free side, and
 * drain_all_pages(). The batch and high formulas are the pure functions of pcp.ts.
 */
import { MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, NO_PAGE, type Zone } from '@mmkit/core';
import { pagesetHighBatch, pcpListIndex, zoneBatchsize } from './pcp.js';
import { WatermarkSetup } from './watermark-setup.js';

export abstract class PerCpuPages extends WatermarkSetup {
  /** setup_per_cpu_pageset() -> pageset_set_high_and_batch(): batch and high from zone_batchsize(). */
  protected setupPerCpuPageset(): void {
    for (const zone of this.zoneByNum) {
      const { high, batch } = pagesetHighBatch(this.zoneBatchsize(zone));
      for (const pcp of zone.pageset) {
        pcp.high = high;
        pcp.batch = batch;
      }
    }
  }

  /** zone_batchsize(). */
  protected zoneBatchsize(zone: Zone): number {
    return zoneBatchsize(zone.managedPages);
  }

  /** __rmqueue(): the allocation path, BuddyAllocator (page-alloc.ts). */
  protected abstract __rmqueue(zone: Zone, order: number, migratetype: number): number;

  /** free_one_page(): the free path, FreePages (free-pages.ts). */
  protected abstract freeOnePage(zone: Zone, pfn: number, order: number, migratetype: number): void;

  /** __rmqueue_pcplist(): refill the CPU's list of this type with a batch when it is empty. */
  protected rmqueuePcplist(zone: Zone, migratetype: number): number {
    const cpu = this.services.sched.currentCpu;
    const pcp = zone.pageset[cpu];
    const list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, migratetype);
    if (this.pcpLists.isEmpty(list)) {
      const got = this.rmqueueBulk(zone, 0, pcp.batch, list, migratetype);
      pcp.count += got;
      zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype] += got;
      if (got === 0) return NO_PAGE;
    }
    const pfn = this.pcpLists.popHead(list);
    pcp.count--;
    zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype]--;
    return pfn;
  }

  /** rmqueue_bulk(): up to `count` blocks onto a per-cpu list, in physical order (list_add_tail). */
  protected rmqueueBulk(zone: Zone, order: number, count: number, list: number, migratetype: number): number {
    let i = 0;
    for (; i < count; i++) {
      const pfn = this.__rmqueue(zone, order, migratetype);
      if (pfn === NO_PAGE) break;
      this.pcpLists.addTail(list, pfn);
    }
    return i;
  }

  /**
   * free_unref_page(): an order-0 page goes on the CPU's list of its pageblock's type
   * (highatomic and CMA pages on the movable list, isolated pages straight to the buddy
   * lists); a full list (count >= high) gives a batch back.
   */
  protected freeUnrefPage(zone: Zone, pfn: number): void {
    let mt = this.pages.getPageblockMigratetype(pfn);
    this.listMigratetype[pfn] = mt; // set_pcppage_migratetype()
    if (mt >= MIGRATE_PCPTYPES) {
      if (mt === MIGRATE_ISOLATE) {
        this.freeOnePage(zone, pfn, 0, mt);
        return;
      }
      mt = MIGRATE_MOVABLE;
    }
    const cpu = this.services.sched.currentCpu;
    const pcp = zone.pageset[cpu];
    this.pcpLists.addHead(pcpListIndex(zone.zoneNum, this.nrCpus, cpu, mt), pfn);
    pcp.count++;
    zone.pcpCount[cpu * MIGRATE_PCPTYPES + mt]++;
    if (pcp.count >= pcp.high) this.freePcppagesBulk(zone, pcp.batch, cpu);
  }

  /**
   * free_pcppages_bulk(): give `count` pages of a CPU's lists back to the buddy lists, taking
   * them round-robin from the lists (more from fuller ones), oldest first.
   */
  protected freePcppagesBulk(zone: Zone, count: number, cpu: number): void {
    const pcp = zone.pageset[cpu];
    const lists = this.pcpLists;
    count = Math.min(count, pcp.count);
    let migratetype = 0;
    let batchFree = 0;
    while (count > 0) {
      let list: number;
      do {
        batchFree++;
        if (++migratetype === MIGRATE_PCPTYPES) migratetype = 0;
        list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, migratetype);
      } while (lists.isEmpty(list));
      // This is the only non-empty list. Free them all.
      if (batchFree === MIGRATE_PCPTYPES) batchFree = count;
      do {
        const pfn = lists.last(list);
        lists.remove(list, pfn);
        pcp.count--;
        zone.pcpCount[cpu * MIGRATE_PCPTYPES + migratetype]--;
        let mt = this.listMigratetype[pfn];
        // The pageblock could have been isolated meanwhile.
        if (this.pages.getPageblockMigratetype(pfn) === MIGRATE_ISOLATE) mt = MIGRATE_ISOLATE;
        this.__freeOneBlock(zone, pfn, 0, mt);
      } while (--count > 0 && --batchFree > 0 && !lists.isEmpty(list));
    }
  }

  /** drain_all_pages(NULL): every CPU's lists of every zone back to the buddy lists. */
  drainAllPages(): void {
    for (const zone of this.zoneByNum) {
      for (let cpu = 0; cpu < this.nrCpus; cpu++) {
        const count = zone.pageset[cpu].count;
        if (count > 0) this.freePcppagesBulk(zone, count, cpu);
      }
    }
  }

  forEachPcpPage(visit: (zone: Zone, cpu: number, pfn: number) => void): void {
    for (const zone of this.zoneByNum) {
      for (let cpu = 0; cpu < this.nrCpus; cpu++) {
        for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
          const list = pcpListIndex(zone.zoneNum, this.nrCpus, cpu, mt);
          for (let pfn = this.pcpLists.first(list); pfn !== -1; ) {
            const next = this.pcpLists.next(pfn);
            visit(zone, cpu, pfn);
            pfn = next;
          }
        }
      }
    }
  }
}

/**
 * A minimal page allocator and machine for unit-testing a subsystem on its own (the subsystem
 * packages may import @mmkit/core only). It is not the buddy allocator: one node, one zone,
 * per-order free stacks without coalescing, no watermarks. Conformance suites use the real
 * kernel instead.
 */
import { __GFP_COMP, __GFP_ZERO, type Gfp } from '../gfp.js';
import { MAX_ORDER, X86_64_ZONES, type MemoryLayout } from '../mmzone.js';
import { PageContents } from '../page-contents.js';
import { PG_head, PG_tail } from '../page-flags.js';
import { PhysMemory } from '../phys-memory.js';
import { Scheduler } from '../sched.js';
import { NO_PAGE, PageStore } from '../struct-page.js';
import { Zone } from '../zone.js';
import type { PageAllocatorApi } from '../contracts/page-allocator.js';
import type { MmServices } from '../contracts/services.js';
import { SubsystemRegistry } from '../subsystem-registry.js';
import { resolveDebugConfig, type DebugOptions } from '../debug-config.js';

export interface TestMachine extends MmServices {
  readonly phys: PhysMemory;
  readonly zone: Zone;
  /** Pages handed out and not freed. */
  allocatedPages(): number;
  /** Every line logged. */
  readonly logs: string[];
}

/**
 * A machine of `nrPages` pages (pfn 0 is kept back so that address 0 stays NULL), under the
 * debugging configuration `debug` (4.17's defaults: every option off).
 */
export function createTestMachine(options: { nrPages?: number; nrCpus?: number; hz?: number; debugForceRrCpu?: boolean; debug?: DebugOptions } = {}): TestMachine {
  const nrPages = options.nrPages ?? 16384;
  const pages = new PageStore(nrPages);
  const contents = new PageContents({ maxPfn: nrPages });
  const sched = new Scheduler({ nrCpus: options.nrCpus ?? 2, hz: options.hz, debugForceRrCpu: options.debugForceRrCpu });
  const zoneLayout = { nid: 0, zoneIdx: X86_64_ZONES.NORMAL, startPfn: 0, spanned: nrPages, present: nrPages };
  const layout: MemoryLayout = {
    zones: X86_64_ZONES,
    nodes: [{ nid: 0, startPfn: 0, spanned: nrPages, present: nrPages, zones: [zoneLayout] }],
    maxPfn: nrPages,
    memory: [{ start: 0, end: nrPages }],
    reserved: [{ start: 0, end: 1 }],
    distance: [10],
    cma: [],
    movableZone: X86_64_ZONES.NORMAL,
  };
  const zone = new Zone(zoneLayout, X86_64_ZONES, sched.nrCpus);
  zone.managedPages = nrPages - 1;
  const logs: string[] = [];
  const allocator = new SimplePageAllocator(pages, contents, zone, nrPages);
  const registry = new SubsystemRegistry();
  registry.register('pageAllocator', allocator);
  registry.connect();
  return {
    subsystems: registry.view,
    layout, pages, contents, sched, zone, logs,
    phys: new PhysMemory(contents),
    pageAllocator: allocator,
    cpuToNode: () => 0,
    debug: resolveDebugConfig(options.debug),
    log: (_level, message) => void logs.push(message),
    allocatedPages: () => allocator.allocated,
  };
}

class SimplePageAllocator implements PageAllocatorApi {
  allocated = 0;
  private next = 1;
  private readonly stacks: number[][] = Array.from({ length: MAX_ORDER }, () => []);
  private readonly order: Uint8Array;

  constructor(private readonly pages: PageStore, private readonly contents: PageContents, private readonly zone: Zone, private readonly nrPages: number) {
    this.order = new Uint8Array(nrPages);
    zone.freePages = nrPages - 1;
  }

  allocPages(gfp: Gfp, order: number): number {
    if (!Number.isInteger(order) || order < 0 || order >= MAX_ORDER) return NO_PAGE;
    let pfn = this.stacks[order].pop() ?? NO_PAGE;
    if (pfn === NO_PAGE) {
      const start = Math.ceil(this.next / (1 << order)) * (1 << order);
      if (start + (1 << order) > this.nrPages) return NO_PAGE;
      for (let p = this.next; p < start; p++) this.stacks[0].push(p); // alignment leftovers
      pfn = start;
      this.next = start + (1 << order);
    }
    const n = 1 << order;
    for (let p = pfn; p < pfn + n; p++) {
      this.pages.flags[p] = 0;
      this.pages.refcount[p] = 0;
      if (gfp & __GFP_ZERO) this.contents.clear(p);
    }
    this.pages.refcount[pfn] = 1;
    if (gfp & __GFP_COMP && order > 0) {
      // prep_compound_page()
      this.pages.setFlag(pfn, PG_head);
      for (let p = pfn + 1; p < pfn + n; p++) this.pages.setFlag(p, PG_tail);
    }
    this.order[pfn] = order;
    this.allocated += n;
    this.zone.freePages -= n;
    return pfn;
  }

  freePages(pfn: number, order: number): void {
    if (this.pages.refcount[pfn] !== 1 || this.order[pfn] !== order) throw new Error(`test page allocator: bad free of pfn ${pfn} order ${order}`);
    this.pages.refcount[pfn] = 0;
    for (let p = pfn; p < pfn + (1 << order); p++) {
      this.pages.clearFlag(p, PG_head);
      this.pages.clearFlag(p, PG_tail);
    }
    this.stacks[order].push(pfn);
    this.allocated -= 1 << order;
    this.zone.freePages += 1 << order;
  }
}

/**
 * createKernel(): boot a simulated Linux 4.17 mm — memory map, memmap, zones, the page
 * allocator with boot memory handed over as memblock_free_all() does — and expose it.
 */
import {
  CMA_POLICIES, DEFAULT_CMA_POLICY, ERRNO, NO_PAGE, NR_PAGEFLAGS, SLAB_RECLAIM_ACCOUNT, resolveDebugConfig, type DebugConfig, SubsystemRegistry, memmapInitZone, firstDeferredPfn, PageContents, isGfpMask, invalidGfpMaskError, PageStore, PhysMemory, needsSharedMemory, Prng, Scheduler, Zone, gfpZoneValid,
  formatMaps, subtractRanges, syscallError, type AddressSpaces, type ArchPageTables, type MmServices, type VmaLookup, type CmaPolicy, type MemoryLayout, type PageAllocator, type PageAllocatorServices,
  type Gfp, type KmemCache, type SlabAllocator, type SlabAllocatorFactory, type SlabAllocatorServices,
} from '@mmkit/core';
import { createBuddyAllocator } from '@mmkit/buddy';
import { createAddressSpaces } from '@mmkit/mmap';
import { createSlabAllocator } from '@mmkit/slab';
import { createSlubAllocator } from '@mmkit/slub';
import { PRESETS, createX86PageTables, layoutFromZoneinfo, pfnSectionShift, presetByName, parseZoneinfo, setupMemory, type MachineSpec } from '@mmkit/hw-x86';
import { CountingPageAllocator } from './counting-page-allocator.js';
import { KernelConfigError, configInt, configObject, configOneOf, describeValue } from './config-validation.js';
import { MAX_NR_CPUS, checkKernelConfig, checkUnboundCpumask } from './check-config.js';
import { checkSimulatable } from './host-limits.js';
import { DEFAULT_LOG_BUF_SHIFT, LogBuffer } from './printk.js';
import { checkedFailPageAlloc, checkedFailslab, defaultFailPageAlloc, faultAttrArmed, defaultFailslab, shouldFailAllocPage, shouldFailslab, type FailPageAlloc, type Failslab } from './fault-inject.js';
import { Kasan, QUARANTINE_FRACTION } from './kasan.js';
import { checkAddressSpaceInvariants, checkInvariants, checkKasanInvariants, checkSlabInvariants, hasAddressSpaceChecks, type InvariantViolation } from './invariants.js';
import type { Kernel, KernelConfig, SlabReport } from './kernel-types.js';
import { renderBuddyinfo } from './proc/buddyinfo.js';
import { renderMeminfo } from './proc/meminfo.js';
import { renderPagetypeinfo } from './proc/pagetypeinfo.js';
import { renderSlabinfo } from './proc/slabinfo.js';
import { NUMA_STAT_ITEMS } from './proc/vmstat-items.js';
import { renderZoneinfo } from './proc/zoneinfo.js';
import { failPageAllocFiles, failslabFiles, sysctlPath, vmSysctlFiles, type KernelFile } from './sysctl.js';
import { renderSummary } from './summary.js';
import { workqueueFiles } from './workqueue-files.js';
import { renderSmaps } from './proc/pid-smaps.js';
import { renderPidStatus } from './proc/pid-status.js';
import { Process, spawnMm, type ProcessHost, type SpawnLayout, type SpawnOptions } from './process.js';

export { KernelConfigError };

const DEFAULT_MACHINE: MachineSpec = { mem: 4 * 2 ** 30 };

/** The CMA policy a configuration asks for (checked: a bad value is a one-line KernelConfigError). */
export function cmaPolicyOf(config: KernelConfig): CmaPolicy {
  const cma = configObject('cma', config.cma, ['policy']);
  return configOneOf('cma.policy', cma?.policy, CMA_POLICIES) ?? DEFAULT_CMA_POLICY;
}

/** The memory layout a configuration describes. */
export function resolveLayout(config: KernelConfig): MemoryLayout {
  const setup = { cmaPolicy: cmaPolicyOf(config) };
  const given = [config.machine, config.preset, config.likeZoneinfo].filter((x) => x !== undefined).length;
  if (given > 1) throw new KernelConfigError('give one of machine, preset and likeZoneinfo, not several');
  if (config.likeZoneinfo !== undefined) return layoutFromZoneinfo(parseZoneinfo(config.likeZoneinfo));
  if (config.preset !== undefined) {
    const preset = presetByName(config.preset);
    if (!preset) throw new KernelConfigError(`unknown preset ${describeValue(config.preset)}; presets: ${Object.keys(PRESETS).join(', ')}`);
    return setupMemory(preset.spec, setup);
  }
  return setupMemory(config.machine ?? DEFAULT_MACHINE, setup);
}

function defaultCpus(config: KernelConfig): number {
  if (config.nrCpus !== undefined) return config.nrCpus;
  if (config.likeZoneinfo !== undefined) {
    // A machine like the one that printed the file: as many CPUs as its pagesets list.
    const cpus = new Set<string>();
    for (const m of config.likeZoneinfo.matchAll(/^\s*cpu:\s*(\d+)/gm)) cpus.add(m[1]);
    if (cpus.size > 0) return cpus.size;
  }
  return 2;
}

export function createKernel(config: KernelConfig = {}): Kernel {
  checkKernelConfig(config);
  const nrCpus = defaultCpus(config);
  configInt(config.nrCpus === undefined ? 'nrCpus (the CPUs of the zoneinfo file)' : 'nrCpus', nrCpus, { min: 1, max: MAX_NR_CPUS });
  checkUnboundCpumask(config.unboundCpumask, nrCpus);
  const debug = debugConfigOf(config);
  const layout = resolveLayout(config);
  checkSimulatable(layout, nrCpus);
  return new SimulatedKernel(config, layout, nrCpus, debug);
}

/** The debugging configuration of `config.debug` (CONFIG_DEBUG_VM, slub_debug, ...), or a KernelConfigError saying what is wrong. */
export function debugConfigOf(config: KernelConfig): DebugConfig {
  try {
    return resolveDebugConfig(config.debug);
  } catch (e) {
    throw new KernelConfigError(e instanceof Error ? e.message : String(e));
  }
}

/** What boot calls of a page allocator and an object allocator: a factory's result must have them. */
const PAGE_ALLOCATOR_BOOT_METHODS = ['allocPages', 'freePages', 'freeBootmem', 'initWatermarks'] as const;
const SLAB_ALLOCATOR_BOOT_METHODS = ['kmalloc', 'kfree', 'kmemCacheCreate', 'caches', 'slabinfo'] as const;
const ADDRESS_SPACES_METHODS = ['mmCreate', 'mmDestroy', 'mmap', 'munmap', 'mprotect', 'mremap', 'brk', 'madvise', 'maps'] as const;

/** A factory's result, or a KernelConfigError when it is no implementation of the contract (a factory that returned something else). */
function checkImplementation<T>(what: string, impl: T, methods: readonly string[]): T {
  const missing = typeof impl === 'object' && impl !== null ? methods.filter((m) => typeof (impl as Record<string, unknown>)[m] !== 'function') : methods;
  if (missing.length > 0) throw new KernelConfigError(`${what}: the factory returned ${describeValue(impl)}, which lacks ${missing.join(', ')}`);
  return impl;
}

/** The files of /proc/PID/ the kernel renders. */
const PID_FILES = ['maps', 'smaps', 'status'] as const;

/** CONFIG_SLUB and CONFIG_SLAB. */
const SLAB_IMPLEMENTATIONS: ReadonlyMap<string, SlabAllocatorFactory> = new Map<string, SlabAllocatorFactory>([
  ['slub', createSlubAllocator],
  ['slab', createSlabAllocator],
]);

class SimulatedKernel implements Kernel {
  readonly layout: MemoryLayout;
  readonly zoneConfig;
  readonly zones: Zone[];
  readonly pages: PageStore;
  readonly contents: PageContents;
  readonly sched: Scheduler;
  readonly pageAllocator: PageAllocator;
  readonly failPageAlloc: FailPageAlloc;
  readonly failslab: Failslab;
  readonly badPageReports: { pfn: number; reason: string }[] = [];
  readonly slab: SlabAllocator;
  readonly archPageTables: ArchPageTables | undefined;
  readonly addressSpaces: AddressSpaces | undefined;
  readonly vmas: VmaLookup | undefined;
  readonly phys: PhysMemory;
  readonly slabReports: SlabReport[] = [];
  readonly kasan: Kasan | undefined;
  private readonly slabPageView: CountingPageAllocator;
  private readonly registry: SubsystemRegistry;
  /** log_buf: the kernel log, a ring of 1 << CONFIG_LOG_BUF_SHIFT bytes. */
  private readonly logBuf: LogBuffer;
  private readonly prng: Prng;
  /**
   * Fault injection as configured takes effect once the kernel has booted, as if its debugfs
   * files were written then: kmem_cache_init()'s allocations (which Linux cannot fail) and the
   * other boot steps never fail, and use up none of `times`, `interval` or `space`.
   */
  private faultInjectionLive = false;
  /** pgdat->first_deferred_pfn of each node (-1: nothing deferred); empty without deferredStructPageInit. */
  private firstDeferredPfn: number[] = [];
  private readonly numaStats: Float64Array;
  private readonly overcommit = { ratio: 50 };
  /** Every file by path: a Map, so a path such as 'constructor' is just not there. */
  private readonly files: ReadonlyMap<string, KernelFile>;
  /** The live processes by pid. */
  private readonly tasks = new Map<number, Process>();
  private lastPid = 0;
  private processHost: ProcessHost | undefined;

  constructor(readonly config: Readonly<KernelConfig>, layout: MemoryLayout, nrCpus: number, readonly debug: DebugConfig) {
    this.layout = layout;
    this.zoneConfig = layout.zones;
    this.prng = new Prng(config.seed ?? 1);
    this.logBuf = new LogBuffer(config.logBufShift ?? DEFAULT_LOG_BUF_SHIFT);
    this.sched = new Scheduler({ nrCpus, debugForceRrCpu: config.debugForceRrCpu, unboundCpumask: config.unboundCpumask });
    this.failPageAlloc = checkedFailPageAlloc({ ...defaultFailPageAlloc(), ...config.failPageAlloc });
    this.failslab = checkedFailslab({ ...defaultFailslab(), ...config.failslab });
    // A factory that runs in another thread (the grader's isolated submissions) asks for the
    // kernel's state on shared memory: struct page, the zones and the page contents.
    const shared = config.sharedMemory === true || needsSharedMemory(config.pageAllocator) || needsSharedMemory(config.slab) || needsSharedMemory(config.addressSpaces);
    this.contents = new PageContents({ maxPfn: layout.maxPfn, shared });
    this.phys = new PhysMemory(this.contents);
    this.pages = new PageStore(layout.maxPfn, { shared });
    // sparse_init(): under SPARSEMEM only the sections with memory get a memmap.
    const sectionShift = pfnSectionShift(layout.zones.arch);
    if (sectionShift !== undefined) this.pages.sparseInit(layout.memory, sectionShift);
    this.zones = [];
    for (const node of layout.nodes) for (const z of node.zones) this.zones.push(new Zone(z, layout.zones, nrCpus, { shared }));
    // memmap_init(): the free memory memblock_free_all() hands over keeps zero struct pages (see memmapInitZone()).
    for (const zone of this.zones) memmapInitZone(this.pages, zone, this.bootmemRanges());
    if (config.deferredStructPageInit) {
      if (sectionShift === undefined) throw new KernelConfigError(`deferredStructPageInit: CONFIG_DEFERRED_STRUCT_PAGE_INIT depends on !FLATMEM, and ${layout.zones.arch} is FLATMEM here`);
      for (const node of layout.nodes) this.firstDeferredPfn[node.nid] = firstDeferredPfn(this.pages, this.zones.filter((z) => z.nid === node.nid), node.startPfn, node.spanned);
    }
    this.numaStats = new Float64Array(this.zones.length * NUMA_STAT_ITEMS.length);
    this.printk(`Linux version 4.17.0-mmkit (simulated) ${layout.zones.arch}`);

    // Boot, phase 1: create every subsystem. A factory gets the machine and late-bound
    // services; it must not reach another subsystem (the registry refuses until connect()).
    const registry = new SubsystemRegistry();
    this.registry = registry;
    const services: PageAllocatorServices = {
      layout,
      zoneConfig: layout.zones,
      zones: this.zones,
      pages: this.pages,
      contents: this.contents,
      sched: this.sched,
      config: {
        thp: (config.thp ?? 'always') !== 'never',
        pcp: config.pcp ?? true,
        cmaPolicy: cmaPolicyOf(config),
      },
      cpuToNode: (cpu) => this.cpuToNode(cpu),
      debug: this.debug,
      shouldFailAlloc: (gfp, order) => {
        if (!this.faultInjectionLive) return false;
        const fail = shouldFailAllocPage(this.failPageAlloc, gfp, order, this.prng);
        if (fail && this.failPageAlloc.verbose > 0) this.printk(`FAULT_INJECTION: forcing a failure.\nname fail_page_alloc, interval ${this.failPageAlloc.interval}, probability ${this.failPageAlloc.probability}, space ${this.failPageAlloc.space}, times ${this.failPageAlloc.times}`);
        return fail;
      },
      failAllocArmed: faultAttrArmed(this.failPageAlloc),
      badPage: (pfn, reason) => this.badPage(pfn, reason),
      log: (_level, message) => this.printk(message),
    };
    this.pageAllocator = checkImplementation('pageAllocator', (config.pageAllocator ?? createBuddyAllocator)(services), PAGE_ALLOCATOR_BOOT_METHODS);
    this.slabPageView = new CountingPageAllocator(this.pageAllocator, () => this.badPageReports.length);
    this.kasan = config.kasan && !config.kasanHooks ? this.createKasan() : undefined;
    this.slab = this.createSlab(config.slab ?? 'slub');

    this.archPageTables = layout.zones.arch === 'x86_64' ? this.createArchPageTables() : undefined;
    this.addressSpaces = this.archPageTables ? this.createAddressSpaces() : undefined;
    const vmas = this.addressSpaces as Partial<VmaLookup> | undefined;
    this.vmas = vmas && typeof vmas.findVma === 'function' && typeof vmas.forEachVma === 'function' ? vmas as VmaLookup : undefined;

    // Phase 2: connect them, then run the initialisation steps in Linux's order.
    registry.register('pageAllocator', this.pageAllocator);
    registry.register('slab', this.slab);
    if (this.archPageTables) registry.register('archPageTables', this.archPageTables);
    if (this.addressSpaces) registry.register('addressSpaces', this.addressSpaces);
    if (this.vmas) registry.register('vmas', this.vmas);
    registry.connect();
    this.bootMemory(); // mm_init(): mem_init() -> memblock_free_all()
    this.slab.bootstrap?.(); // mm_init(): kmem_cache_init(), its allocations
    this.pageAllocInitLate(); // kernel_init_freeable(): page_alloc_init_late(), before the initcalls
    this.faultInjectionLive = true;
    this.pageAllocator.initWatermarks(); // core_initcall(init_per_zone_wmark_min)
    if (this.kasan && config.kasan) this.kasanInit(this.kasan, config.kasan);
    this.files = new Map(Object.entries({
      ...vmSysctlFiles(this.pageAllocator, this.overcommit, layout.zones.arch === 'i386' ? 32 : 64),
      ...failPageAllocFiles(this.failPageAlloc),
      '/proc/zoneinfo': { read: () => this.zoneinfo() },
      '/proc/buddyinfo': { read: () => renderBuddyinfo(this.zones) },
      '/proc/pagetypeinfo': { read: () => renderPagetypeinfo(this.zones, this.layout.nodes.length, this.zoneConfig.nrZones, this.pages) },
      ...failslabFiles(this.failslab),
      '/proc/meminfo': { read: () => this.meminfo() },
      '/proc/slabinfo': { read: () => renderSlabinfo(this.slab) },
      '/dev/kmsg': { read: () => this.logBuf.kmsg() },
      ...workqueueFiles(this.sched),
      '/sys/kernel/mm/transparent_hugepage/enabled': {
        read: () => ['always', 'madvise', 'never'].map((m) => (m === (config.thp ?? 'always') ? `[${m}]` : m)).join(' ') + '\n',
      },
    }));
    for (const [name, value] of Object.entries(config.sysctl ?? {})) {
      const ret = this.sysctl(name, value);
      if (ret !== 0) throw new KernelConfigError(`sysctl ${name}=${value}: ${ret === -ERRNO.ENOENT ? 'no such sysctl' : 'invalid value'} (${ret})`);
    }
  }

  /** The x86-64 page tables: table pages from the page allocator (late-bound), counted in their zone's NR_PAGETABLE. */
  private createArchPageTables(): ArchPageTables {
    return createX86PageTables(this.mmServices({ zones: this.zones }));
  }

  /**
   * The services of a subsystem after the page allocator (MmServices), with `extra` members:
   * the machine, and the page allocator and the others late-bound (a getter, so `extra` is
   * spread in here and the result must not be spread again).
   */
  private mmServices<T extends object = object>(extra?: T): MmServices & T {
    const registry = this.registry;
    const pageAllocator = this.pageAllocator;
    return {
      ...(extra as T),
      layout: this.layout,
      pages: this.pages,
      contents: this.contents,
      sched: this.sched,
      subsystems: registry.view,
      get pageAllocator() {
        registry.assertConnected('pageAllocator', 'pageAllocator');
        return pageAllocator;
      },
      cpuToNode: (cpu) => this.cpuToNode(cpu),
      debug: this.debug,
      log: (_level, message) => this.printk(message),
    };
  }

  /** The address spaces (@mmkit/mmap by default): page tables and the page allocator late-bound. */
  private createAddressSpaces(): AddressSpaces {
    const services = this.mmServices();
    return checkImplementation('addressSpaces', (this.config.addressSpaces ?? createAddressSpaces)(services), ADDRESS_SPACES_METHODS);
  }

  /** kmem_cache_init(): the object allocator, with KASAN's hooks when configured. */
  private createSlab(choice: 'slub' | 'slab' | SlabAllocatorFactory): SlabAllocator {
    const factory = typeof choice === 'function' ? choice : SLAB_IMPLEMENTATIONS.get(choice);
    if (!factory) throw new KernelConfigError(`slab must be 'slub', 'slab' or a factory, got ${describeValue(choice)}`);
    const registry = this.registry;
    const slabPageView = this.slabPageView;
    const failslab = this.failslab;
    const services: SlabAllocatorServices = {
      layout: this.layout,
      pages: this.pages,
      contents: this.contents,
      sched: this.sched,
      subsystems: this.registry.view,
      // The page allocator as the object allocator sees it: counting the pages it holds.
      get pageAllocator() {
        registry.assertConnected('pageAllocator', 'pageAllocator');
        return slabPageView;
      },
      phys: this.phys,
      cpuToNode: (cpu) => this.cpuToNode(cpu),
      debug: this.debug,
      kasan: this.config.kasanHooks ?? this.kasan,
      log: (_level, message) => this.printk(message),
      // slab_pre_alloc_hook() -> should_failslab(): every object allocation passes here first,
      // so the kernel refuses a gfp that is no gfp_t before the allocator uses it.
      shouldFailSlab: (cache, gfp) => {
        // isGfpT(gfp), as two tests: a number that is its own ToUint32 is an integer in [0, 2^32).
        if (typeof gfp !== 'number' || gfp >>> 0 !== gfp) throw invalidGfpMaskError('slab_pre_alloc_hook', gfp, true);
        // Off (probability 0, the default) is one branch: __should_failslab() could only say
        // no, with no side effect (should_fail() tests the probability before anything else).
        if (failslab.probability === 0 || !this.faultInjectionLive) return false;
        return this.shouldFailslabOn(cache, gfp);
      },
      failSlabArmed: faultAttrArmed(failslab),
      slabError: (kind, cache, addr, message) => {
        this.slabReports.push({ kind, cache: cache?.name, addr, message });
        this.printk(message);
      },
    };
    return checkImplementation('slab', factory(services), SLAB_ALLOCATOR_BOOT_METHODS);
  }

  /** should_failslab() once fault injection is live and its probability not 0 (off the hot path). */
  private shouldFailslabOn(cache: KmemCache, gfp: Gfp): boolean {
    const fail = shouldFailslab(this.failslab, cache, gfp, this.prng);
    if (fail && this.failslab.verbose > 0) this.printk(`FAULT_INJECTION: forcing a failure.\nname failslab, interval ${this.failslab.interval}, probability ${this.failslab.probability}, space ${this.failslab.space}, times ${this.failslab.times}`);
    return fail;
  }

  /** The quarantine's size is set by kasanInit(), once the page allocator knows totalram. */
  private createKasan(): Kasan {
    return new Kasan(0, (r, message) => {
      this.slabReports.push({ kind: r.kind, cache: r.cache, addr: r.addr, message });
      this.printk(message);
    });
  }

  /** The quarantine holds 1/QUARANTINE_FRACTION of totalram (mm/kasan/quarantine.c), or what the configuration says. */
  private kasanInit(kasan: Kasan, option: true | { quarantineBytes?: number }): void {
    const totalram = this.zones.reduce((n, z) => n + z.managedPages, 0);
    kasan.quarantineMaxBytes = (option === true ? undefined : option.quarantineBytes) ?? Math.floor((totalram * 4096) / QUARANTINE_FRACTION);
    kasan.attach(this.slab);
  }

  slabPages(): number {
    return this.slabPageView.held;
  }

  /** NR_SLAB_RECLAIMABLE / NR_SLAB_UNRECLAIMABLE from every cache's slabs (kmalloc_large pages are not slab). */
  private slabPagesByKind(): { reclaimable: number; unreclaimable: number } {
    let reclaimable = 0;
    let unreclaimable = 0;
    for (const cache of this.slab.caches()) {
      const s = this.slab.slabinfo(cache);
      const pages = s.numPages;
      if (cache.flags & SLAB_RECLAIM_ACCOUNT) reclaimable += pages;
      else unreclaimable += pages;
    }
    return { reclaimable, unreclaimable };
  }

  /** The free memory at boot: memblock.memory minus memblock.reserved and the CMA areas (which memblock keeps reserved). */
  private bootmemRanges() {
    return subtractRanges(subtractRanges(this.layout.memory, this.layout.reserved), this.layout.cma);
  }

  /**
   * memblock_free_all(): every present page outside memblock.reserved goes to the page
   * allocator, zone by zone (reserved pages keep the PG_reserved of memmap init). The CMA areas
   * are memblock-reserved too: the allocator activates them in initWatermarks(). With deferred
   * struct page init, the pages from their node's first_deferred_pfn on are skipped
   * (early_page_uninitialised()): page_alloc_init_late() frees them.
   */
  private bootMemory(): void {
    let freed = 0;
    this.forEachBootmemRange(false, (start, end) => {
      this.pageAllocator.freeBootmem(start, end - start);
      freed += end - start;
    });
    this.printk(`Memory: ${freed * 4}K/${this.layout.memory.reduce((n, r) => n + r.end - r.start, 0) * 4}K available`);
  }

  /** The free ranges of each zone, split at the node's first_deferred_pfn: the early part, or the deferred part. */
  private forEachBootmemRange(deferred: boolean, fn: (start: number, end: number, nid: number) => void): void {
    for (const range of this.bootmemRanges()) {
      for (const zone of this.zones) {
        let start = Math.max(range.start, zone.zoneStartPfn);
        let end = Math.min(range.end, zone.zoneEndPfn);
        const first = this.firstDeferredPfn[zone.nid] ?? -1; // early_page_uninitialised(): pfn >= its node's first_deferred_pfn
        if (first >= 0) {
          if (deferred) start = Math.max(start, first);
          else end = Math.min(end, first);
        } else if (deferred) continue;
        if (start < end) fn(start, end, zone.nid);
      }
    }
  }

  /**
   * page_alloc_init_late() (4.17) with CONFIG_DEFERRED_STRUCT_PAGE_INIT: deferred_init_memmap()
   * of every node (its pgdatinit kthread, waited for) initialises the struct pages of the free
   * ranges from first_deferred_pfn to the end of the node's highest zone and frees them; the
   * deferred pages' struct pages were left zero, which is what deferred_init_pages() writes of a
   * free page here, so only the frees cost anything.
   */
  private pageAllocInitLate(): void {
    if (this.firstDeferredPfn.length === 0) return;
    const perNode = new Float64Array(this.firstDeferredPfn.length);
    const start = this.sched.jiffies;
    this.forEachBootmemRange(true, (s, e, nid) => {
      this.pageAllocator.freeBootmem(s, e - s);
      perNode[nid] += e - s;
    });
    for (const node of this.layout.nodes) {
      if (this.firstDeferredPfn[node.nid] >= 0) this.printk(`node ${node.nid} initialised, ${perNode[node.nid]} pages in ${Math.round(((this.sched.jiffies - start) * 1000) / this.sched.hz)}ms`);
    }
  }

  /** printk(): one record per line, stamped with the simulated time (CONFIG_PRINTK_TIME). */
  private printk(message: string): void {
    const seconds = this.sched.jiffies / this.sched.hz;
    let start = 0;
    for (let nl = message.indexOf('\n'); nl >= 0; nl = message.indexOf('\n', start)) {
      this.logBuf.store(seconds, message.slice(start, nl));
      start = nl + 1;
    }
    this.logBuf.store(seconds, start === 0 ? message : message.slice(start));
  }


  private badPage(pfn: number, reason: string): void {
    this.badPageReports.push({ pfn, reason });
    const p = this.pages;
    const ok = p.validPfn(pfn);
    this.printk(`BUG: Bad page state in process mmkit  pfn:${pfn.toString(16).padStart(5, '0')}`);
    if (ok) this.printk(`page:pfn ${pfn} count:${p.refcount[pfn]} mapcount:${p.getMapcount(pfn)} mapping:${p.getMapping(pfn)} index:0x${p.getIndex(pfn).toString(16)}\nflags: 0x${(p.flags[pfn] & ((1 << NR_PAGEFLAGS) - 1)).toString(16)}`);
    this.printk(`page dumped because: ${reason}`);
  }

  dmesg(): readonly string[] {
    return this.logBuf.lines();
  }

  private zoneinfo(): string {
    return renderZoneinfo({
      zones: this.zones,
      nrNodes: this.layout.nodes.length,
      nrZones: this.zoneConfig.nrZones,
      nrCpus: this.sched.nrCpus,
      numaStat: (zone, item) => this.numaStats[this.zones.indexOf(zone) * NUMA_STAT_ITEMS.length + item],
    });
  }

  private meminfo(): string {
    return renderMeminfo({
      zones: this.zones,
      zoneConfig: this.zoneConfig,
      layout: this.layout,
      totalreservePages: () => this.pageAllocator.totalreservePages(),
      overcommitRatio: this.overcommit.ratio,
      slabPages: () => this.slabPagesByKind(),
    });
  }

  listFiles(): string[] {
    const pidFiles: string[] = [];
    for (const pid of this.tasks.keys()) for (const f of PID_FILES) pidFiles.push(`/proc/${pid}/${f}`);
    return [...this.files.keys(), ...pidFiles].sort();
  }

  readFile(path: string): string {
    const file = this.files.get(path);
    if (!file) {
      const pidFile = typeof path === 'string' ? /^\/proc\/([1-9][0-9]{0,9})\/(maps|smaps|status)$/.exec(path) : null;
      const task = pidFile ? this.tasks.get(Number(pidFile[1])) : undefined;
      if (!pidFile || !task) throw syscallError('open', -ERRNO.ENOENT);
      return this.readPidFile(task, pidFile[2]);
    }
    return file.read();
  }

  /** /proc/PID/maps (show_map()), smaps (show_smap()) and status (proc_pid_status()). */
  private readPidFile(task: Process, name: string): string {
    const as = this.addressSpaces!;
    if (name === 'maps') return formatMaps(as.maps(task.mm));
    if (name === 'smaps') return renderSmaps(as.smaps(task.mm), as.maps(task.mm));
    return renderPidStatus(task, as.mmInfo(task.mm)!);
  }

  private host(): ProcessHost {
    if (this.processHost) return this.processHost;
    const as = this.addressSpaces;
    const arch = this.archPageTables;
    if (!as || !arch) throw new Error(`processes need page tables and address spaces, which this ${this.layout.zones.arch} machine does not have (x86_64 only)`);
    if (as.supports.faults !== true) throw new Error(`the address spaces implementation ${as.name} does not provide faults (supports.faults), which processes need`);
    this.processHost = {
      addressSpaces: as,
      arch,
      contents: this.contents,
      allocPid: () => ++this.lastPid,
      release: (pid) => {
        this.tasks.delete(pid);
      },
      adopt: (child) => {
        this.tasks.set(child.pid, child);
      },
    };
    return this.processHost;
  }

  spawn(layout: SpawnLayout, options: SpawnOptions = {}): Process {
    const host = this.host();
    const name = options.name ?? 'mmkit';
    if (typeof name !== 'string') throw new TypeError('spawn: name must be a string');
    const mm = spawnMm(host.addressSpaces, layout, options.params);
    if (mm < 0) throw syscallError('fork', mm);
    const task = new Process(host, host.allocPid(), 0, mm, name);
    this.tasks.set(task.pid, task);
    return task;
  }

  process(pid: number): Process | undefined {
    return typeof pid === 'number' ? this.tasks.get(pid) : undefined;
  }

  processes(): Process[] {
    return [...this.tasks.values()];
  }

  writeFile(path: string, text: string): number {
    const file = this.files.get(path);
    if (!file) return -ERRNO.ENOENT;
    if (!file.write) return -ERRNO.EACCES;
    return file.write(text);
  }

  sysctl(name: string): string;
  sysctl(name: string, value: string | number): number;
  sysctl(name: string, value?: string | number): string | number {
    const path = sysctlPath(name);
    if (value === undefined) return this.readFile(path).trimEnd();
    return this.writeFile(path, `${value}\n`);
  }

  allocPages(gfp: number, order: number, nid?: number): number {
    if (!isGfpMask(gfp)) throw invalidGfpMaskError('alloc_pages', gfp);
    if (nid !== undefined && (!Number.isInteger(nid) || nid < 0 || nid >= this.layout.nodes.length)) {
      throw new RangeError(`alloc_pages_node: node ${nid} does not exist (nodes 0-${this.layout.nodes.length - 1})`);
    }
    if (!gfpZoneValid(gfp, this.zoneConfig)) {
      // Let the allocator hit its BUG for the GFP_ZONE_BAD combination.
      return this.pageAllocator.allocPages(gfp, order, nid);
    }
    const pfn = this.pageAllocator.allocPages(gfp, order, nid);
    if (pfn !== NO_PAGE) this.countNumaAlloc(pfn, order, nid);
    return pfn;
  }

  /** zone_statistics(): numa_hit/miss/foreign and local/other, counted per allocation. */
  private countNumaAlloc(pfn: number, _order: number, nid: number | undefined): void {
    const zone = this.pageZone(pfn);
    if (!zone) return;
    const zi = this.zones.indexOf(zone);
    const n = NUMA_STAT_ITEMS.length;
    const localNid = this.cpuToNode(this.sched.currentCpu);
    const preferred = nid ?? localNid;
    if (zone.nid === preferred) this.numaStats[zi * n + 0]++;
    else {
      this.numaStats[zi * n + 1]++;
      const pz = this.zones.findIndex((z) => z.nid === preferred && z.populated);
      if (pz >= 0) this.numaStats[pz * n + 2]++;
    }
    this.numaStats[zi * n + (zone.nid === localNid ? 4 : 5)]++;
  }

  /** cpu_to_node(): CPUs spread evenly over the nodes, in order. */
  private cpuToNode(cpu: number): number {
    return Math.floor((cpu * this.layout.nodes.length) / this.sched.nrCpus);
  }

  freePages(pfn: number, order: number): void {
    this.pageAllocator.freePages(pfn, order);
  }

  pageZone(pfn: number): Zone | undefined {
    if (!this.pages.validPfn(pfn)) return undefined;
    const num = this.pages.zoneNumOf(pfn);
    if (num === 255) return undefined;
    return this.zones.find((z) => z.zoneNum === num);
  }

  checkInvariants(): InvariantViolation[] {
    return [
      ...checkInvariants(this.zones, this.pages, this.pageAllocator),
      ...checkSlabInvariants(this.pages, this.slab, this.slabPageView.held),
      ...(this.kasan ? checkKasanInvariants(this.kasan, this.slab) : []),
      ...(hasAddressSpaceChecks(this.addressSpaces) ? checkAddressSpaceInvariants(this.addressSpaces, this.pages) : []),
    ];
  }

  assertInvariants(): void {
    const v = this.checkInvariants();
    if (v.length) throw new Error(`kernel invariants violated:\n${v.map((x) => `  [${x.invariant}] ${x.message}`).join('\n')}`);
  }

  summary(): string {
    return renderSummary(this);
  }
}

/**
 * The public shape of a booted kernel and of the configuration that builds one.
 */
import type {
  AddressSpaces, AddressSpacesFactory, ArchPageTables, CmaPolicy, DebugConfig, DebugOptions, KasanHooks, MemoryLayout, ObjAddr, PageAllocator, PageAllocatorFactory, PageContents, PageStore, PhysMemory,
  Scheduler, SlabAllocator, SlabAllocatorFactory, SlabErrorKind, VmaLookup, Zone, ZoneLayoutConfig,
} from '@mmkit/core';
import type { MachineSpec } from '@mmkit/hw-x86';
import type { FailPageAlloc, Failslab } from './fault-inject.js';
import type { InvariantViolation } from './invariants.js';
import type { Process, SpawnLayout, SpawnOptions } from './process.js';

export type ThpMode = 'always' | 'madvise' | 'never';

export interface KernelConfig {
  /** The machine: a spec (size, nodes, e820, movable zone, CMA areas). Default: 4 GiB, 1 node. */
  machine?: MachineSpec;
  /**
   * How CMA areas (machine.cma) are managed: 'zone-movable' (default), the seed's design of
   * 4.17-rc1 to rc6, with the areas in ZONE_MOVABLE; or 'migratetype', 4.16's and
   * 4.17-final's (the series was reverted in 4.17-rc7), with the areas as MIGRATE_CMA
   * pageblocks of the zone their pfns belong to and ALLOC_CMA in the watermark checks.
   */
  cma?: { policy?: CmaPolicy };
  /** A named machine from @mmkit/hw-x86's PRESETS (instead of `machine`). */
  preset?: string;
  /** The text of a real /proc/zoneinfo: a machine whose zones have its spanned/present/managed pages. */
  likeZoneinfo?: string;
  /** Simulated CPUs (default 2). */
  nrCpus?: number;
  /** transparent_hugepage/enabled (default 'always'): with always or madvise khugepaged raises min_free_kbytes. */
  thp?: ThpMode;
  /** Per-cpu page lists for order-0 pages (default true). */
  pcp?: boolean;
  /**
   * CONFIG_DEFERRED_STRUCT_PAGE_INIT (default false, as Kconfig's default): memmap init stops
   * after the first section of each node's highest zone (update_defer_init()), mem_init() frees
   * only what was initialised, and page_alloc_init_late() initialises and frees the rest
   * (deferred_init_memmap(): "node N initialised, N pages in Nms") before the initcalls, so the
   * watermarks and the free counts come out the same. Needs SPARSEMEM (x86_64).
   */
  deferredStructPageInit?: boolean;
  /**
   * Keep struct page (PageStore), the zones' counters and the page contents on
   * SharedArrayBuffers, so that an implementation can run in another thread on the same state
   * (default false; on whenever the page allocator, slab or address-spaces factory carries NEEDS_SHARED_MEMORY,
   * as the grader's isolated submissions do).
   */
  sharedMemory?: boolean;
  /** Sysctls applied after boot, in order, e.g. { 'vm.min_free_kbytes': 67584 }. */
  sysctl?: Record<string, string | number>;
  /** CONFIG_LOG_BUF_SHIFT: the kernel log holds 1 << logBufShift bytes of records (default 18, x86_64_defconfig; 12 to 25). */
  logBufShift?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** /sys/kernel/debug/fail_page_alloc settings. */
  failPageAlloc?: Partial<FailPageAlloc>;
  /** The page allocator implementation (default: @mmkit/buddy). */
  pageAllocator?: PageAllocatorFactory;
  /**
   * The address spaces (default: @mmkit/mmap's createAddressSpaces on x86_64 machines): a factory
   * returning the AddressSpaces contract, and VmaLookup too when it has findVma and forEachVma.
   */
  addressSpaces?: AddressSpacesFactory;
  /** The object allocator: 'slub' (default, CONFIG_SLUB), 'slab' (CONFIG_SLAB) or a factory. */
  slab?: 'slub' | 'slab' | SlabAllocatorFactory;
  /** CONFIG_KASAN: the slab free hook with a quarantine, invalid-free and double-free detection. */
  kasan?: boolean | { quarantineBytes?: number };
  /**
   * Other KASAN hooks in place of the kernel's (a conformance suite scripting kasan_slab_free's
   * answers). The kernel's KasanState is then undefined.
   */
  kasanHooks?: KasanHooks;
  /** /sys/kernel/debug/failslab settings. */
  failslab?: Partial<Failslab>;
  /** workqueue.debug_force_rr_cpu: unbound work goes round-robin over the CPUs. */
  debugForceRrCpu?: boolean;
  /** workqueue.unbound_cpumask: the CPUs WORK_CPU_UNBOUND work may run on (default: all). */
  unboundCpumask?: readonly number[];
  /**
   * The debugging configuration (default 4.17's: all off): `vm` is CONFIG_DEBUG_VM, `slubDebug`
   * the slub_debug= boot parameter ('FZ', 'FZ,kmalloc-64', '' for full debugging),
   * `freelistHardened` CONFIG_SLAB_FREELIST_HARDENED. Checks 4.17 runs only under one of them
   * run here only then (@mmkit/core's debug-config.ts).
   */
  debug?: DebugOptions;
}

/** What KASAN shows of itself. */
export interface KasanState {
  /** Objects whose free is delayed. */
  readonly quarantined: number;
  readonly quarantineBytes: number;
  readonly quarantineMaxBytes: number;
  /** Give every quarantined object back to its cache (as memory pressure would). */
  drain(): void;
}

/** A slab misuse the allocator detected and refused (double free, invalid free, leak...). */
export interface SlabReport {
  readonly kind: SlabErrorKind;
  readonly cache: string | undefined;
  readonly addr: ObjAddr;
  readonly message: string;
}

export interface Kernel {
  readonly config: Readonly<KernelConfig>;
  /** The debugging configuration the kernel runs under (what every subsystem reads as services.debug). */
  readonly debug: DebugConfig;
  readonly layout: MemoryLayout;
  readonly zoneConfig: ZoneLayoutConfig;
  /** Every zone, flat: zones[nid * MAX_NR_ZONES + zone_idx]. */
  readonly zones: readonly Zone[];
  readonly pages: PageStore;
  readonly contents: PageContents;
  readonly sched: Scheduler;
  readonly pageAllocator: PageAllocator;
  /** fail_page_alloc (its fields can be changed at run time). */
  readonly failPageAlloc: FailPageAlloc;
  /** The object allocator (SLUB or SLAB). */
  readonly slab: SlabAllocator;
  /** The x86-64 page tables (@mmkit/hw-x86), registered as subsystems.archPageTables; undefined on i386. */
  readonly archPageTables: ArchPageTables | undefined;
  /** Address spaces (subsystems.addressSpaces): mm creation, mmap and friends, /proc/PID/maps data; undefined without page tables (i386). */
  readonly addressSpaces: AddressSpaces | undefined;
  /** find_vma() and friends (subsystems.vmas). */
  readonly vmas: VmaLookup | undefined;
  /** Byte access to physical memory (object addresses are physical addresses). */
  readonly phys: PhysMemory;
  /** failslab (its fields can be changed at run time). */
  readonly failslab: Failslab;
  /** Slab misuse reports since boot. */
  readonly slabReports: readonly SlabReport[];
  /** Pages the object allocator holds from the page allocator (slab pages and kmalloc_large). */
  slabPages(): number;
  /** KASAN, when the kernel runs with it: its reports and quarantine. */
  readonly kasan: KasanState | undefined;

  /**
   * A new process whose address space is the layout described (VMAs, or the text of a
   * /proc/PID/maps): its memory read and written through page tables and faults, fork() and
   * exit(). Throws a Node-style ENOMEM error when no pgd can be allocated, a TypeError for a bad
   * layout, and an Error on a machine without page tables (i386).
   */
  spawn(layout: SpawnLayout, options?: SpawnOptions): Process;
  /** The live process with this pid, or undefined. */
  process(pid: number): Process | undefined;
  /** The live processes, by pid. */
  processes(): Process[];

  /** Read a /proc, /sys or debugfs file the kernel provides, e.g. '/proc/zoneinfo', '/proc/1/status'. ENOENT: throws a SyscallError. */
  readFile(path: string): string;
  /** Write a sysctl or debugfs file: 0, or -errno (-EINVAL for a bad value, -ENOENT for no such file). */
  writeFile(path: string, text: string): number;
  /** Files readFile() knows. */
  listFiles(): string[];
  /** Read (no value) or write a sysctl by its dotted name ('vm.min_free_kbytes'); write returns 0 or -errno. */
  sysctl(name: string): string;
  sysctl(name: string, value: string | number): number;

  /** alloc_pages_node(): pfn or NO_PAGE. */
  allocPages(gfp: number, order: number, nid?: number): number;
  /** __free_pages(). */
  freePages(pfn: number, order: number): void;
  /** The zone a pfn belongs to (page_zone()), or undefined. */
  pageZone(pfn: number): Zone | undefined;

  /** Kernel log (printk), oldest first: the records log_buf (1 << logBufShift bytes) still holds. */
  dmesg(): readonly string[];
  /** "BUG: Bad page state" and similar reports since boot. */
  readonly badPageReports: readonly { pfn: number; reason: string }[];
  /** Check every invariant now; an empty list means all hold. */
  checkInvariants(): InvariantViolation[];
  /** checkInvariants(), throwing an Error that lists the violations. */
  assertInvariants(): void;
  /** A short boot summary (nodes, zones, memory, watermarks). */
  summary(): string;
}

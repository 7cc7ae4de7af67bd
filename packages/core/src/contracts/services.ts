/**
 * The services every subsystem can reach, and how subsystems reach each other.
 *
 * Boot is two-phase (docs/architecture.md): the kernel first creates every subsystem, calling
 * each factory with its services, then connects them and runs the initialisation steps in
 * Linux's order (arch, memblock and memmap, hypervisor, page allocator, slab, cma, memcg, swap,
 * mmap, gup, hmm, migrate). Other subsystems are therefore late-bound: `services.subsystems.X`
 * (and the `pageAllocator` shortcut) is read when it is needed, at run time or in an
 * initialisation step, never kept from inside a factory. Reading one before the kernel has
 * connected them throws a clear error instead of handing out a half-built subsystem.
 */
import type { DebugConfig } from '../debug-config.js';
import type { MemoryLayout } from '../mmzone.js';
import type { PageContents } from '../page-contents.js';
import type { Scheduler } from '../sched.js';
import type { PageStore } from '../struct-page.js';
import type { ArchPageTables } from './arch.js';
import type { ContiguousAllocator } from './cma.js';
import type { HeterogeneousMemory } from './hmm.js';
import type { Hypervisor } from './hypervisor.js';
import type { MemoryController } from './memcg.js';
import type { PageMigration } from './migrate.js';
import type { AddressSpaces, CurrentMm, MmuNotifiers, VmaLookup } from './mmap.js';
import type { PageAllocatorApi, PageIsolation } from './page-allocator.js';
import type { Lru, Rmap } from './rmap.js';
import type { SlabAllocatorApi } from './slab-allocator.js';
import type { SwapSubsystem } from './swap.js';
import type { UserPagePinning } from './gup.js';

/** printk() levels the kernel log keeps. */
export type LogLevel = 'info' | 'warn' | 'err';

/** What the kernel hands every subsystem when it creates it: the machine, never another subsystem. */
export interface KernelServices {
  readonly layout: MemoryLayout;
  /** struct page of every pfn (the field owners are in core's README). */
  readonly pages: PageStore;
  /** Page contents: what was written, read back. */
  readonly contents: PageContents;
  /** Simulated clock, CPUs, timers and work queues. */
  readonly sched: Scheduler;
  /** cpu_to_node(): the node a CPU belongs to (numa_node_id() on that CPU). */
  cpuToNode(cpu: number): number;
  /** printk(). */
  log(level: LogLevel, message: string): void;
  /**
   * The debugging configuration the kernel runs under (CONFIG_DEBUG_VM, slub_debug, ...;
   * debug-config.ts): a check Linux 4.17 runs only under one of these runs only when it is on.
   */
  readonly debug: DebugConfig;
}

/**
 * Every subsystem by contract, late-bound. A member is undefined when the kernel runs without
 * that subsystem (the issues that build them fill them in); the page allocator, the object
 * allocator and the arch are always there.
 */
export interface Subsystems {
  /** The page allocator's allocation API (implemented by @mmkit/buddy). */
  readonly pageAllocator: PageAllocatorApi;
  /** Page isolation and alloc_contig_range() (the page allocator; used by CMA and memory hotplug). */
  readonly pageIsolation: PageIsolation | undefined;
  /** kmem_cache and kmalloc (@mmkit/slub or @mmkit/slab). */
  readonly slab: SlabAllocatorApi;
  /** The architecture's page tables (@mmkit/hw-x86). */
  readonly archPageTables: ArchPageTables | undefined;
  /** Hypervisor hooks (@mmkit/hypervisor-xen), when the machine is a guest. */
  readonly hypervisor: Hypervisor | undefined;
  readonly cma: ContiguousAllocator | undefined;
  readonly memcg: MemoryController | undefined;
  readonly swap: SwapSubsystem | undefined;
  /** Address spaces, mmap and faults (@mmkit/mmap). */
  readonly addressSpaces: AddressSpaces | undefined;
  /** find_vma() and friends (@mmkit/mmap). */
  readonly vmas: VmaLookup | undefined;
  /** current->mm of the running task (@mmkit/mmap, with the kernel's processes). */
  readonly currentMm: CurrentMm | undefined;
  /** mmu_notifier registration and the invalidate callbacks (@mmkit/mmap; hmm listens). */
  readonly mmuNotifiers: MmuNotifiers | undefined;
  /** Reverse mapping: who maps a page (@mmkit/mmap: mm/rmap.c). */
  readonly rmap: Rmap | undefined;
  /** The LRU lists (@mmkit/swap: mm/swap.c and mm/vmscan.c). */
  readonly lru: Lru | undefined;
  readonly gup: UserPagePinning | undefined;
  readonly hmm: HeterogeneousMemory | undefined;
  readonly migrate: PageMigration | undefined;
}

/** What every subsystem after the page allocator is handed: the machine, and the others late-bound. */
export interface MmServices extends KernelServices {
  /** subsystems.pageAllocator, the one every subsystem uses (late-bound). */
  readonly pageAllocator: PageAllocatorApi;
  /** Every other subsystem by contract (late-bound). */
  readonly subsystems: Subsystems;
}

/**
 * Draft contracts of the other subsystems. Each is the smallest interface the semantics
 * allow; the issue that builds a subsystem refines its contract here.
 */
import type { Gfp } from '../gfp.js';
import type { MemoryLayout } from '../mmzone.js';
import type { PageContents } from '../page-contents.js';
import type { Scheduler } from '../sched.js';
import type { PageStore } from '../struct-page.js';
import type { PageAllocator } from './page-allocator.js';

/** What every subsystem after the page allocator can reach. */
export interface MmServices {
  readonly layout: MemoryLayout;
  readonly pages: PageStore;
  readonly contents: PageContents;
  readonly sched: Scheduler;
  readonly pageAllocator: PageAllocator;
  /** cpu_to_node(): the node a CPU belongs to (numa_node_id() on that CPU), as the page allocator is told too. */
  cpuToNode(cpu: number): number;
  log(level: 'info' | 'warn' | 'err', message: string): void;
}

/** hypervisor-xen: hooks the x86_init.hyper ops the boot path calls. */
export interface Hypervisor {
  readonly name: string;
  /** x86_init.hyper.init_after_bootmem(): boot memory is now in the buddy allocator. */
  initAfterBootmem(services: MmServices): void;
}
export type HypervisorFactory = (services: Omit<MmServices, 'pageAllocator'>) => Hypervisor;

/** slub / slab: see slab-allocator.ts. */

/** cma: contiguous areas allocated by migrating movable pages away. */
export interface ContiguousAllocator {
  cmaAlloc(area: number, count: number, align: number): number;
  cmaRelease(area: number, pfn: number, count: number): boolean;
}
export type ContiguousAllocatorFactory = (services: MmServices) => ContiguousAllocator;

/** memcg: cgroup v2 memory controller. */
export interface MemoryController {
  charge(memcgId: number, nrPages: number, gfp: Gfp): number;
  uncharge(memcgId: number, nrPages: number): void;
  memoryEvents(memcgId: number): string;
  memoryStat(memcgId: number): string;
}
export type MemoryControllerFactory = (services: MmServices) => MemoryController;

/** swap: areas, slots, swap cache, zswap. */
export interface SwapSubsystem {
  swapon(path: string, flags: number): number;
  swapoff(path: string): number;
  procSwaps(): string;
}
export type SwapSubsystemFactory = (services: MmServices) => SwapSubsystem;

/** mmap: address spaces, VMAs, faults, exec. */
export interface AddressSpaces {
  mmap(mm: number, addr: number | bigint, len: number | bigint, prot: number, flags: number, fd: number, off: number | bigint): number;
  munmap(mm: number, addr: number | bigint, len: number | bigint): number;
  handleMmFault(mm: number, addr: number, flags: number): number;
}
export type AddressSpacesFactory = (services: MmServices) => AddressSpaces;

/** gup: get_user_pages and friends. */
export interface UserPagePinning {
  getUserPages(mm: number, start: number, nrPages: number, gupFlags: number, pages: Int32Array): number;
  getUserPagesFast(start: number, nrPages: number, write: boolean, pages: Int32Array): number;
  __getUserPagesFast(start: number, nrPages: number, write: boolean, pages: Int32Array): number;
}
export type UserPagePinningFactory = (services: MmServices & { addressSpaces: AddressSpaces }) => UserPagePinning;

/** hmm: mirror a process's page table for a device. */
export interface HeterogeneousMemory {
  vmaGetPfns(mm: number, start: number, end: number, pfns: Float64Array): number;
  vmaFault(mm: number, start: number, end: number, pfns: Float64Array, block: boolean): number;
}
export type HeterogeneousMemoryFactory = (services: MmServices & { addressSpaces: AddressSpaces }) => HeterogeneousMemory;

/** migrate: page migration, move_pages(2). */
export interface PageMigration {
  migratePages(pfns: readonly number[], targetNid: number, mode: number): number;
  movePages(pid: number, pages: readonly number[], nodes: readonly number[] | null, status: Int32Array, flags: number): number;
}
export type PageMigrationFactory = (services: MmServices) => PageMigration;

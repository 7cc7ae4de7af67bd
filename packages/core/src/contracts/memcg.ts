/**
 * Draft: the cgroup v2 memory controller (mm/memcontrol.c). Implemented by @mmkit/memcg; a
 * charge over memory.high or memory.max reclaims (through the LRU, late-bound) before it fails.
 * The contract returns data; the kernel renders memory.events and memory.stat.
 */
import type { Gfp } from '../units.js';
import type { MmServices } from './services.js';

/** memory.events of one cgroup. */
export interface MemcgEvents {
  readonly low: number;
  readonly high: number;
  readonly max: number;
  readonly oom: number;
  readonly oomKill: number;
}

/** memory.stat of one cgroup: counter name (as the file spells it) to value. */
export type MemcgStat = ReadonlyMap<string, number>;

export interface MemoryController {
  /** mem_cgroup_try_charge(): 0, or -ENOMEM once reclaim cannot make room. */
  charge(memcgId: number, nrPages: number, gfp: Gfp): number;
  uncharge(memcgId: number, nrPages: number): void;
  memoryEvents(memcgId: number): MemcgEvents;
  memoryStat(memcgId: number): MemcgStat;
}
export type MemoryControllerFactory = (services: MmServices) => MemoryController;

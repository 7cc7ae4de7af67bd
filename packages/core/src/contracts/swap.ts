/**
 * Draft: swap areas, slots, the swap cache and zswap (mm/swapfile.c, mm/swap_state.c,
 * mm/zswap.c). Implemented by @mmkit/swap, which also keeps the LRU lists (Lru in rmap.ts).
 * Swap-out unmaps a page through Rmap (late-bound). Returns data; the kernel renders /proc/swaps.
 */
import type { MmServices } from './services.js';

/** One line of /proc/swaps. */
export interface SwapAreaInfo {
  readonly filename: string;
  readonly type: 'partition' | 'file';
  /** Size and used, in KiB. */
  readonly sizeKib: number;
  readonly usedKib: number;
  readonly priority: number;
}

export interface SwapSubsystem {
  /** swapon(2): 0 or -errno. */
  swapon(path: string, flags: number): number;
  /** swapoff(2): 0 or -errno. */
  swapoff(path: string): number;
  areas(): readonly SwapAreaInfo[];
}
export type SwapSubsystemFactory = (services: MmServices) => SwapSubsystem;

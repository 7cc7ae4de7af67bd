/**
 * The swap types of Linux 4.17 (include/linux/swap.h, include/linux/swapops.h): 2^MAX_SWAPFILES_SHIFT
 * types, the top ones taken by the special entries a non-present PTE can hold instead of a swap
 * slot, depending on the configuration:
 * - CONFIG_DEVICE_PRIVATE: SWP_DEVICE_WRITE and SWP_DEVICE_READ (hmm's device-private pages);
 * - CONFIG_MIGRATION: SWP_MIGRATION_READ and SWP_MIGRATION_WRITE (a page under migration);
 * - CONFIG_MEMORY_FAILURE: SWP_HWPOISON (a poisoned page).
 * MAX_SWAPFILES is what is left for swap areas: 32 - 2 - 2 - 1 = 27 with all three, the x86-64
 * distribution configuration of 4.17 and the default here.
 * https://github.com/torvalds/linux/blob/v4.17/include/linux/swap.h#L46-L94
 * For migration and device entries the offset is the pfn of the page (make_migration_entry()).
 */

/** MAX_SWAPFILES_SHIFT. */
export const MAX_SWAPFILES_SHIFT = 5;

export interface SwapTypeConfig {
  /** CONFIG_MIGRATION (default true). */
  readonly migration?: boolean;
  /** CONFIG_MEMORY_FAILURE (default true). */
  readonly memoryFailure?: boolean;
  /** CONFIG_DEVICE_PRIVATE (default true). */
  readonly devicePrivate?: boolean;
}

/** The swap type numbers of a configuration; -1 for an entry kind the configuration lacks. */
export interface SwapTypes {
  /** MAX_SWAPFILES: swap areas may use types 0 .. MAX_SWAPFILES - 1. */
  readonly maxSwapfiles: number;
  readonly SWP_HWPOISON: number;
  readonly SWP_MIGRATION_READ: number;
  readonly SWP_MIGRATION_WRITE: number;
  readonly SWP_DEVICE_WRITE: number;
  readonly SWP_DEVICE_READ: number;
}

export function swapTypes(config: SwapTypeConfig = {}): SwapTypes {
  const hwpoisonNum = (config.memoryFailure ?? true) ? 1 : 0;
  const migrationNum = (config.migration ?? true) ? 2 : 0;
  const deviceNum = (config.devicePrivate ?? true) ? 2 : 0;
  const max = (1 << MAX_SWAPFILES_SHIFT) - deviceNum - migrationNum - hwpoisonNum;
  return {
    maxSwapfiles: max,
    SWP_HWPOISON: hwpoisonNum ? max : -1,
    SWP_MIGRATION_READ: migrationNum ? max + hwpoisonNum : -1,
    SWP_MIGRATION_WRITE: migrationNum ? max + hwpoisonNum + 1 : -1,
    SWP_DEVICE_WRITE: deviceNum ? max + hwpoisonNum + migrationNum : -1,
    SWP_DEVICE_READ: deviceNum ? max + hwpoisonNum + migrationNum + 1 : -1,
  };
}

/** The 4.17 x86-64 configuration's: MAX_SWAPFILES 27, HWPOISON 27, MIGRATION_READ 28, MIGRATION_WRITE 29, DEVICE_WRITE 30, DEVICE_READ 31. */
export const SWAP_TYPES: SwapTypes = swapTypes();

/**
 * createBuddyAllocator(): build the state with the resolved hooks, then run the steps that
 * may call hooks (the boot values of the sysctls), then hand out the allocator object.
 */
import { CMA_POLICIES, type PageAllocatorServices } from '@mmkit/core';
import { BuddyAllocator } from './buddy-allocator.js';
import { DEFAULT_BUDDY_HOOKS, type BuddyHooks } from './hooks.js';
import { BuddyState, INT_MAX, isIntIn } from './state.js';
import { validLowmemReserveRatio } from './watermark-setup.js';

export interface BuddyAllocatorOptions {
  /** The name the allocator reports (default 'buddy'). */
  readonly name?: string;
  /** Hooks that replace 4.17's behaviour (the rest keep DEFAULT_BUDDY_HOOKS). */
  readonly hooks?: Partial<BuddyHooks>;
}

/** The buddy allocator of Linux 4.17, or a variant of it through `options.hooks`. */
export function createBuddyAllocator(services: PageAllocatorServices, options: BuddyAllocatorOptions = {}): BuddyAllocator {
  const { cmaPolicy } = services.config;
  if (cmaPolicy !== undefined && !CMA_POLICIES.includes(cmaPolicy)) {
    throw new RangeError(`cmaPolicy must be ${CMA_POLICIES.map((p) => `'${p}'`).join(' or ')}, got ${typeof cmaPolicy === 'string' ? `'${cmaPolicy}'` : String(cmaPolicy)}`);
  }
  const hooks: BuddyHooks = { ...DEFAULT_BUDDY_HOOKS };
  for (const [name, fn] of Object.entries(options.hooks ?? {})) {
    if (!Object.hasOwn(DEFAULT_BUDDY_HOOKS, name)) throw new TypeError(`createBuddyAllocator: no hook named '${name}' (hooks: ${Object.keys(DEFAULT_BUDDY_HOOKS).join(', ')})`);
    if (fn === undefined) continue; // keeps the default
    if (typeof fn !== 'function') throw new TypeError(`createBuddyAllocator: hook '${name}' is not a function`);
    (hooks as unknown as Record<string, unknown>)[name] = fn;
  }
  const st = new BuddyState(services, hooks, hooks.gfpZone === DEFAULT_BUDDY_HOOKS.gfpZone && hooks.zoneWatermarkFast === DEFAULT_BUDDY_HOOKS.zoneWatermarkFast);
  const { config } = services;
  const wsf = config.watermarkScaleFactor ?? st.watermarkScaleFactor;
  if (!isIntIn(wsf, 1, 1000)) throw new RangeError(`watermark_scale_factor ${wsf} is outside [1, 1000]`);
  st.watermarkScaleFactor = wsf;
  st.lowmemReserveRatio = [...hooks.lowmemReserveRatioDefaults(st)];
  const ratios = config.lowmemReserveRatio ?? st.lowmemReserveRatio;
  if (!validLowmemReserveRatio(st, ratios)) {
    throw new RangeError(`lowmem_reserve_ratio needs ${st.lowmemReserveRatio.length} non-negative integers, got [${ratios.join(', ')}]`);
  }
  st.lowmemReserveRatio = [...ratios];
  if (config.minFreeKbytes !== undefined && !isIntIn(config.minFreeKbytes, 0, INT_MAX)) {
    throw new RangeError(`min_free_kbytes ${config.minFreeKbytes} is not a non-negative integer`);
  }
  return new BuddyAllocator(options.name ?? 'buddy', st);
}

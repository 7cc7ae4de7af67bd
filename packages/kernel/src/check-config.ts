/**
 * checkKernelConfig(): every field of createKernel()'s configuration, checked before anything
 * is built, with the bounds the kernel's own files put on the same settings (the debugfs
 * fault_attr files, the workqueue cpumask). A field another module owns (machine: @mmkit/hw-x86's
 * setupMemory(); likeZoneinfo: parseZoneinfo()) is checked there, with its own error.
 */
import type { KernelConfig } from './kernel-types.js';
import { MAX_LOG_BUF_SHIFT, MIN_LOG_BUF_SHIFT } from './printk.js';
import { FAULT_ATTR_FIELDS, faultAttrProblem } from './fault-inject.js';
import {
  KernelConfigError, configBool, configInt, configObject, configOneOf, describeValue,
} from './config-validation.js';

/** Every field of KernelConfig: a field added to the type must be added (and checked) here. */
const KERNEL_CONFIG_FIELDS: Record<keyof KernelConfig, true> = {
  machine: true, preset: true, likeZoneinfo: true, nrCpus: true, thp: true, pcp: true, sysctl: true, seed: true,
  failPageAlloc: true, pageAllocator: true, addressSpaces: true, slab: true, kasan: true, kasanHooks: true, failslab: true,
  debugForceRrCpu: true, unboundCpumask: true,
  logBufShift: true,
  deferredStructPageInit: true,
  sharedMemory: true,
  debug: true, // checked by resolveDebugConfig() (debugConfigOf() in kernel.ts)
  cma: true, // checked by cmaPolicyOf() (kernel.ts)
};

/** The fields of KernelConfig, each checked here or by the module that owns it. */
export function kernelConfigFields(): (keyof KernelConfig)[] {
  return Object.keys(KERNEL_CONFIG_FIELDS) as (keyof KernelConfig)[];
}

/** KasanHooks (core's slab-allocator contract): what the object allocator calls. */
const KASAN_HOOKS = ['slabFree', 'slabAlloc', 'cacheShutdown'] as const;

/** The most CPUs a kernel simulates. */
export const MAX_NR_CPUS = 256;
/** The seed feeds a 32-bit generator (Prng): larger seeds would alias smaller ones. */
export const MAX_SEED = 2 ** 32 - 1;

/** A fault-injection object's fields, with the bounds of their debugfs files (fault-inject.ts FAULT_ATTR_BOUNDS). */
function checkFaultAttr(what: string, attr: object): void {
  for (const [key, value] of Object.entries(attr)) {
    const problem = value === undefined ? undefined : faultAttrProblem(what, key, value);
    if (problem) throw new KernelConfigError(problem);
  }
}

/** Refuse a configuration createKernel() cannot boot from (a KernelConfigError, one line). */
export function checkKernelConfig(config: KernelConfig): void {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new KernelConfigError(`the kernel configuration must be an object, got ${describeValue(config)}`);
  }
  configObject('the kernel configuration', config, Object.keys(KERNEL_CONFIG_FIELDS) as (keyof KernelConfig)[]);
  if (config.preset !== undefined && typeof config.preset !== 'string') throw new KernelConfigError(`preset must be a string, got ${describeValue(config.preset)}`);
  if (config.likeZoneinfo !== undefined && typeof config.likeZoneinfo !== 'string') {
    throw new KernelConfigError(`likeZoneinfo must be the text of a /proc/zoneinfo (a string), got ${describeValue(config.likeZoneinfo)}`);
  }
  if (config.machine !== undefined && (typeof config.machine !== 'object' || config.machine === null || Array.isArray(config.machine))) {
    throw new KernelConfigError(`machine must be an object, got ${describeValue(config.machine)}`);
  }
  configInt('nrCpus', config.nrCpus, { min: 1, max: MAX_NR_CPUS });
  configOneOf('thp', config.thp, ['always', 'madvise', 'never']);
  configBool('pcp', config.pcp);
  configInt('seed', config.seed, { min: 0, max: MAX_SEED });
  configInt('logBufShift', config.logBufShift, { min: MIN_LOG_BUF_SHIFT, max: MAX_LOG_BUF_SHIFT });
  configBool('debugForceRrCpu', config.debugForceRrCpu);
  configBool('deferredStructPageInit', config.deferredStructPageInit);
  configBool('sharedMemory', config.sharedMemory);
  if (config.sysctl !== undefined) {
    const sysctl: unknown = config.sysctl;
    if (typeof sysctl !== 'object' || sysctl === null || Array.isArray(sysctl)) {
      throw new KernelConfigError(`sysctl must be an object of names and values (like { 'vm.min_free_kbytes': 65536 }), got ${describeValue(sysctl)}`);
    }
    for (const [name, value] of Object.entries(sysctl)) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isSafeInteger(value))) {
        throw new KernelConfigError(`sysctl ${name}: the value must be an integer or a string, got ${describeValue(value)}`);
      }
    }
  }
  const fpa = configObject('failPageAlloc', config.failPageAlloc, [...FAULT_ATTR_FIELDS, 'ignoreGfpWait', 'ignoreGfpHighmem', 'minOrder']);
  if (fpa) {
    checkFaultAttr('failPageAlloc', fpa);
  }
  const fs = configObject('failslab', config.failslab, [...FAULT_ATTR_FIELDS, 'ignoreGfpWait', 'cacheFilter']);
  if (fs) {
    checkFaultAttr('failslab', fs);
  }
  if (config.kasan !== undefined && typeof config.kasan !== 'boolean') {
    if (typeof config.kasan !== 'object' || config.kasan === null || Array.isArray(config.kasan)) {
      throw new KernelConfigError(`kasan must be true, false or { quarantineBytes }, got ${describeValue(config.kasan)}`);
    }
    const kasan = configObject('kasan', config.kasan, ['quarantineBytes']);
    configInt('kasan.quarantineBytes', kasan?.quarantineBytes, { min: 0 });
  }
  if (config.kasanHooks !== undefined) {
    const hooks: unknown = config.kasanHooks;
    if (typeof hooks !== 'object' || hooks === null) throw new KernelConfigError(`kasanHooks must be an object of KASAN hooks, got ${describeValue(hooks)}`);
    const missing = KASAN_HOOKS.filter((h) => typeof (hooks as Record<string, unknown>)[h] !== 'function');
    if (missing.length > 0) throw new KernelConfigError(`kasanHooks must have the functions ${KASAN_HOOKS.join(', ')}; missing: ${missing.join(', ')}`);
  }
  if (config.pageAllocator !== undefined && typeof config.pageAllocator !== 'function') {
    throw new KernelConfigError(`pageAllocator must be a factory function, got ${describeValue(config.pageAllocator)}`);
  }
  if (config.addressSpaces !== undefined && typeof config.addressSpaces !== 'function') {
    throw new KernelConfigError(`addressSpaces must be a factory function, got ${describeValue(config.addressSpaces)}`);
  }
  if (config.slab !== undefined && typeof config.slab !== 'function' && config.slab !== 'slub' && config.slab !== 'slab') {
    throw new KernelConfigError(`slab must be 'slub', 'slab' or a factory, got ${describeValue(config.slab)}`);
  }
}

/** workqueue.unbound_cpumask: at least one CPU, each in [0, nrCpus). */
export function checkUnboundCpumask(mask: unknown, nrCpus: number): void {
  if (mask === undefined) return;
  if (!Array.isArray(mask) || mask.length === 0 || !mask.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < nrCpus)) {
    throw new KernelConfigError(`unboundCpumask must list at least one CPU in [0, ${nrCpus - 1}], got ${Array.isArray(mask) ? JSON.stringify(mask) : describeValue(mask)}`);
  }
}

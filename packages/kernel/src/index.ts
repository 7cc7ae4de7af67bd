export { createKernel, resolveLayout } from './kernel.js';
export { kernelConfigFields } from './check-config.js';
export { checkSimulatable, simulationBytes, ALLOCATOR_BYTES_PER_PAGE } from './host-limits.js';
export { KernelConfigError, configBool, configInt, configNumber, configObject, configOneOf, describeValue, ownEntry, type IntRange } from './config-validation.js';
export type { Kernel, KernelConfig, ThpMode, SlabReport, KasanState } from './kernel-types.js';
export { Process, MAX_ACCESS_BYTES, type AccessFault, type ReadResult, type WriteResult, type SpawnLayout, type SpawnOptions } from './process.js';
export { renderPidStatus, renderTaskMem } from './proc/pid-status.js';
export { defaultFailPageAlloc, defaultFailslab, shouldFail, shouldFailAllocPage, shouldFailslab, type FaultAttr, type FailPageAlloc, type Failslab } from './fault-inject.js';
export { Kasan, QUARANTINE_FRACTION } from './kasan.js';
export { renderSlabinfo } from './proc/slabinfo.js';
export { checkInvariants, type InvariantViolation } from './invariants.js';
export { renderZoneinfo, calculateNormalThreshold } from './proc/zoneinfo.js';
export { renderBuddyinfo } from './proc/buddyinfo.js';
export { renderMeminfo, siMemAvailable, directMapPages } from './proc/meminfo.js';
export { parseIntList, sysctlPath } from './sysctl.js';
/** The default implementation of each subsystem, for callers that replace one and keep the rest. */
export { createBuddyAllocator as defaultPageAllocator } from '@mmkit/buddy';
export { PRESETS, presetByName, presetNames } from '@mmkit/hw-x86';
export { DEFAULT_LOG_BUF_SHIFT, LogBuffer, msgUsedSize } from './printk.js';

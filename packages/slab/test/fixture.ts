/**
 * A SLAB allocator on core's test machine, with the misuse reports collected. Tests only: it
 * lives in test/, outside the published files.
 */
import type { DebugOptions, Gfp, KasanHooks, KmemCache, ObjAddr, SlabAllocatorServices, SlabErrorKind } from '@mmkit/core';
import { createTestMachine, type TestMachine } from '@mmkit/core/testing';
import { createSlabAllocator, type Slab, type SlabHooks } from '../src/index.js';

export interface SlabReport {
  readonly kind: SlabErrorKind;
  readonly cache: string | undefined;
  readonly addr: ObjAddr;
  readonly message: string;
}

export interface SlabFixture {
  readonly m: TestMachine;
  readonly slab: Slab;
  readonly reports: SlabReport[];
  /** Fail the next allocations of caches named so (should_failslab). */
  readonly failSlab: Set<string>;
}

export function createFixture(
  options: {
    nrPages?: number;
    nrCpus?: number;
    hz?: number;
    debugForceRrCpu?: boolean;
    kasan?: KasanHooks;
    /** Hook overrides for createSlabAllocator(). */
    hooks?: Partial<SlabHooks>;
    /** Build the allocator some other way (a variant wrapping the factory). */
    make?: (services: SlabAllocatorServices) => Slab;
    /** The debugging configuration (CONFIG_DEBUG_VM, ...; default 4.17's: off). */
    debug?: DebugOptions;
  } = {},
): SlabFixture {
  const m = createTestMachine({ nrPages: options.nrPages, nrCpus: options.nrCpus ?? 2, hz: options.hz, debugForceRrCpu: options.debugForceRrCpu, debug: options.debug });
  const reports: SlabReport[] = [];
  const failSlab = new Set<string>();
  const services = {
    ...m,
    kasan: options.kasan,
    shouldFailSlab: (cache: KmemCache, _gfp: Gfp) => failSlab.has(cache.name),
    slabError: (kind: SlabErrorKind, cache: KmemCache | undefined, addr: ObjAddr, message: string) => void reports.push({ kind, cache: cache?.name, addr, message }),
  };
  const slab = options.make ? options.make(services) : createSlabAllocator(services, { hooks: options.hooks });
  slab.bootstrap(); // kmem_cache_init()'s allocations, as the kernel runs them once memory is up
  return { m, slab, reports, failSlab };
}

/** Write a recognisable pattern into an object. */
export function fillPattern(m: TestMachine, addr: number, len: number, seed: number): void {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  m.phys.write(addr, b);
}

export function checkPattern(m: TestMachine, addr: number, len: number, seed: number): boolean {
  const b = new Uint8Array(len);
  m.phys.read(addr, b);
  for (let i = 0; i < len; i++) if (b[i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

/**
 * A test machine with the services SLUB needs, recording every slab error report. Test-only:
 * it lives outside src/, so it is neither built nor published.
 */
import type { DebugOptions, KasanHooks, KmemCache, SlabAllocatorServices, SlabErrorKind } from '@mmkit/core';
import { createTestMachine, type TestMachine } from '@mmkit/core/testing';
import type { SlubHooks } from '../src/hooks.js';
import { createSlubAllocator } from '../src/index.js';
import type { Slub } from '../src/slub.js';

export interface Report {
  readonly kind: SlabErrorKind;
  readonly cache: string | undefined;
  readonly addr: number;
  readonly message: string;
}

export interface Fixture {
  readonly machine: TestMachine;
  readonly services: SlabAllocatorServices;
  readonly slub: Slub;
  readonly reports: Report[];
  /** Caches for which should_failslab() answers true. */
  readonly failing: Set<string>;
  /** Pages the allocator holds after kmem_cache_init(): the slabs of kmem_cache and kmem_cache_node. */
  readonly bootPages: number;
}

export function createFixture(options: { nrCpus?: number; nrPages?: number; kasan?: KasanHooks; hooks?: Partial<SlubHooks>; make?: (s: SlabAllocatorServices) => Slub; debug?: DebugOptions } = {}): Fixture {
  const machine = createTestMachine({ nrCpus: options.nrCpus ?? 2, nrPages: options.nrPages ?? 16384, debug: options.debug });
  const reports: Report[] = [];
  const failing = new Set<string>();
  const services: SlabAllocatorServices = {
    ...machine,
    kasan: options.kasan,
    shouldFailSlab: (cache: KmemCache) => failing.has(cache.name),
    slabError: (kind, cache, addr, message) => void reports.push({ kind, cache: cache?.name, addr, message }),
  };
  const slub = options.make ? options.make(services) : createSlubAllocator(services, { hooks: options.hooks });
  slub.bootstrap(); // kmem_cache_init()'s allocations, as the kernel runs them once memory is up
  return { machine, services, slub, reports, failing, bootPages: machine.allocatedPages() };
}

/**
 * The contracts the grader knows: for each, its suite, its rules, how to identify an
 * implementation (name and `supports` manifest) and what to measure after the suite.
 */
import type { PageAllocatorFactory, SlabAllocatorFactory } from '@mmkit/core';
import { createKernel } from '@mmkit/kernel';
import { rulesForContract, type Rule } from '../rules/index.js';
import type { Suite } from '../suite.js';
import { pageAllocatorSuite } from '../contracts/page-allocator/suite/index.js';
import { slabAllocatorFeatures, slabAllocatorSuite } from '../contracts/slab-allocator/suite/index.js';
import { measureFragmentation, measureSlabThroughput, measureThroughput } from './bench.js';
import type { ContractId, Fragmentation, GradeContract, SlabThroughput, Throughput } from './types.js';

export interface ContractBench {
  throughput?: Throughput;
  fragmentation?: Fragmentation;
  slabThroughput?: SlabThroughput;
}

export interface ContractSpec<F> {
  readonly id: ContractId;
  readonly suite: Suite<F>;
  readonly rules: readonly Rule[];
  /** What "no module" grades. */
  readonly defaultImplementation: string;
  /** Boot a small kernel around the implementation: its name and its features. */
  identify(factory: F | undefined): { implementation: string; supports: Record<string, boolean> };
  bench(factory: F | undefined, seed: number): ContractBench;
}

const MiB = 2 ** 20;

const PAGE_ALLOCATOR: ContractSpec<PageAllocatorFactory> = {
  id: 'page-allocator',
  suite: pageAllocatorSuite,
  rules: rulesForContract('page-allocator'),
  defaultImplementation: 'kernel default (@mmkit/buddy)',
  identify(factory) {
    const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pageAllocator: factory });
    return { implementation: k.pageAllocator.name, supports: { ...k.pageAllocator.supports } };
  },
  bench: (factory, seed) => ({ throughput: measureThroughput(factory), fragmentation: measureFragmentation(factory, seed) }),
};

const SLAB_ALLOCATOR: ContractSpec<SlabAllocatorFactory> = {
  id: 'slab-allocator',
  suite: slabAllocatorSuite,
  rules: rulesForContract('slab-allocator'),
  defaultImplementation: 'kernel default (@mmkit/slub)',
  identify(factory) {
    const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', slab: factory ?? 'slub' });
    return { implementation: k.slab.name, supports: slabAllocatorFeatures(k.slab) };
  },
  bench: (factory) => ({ slabThroughput: measureSlabThroughput(factory) }),
};

/** The canonical id of a contract name, or undefined. */
export function resolveContract(name: string): ContractId | undefined {
  if (name === 'page-allocator' || name === 'buddy') return 'page-allocator';
  if (name === 'slab-allocator') return 'slab-allocator';
  return undefined;
}

/** Every name the grader accepts. */
export const CONTRACT_NAMES: readonly GradeContract[] = ['buddy', 'page-allocator', 'slab-allocator'];

export function contractSpec(id: ContractId): ContractSpec<unknown> {
  return id === 'page-allocator' ? PAGE_ALLOCATOR : SLAB_ALLOCATOR;
}

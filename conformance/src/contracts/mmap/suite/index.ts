/**
 * The mmap suite: cases written against the AddressSpaces contract and the kernel API only. Each
 * boots a small kernel around the implementation under test and checks what Linux 4.17 does.
 */
import { createKernel } from '@mmkit/kernel';
import type { AddressSpaces } from '@mmkit/core';
import type { FeatureSet, Suite } from '../../../suite.js';
import { MMAP_RULES } from '../rules.js';
import { MiB, type AddressSpacesUnderTest } from './helpers.js';
import { faultCases } from './fault-cases.js';
import { mmapCases } from './mmap-cases.js';
import { vmaCases } from './vma-cases.js';

export type { AddressSpacesUnderTest } from './helpers.js';

/** What an implementation declares: mremap, madvise and faults (pageFault() and fork()) are optional parts of the contract. */
export function addressSpacesFeatures(as: AddressSpaces): Record<string, boolean> {
  return { mremap: Boolean(as.supports?.mremap), madvise: Boolean(as.supports?.madvise), faults: Boolean(as.supports?.faults) };
}

/** The address spaces of a small kernel around factory (undefined: the kernel's default). */
export function bootAddressSpaces(factory: AddressSpacesUnderTest): AddressSpaces {
  const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pcp: false, ...(factory ? { addressSpaces: factory } : {}) });
  if (!k.addressSpaces) throw new Error('the kernel has no address spaces');
  return k.addressSpaces;
}

export const mmapSuite: Suite<AddressSpacesUnderTest> = {
  contract: 'mmap',
  rules: MMAP_RULES,
  cases: [...mmapCases, ...vmaCases, ...faultCases],
  probe(factory: AddressSpacesUnderTest): FeatureSet {
    return addressSpacesFeatures(bootAddressSpaces(factory));
  },
};

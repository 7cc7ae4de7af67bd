/** The mmap contract: address spaces (mm/mmap.c, mm/mremap.c, mm/mprotect.c, mm/madvise.c). */
import type { AddressSpacesFactory } from '@mmkit/core';
import { defineContract } from '../../contract.js';
import { MMAP_RULES } from './rules.js';
import { addressSpacesFeatures, bootAddressSpaces, mmapSuite } from './suite/index.js';

export default defineContract<AddressSpacesFactory>({
  id: 'mmap',
  aliases: ['address-spaces'],
  title: 'address spaces: mmap, munmap, mprotect, mremap, brk, madvise and the VMAs (mm/mmap.c)',
  core: { contract: 'AddressSpaces', factory: 'AddressSpacesFactory', file: 'packages/core/src/contracts/mmap.ts' },
  implementations: ['@mmkit/mmap'],
  rules: MMAP_RULES,
  suite: mmapSuite,
  factoryExports: ['createAddressSpaces'],
  factoryPattern: /^create\w*AddressSpaces$/,
  defaultImplementation: 'kernel default (@mmkit/mmap)',
  identify(factory) {
    const as = bootAddressSpaces(factory);
    return { implementation: as.name, supports: addressSpacesFeatures(as) };
  },
  assemble: (factory) => ({ addressSpaces: factory }),
  bench: () => ({}),
  mutants: async () => (await import('./mutants.js')).MMAP_MUTANTS.filter((m) => m.contract === 'mmap'),
});

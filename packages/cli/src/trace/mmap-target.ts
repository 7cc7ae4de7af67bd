/**
 * The replay's model: an mm of an `AddressSpaces` implementation (@mmkit/mmap by default),
 * created from initial.maps, with the replay's files installed in its file table.
 */
import { formatMaps, type AddressSpaces, type FileIdentity as MmFile } from '@mmkit/core';
import { errnoName } from './linux-abi.js';
import type { FileIdentity, ReplaySetup, ReplayTarget, ReplayTargetFactory } from './replay.js';

const O_RDONLY = 0;
const O_RDWR = 2;

/** A number for the contract's `number` arguments: exact below 2^53 (every address and flag set strace shows). */
function num(v: bigint): number {
  return Number(v);
}

/** int arguments (fd, advice): the low 32 bits, signed, as the kernel reads them. */
function int(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** The target on `as`: an mm created from initial.maps with the replay's first break. */
export function addressSpaceTarget(as: AddressSpaces, setup: ReplaySetup): ReplayTarget {
  const params = setup.brk.end > 0n ? { startBrk: num(setup.brk.start), brk: num(setup.brk.end) } : {};
  const mm = as.mmCreateFromMaps(setup.initialMaps, params);
  if (Number(mm) < 0) throw new Error(`mmCreateFromMaps: -${errnoName(-Number(mm))}`);
  return {
    installFile(fd: number, f: FileIdentity): void {
      const file: MmFile = {
        path: f.path,
        major: f.major,
        minor: f.minor,
        inode: num(f.inode),
        size: num(f.size),
        accessMode: f.writable ? O_RDWR : O_RDONLY,
      };
      const r = as.fdInstall(mm, fd, file);
      if (r < 0) throw new Error(`fdInstall(${fd}, ${f.path}): -${errnoName(-r)}`);
    },
    closeFile(fd: number): void {
      as.fdClose(mm, fd);
    },
    call(name: string, a: readonly bigint[]): bigint | undefined {
      switch (name) {
        case 'mmap':
          return BigInt(as.mmap(mm, a[0], a[1], num(a[2]), num(a[3]), int(a[4]), a[5]));
        case 'munmap':
          return BigInt(as.munmap(mm, a[0], a[1]));
        case 'mprotect':
          return BigInt(as.mprotect(mm, a[0], a[1], num(a[2])));
        case 'mremap':
          return BigInt(as.mremap(mm, a[0], a[1], a[2], num(a[3]), a[4]));
        case 'brk':
          return BigInt(as.brk(mm, a[0]));
        case 'madvise':
          return BigInt(as.madvise(mm, a[0], a[1], int(a[2])));
        // mlock(2) and friends: an implementation with faults (supports.faults) has them.
        case 'mlock':
          return as.supports.faults ? BigInt(as.mlock(mm, a[0], a[1], 0)) : undefined;
        case 'mlock2':
          return as.supports.faults ? BigInt(as.mlock(mm, a[0], a[1], int(a[2]))) : undefined;
        case 'munlock':
          return as.supports.faults ? BigInt(as.munlock(mm, a[0], a[1])) : undefined;
        default:
          return undefined;
      }
    },
    maps(): string {
      return formatMaps(as.maps(mm));
    },
  };
}

/** Factories of `AddressSpaces` the replay can run on: @mmkit/mmap's, booted by the kernel. */
export function mmapTargetFactory(addressSpaces: () => AddressSpaces): ReplayTargetFactory {
  return (setup) => addressSpaceTarget(addressSpaces(), setup);
}

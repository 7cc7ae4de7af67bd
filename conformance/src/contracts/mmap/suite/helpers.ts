/** What the mmap cases share: a kernel around the implementation under test, an mm, a file. */
import { O_RDONLY, type AddressSpaces, type AddressSpacesFactory, type FileIdentity, type MmId, type MmParams } from '@mmkit/core';
import { createKernel, type Kernel } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { CaseContext } from '../../../suite.js';

export type AddressSpacesUnderTest = AddressSpacesFactory | undefined;
export type Ctx = CaseContext<AddressSpacesUnderTest>;

export const MiB = 2 ** 20;
export const PAGE = 4096;
/** An address far from everything exec and the search use. */
export const BASE = 0x400000000;

export interface Booted {
  readonly k: Kernel;
  readonly as: AddressSpaces;
  readonly mm: MmId;
}

/** A small kernel around the implementation under test, and an empty mm with these parameters. */
export function boot(ctx: Ctx, params: MmParams = {}): Booted {
  const k = createKernel({ machine: { mem: 64 * MiB }, nrCpus: 1, thp: 'never', pcp: false, ...(ctx.factory ? { addressSpaces: ctx.factory } : {}) });
  const as = k.addressSpaces;
  if (!as) assert.fail('the kernel has no address spaces (subsystems.addressSpaces)');
  const mm = as.mmCreate(params);
  if (mm <= 0) assert.fail(`mmCreate() returned ${mm} on a machine with free memory`);
  return { k, as, mm };
}

export function file(over: Partial<FileIdentity> = {}): FileIdentity {
  return { path: '/data/file', major: 8, minor: 1, inode: 1234, size: MiB, accessMode: O_RDONLY, ...over };
}

/** The VMAs as "start-end rwxp offset name" lines (hex), from maps(). */
export function lines(as: AddressSpaces, mm: MmId): string[] {
  return as.maps(mm).map((e) => `${e.start.toString(16)}-${e.end.toString(16)} ${e.read ? 'r' : '-'}${e.write ? 'w' : '-'}${e.exec ? 'x' : '-'}${e.mayshare ? 's' : 'p'} ${e.offset.toString(16)} ${e.name}`.trimEnd());
}

/** mmap() that must succeed at exactly addr. */
export function mapAt(as: AddressSpaces, mm: MmId, addr: number, len: number, prot: number, flags: number, fd = -1, off = 0): void {
  const got = as.mmap(mm, addr, len, prot, flags, fd, off);
  assert.equal(got, addr, `mmap(0x${addr.toString(16)}, ${len}, ${prot}, 0x${flags.toString(16)}, ${fd}, ${off})`);
}

/** The number of VMAs (the lines of maps() that lie below TASK_SIZE). */
export function vmaCount(as: AddressSpaces, mm: MmId): number {
  return as.maps(mm).filter((e) => e.start < 2 ** 47).length;
}

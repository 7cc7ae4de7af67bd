// The measurements of address-space-gc.test.ts, in a process of their own: vitest runs test files
// in one reused worker (isolate: false), where other files' calls into the same functions change
// V8's inlining, and with it what is boxed. Prints one JSON line.
import { createKernel } from '@mmkit/kernel';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, O_RDWR, PROT_READ, PROT_WRITE } from '@mmkit/core';
import { countGc, countGcOver, warmUp } from '../bench/gc.js';
import { AS_LOOP, anonFaultLoop } from '../bench/address-spaces.js';

const PAGE = 4096;
const GIB = 2 ** 30;
const faults = Number(process.argv[2]);
/**
 * `high`: a machine whose memory above 4 GiB (ZONE_NORMAL, where GFP_KERNEL page tables come from)
 * is the gigabyte at 32 GiB, so every page-table page sits above 16 GiB, where its physical
 * address / 8 is no int32 (512 MiB below 4 GiB for DMA and DMA32). Its struct pages are resident
 * only where written.
 */
const high = process.argv[3] === 'high';
const HIGH_E820 = [
  { addr: 0, size: 0x9f000, type: 'usable' },
  { addr: 0x100000, size: GIB / 2 - 0x100000, type: 'usable' },
  { addr: 32 * GIB, size: GIB, type: 'usable' },
] as const;
const create: typeof createKernel = (o = {}) => createKernel(high ? { ...o, machine: { e820: [...HIGH_E820] } } : o);

const faultLoop = anonFaultLoop(create);
warmUp(faultLoop, 16);
const faultGc = await countGcOver(faultLoop, AS_LOOP, faults);

const k = create({ machine: { mem: GIB }, thp: 'never' });
const as = k.addressSpaces!;
const mm = as.mmCreate({ maxMapCount: 65530 });
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
for (let i = 0; i < 10_000; i++) as.mmap(mm, 0, PAGE, i & 1 ? PROT_READ : RW, ANON, -1, 0);

/** Young-generation bytes per call of `loop` (AS_LOOP calls), null when a scavenge ran: `before` and `after` run around each round, unmeasured. */
async function bytesPerCall(before: () => void, loop: () => void, after: () => void): Promise<number | null> {
  // Until V8 has compiled them (a round of 8 loops then allocates no more than a return value a call).
  warmUp(() => (before(), loop(), after()), 8, 8 * AS_LOOP * 24, 50);
  let bytes: number | null = 0;
  const rounds = 8;
  for (let r = 0; r < rounds; r++) {
    before();
    const g = await countGc(loop);
    after();
    bytes = g.youngBytes === null || bytes === null ? null : bytes + g.youngBytes;
  }
  return bytes === null ? null : bytes / (rounds * AS_LOOP);
}
const nothing = () => {};

// mmap() and munmap(), the contract's calls: mmap() returns its address, a HeapNumber above 2^31. Tagged elements:
// the addresses stay the HeapNumbers mmap() returned, so passing them back to munmap() boxes nothing here.
const held = new Array<unknown>(AS_LOOP).fill(null) as number[];
const maps = () => {
  for (let i = 0; i < AS_LOOP; i++) held[i] = as.mmap(mm, 0, PAGE, RW, ANON, -1, 0);
};
const unmaps = () => {
  for (let i = 0; i < AS_LOOP; i++) as.munmap(mm, held[i], PAGE);
};
const bytesPerMmap = await bytesPerCall(nothing, maps, unmaps);
const bytesPerMunmap = await bytesPerCall(maps, unmaps, nothing);

// The same path without the return value's box: mmapHalves() (@mmkit/mmap's own API) answers the address in a typed array.
const impl = as as unknown as {
  mmapHalves(mm: number, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, prot: number, flags: number, fd: number, pgoffHigh: number, pgoffLow: number): number;
  mmStruct(mm: number): { pgd: number; vmas: { addrOut: Float64Array } } | undefined;
};
const out = impl.mmStruct(mm)!.vmas.addrOut;
const got = new Float64Array(AS_LOOP);
const unmapGot = () => {
  for (let i = 0; i < AS_LOOP; i++) as.munmap(mm, got[i], PAGE);
};
const FD = 3;
as.fdInstall(mm, FD, { path: '/data', major: 8, minor: 1, inode: 12, size: 2 ** 30, accessMode: O_RDWR });
// A hint (free, so taken) every other page above 4 GiB; MAP_FIXED over live mappings (do_munmap() inside mmap_region());
// a shared file mapping at every other page offset.
// (Hints at 4 GiB + 2 pages * i: high half 1; MAP_FIXED at 8 GiB: high half 2; the top-down mappings are near 2^47.)
if (as.mmap(mm, 2 ** 33, AS_LOOP * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0) !== 2 ** 33) throw new Error('the MAP_FIXED range could not be mapped');
const cases: Record<string, () => void> = {
  anonymous: () => {
    for (let i = 0; i < AS_LOOP; i++) if (impl.mmapHalves(mm, 0, 0, 0, PAGE, RW, ANON, -1, 0, 0) === 0) got[i] = out[0];
  },
  hint: () => {
    for (let i = 0; i < AS_LOOP; i++) if (impl.mmapHalves(mm, 1, 2 * PAGE * i, 0, PAGE, RW, ANON, -1, 0, 0) === 0) got[i] = out[0];
  },
  fixed: () => {
    for (let i = 0; i < AS_LOOP; i++) impl.mmapHalves(mm, 2, PAGE * i, 0, PAGE, i & 1 ? PROT_READ : RW, ANON | MAP_FIXED, -1, 0, 0);
  },
  file: () => {
    for (let i = 0; i < AS_LOOP; i++) if (impl.mmapHalves(mm, 0, 0, 0, PAGE, RW, MAP_SHARED, FD, 0, 2 * i) === 0) got[i] = out[0];
  },
};
const internal: Record<string, number | null> = {};
for (const [name, loop] of Object.entries(cases)) internal[name] = await bytesPerCall(nothing, loop, name === 'fixed' ? nothing : unmapGot);

console.log(JSON.stringify({ faults: faultGc, bytesPerMmap, bytesPerMunmap, internal, pgd: impl.mmStruct(mm)!.pgd }));

// The measurements of address-space-gc.test.ts, in a process of their own: vitest runs test files
// in one reused worker (isolate: false), where other files' calls into the same functions change
// V8's inlining, and with it what is boxed. Prints one JSON line.
import { createKernel } from '@mmkit/kernel';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '@mmkit/core';
import { countGc, countGcOver, warmUp } from '../bench/gc.js';
import { AS_LOOP, anonFaultLoop } from '../bench/address-spaces.js';

const PAGE = 4096;
const faults = Number(process.argv[2]);

const faultLoop = anonFaultLoop(createKernel);
warmUp(faultLoop, 16);
const faultGc = await countGcOver(faultLoop, AS_LOOP, faults);

const k = createKernel({ machine: { mem: 2 ** 30 }, thp: 'never' });
const as = k.addressSpaces!;
const mm = as.mmCreate({ maxMapCount: 65530 });
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
for (let i = 0; i < 10_000; i++) as.mmap(mm, 0, PAGE, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE, ANON, -1, 0);
// Tagged elements: the addresses stay the HeapNumbers mmap() returned, so passing them back to munmap() boxes nothing here.
const held: unknown[] = new Array<unknown>(AS_LOOP).fill(null);
const maps = () => {
  for (let i = 0; i < AS_LOOP; i++) held[i] = as.mmap(mm, 0, PAGE, PROT_READ | PROT_WRITE, ANON, -1, 0);
};
const unmaps = () => {
  for (let i = 0; i < AS_LOOP; i++) as.munmap(mm, held[i] as number, PAGE);
};
// Until V8 has compiled both (a round of 8 loops then allocates no more than mmap's known boxes).
warmUp(() => (maps(), unmaps()), 8, 8 * AS_LOOP * 100, 50);
let mapBytes: number | null = 0;
let unmapBytes: number | null = 0;
const rounds = 8;
for (let r = 0; r < rounds; r++) {
  const m = await countGc(maps);
  const u = await countGc(unmaps);
  mapBytes = m.youngBytes === null || mapBytes === null ? null : mapBytes + m.youngBytes;
  unmapBytes = u.youngBytes === null || unmapBytes === null ? null : unmapBytes + u.youngBytes;
}
const calls = rounds * AS_LOOP;
console.log(JSON.stringify({
  faults: faultGc,
  bytesPerMmap: mapBytes === null ? null : mapBytes / calls,
  bytesPerMunmap: unmapBytes === null ? null : unmapBytes / calls,
}));

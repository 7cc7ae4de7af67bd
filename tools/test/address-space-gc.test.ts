// The address-space hot paths allocate no JavaScript objects per operation (issue 13): V8 boxes a
// number that is no int32 (a 47-bit address, a page-table entry with NX in bit 63) as a heap
// object (a HeapNumber, 16 bytes) each time it crosses a call V8 has not inlined, so the arch
// contract carries int32s (entries as two words, addresses as vaHigh()/vaLow() halves,
// free_pgd_range() in PMDs). Measured as hot-paths-gc.test.ts measures the allocators
// (tools/bench/gc.ts): after a warm-up, on an emptied young generation, V8's own counts, in a
// child process (address-space-gc-child.ts says why). Before the int32 contract (e756d6b): 195
// bytes per anonymous write fault (scavenges every few tens of thousands), 99-131 per munmap,
// 51-83 per mmap; before mmap's own halves (3a98dde): 51-84 per anonymous mmap, 68 with a hint,
// 180 per file mapping (BigInt arithmetic in file_mmap_ok()). Measured on a machine whose page
// tables sit above 16 GiB of physical memory (the child's `high` machine): with slots named by
// the entry's physical address / 8 (before table numbers, fc92e7b) every slot there was a double,
// and it boxed: 3 scavenges in 100,000 faults, 18.8 bytes per munmap and per MAP_FIXED mmap. Slots
// are table numbers * 512 + index now, the same int32s wherever the tables sit, so the default
// machine (tables below 16 GiB) takes the same paths with the same kind of numbers.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GcCount } from '../bench/gc.js';

/** Faults counted: 100,000 (a box per fault would be 1.6 MiB and more). */
const FAULTS = 100 * 1024;
const MAX_YOUNG_BYTES = 512 * 1024;

describe('address spaces make no garbage per operation', () => {
  it(`${FAULTS} anonymous write faults, munmap and mmap with 10,000 VMAs, page tables above 16 GiB: no box per fault, munmap or mmap but mmap()'s returned address`, () => {
    const child = fileURLToPath(new URL('./address-space-gc-child.ts', import.meta.url));
    // --no-concurrent-recompilation: V8 optimizes on the main thread when a function gets hot, so
    // the warm-up ends in optimized code however loaded the machine is (a fresh-clone CI run, its
    // compiler threads starved, measured munmap before TurboFan had installed it: 20 bytes a call).
    const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', '--conditions=source', '--import', 'tsx', child, String(FAULTS), 'high'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      faults: GcCount & { ops: number }; bytesPerMmap: number | null; bytesPerMunmap: number | null; internal: Record<string, number | null>; pgd: number;
    };
    expect(out.pgd, 'the pgd is above 16 GiB (pfn 2^22)').toBeGreaterThanOrEqual(2 ** 22);
    expect(out.faults.ops).toBeGreaterThanOrEqual(FAULTS);
    expect(out.faults.scavenges, `scavenges over ${out.faults.ops} faults`).toBe(0);
    expect(out.faults.markSweeps, `mark-sweeps over ${out.faults.ops} faults`).toBe(0);
    // What is left is the fault loop's own mmap() and munmap(), once per 512 faults.
    expect(out.faults.youngBytes, `bytes allocated over ${out.faults.ops} faults`).toBeLessThanOrEqual(MAX_YOUNG_BYTES);
    expect(out.bytesPerMunmap, 'a scavenge ran in a round of 512 munmap calls').not.toBeNull();
    expect(out.bytesPerMunmap!, 'bytes per munmap (a box is 16)').toBeLessThanOrEqual(8);
    // mmap() returns the address, a HeapNumber (16 bytes) made at the contract's boundary; nothing else.
    expect(out.bytesPerMmap, 'a scavenge ran in a round of 512 mmap calls').not.toBeNull();
    expect(out.bytesPerMmap!, 'bytes per mmap (its returned address is 16)').toBeLessThanOrEqual(16 + 8);
    // The path below the boundary (mmapHalves(), the address in a typed array): nothing, anonymous (top-down),
    // at a free hint, MAP_FIXED over live mappings, and a shared file mapping.
    expect(Object.keys(out.internal).sort()).toEqual(['anonymous', 'file', 'fixed', 'hint']);
    for (const [name, bytes] of Object.entries(out.internal)) {
      expect(bytes, `a scavenge ran in a round of 512 ${name} mmap calls`).not.toBeNull();
      expect(bytes!, `bytes per ${name} mmap below the boundary`).toBeLessThanOrEqual(8);
    }
  }, 60_000);
});

/**
 * How the seed-22g preset was sized: which kernel image sizes (DMA32) and node-0 boot
 * reservations (Node 0 Normal) make the 22 GiB, numa=fake=2, 100 MiB CMA machine give the
 * changelog's min watermark tables for min_free_kbytes 112640 and 90112.
 *
 *   node --conditions=source --import tsx packages/hw-x86/scripts/seed-22g-search.ts
 *
 * The kernel image only takes pages from DMA32 and the node-0 block only from Node 0 Normal,
 * so one layout without them gives every zone's managed pages as a function of the two sizes.
 */
import { X86_64_ZONES as Z } from '@mmkit/core';
import { managedPages } from '../src/managed.js';
import { SEED_22G_KERNEL_IMAGE, SEED_22G_NODE0_BOOT, seed22gSpec } from '../src/presets.js';
import { setupMemory } from '../src/setup.js';

const TABLES: [number, number[]][] = [
  [112640, [19, 3778, 10191, 14043, 127]],
  [90112, [15, 3022, 8152, 11234, 102]],
];
const ZONES: [number, number][] = [[0, Z.DMA], [0, Z.DMA32], [0, Z.NORMAL], [1, Z.NORMAL], [1, Z.MOVABLE]];

const matches = (managed: number[]) => {
  const total = managed.reduce((a, b) => a + b, 0);
  return TABLES.every(([kb, mins]) => managed.every((m, i) => Math.floor(((kb >> 2) * m) / total) === mins[i]));
};

const base = setupMemory(seed22gSpec(0, 0));
const baseManaged = ZONES.map(([nid, z]) => managedPages(base, nid, z));
const fits: [number, number][] = [];
for (let kernel = 0; kernel < 20000; kernel++) {
  for (let node0 = 0; node0 < 20000; node0++) {
    const m = [...baseManaged];
    m[1] -= kernel;
    m[2] -= node0;
    if (matches(m)) fits.push([kernel, node0]);
  }
}
const ks = fits.map((f) => f[0]);
const ns = fits.map((f) => f[1]);
const chosen = [SEED_22G_KERNEL_IMAGE / 4096, SEED_22G_NODE0_BOOT / 4096];
const layout = setupMemory(seed22gSpec());
console.log(
  JSON.stringify(
    {
      managedWithoutTuning: baseManaged,
      solutions: fits.length,
      kernelImagePages: [Math.min(...ks), Math.max(...ks)],
      node0BootPages: [Math.min(...ns), Math.max(...ns)],
      chosen: { kernelImagePages: chosen[0], node0BootPages: chosen[1], fits: fits.some((f) => f[0] === chosen[0] && f[1] === chosen[1]) },
      presetManaged: ZONES.map(([nid, z]) => managedPages(layout, nid, z)),
    },
    null,
    2,
  ),
);

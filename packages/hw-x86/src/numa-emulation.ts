/**
 * numa=fake=N (arch/x86/mm/numa_emulation.c, 4.17): split the machine's one physical node
 * into N emulated nodes holding equal amounts of memory (split_nodes_interleave()).
 */
import { MachineSpecError, showValue, formatBytes } from './errors.js';
import { pagesInRange, totalPages, type PfnRange } from '@mmkit/core';

/** FAKE_NODE_MIN_SIZE: 32 MiB, in pages. Emulated node sizes are multiples of it. */
export const FAKE_NODE_MIN_PAGES = (32 << 20) >> 12;
/** MAX_NUMNODES with the x86-64 default CONFIG_NODES_SHIFT=6. */
export const MAX_NUMNODES = 64;
/** MAX_DMA32_PFN: 4 GiB. */
const MAX_DMA32_PFN = 1 << 20;

/**
 * split_nodes_interleave() for a machine with one physical node spanning [0, maxPfn):
 * the target size is the present memory divided by N, rounded down to 32 MiB, the remainder
 * handed out 32 MiB at a time to the first ("big") nodes; each node grows past holes until
 * it holds its share, a node stops at 4 GiB when less than 32 MiB of DMA32 would be left for
 * the next one, and the last node takes whatever remains. Returns one pfn range per node
 * with memory: possibly fewer than N, as in Linux, when holes make a node take more.
 */
export function splitNodesInterleave(memory: readonly PfnRange[], maxPfn: number, nrNodes: number): PfnRange[] {
  if (!Number.isInteger(nrNodes) || nrNodes < 1) {
    throw new MachineSpecError(`nodes (numa=fake=) must be a whole number >= 1, got ${showValue(nrNodes)}`);
  }
  if (nrNodes > MAX_NUMNODES) {
    throw new MachineSpecError(`nodes (numa=fake=${nrNodes}) is more than MAX_NUMNODES (${MAX_NUMNODES})`);
  }
  const present = (s: number, e: number) => (e > s ? pagesInRange(memory, s, e) : 0);
  const hole = (s: number, e: number) => (e > s ? e - s - present(s, e) : 0);

  const total = totalPages(memory);
  let size = Math.floor(total / nrNodes);
  const big = Math.floor(((size % FAKE_NODE_MIN_PAGES) * nrNodes) / FAKE_NODE_MIN_PAGES);
  size -= size % FAKE_NODE_MIN_PAGES;
  if (size === 0) {
    throw new MachineSpecError(
      `not enough memory for numa=fake=${nrNodes}: ${formatBytes(total * 4096)} gives each node less than 32 MiB (FAKE_NODE_MIN_SIZE)`,
    );
  }

  const nodes: PfnRange[] = [];
  let start = 0;
  const limit = maxPfn;
  let nid = 0;
  while (start < limit) {
    let end = start + size;
    if (nid < big) end += FAKE_NODE_MIN_PAGES;
    // Add memory to this node while what it holds is less than its share.
    while (end - start - hole(start, end) < size) {
      end += FAKE_NODE_MIN_PAGES;
      if (end > limit) {
        end = limit;
        break;
      }
    }
    // Leave at least FAKE_NODE_MIN_SIZE of DMA32 to the next node, or take it all.
    if (end < MAX_DMA32_PFN && MAX_DMA32_PFN - end - hole(end, MAX_DMA32_PFN) < FAKE_NODE_MIN_PAGES) {
      end = MAX_DMA32_PFN;
    }
    // If the next node would not get its share, this one extends to the end.
    if (end < limit && limit - end - hole(end, limit) < size) end = limit;
    end = Math.min(end, limit);
    nodes.push({ start, end });
    nid++;
    start = end;
  }
  if (nodes.length > nrNodes) {
    throw new MachineSpecError(
      `numa=fake=${nrNodes}: this memory map splits into ${nodes.length} blocks for ${nrNodes} nodes, and Linux would interleave the emulated nodes, which mmkit does not model`,
    );
  }
  // Fewer blocks than nodes is what Linux does too when the holes eat a node's share: the
  // remaining emulated nodes get no memory and stay offline.
  for (let i = 0; i < nodes.length; i++) {
    if (present(nodes[i].start, nodes[i].end) === 0) {
      throw new MachineSpecError(`numa=fake=${nrNodes}: emulated node ${i} would have no memory`);
    }
  }
  return nodes;
}

/**
 * The x86-64 user address-space layout of Linux 4.17 (4-level paging, a 64-bit task):
 * - TASK_SIZE_MAX = (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE, __VIRTUAL_MASK_SHIFT 47, and
 *   STACK_TOP = TASK_SIZE_LOW = DEFAULT_MAP_WINDOW = (1 << 47) - PAGE_SIZE
 *   (https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/processor.h#L886-L904);
 * - ELF_ET_DYN_BASE = DEFAULT_MAP_WINDOW / 3 * 2 = 0x555555554aaa: load_elf_binary() subtracts
 *   the first segment's vaddr and takes ELF_PAGESTART(), hence PIEs at 0x555555554000 without
 *   randomisation (https://github.com/torvalds/linux/blob/v4.17/arch/x86/include/asm/elf.h#L255);
 * - arch_pick_mmap_layout(), mmap_base() and mmap_legacy_base() of
 *   https://github.com/torvalds/linux/blob/v4.17/arch/x86/mm/mmap.c#L93-L167: the gap below the
 *   stack is RLIMIT_STACK plus the stack's randomisation range and stack_guard_gap, clamped to
 *   [128 MiB, TASK_SIZE / 6 * 5]; mmap_base = PAGE_ALIGN(TASK_SIZE - gap - rnd).
 */
import type { MmapLayout, MmapLayoutParams } from '@mmkit/core';

const PAGE_SIZE = 4096;
/** __VIRTUAL_MASK_SHIFT without LA57. */
export const VIRTUAL_MASK_SHIFT = 47;
/** TASK_SIZE_MAX: 0x7ffffffff000. */
export const TASK_SIZE_MAX = 2 ** VIRTUAL_MASK_SHIFT - PAGE_SIZE;
/** DEFAULT_MAP_WINDOW: the same with 4-level paging. */
export const DEFAULT_MAP_WINDOW = 2 ** 47 - PAGE_SIZE;
/** TASK_SIZE of a 64-bit task. */
export const TASK_SIZE = TASK_SIZE_MAX;
/** STACK_TOP = TASK_SIZE_LOW. */
export const STACK_TOP = DEFAULT_MAP_WINDOW;
/** STACK_TOP_MAX. */
export const STACK_TOP_MAX = TASK_SIZE_MAX;
/** ELF_ET_DYN_BASE of a 64-bit task: 0x555555554aaa (unsigned long arithmetic: the division truncates). */
export const ELF_ET_DYN_BASE = Math.floor(DEFAULT_MAP_WINDOW / 3) * 2;
/** TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE_LOW / 3): the legacy layout's mmap base. */
export const TASK_UNMAPPED_BASE = pageAlign(Math.floor(DEFAULT_MAP_WINDOW / 3));
/** FIRST_USER_ADDRESS and USER_PGTABLES_CEILING (0: the top) of x86. */
export const FIRST_USER_ADDRESS = 0;
export const USER_PGTABLES_CEILING = 0;
/** SIZE_128M: the smallest gap between the stack and mmap_base. */
export const MMAP_GAP_MIN = 128 * 1024 * 1024;
/** The default stack_guard_gap: 256 pages (mm/mmap.c; the stack_guard_gap= boot option sets it). */
export const DEFAULT_STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** CONFIG_ARCH_MMAP_RND_BITS of x86-64: ARCH_MMAP_RND_BITS_MIN, 28 (vm.mmap_rnd_bits). */
export const MMAP_RND_BITS = 28;
/** __STACK_RND_MASK of a 64-bit task: 0x3fffff pages (16 GiB of stack randomisation). */
export const STACK_RND_MASK = 0x3fffff;
/** RLIM_INFINITY (~0UL). */
export const RLIM_INFINITY = (1n << 64n) - 1n;

function pageAlign(addr: number): number {
  return Math.ceil(addr / PAGE_SIZE) * PAGE_SIZE;
}

/** stack_maxrandom_size(): the stack's randomisation range when PF_RANDOMIZE, else 0. */
export function stackMaxrandomSize(randomize: boolean): number {
  return randomize ? STACK_RND_MASK * PAGE_SIZE : 0;
}

/** arch_mmap_rnd() / arch_rnd(mmap_rnd_bits): a page-aligned random offset below 2^(28 + 12), 0 unless randomising. */
export function archMmapRnd(randomize: boolean, random: (() => number) | undefined, rndBits: number = MMAP_RND_BITS): number {
  if (!randomize) return 0;
  if (!random) throw new Error('arch_mmap_rnd: randomisation needs a random source (a seeded PRNG)');
  if (!(Number.isInteger(rndBits) && rndBits >= 0 && rndBits <= 32)) throw new RangeError(`mmap_rnd_bits ${rndBits} is not in 0..32`);
  return ((random() >>> 0) % 2 ** rndBits) * PAGE_SIZE;
}

function rlimitBig(value: number | bigint): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > RLIM_INFINITY) throw new RangeError(`RLIMIT_STACK ${value} is not an unsigned long`);
    return value;
  }
  if (value === Infinity) return RLIM_INFINITY;
  if (!(Number.isInteger(value) && value >= 0)) throw new RangeError(`RLIMIT_STACK ${value} is not a byte count`);
  return BigInt(value);
}

/** mmap_base(rnd, task_size, rlim_stack). */
export function mmapBase(rnd: number, taskSize: number, rlimitStack: number | bigint, randomize: boolean, stackGuardGap: number = DEFAULT_STACK_GUARD_GAP): number {
  let gap = rlimitBig(rlimitStack);
  const pad = BigInt(stackMaxrandomSize(randomize) + stackGuardGap);
  // "Values close to RLIM_INFINITY can overflow": the sum wraps in unsigned long, and is then not added.
  const sum = (gap + pad) & RLIM_INFINITY;
  if (sum > gap) gap = sum;
  const gapMin = BigInt(MMAP_GAP_MIN);
  const gapMax = (BigInt(taskSize) / 6n) * 5n;
  if (gap < gapMin) gap = gapMin;
  else if (gap > gapMax) gap = gapMax;
  return pageAlign(taskSize - Number(gap) - rnd);
}

/** mmap_legacy_base(): __TASK_UNMAPPED_BASE(task_size) + rnd. */
export function mmapLegacyBase(rnd: number, taskSize: number): number {
  return pageAlign(Math.floor(taskSize / 3)) + rnd;
}

/** arch_pick_mmap_layout() of a 64-bit task (task_size_64bit(0) = DEFAULT_MAP_WINDOW). */
export function pickMmapLayout(params: MmapLayoutParams): MmapLayout {
  const randomize = params.randomize ?? false;
  const rnd = archMmapRnd(randomize, params.random);
  const legacyBase = mmapLegacyBase(rnd, DEFAULT_MAP_WINDOW);
  const legacy = params.legacy ?? false;
  const base = legacy ? legacyBase : mmapBase(rnd, DEFAULT_MAP_WINDOW, params.rlimitStack, randomize, params.stackGuardGap ?? DEFAULT_STACK_GUARD_GAP);
  return { mmapBase: base, mmapLegacyBase: legacyBase, topDown: !legacy };
}

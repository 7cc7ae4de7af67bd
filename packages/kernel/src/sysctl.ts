/**
 * The files under /proc/sys/vm and /sys/kernel/debug this kernel provides, with the parsing
 * rules of proc_dointvec_minmax() and debugfs' bool and integer attributes.
 */
import { ERRNO, type PageAllocator } from '@mmkit/core';
import type { FailPageAlloc, Failslab, FaultAttr } from './fault-inject.js';

export interface KernelFile {
  read(): string;
  /** 0 or -errno; undefined when the file is read-only. */
  write?(text: string): number;
}

const EINVAL = -ERRNO.EINVAL;

/** Parse whitespace-separated decimal integers as proc_dointvec does; undefined when malformed. */
export function parseIntList(text: string): number[] | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const values: number[] = [];
  for (const w of words) {
    if (!/^[-+]?\d+$/.test(w)) return undefined;
    const v = Number(w);
    if (!Number.isSafeInteger(v) || v > 2 ** 31 - 1 || v < -(2 ** 31)) return undefined;
    values.push(v);
  }
  return values;
}

function intFile(get: () => number, set: (v: number) => number): KernelFile {
  return {
    read: () => `${get()}\n`,
    write: (text) => {
      const values = parseIntList(text);
      if (!values || values.length !== 1) return EINVAL;
      return set(values[0]);
    },
  };
}

/** kstrtobool() (lib/kstrtox.c): only the first character counts (y/Y/1, n/N/0), or "on"/"off". */
export function kstrtobool(text: string): boolean | undefined {
  const c = text[0];
  if (c === 'y' || c === 'Y' || c === '1') return true;
  if (c === 'n' || c === 'N' || c === '0') return false;
  if (c === 'o' || c === 'O') {
    const d = text[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return undefined;
}

/** A bool attribute (debugfs_write_file_bool(), param_set_bool()): Y or N, written through kstrtobool(). */
export function boolFile(get: () => boolean, set: (v: boolean) => void): KernelFile {
  return {
    read: () => (get() ? 'Y\n' : 'N\n'),
    write: (text) => {
      const v = kstrtobool(text);
      if (v === undefined) return EINVAL;
      set(v);
      return 0;
    },
  };
}

export function vmSysctlFiles(allocator: PageAllocator, overcommit: { ratio: number }): Record<string, KernelFile> {
  return {
    '/proc/sys/vm/min_free_kbytes': intFile(() => allocator.minFreeKbytes, (v) => allocator.setMinFreeKbytes(v)),
    '/proc/sys/vm/watermark_scale_factor': intFile(() => allocator.watermarkScaleFactor, (v) => allocator.setWatermarkScaleFactor(v)),
    '/proc/sys/vm/lowmem_reserve_ratio': {
      // proc_dointvec prints the entries separated by tabs.
      read: () => `${allocator.lowmemReserveRatio.join('\t')}\n`,
      write: (text) => {
        const values = parseIntList(text);
        const current = allocator.lowmemReserveRatio;
        if (!values || values.length > current.length) return EINVAL;
        // proc_dointvec updates as many entries as were written, leaving the rest.
        const next = current.map((v, i) => (i < values.length ? values[i] : v));
        return allocator.setLowmemReserveRatio(next);
      },
    },
    '/proc/sys/vm/overcommit_ratio': intFile(() => overcommit.ratio, (v) => {
      if (v < 0) return EINVAL;
      overcommit.ratio = v;
      return 0;
    }),
  };
}

/** The fault_attr files every fault-injection directory has (lib/fault-inject.c). */
function faultAttrFiles(dir: string, attr: FaultAttr): Record<string, KernelFile> {
  const ulong = (key: 'probability' | 'interval' | 'space' | 'verbose', max = 2 ** 32 - 1) =>
    intFile(() => attr[key], (v) => {
      if (v < 0 || v > max) return EINVAL;
      if (key === 'interval' && v < 1) return EINVAL;
      attr[key] = v;
      return 0;
    });
  return {
    [`${dir}/probability`]: ulong('probability', 100),
    [`${dir}/interval`]: ulong('interval'),
    [`${dir}/times`]: intFile(() => attr.times, (v) => {
      attr.times = v < 0 ? -1 : v;
      return 0;
    }),
    [`${dir}/space`]: ulong('space'),
    [`${dir}/verbose`]: ulong('verbose', 2),
  };
}

export function failPageAllocFiles(attr: FailPageAlloc): Record<string, KernelFile> {
  const dir = '/sys/kernel/debug/fail_page_alloc';
  return {
    ...faultAttrFiles(dir, attr),
    [`${dir}/ignore-gfp-wait`]: boolFile(() => attr.ignoreGfpWait, (v) => (attr.ignoreGfpWait = v)),
    [`${dir}/ignore-gfp-highmem`]: boolFile(() => attr.ignoreGfpHighmem, (v) => (attr.ignoreGfpHighmem = v)),
    [`${dir}/min-order`]: intFile(() => attr.minOrder, (v) => {
      if (v < 0 || v > 10) return EINVAL;
      attr.minOrder = v;
      return 0;
    }),
  };
}

export function failslabFiles(attr: Failslab): Record<string, KernelFile> {
  const dir = '/sys/kernel/debug/failslab';
  return {
    ...faultAttrFiles(dir, attr),
    [`${dir}/ignore-gfp-wait`]: boolFile(() => attr.ignoreGfpWait, (v) => (attr.ignoreGfpWait = v)),
    [`${dir}/cache-filter`]: boolFile(() => attr.cacheFilter, (v) => (attr.cacheFilter = v)),
  };
}

/** 'vm.min_free_kbytes' -> '/proc/sys/vm/min_free_kbytes'. */
export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replace(/\./g, '/')}`;
}

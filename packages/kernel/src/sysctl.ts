/**
 * The files under /proc/sys/vm and /sys/kernel/debug this kernel provides: the vm sysctls parse
 * as proc_dointvec() does (proc-dointvec.ts), debugfs' bool and integer attributes as they do.
 */
import { ERRNO, type PageAllocator } from '@mmkit/core';
import type { FailPageAlloc, Failslab, FaultAttr } from './fault-inject.js';
import { dointvecConv, dointvecMinmaxConv, procDointvecWrite, type DointvecConv } from './proc-dointvec.js';

export interface KernelFile {
  read(): string;
  /** 0 or -errno; undefined when the file is read-only. */
  write?(text: string): number;
}

const EINVAL = -ERRNO.EINVAL;

/** Whitespace-separated decimal ints (the debugfs attributes here; the vm sysctls parse with procDointvecWrite()); undefined when malformed. */
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

/** A one-int sysctl written through procDointvecWrite() with `conv`, then `set` (its handler's work after a successful parse). */
function dointvecFile(get: () => number, conv: DointvecConv, set: (v: number) => number, bitsPerLong: number): KernelFile {
  return {
    read: () => `${get()}\n`,
    write: (text) => {
      const table = [get()];
      const rc = procDointvecWrite(text, table, conv, bitsPerLong);
      return rc !== 0 ? rc : set(table[0]);
    },
  };
}

/**
 * The vm sysctls (kernel/sysctl.c vm_table[] and their handlers, 4.17):
 * - min_free_kbytes: proc_dointvec_minmax with extra1 = &zero, then min_free_kbytes_sysctl_handler()'s
 *   setup_per_zone_wmarks();
 * - watermark_scale_factor: proc_dointvec_minmax in [1, 1000], then setup_per_zone_wmarks();
 * - lowmem_reserve_ratio: lowmem_reserve_ratio_sysctl_handler() ignores what proc_dointvec_minmax
 *   (no bounds) returns, recomputes the reserves and returns 0: a malformed write stores the
 *   values before the first bad one and still succeeds;
 * - overcommit_ratio: overcommit_ratio_handler(), proc_dointvec (any int, negative included).
 * `bitsPerLong` is the simulated kernel's (64 on x86-64, 32 on i386): proc_get_long() wraps there.
 */
export function vmSysctlFiles(allocator: PageAllocator, overcommit: { ratio: number }, bitsPerLong = 64): Record<string, KernelFile> {
  return {
    '/proc/sys/vm/min_free_kbytes': dointvecFile(() => allocator.minFreeKbytes, dointvecMinmaxConv(0), (v) => allocator.setMinFreeKbytes(v), bitsPerLong),
    '/proc/sys/vm/watermark_scale_factor': dointvecFile(() => allocator.watermarkScaleFactor, dointvecMinmaxConv(1, 1000), (v) => allocator.setWatermarkScaleFactor(v), bitsPerLong),
    '/proc/sys/vm/lowmem_reserve_ratio': {
      // proc_dointvec prints the entries separated by tabs.
      read: () => `${allocator.lowmemReserveRatio.join('\t')}\n`,
      write: (text) => {
        const table = [...allocator.lowmemReserveRatio];
        procDointvecWrite(text, table, dointvecMinmaxConv(), bitsPerLong); // its result is ignored
        allocator.setLowmemReserveRatio(table); // setup_per_zone_lowmem_reserve()
        return 0;
      },
    },
    '/proc/sys/vm/overcommit_ratio': dointvecFile(() => overcommit.ratio, dointvecConv, (v) => {
      overcommit.ratio = v;
      return 0;
    }, bitsPerLong),
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

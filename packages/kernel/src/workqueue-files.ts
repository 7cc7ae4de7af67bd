/**
 * The workqueue's files: /sys/devices/virtual/workqueue/cpumask (wq_unbound_cpumask, where
 * WORK_CPU_UNBOUND work may run) and /sys/module/workqueue/parameters/debug_force_rr_cpu — the
 * two knobs that show the seed's cache_reap bug.
 */
import { ERRNO, type Scheduler } from '@mmkit/core';
import { boolFile, type KernelFile } from './sysctl.js';

/** cpumask_print_to_pagebuf() / "%*pb": hex, 32 bits a group, groups separated by commas. */
export function formatCpumask(mask: readonly boolean[]): string {
  const groups: string[] = [];
  for (let base = 0; base < mask.length; base += 32) {
    let word = 0;
    for (let bit = 0; bit < 32 && base + bit < mask.length; bit++) if (mask[base + bit]) word += 2 ** bit;
    const bits = Math.min(32, mask.length - base);
    groups.unshift(word.toString(16).padStart(Math.ceil(bits / 4), '0'));
  }
  return groups.join(',');
}

/** bitmap_parse() of a cpumask: hex groups of at most 8 digits separated by commas; an errno on bad input. */
export function parseCpumask(text: string, nrCpus: number): boolean[] | number {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{1,8}(,[0-9a-fA-F]{1,8})*$/.test(t)) return -ERRNO.EINVAL;
  const groups = t.split(',').reverse();
  const mask = new Array<boolean>(nrCpus).fill(false);
  for (let g = 0; g < groups.length; g++) {
    const word = parseInt(groups[g], 16);
    for (let bit = 0; bit < 32; bit++) {
      if (Math.floor(word / 2 ** bit) % 2 === 0) continue;
      const cpu = g * 32 + bit;
      if (cpu >= nrCpus) return -ERRNO.EOVERFLOW;
      mask[cpu] = true;
    }
  }
  return mask;
}

export function workqueueFiles(sched: Scheduler): Record<string, KernelFile> {
  return {
    '/sys/devices/virtual/workqueue/cpumask': {
      read: () => `${formatCpumask(sched.unboundCpumask)}\n`,
      write: (text) => {
        // workqueue_set_unbound_cpumask(): the mask and cpu_possible_mask, which must not be empty.
        const mask = parseCpumask(text, sched.nrCpus);
        if (typeof mask === 'number') return mask;
        if (!mask.some(Boolean)) return -ERRNO.EINVAL;
        sched.unboundCpumask = mask;
        return 0;
      },
    },
    '/sys/module/workqueue/parameters/debug_force_rr_cpu': boolFile(
      () => sched.debugForceRrCpu,
      (v) => (sched.debugForceRrCpu = v),
    ),
  };
}

/** The boot summary `mmkit boot` prints. */
import { describeDebugConfig } from '@mmkit/core';
import type { Kernel } from './kernel-types.js';

const mib = (pages: number) => `${(pages / 256).toFixed(1)} MiB`;

export function renderSummary(k: Kernel): string {
  const totalPresent = k.zones.reduce((n, z) => n + z.presentPages, 0);
  const lines: string[] = [];
  lines.push(`mmkit: Linux 4.17 mm, ${k.zoneConfig.arch}, ${k.sched.nrCpus} CPU${k.sched.nrCpus > 1 ? 's' : ''}, ${k.layout.nodes.length} node${k.layout.nodes.length > 1 ? 's' : ''}, ${(totalPresent / 262144).toFixed(2)} GiB present`);
  lines.push(`page allocator: ${k.pageAllocator.name}  object allocator: ${k.slab.name}${k.kasan ? ' (KASAN)' : ''}  transparent_hugepage: ${k.readFile('/sys/kernel/mm/transparent_hugepage/enabled').trim()}`);
  lines.push(`debug: ${describeDebugConfig(k.debug)}`);
  lines.push('');
  lines.push('node zone        start_pfn      spanned      present      managed         free      min      low     high');
  for (const z of k.zones) {
    if (!z.populated) continue;
    lines.push(
      `${String(z.nid).padStart(4)} ${z.name.padEnd(8)} ${('0x' + z.zoneStartPfn.toString(16)).padStart(12)} ${String(z.spannedPages).padStart(12)} ${String(z.presentPages).padStart(12)} ${String(z.managedPages).padStart(12)} ${String(z.freePages).padStart(12)} ${String(z.minWmarkPages()).padStart(8)} ${String(z.lowWmarkPages()).padStart(8)} ${String(z.highWmarkPages()).padStart(8)}`,
    );
  }
  const managed = k.zones.reduce((n, z) => n + z.managedPages, 0);
  const free = k.zones.reduce((n, z) => n + z.freePages, 0);
  lines.push('');
  lines.push(`MemTotal ${mib(managed)}, MemFree ${mib(free)}, reserved at boot ${mib(totalPresent - managed)}`);
  const cmaPages = k.layout.cma.reduce((n, r) => n + r.end - r.start, 0);
  if (cmaPages > 0) {
    const policy = k.config.cma?.policy ?? 'zone-movable';
    const how = policy === 'zone-movable'
      ? 'zone-movable: the areas are ZONE_MOVABLE, as in the seed, Linux 4.17-rc1 to rc6 (the default)'
      : 'migratetype: MIGRATE_CMA pageblocks of the zone their pfns belong to, as in Linux 4.16 and 4.17-final';
    lines.push(`CMA ${mib(cmaPages)} (CmaFree ${mib(k.zones.reduce((n, z) => n + z.freeCmaPages, 0))}), policy ${how}`);
  }
  lines.push(`vm.min_free_kbytes = ${k.sysctl('vm.min_free_kbytes')}   vm.watermark_scale_factor = ${k.sysctl('vm.watermark_scale_factor')}   vm.lowmem_reserve_ratio = ${k.sysctl('vm.lowmem_reserve_ratio').split('\t').join(' ')}`);
  return lines.join('\n') + '\n';
}

/** `mmkit boot`: boot a machine and print its summary or one /proc view. */
import { parseArgs } from 'node:util';
import { parseSlubDebug } from '@mmkit/core';
import { createKernel, type KernelConfig, type ThpMode } from '@mmkit/kernel';
import type { MachineSpec } from '@mmkit/hw-x86';
import { UsageError, quoteArg } from './errors.js';
import { DEFAULT_KIT, type ConformanceKit } from './kit.js';
import { readInputFile } from './read-input.js';
import { parseSize, parseSizeOrPercent } from './size.js';

export const BOOT_HELP = `usage: mmkit boot [options]

Boot a simulated Linux 4.17 machine and print its boot summary, or one view.

machine:
  --preset NAME            a named machine (mmkit presets lists them)
  --mem SIZE               memory size (4G, 512M, ...; default 4G)
  --nodes N                numa=fake=N: split memory into N nodes
  --arch x86_64|i386       i386 is 32-bit with HIGHMEM
  --movablecore SIZE|N%    movablecore=: ZONE_MOVABLE of this size
  --kernelcore SIZE|N%     kernelcore=: the rest becomes ZONE_MOVABLE
  --cma SIZE               a CMA area (repeatable)
  --cma-policy zone-movable|migratetype
                           how CMA areas are managed: zone-movable (default) is the
                           seed's, Linux 4.17-rc1 to rc6, the areas in ZONE_MOVABLE;
                           migratetype is 4.16's and 4.17-final's, MIGRATE_CMA
                           pageblocks of their own zone, used through ALLOC_CMA
  --e820 FILE              the BIOS-e820 lines of a dmesg
  --like-zoneinfo FILE     a machine whose zones are those of a real /proc/zoneinfo
  --cpus N                 simulated CPUs (default 2; with --like-zoneinfo, the file's)
kernel:
  --thp always|madvise|never   transparent hugepages (default always)
  --sysctl vm.NAME=VALUE   write a sysctl after boot (repeatable)
  --slab slub|slab         the object allocator (CONFIG_SLUB, the default, or CONFIG_SLAB)
  --kasan                  boot with KASAN (slab free hook and quarantine)
  --deferred-struct-page-init
                           CONFIG_DEFERRED_STRUCT_PAGE_INIT (off by default, as in 4.17):
                           memmap init stops after each node's first section; the rest is
                           initialised and freed by page_alloc_init_late() (--show dmesg)
  --mutant ID              boot with a mutant page or object allocator (mmkit mutants lists them)
  --seed N                 seed of every random choice (an integer in [0, 4294967295])
debugging (off by default, as in 4.17):
  --debug-vm               CONFIG_DEBUG_VM: VM_BUG_ON_PAGE checks (a double free of pages caught
                           when it happens), kmem_cache_sanity_check()
  --slub-debug FLAGS[,SLAB]  slub_debug=: F (sanity checks), Z (red zones), P (poison),
                           U (user tracking), T (trace), - (off), for every cache or the caches
                           whose name starts with SLAB; --slub-debug= is full debugging (FZPU)
  --freelist-hardened      CONFIG_SLAB_FREELIST_HARDENED (cache_from_obj() checks every free;
                           SLUB catches an object freed onto a freelist it heads)
  --debug-slab             CONFIG_DEBUG_SLAB (SLAB: red zones, poison and free checks)
output:
  --show VIEW              zoneinfo | buddyinfo | meminfo | pagetypeinfo | slabinfo |
                           min_free_kbytes | watermark_scale_factor | lowmem_reserve_ratio |
                           dmesg (the kernel log after boot) | summary (default)
`;

/** The views of --show and the file each reads: a Map, so '--show constructor' is an unknown view. */
const VIEWS: ReadonlyMap<string, string> = new Map([
  ['zoneinfo', '/proc/zoneinfo'],
  ['buddyinfo', '/proc/buddyinfo'],
  ['meminfo', '/proc/meminfo'],
  ['pagetypeinfo', '/proc/pagetypeinfo'],
  ['slabinfo', '/proc/slabinfo'],
  ['min_free_kbytes', '/proc/sys/vm/min_free_kbytes'],
  ['watermark_scale_factor', '/proc/sys/vm/watermark_scale_factor'],
  ['lowmem_reserve_ratio', '/proc/sys/vm/lowmem_reserve_ratio'],
]);


export async function bootConfigFromArgs(args: string[], kit: ConformanceKit = DEFAULT_KIT): Promise<{ config: KernelConfig; show: string }> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      mem: { type: 'string' },
      nodes: { type: 'string' },
      arch: { type: 'string' },
      movablecore: { type: 'string' },
      kernelcore: { type: 'string' },
      cma: { type: 'string', multiple: true },
      'cma-policy': { type: 'string' },
      e820: { type: 'string' },
      'like-zoneinfo': { type: 'string' },
      cpus: { type: 'string' },
      thp: { type: 'string' },
      sysctl: { type: 'string', multiple: true },
      mutant: { type: 'string' },
      slab: { type: 'string' },
      kasan: { type: 'boolean' },
      'deferred-struct-page-init': { type: 'boolean' },
      seed: { type: 'string' },
      'debug-vm': { type: 'boolean' },
      'slub-debug': { type: 'string' },
      'freelist-hardened': { type: 'boolean' },
      'debug-slab': { type: 'boolean' },
      show: { type: 'string' },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${quoteArg(positionals[0])} (see mmkit boot --help)`);
  const config: KernelConfig = {};
  const machineGiven = ['mem', 'nodes', 'arch', 'movablecore', 'kernelcore', 'cma', 'e820'].some((k) => values[k as keyof typeof values] !== undefined);
  if (values.preset !== undefined) {
    if (machineGiven || values['like-zoneinfo'] !== undefined) throw new UsageError('--preset names a whole machine: do not combine it with --mem, --nodes, --e820, --like-zoneinfo, ...');
    config.preset = values.preset;
  } else if (values['like-zoneinfo'] !== undefined) {
    if (machineGiven) throw new UsageError('--like-zoneinfo describes a whole machine: do not combine it with --mem, --nodes, --e820, ...');
    config.likeZoneinfo = readInputFile(values['like-zoneinfo'], '--like-zoneinfo');
  } else {
    const machine: MachineSpec = {};
    if (values.arch !== undefined) {
      if (values.arch !== 'x86_64' && values.arch !== 'i386') throw new UsageError(`--arch must be x86_64 or i386, got ${quoteArg(values.arch)}`);
      machine.arch = values.arch;
    }
    if (values.e820 !== undefined) machine.e820 = readInputFile(values.e820, '--e820');
    if (values.mem !== undefined) {
      const mem = parseSize(values.mem);
      if (mem === undefined || mem <= 0) throw new UsageError(`--mem: ${quoteArg(values.mem)} is not a size (try 4G or 512M)`);
      machine.mem = mem;
    } else if (values.e820 === undefined) machine.mem = 4 * 2 ** 30;
    if (values.nodes !== undefined) machine.nodes = positiveInt(values.nodes, '--nodes');
    if (values.movablecore !== undefined) machine.movablecore = sizeOrPercent(values.movablecore, '--movablecore');
    if (values.kernelcore !== undefined) machine.kernelcore = sizeOrPercent(values.kernelcore, '--kernelcore');
    if (values.cma) {
      machine.cma = values.cma.map((c) => {
        const size = parseSize(c);
        if (!size) throw new UsageError(`--cma: ${quoteArg(c)} is not a size`);
        return { size };
      });
    }
    config.machine = machine;
  }
  if (values['cma-policy'] !== undefined) {
    const policy = values['cma-policy'];
    if (policy !== 'zone-movable' && policy !== 'migratetype') throw new UsageError(`--cma-policy must be zone-movable or migratetype, got ${quoteArg(policy)}`);
    config.cma = { policy };
  }
  if (values.cpus !== undefined) config.nrCpus = positiveInt(values.cpus, '--cpus');
  if (values.thp !== undefined) {
    if (!['always', 'madvise', 'never'].includes(values.thp)) throw new UsageError(`--thp must be always, madvise or never, got ${quoteArg(values.thp)}`);
    config.thp = values.thp as ThpMode;
  }
  if (values.seed !== undefined) {
    // The seed feeds a 32-bit generator: [0, 2^32 - 1], as createKernel() takes it.
    if (!/^\d+$/.test(values.seed) || Number(values.seed) > 2 ** 32 - 1) throw new UsageError(`--seed takes an integer in [0, 4294967295], got ${quoteArg(values.seed)}`);
    config.seed = Number(values.seed);
  }
  if (values.sysctl) {
    const pairs = values.sysctl.map((s): [string, string] => {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new UsageError(`--sysctl takes NAME=VALUE (like vm.min_free_kbytes=65536), got ${quoteArg(s)}`);
      return [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
    });
    // Object.fromEntries defines own properties: a name such as '__proto__' stays a name (and is no sysctl).
    config.sysctl = Object.fromEntries(pairs);
  }
  if (values.slab !== undefined) {
    if (values.slab !== 'slub' && values.slab !== 'slab') throw new UsageError(`--slab must be slub or slab, got ${quoteArg(values.slab)}`);
    config.slab = values.slab;
  }
  if (values.kasan) config.kasan = true;
  if (values['deferred-struct-page-init']) config.deferredStructPageInit = true;
  if (values['debug-vm'] || values['slub-debug'] !== undefined || values['freelist-hardened'] || values['debug-slab']) {
    const slubDebug = values['slub-debug'];
    if (slubDebug !== undefined) {
      try {
        parseSlubDebug(slubDebug);
      } catch (e) {
        throw new UsageError(`--slub-debug: ${(e as Error).message}`);
      }
    }
    config.debug = {
      ...(values['debug-vm'] ? { vm: true } : {}),
      ...(slubDebug !== undefined ? { slubDebug } : {}),
      ...(values['freelist-hardened'] ? { freelistHardened: true } : {}),
      ...(values['debug-slab'] ? { debugSlab: true } : {}),
    };
  }
  if (values.mutant !== undefined) {
    const mutant = await kit.mutantById(values.mutant);
    if (!mutant) throw new UsageError(`unknown mutant ${quoteArg(values.mutant)}; mutants: ${(await kit.allMutants()).map((m) => m.id).join(', ')}`);
    const assembled = kit.contractByName(mutant.contract)?.assemble?.(mutant.factory);
    if (!assembled) throw new UsageError(`--mutant ${mutant.id} is a mutant of the ${mutant.contract} contract, which the kernel cannot boot with`);
    for (const key of Object.keys(assembled) as (keyof KernelConfig)[]) {
      if (key === 'slab' && values.slab !== undefined) throw new UsageError(`--mutant ${mutant.id} is an object allocator of its own: do not combine it with --slab`);
    }
    Object.assign(config, assembled);
  }
  const show = values.show ?? 'summary';
  if (show !== 'summary' && show !== 'dmesg' && !VIEWS.has(show)) throw new UsageError(`--show: unknown view ${quoteArg(show)}; views: summary, dmesg, ${[...VIEWS.keys()].join(', ')}`);
  return { config, show };
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} takes a positive integer, got ${quoteArg(text)}`);
  return Number(text);
}

function sizeOrPercent(text: string, flag: string): number | { percent: number } {
  const v = parseSizeOrPercent(text);
  if (v === undefined) throw new UsageError(`${flag}: ${quoteArg(text)} is not a size or a percentage`);
  return v;
}

export async function runBoot(args: string[], out: (s: string) => void, kit: ConformanceKit = DEFAULT_KIT): Promise<number> {
  const { config, show } = await bootConfigFromArgs(args, kit);
  const kernel = createKernel(config);
  const view = VIEWS.get(show);
  if (show === 'dmesg') out(kernel.dmesg().join('\n') + '\n');
  else out(view === undefined ? kernel.summary() : kernel.readFile(view));
  return 0;
}

/**
 * The subsystems of mmkit (docs/architecture.md) and the page the docs give each: its package,
 * its contract in @mmkit/core, and, from the registry and the seed catalogue, its conformance
 * contract, rules, suite, mutants and seed entries. docs/subsystems/<name>.md is generated from
 * this (a test keeps it up to date; MMKIT_UPDATE_README=1 regenerates it).
 */
import type { AnyContract } from '../contract.js';
import { CONTRACTS } from '../contracts/index.js';
import type { MutantOf } from '../mutants/types.js';
import { ruleConfigText } from '../rules/config.js';
import { SEED_CHANGELOG, seedCoverage, type SeedSubsystem } from '../seed/index.js';

export interface SubsystemInfo {
  /** The subsystem's name: its package's folder under packages/ and the seed catalogue's subsystem. */
  readonly name: SeedSubsystem;
  /** What it models. */
  readonly models: string;
  /** The files of @mmkit/core that hold its contract (paths from the repository root). */
  readonly coreFiles: readonly string[];
}

export const SUBSYSTEMS: readonly SubsystemInfo[] = [
  { name: 'hw-x86', models: 'x86-64: e820 and memblock, zone boundaries, ZONE_MOVABLE, NUMA emulation; the page-table format (drafted)', coreFiles: ['packages/core/src/contracts/arch.ts', 'packages/core/src/mmzone.ts'] },
  { name: 'hypervisor-xen', models: 'a Xen PV guest: page-table pages pinned after boot memory reaches the buddy allocator', coreFiles: ['packages/core/src/contracts/hypervisor.ts'] },
  { name: 'buddy', models: 'the zoned buddy page allocator (mm/page_alloc.c)', coreFiles: ['packages/core/src/contracts/page-allocator.ts'] },
  { name: 'slub', models: 'SLUB, the default object allocator (mm/slub.c)', coreFiles: ['packages/core/src/contracts/slab-allocator.ts'] },
  { name: 'slab', models: 'SLAB, the other object allocator (mm/slab.c)', coreFiles: ['packages/core/src/contracts/slab-allocator.ts'] },
  { name: 'cma', models: 'contiguous memory areas allocated by migrating movable pages away (mm/cma.c)', coreFiles: ['packages/core/src/contracts/cma.ts', 'packages/core/src/contracts/page-allocator.ts'] },
  { name: 'memcg', models: 'the cgroup v2 memory controller (mm/memcontrol.c)', coreFiles: ['packages/core/src/contracts/memcg.ts'] },
  { name: 'migrate', models: 'page migration, move_pages(2), NUMA hinting faults (mm/migrate.c)', coreFiles: ['packages/core/src/contracts/migrate.ts'] },
  { name: 'hmm', models: 'heterogeneous memory management: a device mirrors a process page table (mm/hmm.c)', coreFiles: ['packages/core/src/contracts/hmm.ts'] },
  { name: 'swap', models: 'swap areas, slots, swap cache, zswap; the LRU lists (mm/swapfile.c, mm/swap.c)', coreFiles: ['packages/core/src/contracts/swap.ts', 'packages/core/src/contracts/rmap.ts'] },
  { name: 'gup', models: 'get_user_pages and friends (mm/gup.c)', coreFiles: ['packages/core/src/contracts/gup.ts'] },
  { name: 'mmap', models: 'address spaces: VMAs, mmap/munmap/mprotect/mremap/brk, faults, rmap, mmu notifiers, exec', coreFiles: ['packages/core/src/contracts/mmap.ts', 'packages/core/src/contracts/rmap.ts'] },
];

/** The conformance contract that grades a subsystem's implementation, if there is one yet. */
export function contractOfSubsystem(name: string, contracts: readonly AnyContract[] = CONTRACTS): AnyContract | undefined {
  return contracts.find((c) => c.implementations.includes(`@mmkit/${name}`));
}

/**
 * The page of one subsystem, in markdown, with links relative to docs/subsystems/. `hasPackage`
 * tells whether packages/<name> exists yet; `mutants` are its contract's.
 */
export function subsystemPageMarkdown(s: SubsystemInfo, hasPackage: boolean, contract: AnyContract | undefined, mutants: readonly MutantOf<unknown>[]): string {
  const root = '../..';
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const out: string[] = [`# ${s.name}`, '', `${s.models[0].toUpperCase()}${s.models.slice(1)}.`, '', '<!-- generated:start -->'];
  out.push(`- **Package**: ${hasPackage ? `[\`@mmkit/${s.name}\`](${root}/packages/${s.name}) (its README says how it is built)` : `\`@mmkit/${s.name}\`, not written yet`}`);
  out.push(`- **Contract in core**: ${s.coreFiles.map((f) => `[\`${f.replace('packages/core/src/', '')}\`](${root}/${f})`).join(', ')}`);
  if (contract) {
    const dir = `conformance/src/contracts/${contract.id}`;
    out.push(`- **Conformance contract**: \`${contract.id}\`${contract.aliases.length ? ` (alias ${contract.aliases.map((a) => `\`${a}\``).join(', ')})` : ''}, ${contract.title}: [descriptor](${root}/${dir}/index.ts), [rules](${root}/${dir}/rules.ts), [suite](${root}/${dir}/suite), graded with \`mmkit grade ${contract.id}\``);
    out.push(`- **Implementations graded by it**: ${contract.implementations.map((i) => `\`${i}\``).join(', ')}`);
  } else {
    out.push('- **Conformance contract**: none yet (the issue that builds the subsystem adds its folder under `conformance/src/contracts/`)');
  }
  out.push('');
  if (contract) {
    out.push(`## Rules (${contract.rules.length})`, '', 'A rule holds under 4.17\'s default configuration (every debug option off) unless its configuration says otherwise; the suite and the grader boot the kernel of a rule with its configuration.', '', '| id | rule | configuration |', '| --- | --- | --- |');
    for (const r of contract.rules) out.push(`| \`${r.id}\` | ${esc(r.text)} | ${r.config ? esc(ruleConfigText(r.config)) : 'default'} |`);
    out.push('', `## Mutants (${mutants.length})`, '');
    if (mutants.length) {
      out.push('| mutant | breaks | what it brings back |', '| --- | --- | --- |');
      for (const m of mutants) out.push(`| \`${m.id}\` | \`${m.breaks}\` | ${esc(m.description)} |`);
    } else out.push('None yet.');
    out.push('');
  }
  const entries = SEED_CHANGELOG.filter((e) => e.subsystem === s.name);
  out.push(`## Seed entries (${entries.length})`, '');
  if (entries.length) {
    out.push('| entry | behavioural | coverage |', '| --- | --- | --- |');
    for (const e of entries) {
      const by = [...e.covers.rules, ...e.covers.mutants].map((id) => `\`${id}\``).join(', ');
      out.push(`| [\`${e.id}\`](../seed.md): [${esc(e.subject)}](${e.link}) | ${e.behavioural ? 'yes' : 'no'} | ${seedCoverage(e)}${by ? `: ${by}` : ''} |`);
    }
  } else out.push('None in the April 2018 changelog.');
  out.push('<!-- generated:end -->', '');
  return out.join('\n');
}

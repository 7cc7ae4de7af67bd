import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../src/main.js';
import { parseSize, parseSizeOrPercent } from '../src/size.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('mmkit boot', () => {
  it('prints the seed changelog figure for the 22 GB preset, and the old one with the mutant', async () => {
    expect(await run('boot', '--preset', 'seed-22g', '--show', 'min_free_kbytes')).toEqual({ code: 0, out: '90112\n', err: '' });
    const old = await run('boot', '--preset', 'seed-22g', '--show', 'min_free_kbytes', '--mutant', 'khugepaged-min-free-counts-movable');
    expect(old.out).toBe('112640\n');
  });

  it('boots a described machine and shows a view', async () => {
    const r = await run('boot', '--mem', '2G', '--nodes', '2', '--show', 'buddyinfo');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Node 0, zone +DMA/m);
    expect(r.out).toMatch(/^Node 1, zone +DMA32/m);
    const s = await run('boot', '--mem', '1G', '--sysctl', 'vm.min_free_kbytes=8192');
    expect(s.out).toMatch(/vm.min_free_kbytes = 8192/);
  });

  it('boots SLAB or SLUB and shows /proc/slabinfo', async () => {
    const slab = await run('boot', '--mem', '256M', '--slab', 'slab', '--show', 'slabinfo');
    expect(slab.code).toBe(0);
    expect(slab.out.split('\n')[0]).toBe('slabinfo - version: 2.1');
    expect(slab.out).toMatch(/^kmalloc-4194304 /m); // SLAB's largest kmalloc cache
    const slub = await run('boot', '--mem', '256M', '--kasan', '--show', 'slabinfo');
    expect(slub.out).toMatch(/^kmalloc-8192 /m);
    expect(slub.out).not.toMatch(/^kmalloc-16384 /m); // SLUB sends those to the page allocator
    const bad = await run('boot', '--slab', 'slob');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--slab must be slub or slab/);
  });

  it('boots a CMA area under either policy: CmaFree equals CmaTotal, pagetypeinfo counts the CMA blocks', async () => {
    const kb = (text: string, label: string) => Number(new RegExp(`^${label}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1]);
    for (const policy of [[], ['--cma-policy', 'zone-movable'], ['--cma-policy', 'migratetype']]) {
      const meminfo = await run('boot', '--cma', '256M', ...policy, '--show', 'meminfo');
      expect(meminfo.code).toBe(0);
      expect(kb(meminfo.out, 'CmaTotal'), policy.join(' ')).toBe(262144);
      expect(kb(meminfo.out, 'CmaFree'), policy.join(' ')).toBe(262144);
      const pagetypeinfo = await run('boot', '--cma', '256M', ...policy, '--show', 'pagetypeinfo');
      const blocks = pagetypeinfo.out.slice(pagetypeinfo.out.indexOf('Number of blocks type'));
      // The CMA column: 256 MiB = 128 pageblocks, in Movable (the seed's policy) or in Normal, the zone the area lies in.
      const zone = policy[1] === 'migratetype' ? 'Normal' : 'Movable';
      expect(blocks, policy.join(' ')).toMatch(new RegExp(`^Node 0, zone +${zone} +(\\d+ +){4}128 +0 $`, 'm'));
    }
    const seed = await run('boot', '--cma', '256M');
    expect(seed.out).toMatch(/^ +0 Movable +0x/m);
    expect(seed.out).toMatch(/policy zone-movable: .*Linux 4\.17-rc1 to rc6 \(the default\)/);
    const old = await run('boot', '--cma', '256M', '--cma-policy', 'migratetype');
    expect(old.out).not.toMatch(/^ +0 Movable/m); // an empty ZONE_MOVABLE is not listed
    expect(old.out).toMatch(/^ +0 Normal +0x100000 +262144 +262144 /m); // Normal spans the area (the top 256 MiB)
    expect(old.out).toMatch(/policy migratetype: .*Linux 4\.16 and 4\.17-final/);
    const bad = await run('boot', '--cma', '256M', '--cma-policy', 'zone-cma');
    expect(bad).toEqual({ code: 2, out: '', err: "mmkit: --cma-policy must be zone-movable or migratetype, got 'zone-cma'\n" });
  });

  it('reads a zoneinfo file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmkit-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'zoneinfo');
    let zoneinfo = '';
    await main(['boot', '--mem', '1G', '--show', 'zoneinfo'], (s) => (zoneinfo += s));
    writeFileSync(file, zoneinfo);
    const r = await run('boot', '--like-zoneinfo', file, '--show', 'zoneinfo');
    expect(r.code).toBe(0);
    expect(r.out.replace(/pages free.*\n/g, '')).toContain(zoneinfo.split('\n').find((l) => l.includes('managed'))!);
  });

  it('answers bad input with a message and exit status 2', async () => {
    for (const argv of [
      ['boot', '--mem', 'lots'],
      ['boot', '--nodes', '0'],
      ['boot', '--preset', 'nope'],
      ['boot', '--preset', 'default', '--mem', '1G'],
      ['boot', '--show', 'everything'],
      ['boot', '--sysctl', 'vm.min_free_kbytes'],
      ['boot', '--sysctl', 'vm.min_free_kbytes=-1'],
      ['boot', '--like-zoneinfo', '/nonexistent/zoneinfo'],
      ['boot', '--mutant', 'nope'],
      ['boot', '--bogus'],
      ['frobnicate'],
      ['grade'],
      ['grade', 'slub'],
      ['grade', 'slab-allocator', '--mutant', 'buddy-never-coalesces'],
      ['grade', 'buddy', '--mutant', 'slub-kasan-hook-ignored'],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/^mmkit: /);
    }
  });
});

describe('mmkit mutants and presets', () => {
  it('lists mutants with the rule each breaks', async () => {
    const r = await run('mutants', '--json');
    const list = JSON.parse(r.out) as { id: string; contract: string; breaks: string }[];
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.map((m) => m.id)).toEqual(expect.arrayContaining(['khugepaged-min-free-counts-movable', 'buddy-never-coalesces']));
    for (const m of list) expect(m.breaks.startsWith(`${m.contract}.`), `${m.id} breaks ${m.breaks}`).toBe(true);
    expect(list.map((m) => m.id)).toEqual(expect.arrayContaining(['mmap-noreplace-ignored', 'mmap-no-stack-guard-gap']));
    expect(list.map((m) => m.id)).toEqual(expect.arrayContaining(['slub-kasan-hook-ignored', 'slab-cache-reap-unbound']));
  });

  it('lists presets', async () => {
    const r = await run('presets');
    expect(r.out).toMatch(/^seed-22g /m);
  });
});

describe('sizes', () => {
  it('parses kernel command-line sizes', () => {
    expect(parseSize('4G')).toBe(4 * 2 ** 30);
    expect(parseSize('512M')).toBe(512 * 2 ** 20);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('0x1000')).toBe(4096);
    expect(parseSize('4GiB')).toBe(4 * 2 ** 30);
    expect(parseSize('four')).toBeUndefined();
    expect(parseSizeOrPercent('25%')).toEqual({ percent: 25 });
    expect(parseSizeOrPercent('150%')).toBeUndefined();
  });
});

describe('mmkit boot --deferred-struct-page-init', () => {
  it('logs the deferred step and ends with the same buddyinfo', async () => {
    const on = await run('boot', '--mem', '4G', '--deferred-struct-page-init', '--show', 'dmesg');
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/\] node 0 initialised, \d+ pages in \d+ms$/m);
    const a = await run('boot', '--mem', '4G', '--deferred-struct-page-init', '--show', 'buddyinfo');
    const b = await run('boot', '--mem', '4G', '--show', 'buddyinfo');
    expect(a.out).toBe(b.out);
  });
});

describe('mmkit boot: debugging options', () => {
  it('boots with CONFIG_DEBUG_VM and slub_debug and shows them', async () => {
    const r = await run('boot', '--mem', '256M', '--debug-vm', '--slub-debug', 'FZPUT,kmalloc-64');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^debug: CONFIG_DEBUG_VM=y slub_debug=FZPUT,kmalloc-64$/m);
    const d = await run('boot', '--mem', '256M');
    expect(d.out).toMatch(/^debug: none \(4\.17 defaults\)$/m);
  });

  it('boots SLAB with CONFIG_DEBUG_SLAB (--debug-slab) and shows it', async () => {
    const r = await run('boot', '--mem', '256M', '--slab', 'slab', '--debug-slab');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^debug: CONFIG_DEBUG_SLAB=y$/m);
  });

  it('refuses a bad slub_debug with one line and exit 2', async () => {
    const r = await run('boot', '--mem', '256M', '--slub-debug', 'FQ');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--slub-debug: slub_debug option "Q" unknown/);
  });
});

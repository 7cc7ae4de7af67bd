/**
 * Issue 10, "must show": random and hostile values for every option of every command and every
 * createKernel field. No internal error (exit 70), no stack trace, no V8 fatal error; every
 * refusal is one line and exit 2 (createKernel: a KernelConfigError or MachineSpecError).
 *
 * The default run is small and seeded (a few hundred cases, a few seconds);
 * MMKIT_FUZZ_CASES=5000 (and MMKIT_FUZZ_SEED=n) runs a larger campaign.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '@mmkit/core';
import { createKernel, kernelConfigFields, type KernelConfig } from '@mmkit/kernel';
import { BOOT_HELP } from '../src/boot-command.js';
import { DEFAULT_KIT, type ConformanceKit } from '../src/kit.js';
import { main } from '../src/main.js';

const CASES = Number(process.env.MMKIT_FUZZ_CASES ?? 300);
const SEED = Number(process.env.MMKIT_FUZZ_SEED ?? 10);
const rng = new Prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[rng.nextU32() % xs.length];
const chance = (p: number) => rng.nextU32() / 2 ** 32 < p;

// Files: garbage of every kind, and /dev/zero-like streams (read through the CLI's bounded reader).
const dir = mkdtempSync(join(tmpdir(), 'mmkit-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const binary = new Uint8Array(50_000);
for (let i = 0; i < binary.length; i++) binary[i] = rng.nextU32() & 255;
const ZONEINFO_NODE = 'Node 1000000, zone DMA\n  pages free 1\n min 1\n low 1\n high 1\n spanned 1\n present 1\n managed 1\n';
const FILES = [
  '/dev/zero', '/dev/null', dir, join(dir, 'missing'), '',
  file('binary', binary),
  file('empty', ''),
  file('huge-line', `BIOS-e820: [mem 0x0-0x9fbff] ${'u'.repeat(300_000)}\n`),
  file('many-lines', 'x\n'.repeat(200_000)),
  file('e820-ok', 'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\nBIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable\n'),
  file('e820-overlap', '0x0-0x9fbff usable\n0x1000-0x2000 reserved\n'),
  file('e820-2^53', '0x0-0xfffffffffffffff usable\n'),
  file('zoneinfo-node', ZONEINFO_NODE),
  file('zoneinfo-huge-node', ZONEINFO_NODE.replace('1000000', '4294967295')),
  file('zoneinfo-order', 'Node 0, zone DMA\n pages free 1\n min 1\n low 1\n high 1\n spanned 4096\n present 4096\n managed 4096\n start_pfn: 1048576\nNode 0, zone DMA32\n pages free 1\n min 1\n low 1\n high 1\n spanned 4096\n present 4096\n managed 4096\n start_pfn: 4096\n'),
  file('zoneinfo-big', 'Node 0, zone Normal\n pages free 1\n min 1\n low 1\n high 1\n spanned 17179869184\n present 1\n managed 1\n start_pfn: 1048576\n'),
  file('control', '\u001b[2J\u0000\u0007\r\n'),
];

const PROTO = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
const NUMBERS = ['NaN', 'Infinity', '-Infinity', '-1', '0', '1', '1.5', '-0', '1e309', '9007199254740992', '9007199254740993', '4294967296', '99999999999999999999999', '0x10', '1e3', '2', '3'];
const STRINGS = ['', ' ', '=', '-', '--', '\u0000', '\n', 'é', 'x'.repeat(10_000), ...PROTO, ...NUMBERS];
const SIZES = ['64M', '16M', '2M', '1M', '4k', '64T', '8E', '1.5G', '0', '-64M', '0x4000000', '25%', '101%', '-1%', 'NaN%', '64MiB', '64mb'];
const SYSCTLS = ['vm.min_free_kbytes=NaN', 'vm.min_free_kbytes=-1', 'vm.min_free_kbytes=1e9', 'vm.watermark_scale_factor=0', 'vm.lowmem_reserve_ratio=1 2 3 4 5 6 7', '__proto__=1', 'constructor=x', '=1', 'vm.=1', '.=', 'vm.min_free_kbytes', 'vm/min_free_kbytes=1', 'vm.overcommit_ratio=-5'];

/** Values for each option of each command (read from packages/cli/src); booleans take no value. */
const BOOT_OPTIONS: Record<string, (() => string) | null> = {
  '--preset': () => pick([...PROTO, 'default', 'movable-4g', '', 'nope']),
  '--mem': () => pick([...SIZES, ...STRINGS]),
  '--nodes': () => pick([...NUMBERS, ...PROTO, '64', '65']),
  '--arch': () => pick(['x86_64', 'i386', ...PROTO, '']),
  '--movablecore': () => pick(SIZES),
  '--kernelcore': () => pick(SIZES),
  '--cma': () => pick([...SIZES, ...PROTO]),
  '--cma-policy': () => pick(['zone-movable', 'migratetype', ...PROTO, '']),
  '--e820': () => pick(FILES),
  '--like-zoneinfo': () => pick(FILES),
  '--cpus': () => pick([...NUMBERS, '256', '257', ...PROTO]),
  '--thp': () => pick(['always', 'madvise', 'never', ...PROTO, '']),
  '--sysctl': () => pick([...SYSCTLS, ...STRINGS]),
  '--slab': () => pick(['slub', 'slab', ...PROTO, '']),
  '--kasan': null,
  '--deferred-struct-page-init': null,
  '--mutant': () => pick([...PROTO, '', 'khugepaged-min-free-counts-movable', 'nope']),
  '--seed': () => pick([...NUMBERS, '4294967295', ...PROTO]),
  '--show': () => pick([...PROTO, 'zoneinfo', 'meminfo', 'dmesg', 'summary', 'slabinfo', '', 'nope']),
  '--debug-vm': null,
  '--slub-debug': () => pick(['', 'FZPU', 'F,kmalloc-64', '-', 'X', ...PROTO, ...NUMBERS]),
  '--freelist-hardened': null,
  '--debug-slab': null,
  '--help': null,
};
const GRADE_OPTIONS: Record<string, (() => string) | null> = {
  '--mutant': () => pick([...PROTO, '', 'nope']),
  '--json': null,
  '--junit': () => pick([...FILES.slice(0, 5), join(dir, 'junit.xml')]),
  '--html': () => pick([...FILES.slice(0, 5), join(dir, 'report.html')]),
  '--timeout': () => pick(NUMBERS),
  '--memory': () => pick(NUMBERS),
  '--no-bench': null,
  '--verbose': null,
  '--quiet': null,
  '--seed': () => pick(NUMBERS),
  '--replay': () => pick([...FILES.slice(0, 5), join(dir, 'replay.json')]),
};
const JSON_ONLY: Record<string, (() => string) | null> = { '--json': null, '--help': null };
// A batch of two submission folders, and outputs only ever in the fuzz's own folder.
const batchDir = join(dir, 'batch');
for (const s of ['ann', 'bob']) {
  mkdirSync(join(batchDir, s), { recursive: true });
  writeFileSync(join(batchDir, s, 'index.ts'), 'export default () => null;\n');
}
const OUTPUTS = ['', join(dir, 'gb.json'), join(dir, 'gb.csv'), dir, join(dir, 'missing', 'gb.json'), join(dir, 'x'.repeat(300))];
const GRADE_BATCH_OPTIONS: Record<string, (() => string) | null> = {
  '--shard': () => pick(['1/1', '2/3', '0/3', '4/3', '1/0', '3', '', '1/2/3', '-1/2', ...NUMBERS, ...PROTO]),
  '--jobs': () => pick(NUMBERS),
  '--out': () => pick(OUTPUTS),
  '--csv': () => pick(OUTPUTS),
  '--reports': () => pick([join(dir, 'reports'), join(dir, 'binary'), '']),
  '--filter': () => pick(['(', '[', 'free', '', '*', ...PROTO]),
  '--property-runs': () => pick(NUMBERS),
  '--seed': () => pick(NUMBERS),
  '--timeout': () => pick(NUMBERS),
  '--memory': () => pick(NUMBERS),
  '--no-bench': null,
  '--quiet': null,
  '--help': null,
};
const MERGE_OPTIONS: Record<string, (() => string) | null> = { '--csv': () => pick(OUTPUTS), '--partial': null, '--help': null };

/** The grader is replaced: the fuzz is about the CLI's handling of arguments, not grading. */
const KIT: ConformanceKit = {
  ...DEFAULT_KIT,
  grade: () => Promise.resolve({ score: { failed: 0 }, cases: [] } as unknown as Awaited<ReturnType<ConformanceKit['grade']>>),
  formatText: () => 'report\n',
  formatJson: () => '{}\n',
  formatJunit: () => '<testsuites/>\n',
  formatHtml: () => '<html></html>\n',
};

function randomArgs(options: Record<string, (() => string) | null>, positionals: () => string[]): string[] {
  const args: string[] = [...positionals()];
  const names = Object.keys(options);
  const n = rng.nextU32() % 4;
  for (let i = 0; i < n; i++) {
    const name = chance(0.05) ? pick(['--nope', '-x', '--', '---', '--=']) : pick(names);
    const value = options[name];
    if (value === null || value === undefined) args.push(name);
    else if (chance(0.1)) args.push(`${name}=${value()}`);
    else args.push(name, value());
  }
  if (chance(0.05)) args.push(pick(STRINGS));
  return args;
}

const machineGiven = (args: string[]) => args.some((a) => /^--(preset|mem|nodes|arch|movablecore|kernelcore|cma|e820|like-zoneinfo)\b/.test(a));

function randomArgv(): string[] {
  const command = pick(['boot', 'boot', 'boot', 'boot', 'grade', 'grade-batch', 'merge-reports', 'mutants', 'changelog', 'presets', 'help', ...PROTO, '', '--help']);
  switch (command) {
    case 'boot': {
      const args = randomArgs(BOOT_OPTIONS, () => []);
      // Most cases boot a small machine, so a few hundred of them stay fast.
      if (!machineGiven(args) && chance(0.9)) args.push('--mem', '64M');
      return ['boot', ...args];
    }
    case 'grade':
      return ['grade', ...randomArgs(GRADE_OPTIONS, () => (chance(0.8) ? [pick([...PROTO, 'page-allocator', 'slab-allocator', 'buddy', ''])] : []).concat(chance(0.2) ? [pick(STRINGS)] : []))];
    case 'grade-batch': {
      const args = randomArgs(GRADE_BATCH_OPTIONS, () => (chance(0.9) ? [pick(['page-allocator', 'buddy', ...PROTO, ''])] : []).concat(chance(0.9) ? [pick([batchDir, batchDir, ...FILES])] : []));
      // Never the default output (the working directory): the fuzz writes in its own folder only.
      if (!args.includes('--out') && !args.some((a) => a.startsWith('--out='))) args.push('--out', join(dir, 'gb.json'));
      return ['grade-batch', ...args];
    }
    case 'merge-reports':
      return ['merge-reports', ...randomArgs(MERGE_OPTIONS, () => [pick(OUTPUTS), ...Array.from({ length: rng.nextU32() % 3 }, () => pick([...FILES, join(dir, 'gb.json')]))])];
    case 'mutants':
    case 'changelog':
      return [command, ...randomArgs(JSON_ONLY, () => [])];
    default:
      return [command, ...(chance(0.3) ? [pick(STRINGS)] : [])];
  }
}

async function runInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s), KIT);
  return { code, out, err };
}

function expectClean(what: string, r: { code: number; err: string }): void {
  expect([0, 1, 2], `${what}: exit ${r.code}: ${r.err}`).toContain(r.code);
  expect(r.err, what).not.toMatch(/\n\s+at |internal error|FATAL ERROR|Invalid typed array length|Maximum call stack/);
  if (r.code === 2) {
    expect(r.err, what).toMatch(/^mmkit: /);
    expect(r.err.trimEnd().split('\n'), what).toHaveLength(1);
    expect(r.err.length, what).toBeLessThan(1000);
  }
}

describe('fuzz: the mmkit command', () => {
  it('fuzzes every boot option the help lists', () => {
    const listed = new Set(BOOT_HELP.match(/--[a-z][a-z0-9-]*/g));
    for (const option of listed) expect(Object.keys(BOOT_OPTIONS), `mmkit boot ${option} is not fuzzed`).toContain(option);
  });

  it(`${CASES} random command lines (seed ${SEED}): exit 0, 1 or 2, one-line refusals, no stack`, async () => {
    for (let i = 0; i < CASES; i++) {
      const argv = randomArgv();
      const what = `case ${i}: mmkit ${argv.map((a) => JSON.stringify(a.length > 40 ? `${a.slice(0, 40)}...` : a)).join(' ')}`;
      expectClean(what, await runInProcess(argv));
    }
  }, 120_000);

  it('the cases that were fatal V8 errors or aborts, in a real child process', () => {
    const child = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));
    const cases = [
      ['boot', '--like-zoneinfo', FILES[13]], // Node 1000000: a fatal V8 error
      ['boot', '--like-zoneinfo', FILES[14]], // Node 4294967295: "Invalid array length"
      ['boot', '--e820', '/dev/zero'], // read to 8.5 GB, then aborted
      ['boot', '--mem', '64T'], // "Invalid typed array length"
    ];
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', child, ...cases.map((c) => JSON.stringify(c))], {
      encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 22,
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; code: number; err: string });
    expect(results).toHaveLength(cases.length);
    for (const res of results) {
      expectClean(res.argv.join(' '), res);
      expect(res.code, res.err).toBe(2);
    }
  }, 120_000);
});

// createKernel: every field with hostile values.
const HOSTILE: unknown[] = [
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 44, -0, 10n, Symbol('s'), true, false,
  '', 'constructor', '__proto__', 'toString', '1', 'x'.repeat(1000), {}, [], [NaN], [-1], [1.5], JSON.parse('{"__proto__": 1, "constructor": 2}'),
  () => 1, new Date(0), Object.create(null),
];
const MACHINE_FIELDS: Record<string, unknown[]> = {
  mem: [64 * 2 ** 20, 16 * 2 ** 20],
  arch: ['x86_64', 'i386'],
  nodes: [2, 64, 65],
  e820: ['0x0-0x9fbff usable\n0x100000-0x3ffffff usable', [{ addr: 0, size: 0x9fc00, type: 'usable' }], [{ addr: NaN, size: 1, type: 'usable' }], [{ addr: 0, size: 1, type: 'constructor' }]],
  kernelcore: [{ percent: 50 }, { percent: NaN }, { percent: 101 }],
  movablecore: [{ percent: 25 }, { percent: -1 }, 16 * 2 ** 20],
  movableNodes: [[0], [1], [NaN]],
  cma: [[{ size: 4 * 2 ** 20 }], [{ size: NaN }], [{ size: 4 * 2 ** 20, node: 1.5 }], [null]],
  reserve: [{ kernelImage: NaN }, { extra: [{ addr: -1, size: 1 }] }, { memmap: 'yes' }, { firmware: false }],
};
const FIELD_VALUES: Record<string, unknown[]> = {
  preset: ['default', 'nope'],
  likeZoneinfo: ['', ZONEINFO_NODE, 'Node 0, zone DMA\n'],
  nrCpus: [2, 256, 257],
  thp: ['always', 'madvise', 'never'],
  seed: [1, 2 ** 32 - 1],
  sysctl: [{ 'vm.min_free_kbytes': 1024 }, { 'vm.min_free_kbytes': NaN }, { 'vm.nope': 1 }, JSON.parse('{"__proto__": 1}')],
  failPageAlloc: [{ probability: 100, times: -1 }, { probability: NaN }, { interval: 0 }, { minOrder: 11 }, { constructor: 1 }],
  failslab: [{ probability: 1 }, { verbose: 3 }, { cacheFilter: 1 }],
  kasan: [true, { quarantineBytes: 0 }, { quarantineBytes: NaN }, { quarantineBytes: -1 }],
  logBufShift: [12, 25, 26, 11],
  debugForceRrCpu: [true],
  pcp: [true, false],
  deferredStructPageInit: [true, false, 'yes'],
  sharedMemory: [true, false, 1],
  slab: ['slub', 'slab', 'slob'],
  unboundCpumask: [[0], [0, 1], [2], []],
  debug: [{}, { vm: true }, { vm: 'yes' }, { slubDebug: 'FZPU' }, { slubDebug: 'X' }],
  cma: [{ policy: 'migratetype' }, { policy: 'constructor' }, { policy: NaN }],
};

/** A config as a message shows it (NaN, bigint, symbols and functions included). */
function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' || typeof x === 'symbol' || typeof x === 'function' ? String(x) : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/** createKernel(config): undefined when it boots, else the one-line KernelConfigError/MachineSpecError message. */
function tryCreate(config: unknown): string | undefined {
  try {
    createKernel(config as KernelConfig);
    return undefined;
  } catch (e) {
    const error = e as Error;
    expect(['KernelConfigError', 'MachineSpecError'], `${show(config)} threw ${error.name}: ${error.message}`).toContain(error.name);
    expect(error.message.split('\n'), show(config)).toHaveLength(1);
    expect(error.message.length, show(config)).toBeLessThan(1000);
    return error.message;
  }
}

describe('fuzz: createKernel', () => {
  it('every field the configuration has is fuzzed', () => {
    for (const field of kernelConfigFields()) {
      if (field === 'pageAllocator' || field === 'addressSpaces' || field === 'kasanHooks' || field === 'machine') continue; // a factory, hooks: HOSTILE covers them
      expect(Object.keys(FIELD_VALUES), `createKernel field ${field} is not fuzzed`).toContain(field);
    }
  });

  it('each field alone, with hostile values (all of them in a campaign)', () => {
    const base = { machine: { mem: 64 * 2 ** 20 } };
    const some = (values: unknown[]) => (CASES >= 1000 ? values : values.filter(() => chance(0.35)));
    // A machine left out (or an empty one) is the default 4 GiB: valid, and slow enough to keep out of the loop.
    const boots4g = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
    for (const field of kernelConfigFields()) {
      for (const value of some(HOSTILE)) {
        if (field === 'machine' && boots4g(value)) continue;
        const config: Record<string, unknown> = field === 'preset' || field === 'likeZoneinfo' ? {} : { ...base };
        config[field] = value;
        tryCreate(config);
      }
    }
    for (const [field, values] of Object.entries(MACHINE_FIELDS)) {
      for (const value of some([...HOSTILE, ...values])) {
        if ((field === 'mem' || field === 'e820') && value === undefined) continue;
        const machine: Record<string, unknown> = field === 'mem' || field === 'e820' ? {} : { mem: 64 * 2 ** 20 };
        machine[field] = value;
        tryCreate({ machine });
      }
    }
    for (const value of HOSTILE) tryCreate(value);
  }, 60_000);

  it(`${Math.round(CASES / 2)} random combinations (seed ${SEED})`, () => {
    const fields = Object.keys(FIELD_VALUES);
    for (let i = 0; i < CASES / 2; i++) {
      const config: Record<string, unknown> = {};
      const machine: Record<string, unknown> = { mem: pick([64 * 2 ** 20, 32 * 2 ** 20, ...HOSTILE.filter((v) => v !== undefined)]) };
      for (let n = rng.nextU32() % 3; n > 0; n--) {
        const f = pick(Object.keys(MACHINE_FIELDS));
        machine[f] = chance(0.5) ? pick(MACHINE_FIELDS[f]) : pick(HOSTILE);
      }
      if (chance(0.9)) config.machine = machine;
      for (let n = 1 + (rng.nextU32() % 4); n > 0; n--) {
        const f = pick(fields);
        config[f] = chance(0.6) ? pick(FIELD_VALUES[f]) : pick(HOSTILE);
      }
      tryCreate(config);
    }
  }, 60_000);
});

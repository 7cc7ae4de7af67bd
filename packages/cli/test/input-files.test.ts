/** Issue 10, item 9: input files are bounded and validated; every refusal is one line and exit 2. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { MAX_INPUT_FILE_BYTES } from '../src/read-input.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

function refused(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(pattern);
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  expect(r.err.length).toBeLessThan(600);
}

const dir = mkdtempSync(join(tmpdir(), 'mmkit-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('--e820 and --like-zoneinfo read a bounded amount', () => {
  it.each(['--e820', '--like-zoneinfo'])('%s /dev/zero is refused after reading at most the cap', async (flag) => {
    refused(await run('boot', flag, '/dev/zero'), new RegExp(`${flag}: '/dev/zero' is larger than ${MAX_INPUT_FILE_BYTES / 2 ** 20} MiB`));
  });
  it.each(['--e820', '--like-zoneinfo'])('%s of a directory or a missing file is a one-line error', async (flag) => {
    refused(await run('boot', flag, dir), /cannot read|is a directory/);
    refused(await run('boot', flag, join(dir, 'missing')), /cannot read/);
  });
  it('binary garbage and huge lines get a short one-line message', async () => {
    const binary = new Uint8Array(100_000);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 256;
    refused(await run('boot', '--e820', file('bin.e820', binary)), /e820|line/);
    refused(await run('boot', '--like-zoneinfo', file('bin.zoneinfo', binary)), /zoneinfo|line|Node/);
    const huge = `BIOS-e820: [mem 0x0-0x9fbff] ${'x'.repeat(2_000_000)}\n`;
    refused(await run('boot', '--e820', file('huge.e820', huge)), /line 1: longer than 4096 characters/);
    refused(await run('boot', '--like-zoneinfo', file('huge.zoneinfo', `Node 0, zone DMA\n${'9'.repeat(5000)}\n`)), /line 2: longer than 4096 characters/);
    refused(await run('boot', '--like-zoneinfo', file('ctl.zoneinfo', 'Node 0, zone DMA\n\u001b[31mred\u0007\n')), /line 2: not a zoneinfo line: "\\u001b\[31mred\\u0007"/);
  });
  it('--mem 64T is refused with what it would need, not "Invalid typed array length"', async () => {
    refused(await run('boot', '--mem', '64T'), /a machine of 65536 GiB .* more pages than mmkit simulates/);
  });
  it('a zoneinfo with Node 1000000 is refused (it was a fatal V8 error)', async () => {
    const text = 'Node 1000000, zone DMA\n  pages free 1\n min 1\n low 1\n high 1\n spanned 1\n present 1\n managed 1\n';
    refused(await run('boot', '--like-zoneinfo', file('node.zoneinfo', text)), /line 1: node 1000000 is beyond MAX_NUMNODES \(1024\)/);
  });
});

describe('mmkit boot --show dmesg (issue 10 item 14)', () => {
  it('prints the kernel log after boot, oldest first', async () => {
    const r = await run('boot', '--mem', '256M', '--show', 'dmesg');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\[ +0\.000000\] Linux version 4\.17\.0-mmkit/);
    expect(lines.some((l) => /Memory: \d+K\/\d+K available/.test(l))).toBe(true);
  });
});

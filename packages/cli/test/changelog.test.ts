import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

interface Entry {
  id: string;
  subject: string;
  subsystem: string;
  behavioural: boolean;
  link: string;
  covers: { rules: string[]; mutants: string[] };
  coverage: string;
}

describe('mmkit changelog', () => {
  it('prints the 40 seed entries as a table: id, subsystem, behavioural, coverage, link, then subject and what covers it', async () => {
    const r = await run('changelog');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ENTRY +SUBSYSTEM +BEHAVIOURAL +COVERAGE +LINK$/);
    const rows = lines.filter((l) => /^[a-z0-9-]+ +\S+ +(yes|no) +(covered|not yet|n\/a) +http:\/\/lkml\.kernel\.org\/r\/\S+$/.test(l));
    expect(rows).toHaveLength(40);
    expect(rows[0]).toMatch(/^slab-reschedule-cache-reap-same-cpu +slab +yes +covered +http:\/\/lkml\.kernel\.org\/r\/20180411070007\.32225-1-vbabka@suse\.cz$/);
    expect(r.out).toMatch(/^thp-dont-count-zone-movable +buddy +yes +covered /m);
    expect(r.out).toMatch(/^ {4}mm\/thp: don't count ZONE_MOVABLE as the target for freepage reserving$/m);
    expect(r.out).toMatch(/^ {4}mutants: khugepaged-min-free-counts-movable$/m);
    expect(r.out).toMatch(/^ {4}rules: page-allocator\.min-free-kbytes\.thp-excludes-movable, /m);
    expect(r.out).toMatch(/^map-fixed-noreplace +mmap +yes +covered /m);
    expect(r.out).toMatch(/^gup-efault-on-access-ok-failure +gup +yes +not yet /m);
    expect(r.out).toMatch(/^hmm-move-pfns-clear +hmm +no +n\/a /m);
    expect(r.out).toMatch(/^ {4}gup: return -EFAULT on access_ok failure \(unverified\)$/m);
    expect(r.out).toMatch(/\n40 entries, \d+ behavioural: \d+ covered, \d+ not yet\n$/);
  });

  it('prints the catalogue as JSON with --json', async () => {
    const r = await run('changelog', '--json');
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as Entry[];
    expect(entries).toHaveLength(40);
    for (const e of entries) {
      expect(e.link).toMatch(/^http:\/\/lkml\.kernel\.org\/r\//);
      expect(['covered', 'not yet', 'n/a']).toContain(e.coverage);
      if (e.coverage === 'n/a') expect(e.behavioural).toBe(false);
      if (e.coverage === 'covered') expect(e.covers.rules.length + e.covers.mutants.length).toBeGreaterThan(0);
    }
    const kasan = entries.find((e) => e.id === 'kasan-slub-kasan-slab-free-hook')!;
    expect(kasan).toMatchObject({ subject: 'kasan, slub: fix handling of kasan_slab_free hook', subsystem: 'slub', behavioural: true, coverage: 'covered' });
    expect(kasan.covers.mutants).toEqual(['slub-kasan-hook-ignored']);
  });

  it('has help, and answers unknown options and arguments with one line and exit status 2', async () => {
    const help = await run('changelog', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: mmkit changelog \[--json\]/);
    expect((await run('help')).out).toMatch(/^ {2}changelog \[--json\] /m);
    for (const argv of [['changelog', '--bogus'], ['changelog', 'extra'], ['changelog', '--json=yes']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out, argv.join(' ')).toBe('');
      expect(r.err, argv.join(' ')).toMatch(/^mmkit: [^\n]+\n$/);
    }
  });
});

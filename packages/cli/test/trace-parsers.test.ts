import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffMaps, formatMapsDiff, formatMapsEntry, parseMaps } from '../src/trace/proc-maps.js';
import { parseStrace } from '../src/trace/strace-parser.js';

const TRACES = join(import.meta.dirname, 'fixtures', 'traces');
const FOLDERS = readdirSync(TRACES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('strace -y -e trace=memory', () => {
  it('reads every line of every recorded folder: calls, and the exit line as a note', () => {
    expect(FOLDERS.length).toBeGreaterThanOrEqual(12);
    for (const folder of FOLDERS) {
      const text = readFileSync(join(TRACES, folder, 'strace.txt'), 'utf8');
      const t = parseStrace(text);
      expect(t.problems, folder).toEqual([]);
      expect(t.calls.length + t.notes.length, folder).toBe(text.trimEnd().split('\n').length);
      expect(t.notes.at(-1)?.text, folder).toMatch(/^\+\+\+ exited with \d+ \+\+\+$/);
    }
  });

  it('turns flag sets, NULL, hex and decimal into 4.17 numbers, and reads fd paths and error results', () => {
    const t = parseStrace(
      [
        'mmap(NULL, 1974096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/x86_64-linux-gnu/libc.so.6>, 0x26000) = 0x7ffff7dfb000',
        'mmap(0x400002000, 16384, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = -1 EEXIST (File exists)',
        'mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x200000) = 0x200000',
        'mremap(0x400000000, 16384, 32768, 0)    = 0x400000000',
        'madvise(0x7f0000000000, 8192, MADV_DONTNEED) = 0',
        'brk(NULL)                               = 0x555555559000',
        'mprotect(0x1000, 4096, PROT_NONE) = 0',
        'mmap(NULL, 2097152, PROT_READ|0x100 /* PROT_??? */, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, -1, 0) = -1 ENOMEM (Cannot allocate memory)',
        'mmap(NULL, 8, PROT_READ, MAP_SHARED, 5</tmp/a\\x3eb, c (deleted)>, 0) = 0x7f0000000000',
      ].join('\n'),
    );
    expect(t.problems).toEqual([]);
    const [libc, noreplace, fixed, grow, madv, brk, none, huge, odd] = t.calls;
    expect(libc.args).toEqual([0n, 1974096n, 5n, 0x812n, 3n, 0x26000n]);
    expect(libc.fd).toEqual({ index: 4, fd: 3, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' });
    expect(libc.result).toEqual({ kind: 'value', value: 0x7ffff7dfb000n });
    expect(noreplace.args[3]).toBe(0x100022n);
    expect(noreplace.result).toEqual({ kind: 'error', errno: 17, name: 'EEXIST' });
    expect(fixed.args).toEqual([0x1000n, 4096n, 8192n, 3n, 0x200000n]);
    expect(grow.args).toEqual([0x400000000n, 16384n, 32768n, 0n, 0n]);
    expect(madv.args[2]).toBe(4n);
    expect(brk.args).toEqual([0n]);
    expect(none.args[2]).toBe(0n);
    expect(huge.args[2]).toBe(0x101n);
    expect(huge.args[3]).toBe(0x40022n | (21n << 26n));
    expect(odd.fd?.path).toBe('/tmp/a>b, c (deleted)');
  });

  it('joins unfinished and resumed halves, notes signals and exits, names flags newer than 4.17', () => {
    const t = parseStrace(
      [
        '[pid 7] madvise(0x7f0000000000, 4096, MADV_COLD <unfinished ...>',
        '[pid 7] <... madvise resumed>) = 0',
        '[pid 7] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---',
        '[pid 7] +++ killed by SIGSEGV +++',
      ].join('\n'),
    );
    expect(t.problems).toEqual([]);
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]).toMatchObject({ line: 1, pid: 7, name: 'madvise', args: [0x7f0000000000n, 4096n, 20n], newerFlags: ['MADV_COLD'] });
    expect(t.notes.map((n) => [n.line, n.kind])).toEqual([[3, 'signal'], [4, 'exit']]);
  });

  it('reports unknown calls and malformed lines with their line numbers, never throws', () => {
    const t = parseStrace(
      [
        'openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3',
        'mprotect(0x1000, 4096) = 0',
        'mmap(NULL, 4096, PROT_BOGUS, MAP_PRIVATE, -1, 0) = 0x1000',
        'brk(NULL',
        'munmap(0x1000, 4096) = -1 EWHAT (Who knows)',
        'munmap(0xzz, 4096) = 0',
        'munmap(0x1000, 4096) = banana',
        'garbage',
        '<... mmap resumed>) = 0',
        'mlock(0x1000, 4096 <unfinished ...>',
        'munmap(0x1000, 4096) = 0',
      ].join('\n'),
    );
    expect(t.calls.map((c) => c.line)).toEqual([11]);
    expect(t.problems.map((p) => [p.line, p.message])).toEqual([
      [1, "'openat' is not a call of strace's memory class (record with strace -y -e trace=memory)"],
      [2, "'mprotect' has 3 arguments, the line shows 2"],
      [3, "unknown flag 'PROT_BOGUS' in 'PROT_BOGUS'"],
      [4, "the arguments have no closing ')'"],
      [5, "unknown error name 'EWHAT'"],
      [6, "cannot read '0xzz' as an address"],
      [7, "cannot read the result 'banana'"],
      [8, 'not a call, a signal or an exit line'],
      [9, "'mmap resumed' without its unfinished first half"],
      [10, "'mlock' unfinished and never resumed"],
    ]);
  });
});

describe('/proc/PID/maps', () => {
  it('reads every recorded maps file and prints it back byte for byte', () => {
    for (const folder of FOLDERS) {
      for (const file of ['initial.maps', 'final.maps']) {
        const text = readFileSync(join(TRACES, folder, file), 'utf8');
        const m = parseMaps(text);
        expect(m.problems, `${folder}/${file}`).toEqual([]);
        expect(m.entries.map(formatMapsEntry).join('\n') + '\n', `${folder}/${file}`).toBe(text);
      }
    }
  });

  it('reports malformed, reversed and overlapping lines by number', () => {
    const m = parseMaps('00400000-00401000 r--p 00000000 08:01 12 /bin/x\nnonsense\n00500000-00500000 r--p 00000000 00:00 0 \n00400800-00402000 r--p 00000000 00:00 0 \n');
    expect(m.entries).toHaveLength(1);
    expect(m.problems.map((p) => p.line)).toEqual([2, 3, 4]);
  });

  it('diffs start, end, perms, offset and path line by line, ignoring device and inode', () => {
    const expected = parseMaps(
      [
        '00400000-00401000 r--p 00000000 08:01 12                                 /bin/x',
        '00401000-00402000 r-xp 00001000 08:01 12                                 /bin/x',
        '00600000-00601000 rw-p 00000000 00:00 0 ',
      ].join('\n'),
    ).entries;
    const actual = parseMaps(
      [
        '00400000-00401000 r--p 00000000 00:00 99                                 /bin/x',
        '00401000-00403000 r--p 00001000 08:01 12                                 /bin/x',
        '00700000-00701000 rw-p 00000000 00:00 0 ',
      ].join('\n'),
    ).entries;
    const d = diffMaps(expected, actual);
    expect(d.map((x) => x.kind)).toEqual(['changed', 'missing', 'extra']);
    expect(d[0].kind === 'changed' && d[0].fields).toEqual(['end', 'perms']);
    expect(diffMaps(expected, expected)).toEqual([]);
    const text = formatMapsDiff(d);
    expect(text).toContain('- 00401000-00402000 r-xp 00001000 08:01 12');
    expect(text).toContain('(replay: end, perms differ)');
    expect(text).toContain('(final.maps line 3, not in the replay)');
    expect(text).toContain('+ 00700000-00701000 rw-p 00000000 00:00 0    (only in the replay)');
  });
});

/** Property runs: small by default; MMKIT_TRACE_FUZZ_RUNS=100000 for a long campaign. */
const RUNS = Number(process.env.MMKIT_TRACE_FUZZ_RUNS ?? 300);

describe('the parsers never throw', () => {
  const real = FOLDERS.flatMap((f) => readFileSync(join(TRACES, f, 'strace.txt'), 'utf8').trimEnd().split('\n'));
  const maps = FOLDERS.flatMap((f) => readFileSync(join(TRACES, f, 'final.maps'), 'utf8').trimEnd().split('\n'));
  /** A real line cut, with characters dropped, doubled or replaced. */
  const mutated = (lines: string[]) =>
    fc.tuple(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })), { maxLength: 4 })).map(([line, edits]) => {
      let s = line;
      for (const [at, kind, text] of edits) {
        const i = at % (s.length + 1);
        s = kind === 0 ? s.slice(0, i) : kind === 1 ? s.slice(0, i) + s.slice(i + 1) : kind === 2 ? s.slice(0, i) + text + s.slice(i) : s.slice(0, i) + text + s.slice(i + text.length);
      }
      return s;
    });

  it('strace: calls, notes and problems only, each at a line of the text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(mutated(real), fc.string({ maxLength: 80 })), { maxLength: 8 }), (lines) => {
        const t = parseStrace(lines.join('\n'));
        for (const x of [...t.calls, ...t.notes, ...t.problems]) expect(x.line >= 1 && x.line <= lines.length).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('maps: every line is an entry or a problem', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(mutated(maps), fc.string({ maxLength: 80 })), { maxLength: 8 }), (lines) => {
        const m = parseMaps(lines.join('\n'));
        expect(m.entries.length + m.problems.length).toBe(lines.filter((l) => l.trim() !== '').length);
      }),
      { numRuns: RUNS },
    );
  });
});

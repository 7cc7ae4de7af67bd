import { describe, expect, it } from 'vitest';
import { formatReplay, reportJson } from '../src/replay-command.js';
import { explainMaps, initialBrk, replay, type FileIdentity, type ReplaySetup, type ReplayTarget } from '../src/trace/replay.js';
import { diffMaps, parseMaps } from '../src/trace/proc-maps.js';

const INITIAL = [
  '555555554000-555555555000 r--p 00000000 fe:00 2164130                    /tmp/pub/errors',
  '555555555000-555555556000 r-xp 00001000 fe:00 2164130                    /tmp/pub/errors',
  '555555557000-555555559000 rw-p 00002000 fe:00 2164130                    /tmp/pub/errors',
  '7ffff7fca000-7ffff7fcb000 r--p 00000000 fe:00 338944                     /usr/lib/ld.so',
  '7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]',
  '',
].join('\n');

/** A stand-in model: answers each call from a script, keeps a maps text the script changes. */
class ScriptedTarget implements ReplayTarget {
  readonly installs: [number, FileIdentity][] = [];
  readonly closes: number[] = [];
  readonly calls: [string, readonly bigint[]][] = [];
  constructor(
    readonly setup: ReplaySetup,
    private readonly answers: (name: string, args: readonly bigint[], self: ScriptedTarget) => bigint | undefined,
    public mapsText: string,
  ) {}
  installFile(fd: number, file: FileIdentity): void {
    this.installs.push([fd, file]);
  }
  closeFile(fd: number): void {
    this.closes.push(fd);
  }
  call(name: string, args: readonly bigint[]): bigint | undefined {
    this.calls.push([name, args]);
    return this.answers(name, args, this);
  }
  maps(): string {
    return this.mapsText;
  }
}

const EXTRA = '400000000-400004000 rw-p 00000000 00:00 0 \n';

describe('the replay engine', () => {
  it('installs the named file at its fd, compares results, and agrees when everything matches', () => {
    let target: ScriptedTarget | undefined;
    const strace = [
      'brk(NULL)                               = 0x555555559000',
      'mmap(NULL, 34547, PROT_READ, MAP_PRIVATE, 3</etc/ld.so.cache>, 0) = 0x7ffff7fb7000',
      'mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3</usr/lib/ld.so>, 0) = 0x7ffff7fb6000',
      'munmap(0x7ffff7fb7000, 34547)           = 0',
      'mmap(0x400000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x400000000',
      'mmap(0x400002000, 16384, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = -1 EEXIST (File exists)',
      '+++ exited with 0 +++',
    ].join('\n');
    const answers = [0x555555559000n, 0x7ffff7fb7000n, 0x7ffff7fb6000n, 0n, 0x400000000n, -17n];
    const report = replay({ command: '/tmp/pub/errors', initialMaps: INITIAL, strace, finalMaps: EXTRA + INITIAL }, (setup) => {
      target = new ScriptedTarget(setup, (name, args, self) => {
        const answer = answers[self.calls.length - 1];
        if (self.calls.length === 5) self.mapsText = EXTRA + INITIAL;
        return answer;
      }, INITIAL);
      return target;
    });
    expect(report.differing).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.replayed).toBe(6);
    expect(report.notes).toEqual([{ file: 'strace.txt', line: 7, text: '+++ exited with 0 +++' }]);
    // ld.so keeps initial.maps' identity; ld.so.cache, never in a maps file, gets a stand-in.
    expect(target!.installs.map(([fd, f]) => [fd, f.path, f.major, f.minor, f.inode, f.source])).toEqual([
      [3, '/etc/ld.so.cache', 0, 0, 1n, 'stand-in'],
      [3, '/usr/lib/ld.so', 0xfe, 0, 338944n, 'initial.maps'],
    ]);
    expect(target!.setup.brk).toMatchObject({ start: 0x555555559000n, end: 0x555555559000n });
    expect(target!.calls[4]).toEqual(['mmap', [0x400000000n, 16384n, 3n, 0x100022n, -1n, 0n]]);
    expect(formatReplay('DIR', report)).toMatch(/final maps: equal to final\.maps.*\nresult: everything agrees\n$/);
  });

  it('reads a descriptor that strace -y shows without a path as closed, and a refused shared writable mapping as a read-only open', () => {
    let target: ScriptedTarget | undefined;
    const strace = [
      'mmap(NULL, 8192, PROT_READ, MAP_SHARED, 3</etc/services>, 0) = 0x7ffff7fbb000',
      'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3</etc/services>, 0) = -1 EACCES (Permission denied)',
      'mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = -1 EBADF (Bad file descriptor)',
      'mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 99, 0) = -1 EBADF (Bad file descriptor)',
    ].join('\n');
    replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: undefined }, (setup) => {
      target = new ScriptedTarget(setup, () => 0n, INITIAL);
      return target;
    });
    expect(target!.installs.map(([fd, f]) => [fd, f.path, f.writable])).toEqual([[3, '/etc/services', false]]);
    expect(target!.closes).toEqual([3]);
  });

  it('prints each differing call with its line, and the final maps line by line, and exits non-zero', () => {
    const strace = ['brk(NULL) = 0x555555559000', 'munmap(0x400000003, 4096) = -1 EINVAL (Invalid argument)', 'mlock(0x1000, 4096) = 0', 'munmap(0x1000, 4096) = 0', 'bogus line'].join('\n');
    const report = replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: EXTRA.replace('rw-p', 'r--p') + INITIAL }, (setup) =>
      new ScriptedTarget(setup, (name, args, self) => {
        if (name === 'mlock') return undefined;
        if (name === 'munmap' && args[0] === 0x1000n) throw new Error('boom');
        return self.calls.length === 1 ? 0x55555555a000n : 0n;
      }, INITIAL),
    );
    expect(report.ok).toBe(false);
    expect(report.differing.map((d) => [d.line, d.expected, d.actual])).toEqual([
      [1, '0x555555559000', '0x55555555a000'],
      [2, '-EINVAL', '0'],
      [4, '0', 'threw: boom'],
    ]);
    expect(report.unreplayed).toEqual([{ line: 3, call: 'mlock(0x1000, 4096) = 0', reason: 'the model does not implement mlock' }]);
    expect(report.problems.map((p) => [p.file, p.line])).toEqual([['strace.txt', 5]]);
    expect(report.finalMaps.compared && report.finalMaps.differences.map((d) => d.kind)).toEqual(['missing']);
    const text = formatReplay('DIR', report);
    expect(text).toContain('strace.txt:2: munmap(0x400000003, 4096) = -1 EINVAL (Invalid argument)\n    differs: strace -EINVAL, replay 0\n');
    expect(text).toContain('- 400000000-400004000 r--p 00000000 00:00 0    (final.maps line 1, not in the replay)');
    expect(text).toContain('strace.txt:5: not a call, a signal or an exit line: bogus line');
    expect(text).toMatch(/result: DIFFERS\n$/);
    const json = JSON.parse(JSON.stringify(reportJson('DIR', report))) as { ok: boolean; finalMaps: { equal: boolean; differences: { expected: { start: string } }[] } };
    expect(json.ok).toBe(false);
    expect(json.finalMaps.equal).toBe(false);
    expect(json.finalMaps.differences[0].expected.start).toBe('0x400000000');
  });

  it('says after which line the replay matched final.maps when the end does not', () => {
    const strace = ['mmap(0x400000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x400000000', 'munmap(0x400000000, 16384) = 0'].join('\n');
    const report = replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: EXTRA + INITIAL }, (setup) =>
      new ScriptedTarget(setup, (name, args, self) => {
        self.mapsText = name === 'mmap' ? EXTRA + INITIAL : INITIAL;
        return name === 'mmap' ? 0x400000000n : 0n;
      }, INITIAL),
    );
    expect(report.differing).toEqual([]);
    expect(report.finalMaps).toMatchObject({ compared: true, equalAfterLine: 1 });
    expect(formatReplay('DIR', report)).toContain('final.maps equals the replayed address space right after strace.txt line 1, not at the end');
  });

  it('explains a flag 4.17 does not know instead of hiding the difference', () => {
    const strace = 'madvise(0x7ffff7fc0000, 8192, MADV_COLD) = 0';
    const report = replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: undefined }, (setup) => new ScriptedTarget(setup, () => -22n, INITIAL));
    expect(report.differing).toEqual([]);
    expect(report.explained).toHaveLength(1);
    expect(report.explained[0].rule).toEqual({ id: 'newer-flag', why: 'MADV_COLD (Linux 5.4) is unknown to Linux 4.17, which answers EINVAL' });
    expect(report.ok).toBe(true);
    expect(formatReplay('DIR', report)).toContain('final maps: no final.maps to compare with');
  });

  it('moves a 2 MiB anonymous mapping that the recording kernel aligned to where it put it, and says why', () => {
    const strace = 'mmap(NULL, 4194304, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7200000';
    let target: ScriptedTarget | undefined;
    const report = replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: undefined }, (setup) => {
      target = new ScriptedTarget(setup, (name, args) => (name === 'mmap' ? (args[0] === 0n ? 0x7ffff73ff000n : args[0]) : 0n), INITIAL);
      return target;
    });
    expect(report.differing).toEqual([]);
    expect(report.explained.map((d) => [d.line, d.rule?.id, d.actual])).toEqual([[1, 'thp-aligned-anonymous-mmap', '0x7ffff73ff000, moved to the recorded address']]);
    expect(target!.calls.slice(1)).toEqual([
      ['munmap', [0x7ffff73ff000n, 4194304n]],
      ['mmap', [0x7ffff7200000n, 4194304n, 1n, 0x32n, -1n, 0n]],
    ]);
    // Not the rule: a length that is no multiple of 2 MiB, or a hint.
    const other = replay({ command: undefined, initialMaps: INITIAL, strace: strace.replace('4194304', '4198400'), finalMaps: undefined }, (setup) => new ScriptedTarget(setup, () => 0x7ffff73ff000n, INITIAL));
    expect(other.differing).toHaveLength(1);
  });

  it('reports a model that cannot be built, and malformed maps files, as problems', () => {
    const report = replay({ command: undefined, initialMaps: 'nonsense\n', strace: '', finalMaps: 'x\n' }, () => {
      throw new Error('no [stack]');
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => `${p.file}:${p.line}`)).toEqual(['initial.maps:1', 'final.maps:1', 'initial.maps:0']);
  });

  it('explains the heap that 4.17 merges with the bss only where the replay merged them', () => {
    const recorded = parseMaps(
      ['55555557c000-55555558f000 rw-p 00000000 00:00 0 ', '55555558f000-5555555b0000 rw-p 00000000 00:00 0                          [heap]', ''].join('\n'),
    ).entries;
    const merged = parseMaps('55555557c000-5555555b0000 rw-p 00000000 00:00 0                          [heap]\n').entries;
    const explained = explainMaps(recorded, merged);
    expect(explained.uses.map((u) => [u.rule.id, u.lines])).toEqual([['brk-separate-heap-vma', [1, 2]]]);
    expect(diffMaps(explained.expected, merged)).toEqual([]);
    // A replay that kept them apart, or merged them wrongly, is not explained: the lines differ.
    expect(explainMaps(recorded, recorded).uses).toEqual([]);
    const wrong = parseMaps('55555557c000-5555555a0000 rw-p 00000000 00:00 0                          [heap]\n').entries;
    expect(explainMaps(recorded, wrong).uses).toEqual([]);
    expect(diffMaps(explainMaps(recorded, wrong).expected, wrong)).toHaveLength(2);
  });

  it('finds the first break from [heap], or from the end of the executable and its bss', () => {
    expect(initialBrk(parseMaps(INITIAL).entries)).toMatchObject({ start: 0x555555559000n });
    const bss = INITIAL.replace('7ffff7fca000', '555555559000-55555555c000 rw-p 00000000 00:00 0 \n7ffff7fca000');
    expect(initialBrk(parseMaps(bss).entries)).toMatchObject({ start: 0x55555555c000n, end: 0x55555555c000n });
    const heap = bss.replace('7ffff7fca000', '55555555c000-55555557d000 rw-p 00000000 00:00 0                          [heap]\n7ffff7fca000');
    expect(initialBrk(parseMaps(heap).entries)).toMatchObject({ start: 0x55555555c000n, end: 0x55555557d000n });
  });
});

describe('replay on @mmkit/mmap: mlock, mlock2 and munlock', () => {
  it('replays them (faults are provided) and compares their results', async () => {
    const { createKernel } = await import('@mmkit/kernel');
    const { mmapTargetFactory } = await import('../src/trace/mmap-target.js');
    const k = createKernel({ machine: { mem: 64 * 2 ** 20 } });
    const strace = [
      'mmap(0x400000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x400000000',
      'mlock(0x400000000, 8192) = 0',
      'mlock2(0x400002000, 4096, MLOCK_ONFAULT) = 0',
      'mlock(0x500000000, 4096) = -1 ENOMEM (Cannot allocate memory)',
      'munlock(0x400000000, 16384) = 0',
    ].join('\n');
    const report = replay({ command: undefined, initialMaps: INITIAL, strace, finalMaps: undefined }, mmapTargetFactory(() => k.addressSpaces!));
    expect(report.unreplayed).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.differing).toEqual([]);
    expect(report.replayed).toBe(5);
  });
});

/**
 * Every recorded folder of test/fixtures/traces (real programs on Linux 6.18, and awk-capture,
 * c-calls and thp-anon, recorded here with mmkit trace capture) replays on @mmkit/mmap: every call's result equal to
 * strace's, the final maps equal to final.maps, except the differences listed below, each with
 * its reason. A difference that goes away fails too: the list must shrink with the model.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultReplayFactory, formatReplay, readReplayFolder } from '../src/replay-command.js';
import { replay } from '../src/trace/replay.js';

const TRACES = join(import.meta.dirname, 'fixtures', 'traces');
const FOLDERS = readdirSync(TRACES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

interface Expected {
  /** Lines of strace.txt whose result differs. */
  readonly calls: readonly number[];
  /** Lines of strace.txt whose result differs for a documented reason, with the rule. */
  readonly explainedCalls?: readonly (readonly [number, string])[];
  /** Whether the final maps differ from final.maps, and if so the line after which final.maps held (0: before any). */
  readonly finalMaps: false | { readonly equalAfterLine: number | undefined };
  /** Rules that explain lines of final.maps (a documented difference between the recording kernel and 4.17). */
  readonly mapsRules: readonly string[];
  readonly why: string;
}

const HEAP = 'brk-separate-heap-vma';

/** Known differences, by folder; every other folder agrees entirely. */
const EXPECTED_DIFFERENCES: ReadonlyMap<string, Expected> = new Map<string, Expected>([
  [
    'awk',
    {
      calls: [],
      finalMaps: { equalAfterLine: 23 },
      mapsRules: [],
      // final.maps is not from the traced run: it equals the address space right after
      // strace.txt line 23 (the locale files mapped, the heap's first brk), where mawk stops when
      // its program text reaches it cut at the ';' (a gdb run given the arguments through a shell
      // unquoted: awk reports a syntax error and exits with status 2; recorded here the same way,
      // the maps match). awk-capture, recorded with mmkit trace capture, holds the whole run.
      why: 'final.maps was recorded from a run that stopped after strace.txt line 23',
    },
  ],
  // The heap next to a bss of its own: one [heap] VMA in 4.17, two since Linux 6.1.
  ['awk-capture', { calls: [], finalMaps: false, mapsRules: [HEAP], why: 'the heap follows mawk\'s bss' }],
  ['gzip', { calls: [], finalMaps: false, mapsRules: [HEAP], why: 'the heap follows gzip\'s bss' }],
  ['make', { calls: [], finalMaps: false, mapsRules: [HEAP], why: 'the heap follows make\'s bss' }],
  // Anonymous mappings of 2 MiB multiples: on a 2 MiB boundary since Linux 6.7 (6.12 for multiples only).
  [
    'thp-anon',
    {
      calls: [],
      explainedCalls: [[15, 'thp-aligned-anonymous-mmap'], [17, 'thp-aligned-anonymous-mmap']],
      finalMaps: false,
      mapsRules: [],
      why: '2 MiB and 4 MiB anonymous mappings placed on 2 MiB boundaries',
    },
  ],
]);

describe('replay of the recorded traces', () => {
  it('has the shared folders', () => {
    for (const f of ['awk', 'c-errors', 'date', 'du', 'env', 'gzip', 'head', 'make', 'md5sum', 'uname', 'wc', 'xargs']) expect(FOLDERS).toContain(f);
  });

  for (const folder of FOLDERS) {
    const listed = EXPECTED_DIFFERENCES.get(folder);
    it(`${folder}: every result and the final maps agree${listed ? ` (but for the listed differences: ${listed.why})` : ''}`, () => {
      const report = replay(readReplayFolder(join(TRACES, folder)), defaultReplayFactory());
      const text = formatReplay(folder, report);
      const expected = EXPECTED_DIFFERENCES.get(folder) ?? { calls: [], finalMaps: false, mapsRules: [], why: '' };
      expect(report.problems, text).toEqual([]);
      expect(report.unreplayed, text).toEqual([]);
      expect(report.explained.map((d) => [d.line, d.rule?.id]), text).toEqual(expected.explainedCalls ?? []);
      expect(report.replayed, text).toBe(report.calls);
      expect(report.differing.map((d) => d.line), text).toEqual(expected.calls);
      expect(report.finalMaps.compared).toBe(true);
      if (!report.finalMaps.compared) return;
      expect(report.finalMaps.explained.map((u) => u.rule.id), text).toEqual(expected.mapsRules);
      if (expected.finalMaps === false) {
        expect(report.finalMaps.differences, text).toEqual([]);
        expect(report.ok, text).toBe(true);
      } else {
        expect(report.finalMaps.differences.length, text).toBeGreaterThan(0);
        expect(report.finalMaps.equalAfterLine, text).toBe(expected.finalMaps.equalAfterLine);
      }
    });
  }
});

/**
 * /proc/PID/maps as proc(5) describes it (show_map_vma() in fs/proc/task_mmu.c):
 * `start-end perms offset major:minor inode   path`, and a line-by-line comparison of two of
 * them on what a replay can reproduce: start, end, permissions, offset and path (device and
 * inode name the host's files, which a replay only carries over).
 */

export interface MapsEntry {
  /** 1-based line in its file. */
  readonly line: number;
  readonly start: bigint;
  readonly end: bigint;
  /** `r-xp`: read, write, exec, and p (private) or s (shared). */
  readonly perms: string;
  readonly offset: bigint;
  readonly major: number;
  readonly minor: number;
  readonly inode: bigint;
  /** The path or pseudo-path (`[heap]`, `[stack]`), '' for an anonymous mapping. */
  readonly path: string;
}

export interface MapsProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedMaps {
  readonly entries: MapsEntry[];
  readonly problems: MapsProblem[];
}

const LINE = /^([0-9a-f]{1,16})-([0-9a-f]{1,16}) ([r-][w-][x-][ps]) ([0-9a-f]{1,16}) ([0-9a-f]{1,8}):([0-9a-f]{1,8}) (\d{1,20})(?: +(.*))?$/;

/** Parse a maps text; a malformed line is a problem with its line number (the others are kept). */
export function parseMaps(text: string): ParsedMaps {
  const entries: MapsEntry[] = [];
  const problems: MapsProblem[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let previousEnd = -1n;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const m = LINE.exec(raw);
    if (!m) {
      problems.push({ line: i + 1, message: `not a /proc/PID/maps line: '${raw.length > 120 ? `${raw.slice(0, 120)}...` : raw}'` });
      continue;
    }
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (end <= start) {
      problems.push({ line: i + 1, message: `the mapping ends at or before its start (${m[1]}-${m[2]})` });
      continue;
    }
    if (start < previousEnd) {
      problems.push({ line: i + 1, message: `the mapping at ${m[1]} overlaps or precedes the line before it` });
      continue;
    }
    previousEnd = end;
    entries.push({
      line: i + 1,
      start,
      end,
      perms: m[3],
      offset: BigInt(`0x${m[4]}`),
      major: parseInt(m[5], 16),
      minor: parseInt(m[6], 16),
      inode: BigInt(m[7]),
      path: (m[8] ?? '').trimEnd(),
    });
  }
  return { entries, problems };
}

/** One maps line in the kernel's format (show_map_vma(): seq_pad() pads to 72 columns, then a space and the path). */
export function formatMapsEntry(e: Omit<MapsEntry, 'line'>): string {
  const head = `${hex(e.start)}-${hex(e.end)} ${e.perms} ${e.offset.toString(16).padStart(8, '0')} ${e.major.toString(16).padStart(2, '0')}:${e.minor.toString(16).padStart(2, '0')} ${e.inode} `;
  return e.path ? `${head.padEnd(72)} ${e.path}` : head;
}

function hex(v: bigint): string {
  return v.toString(16).padStart(8, '0');
}

/** What a line of the comparison says. */
export type MapsDifference =
  | { readonly kind: 'missing'; readonly expected: MapsEntry }
  | { readonly kind: 'extra'; readonly actual: MapsEntry }
  | { readonly kind: 'changed'; readonly expected: MapsEntry; readonly actual: MapsEntry; readonly fields: readonly string[] };

/** Whether two lines agree on start, end, perms, offset and path. */
export function sameMapping(a: MapsEntry, b: MapsEntry): boolean {
  return a.start === b.start && a.end === b.end && a.perms === b.perms && a.offset === b.offset && a.path === b.path;
}

/**
 * Compare `actual` with `expected` in address order: a line of one that starts where a line of
 * the other starts is compared field by field ('changed' names the fields that differ); the
 * others are 'missing' (only expected) or 'extra' (only actual). Empty when they agree.
 */
export function diffMaps(expected: readonly MapsEntry[], actual: readonly MapsEntry[]): MapsDifference[] {
  const out: MapsDifference[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    const e = expected[i];
    const a = actual[j];
    if (e && a && e.start === a.start) {
      if (!sameMapping(e, a)) {
        const fields: string[] = [];
        if (e.end !== a.end) fields.push('end');
        if (e.perms !== a.perms) fields.push('perms');
        if (e.offset !== a.offset) fields.push('offset');
        if (e.path !== a.path) fields.push('path');
        out.push({ kind: 'changed', expected: e, actual: a, fields });
      }
      i++;
      j++;
    } else if (e && (!a || e.start < a.start)) {
      out.push({ kind: 'missing', expected: e });
      i++;
    } else {
      out.push({ kind: 'extra', actual: a });
      j++;
    }
  }
  return out;
}

/** The comparison as text: `- ` expected lines, `+ ` replayed lines, one pair per changed line. */
export function formatMapsDiff(diff: readonly MapsDifference[]): string {
  let s = '';
  for (const d of diff) {
    if (d.kind === 'missing') s += `- ${formatMapsEntry(d.expected)}   (final.maps line ${d.expected.line}, not in the replay)\n`;
    else if (d.kind === 'extra') s += `+ ${formatMapsEntry(d.actual)}   (only in the replay)\n`;
    else {
      s += `- ${formatMapsEntry(d.expected)}   (final.maps line ${d.expected.line})\n`;
      s += `+ ${formatMapsEntry(d.actual)}   (replay: ${d.fields.join(', ')} differ)\n`;
    }
  }
  return s;
}

/**
 * Replaying a recorded folder (initial.maps, strace.txt, final.maps, command.txt) on a model
 * of the address space: the model starts from initial.maps, each path gets one file identity
 * (device and inode from the maps files), the file a line names is installed at the
 * descriptor it names before the call, every call runs, its result is compared with strace's,
 * and the model's final /proc/PID/maps with final.maps.
 *
 * The model is a `ReplayTarget`: the engine knows nothing of how it is built, so the same
 * engine replays on @mmkit/mmap or on a test's stand-in.
 */
import { errnoName, MAP, NEWER_THAN_4_17, PROT } from './linux-abi.js';
import { diffMaps, parseMaps, sameMapping, type MapsDifference, type MapsEntry } from './proc-maps.js';
import { parseStrace, type TraceCall } from './strace-parser.js';

/** A file as a replay knows it: its identity only (contents do not matter to these calls). */
export interface FileIdentity {
  readonly path: string;
  readonly major: number;
  readonly minor: number;
  readonly inode: bigint;
  /**
   * strace does not show it: the smallest page multiple that holds every mapping of the file
   * the maps files and the trace show (4.17's mmap of a regular file does not look at i_size:
   * a mapping past the end is allowed and faults SIGBUS, so no result here depends on it).
   */
  readonly size: bigint;
  /** Opened for writing too (O_RDWR): only known when the trace maps it shared and writable. */
  readonly writable: boolean;
  /** Where the identity came from: 'initial.maps', 'final.maps', or 'stand-in' (the maps never show the file). */
  readonly source: 'initial.maps' | 'final.maps' | 'stand-in';
}

/** What a replay is told to build its first state from. */
export interface ReplaySetup {
  readonly initialMaps: string;
  readonly initialEntries: readonly MapsEntry[];
  /** The identity of every path that a maps file or the trace names, by path. */
  readonly files: ReadonlyMap<string, FileIdentity>;
  /** mm->start_brk and mm->brk, and how they were found. */
  readonly brk: { readonly start: bigint; readonly end: bigint; readonly source: string };
}

/** The model a replay runs on. */
export interface ReplayTarget {
  /** Install `file` at descriptor `fd` (replacing what was there). */
  installFile(fd: number, file: FileIdentity): void;
  /** close(fd): strace -y shows the descriptor without a path, so nothing is open there now. */
  closeFile?(fd: number): void;
  /**
   * Run one memory call with strace's arguments; the kernel's return value (an address, 0, or
   * -errno), or undefined when the target does not model the call.
   */
  call(name: string, args: readonly bigint[]): bigint | undefined;
  /** /proc/PID/maps now. */
  maps(): string;
}

export type ReplayTargetFactory = (setup: ReplaySetup) => ReplayTarget;

/** The texts of a folder. */
export interface ReplayInput {
  readonly command: string | undefined;
  readonly initialMaps: string;
  readonly strace: string;
  readonly finalMaps: string | undefined;
}

/** A documented reason why the recording kernel answers differently from 4.17. */
export interface ReplayRule {
  readonly id: string;
  readonly why: string;
}

export interface CallDifference {
  readonly line: number;
  readonly call: string;
  /** strace's result: `0x7ffff7fc0000`, `0`, `-EEXIST`. */
  readonly expected: string;
  /** The replay's, in the same form, or `threw: message`. */
  readonly actual: string;
  /** Set when a documented rule explains the difference. */
  readonly rule: ReplayRule | undefined;
}

/** A documented difference between final.maps (the recording kernel) and 4.17's maps, and the lines of final.maps it covers. */
export interface MapsRuleUse {
  readonly rule: ReplayRule;
  readonly lines: readonly number[];
}

export interface ReplayReport {
  readonly command: string | undefined;
  readonly calls: number;
  readonly replayed: number;
  /** Calls whose result differs with no rule to explain it. */
  readonly differing: readonly CallDifference[];
  /** Calls whose result differs for a documented reason. */
  readonly explained: readonly CallDifference[];
  /** Calls of the memory class that the target does not model, or whose result strace did not show. */
  readonly unreplayed: readonly { readonly line: number; readonly call: string; readonly reason: string }[];
  readonly problems: readonly { readonly file: string; readonly line: number; readonly message: string }[];
  readonly notes: readonly { readonly file: string; readonly line: number; readonly text: string }[];
  /** How the files and the brk were set up. */
  readonly setup: readonly string[];
  readonly finalMaps:
    | { readonly compared: false }
    | {
        readonly compared: true;
        readonly differences: readonly MapsDifference[];
        /** Lines of final.maps that differ from the replay's for a documented reason, with the rule. */
        readonly explained: readonly MapsRuleUse[];
        /** When they differ: the last line after which the replayed maps equaled final.maps (0: before the first call). */
        readonly equalAfterLine: number | undefined;
      };
  /** Everything agrees: no differing call, no problem, every call replayed, final maps equal. */
  readonly ok: boolean;
}

/** Beyond this many calls a replay does not look for the line after which final.maps held. */
const MAX_CALLS_FOR_PREFIX_SEARCH = 10_000;

/** Replay `input` on the target `factory` builds. */
export function replay(input: ReplayInput, factory: ReplayTargetFactory): ReplayReport {
  const problems: { file: string; line: number; message: string }[] = [];
  const notes: { file: string; line: number; text: string }[] = [];
  const setupNotes: string[] = [];

  const initial = parseMaps(input.initialMaps);
  for (const p of initial.problems) problems.push({ file: 'initial.maps', ...p });
  const final = input.finalMaps === undefined ? undefined : parseMaps(input.finalMaps);
  for (const p of final?.problems ?? []) problems.push({ file: 'final.maps', ...p });
  const trace = parseStrace(input.strace);
  for (const p of trace.problems) problems.push({ file: 'strace.txt', line: p.line, message: `${p.message}: ${p.text}` });
  for (const n of trace.notes) notes.push({ file: 'strace.txt', line: n.line, text: n.text });
  const pids = new Set(trace.calls.map((c) => c.pid));
  if (pids.size > 1) {
    problems.push({ file: 'strace.txt', line: trace.calls.find((c) => c.pid !== trace.calls[0].pid)!.line, message: `calls of ${pids.size} processes or threads: a replay runs one address space (record without strace -f)` });
  }

  // With strace -y every open descriptor shows its path: one without is not open (EBADF).
  const withPaths = trace.calls.some((c) => c.fd?.path !== undefined);
  const files = fileIdentities(initial.entries, final?.entries ?? [], trace.calls, withPaths, setupNotes);
  const brk = initialBrk(initial.entries);
  setupNotes.push(`brk starts at 0x${brk.end.toString(16)} (${brk.source})`);
  const setup: ReplaySetup = { initialMaps: input.initialMaps, initialEntries: initial.entries, files, brk };

  const differing: CallDifference[] = [];
  const explained: CallDifference[] = [];
  const unreplayed: { line: number; call: string; reason: string }[] = [];
  let replayed = 0;
  let target: ReplayTarget | undefined;
  try {
    target = factory(setup);
  } catch (e) {
    problems.push({ file: 'initial.maps', line: 0, message: `the model could not be built from it: ${messageOf(e)}` });
    return finish();
  }
  const prefixSearch = final !== undefined && trace.calls.length <= MAX_CALLS_FOR_PREFIX_SEARCH;
  let equalAfterLine: number | undefined;
  if (prefixSearch && mapsAgree(final.entries, currentMaps(target))) equalAfterLine = 0;

  const openAt = new Map<number, string>();
  for (const call of trace.calls) {
    if (call.result.kind === 'unknown') {
      unreplayed.push({ line: call.line, call: call.text, reason: `strace shows no result ('${call.result.text}')` });
      continue;
    }
    if (call.fd && call.fd.fd >= 0) {
      // One open per run of calls naming the same path at the same fd (ld.so maps a library's
      // segments through one open): a new struct file only when the path there changes, as
      // mappings of two opens never merge (vma_merge compares vm_file).
      const path = pathOf(call.fd, withPaths);
      const file = path === undefined ? undefined : files.get(path);
      if (file && openAt.get(call.fd.fd) !== path) {
        target.installFile(call.fd.fd, file);
        openAt.set(call.fd.fd, path!);
      } else if (path === undefined && openAt.has(call.fd.fd)) {
        target.closeFile?.(call.fd.fd);
        openAt.delete(call.fd.fd);
      }
    }
    let got: bigint | undefined;
    let threw: string | undefined;
    try {
      got = target.call(call.name, call.args);
    } catch (e) {
      threw = messageOf(e);
    }
    if (got === undefined && threw === undefined) {
      unreplayed.push({ line: call.line, call: call.text, reason: `the model does not implement ${call.name}` });
      continue;
    }
    replayed++;
    const expected = call.result.kind === 'value' ? call.result.value : -BigInt(call.result.errno);
    if (threw !== undefined || got !== expected) {
      const match = threw !== undefined ? undefined : ruleFor(call, got!, expected);
      let actual = threw !== undefined ? `threw: ${threw}` : showResult(got!);
      if (match?.follow) {
        // Continue from the recording kernel's state: the replay's mapping moves to where it put it.
        const moved = follow(target, match.follow);
        actual += moved === undefined ? ', moved to the recorded address' : `; moving it there failed (${moved}), so later calls may differ too`;
      }
      const d = { line: call.line, call: call.text, expected: showResult(expected), actual, rule: match?.rule };
      (d.rule ? explained : differing).push(d);
    }
    if (prefixSearch && mapsAgree(final.entries, currentMaps(target))) equalAfterLine = call.line;
  }
  return finish();

  function finish(): ReplayReport {
    let finalMaps: ReplayReport['finalMaps'] = { compared: false };
    if (final !== undefined && target !== undefined) {
      let differences: MapsDifference[] = [];
      let uses: MapsRuleUse[] = [];
      try {
        const actual = parseMaps(target.maps());
        for (const p of actual.problems) problems.push({ file: 'the model\'s maps', line: p.line, message: p.message });
        const explained = explainMaps(final.entries, actual.entries);
        uses = explained.uses;
        differences = diffMaps(explained.expected, actual.entries);
      } catch (e) {
        problems.push({ file: 'the model\'s maps', line: 0, message: `could not be read: ${messageOf(e)}` });
      }
      finalMaps = { compared: true, differences, explained: uses, equalAfterLine: differences.length > 0 ? equalAfterLine : undefined };
    }
    const ok =
      differing.length === 0 &&
      problems.length === 0 &&
      unreplayed.length === 0 &&
      (!finalMaps.compared || finalMaps.differences.length === 0);
    return { command: input.command, calls: trace.calls.length, replayed, differing, explained, unreplayed, problems, notes, setup: setupNotes, finalMaps, ok };
  }
}

function currentMaps(target: ReplayTarget): MapsEntry[] {
  try {
    return parseMaps(target.maps()).entries;
  } catch {
    return [];
  }
}

/** Whether the replay's maps equal final.maps once the documented differences are taken into account. */
function mapsAgree(expected: readonly MapsEntry[], actual: readonly MapsEntry[]): boolean {
  return mapsEqual(explainMaps(expected, actual).expected, actual);
}

const BRK_SEPARATE_HEAP: ReplayRule = {
  id: 'brk-separate-heap-vma',
  why:
    "since Linux 6.1 brk() only expands a VMA that starts at or above mm->start_brk, so the heap stays a VMA of its own next to the executable's bss " +
    '(mm/mmap: change do_brk_flags() to expand existing VMA and add do_brk_munmap(), https://github.com/torvalds/linux/commit/2e7ce7d354f2); ' +
    "4.17's do_brk_flags() calls vma_merge() with the bss as prev, and the bss (made by load_elf_binary()'s set_brk() with vm_brk_flags()) has the same flags, " +
    'so one VMA spans both and /proc/PID/maps names it [heap]',
};

/**
 * final.maps as Linux 4.17 would show it where the recording kernel differs on purpose and the
 * replay did what 4.17 does: an anonymous VMA (the bss) followed directly by [heap] with the
 * same permissions is one [heap] VMA in 4.17 (BRK_SEPARATE_HEAP), when the replay shows that
 * one VMA. Everything else is left as recorded, so any other difference still shows.
 */
export function explainMaps(expected: readonly MapsEntry[], actual: readonly MapsEntry[]): { expected: MapsEntry[]; uses: MapsRuleUse[] } {
  const out: MapsEntry[] = [];
  const uses: MapsRuleUse[] = [];
  for (let i = 0; i < expected.length; i++) {
    const bss = expected[i];
    const heap = expected[i + 1];
    if (heap && heap.path === '[heap]' && bss.path === '' && bss.offset === 0n && bss.end === heap.start && bss.perms === heap.perms) {
      const merged: MapsEntry = { ...heap, start: bss.start, line: bss.line };
      if (actual.some((a) => sameMapping(a, merged))) {
        out.push(merged);
        uses.push({ rule: BRK_SEPARATE_HEAP, lines: [bss.line, heap.line] });
        i++;
        continue;
      }
    }
    out.push(bss);
  }
  return { expected: out, uses };
}

function mapsEqual(a: readonly MapsEntry[], b: readonly MapsEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameMapping(a[i], b[i])) return false;
  return true;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

/** A result as strace would read it: an address in hex, a small number in decimal, -ERRNO. */
export function showResult(v: bigint): string {
  if (v < 0n && v >= -4095n) return `-${errnoName(Number(-v))}`;
  if (v < 0n) return v.toString();
  return v < 0x10000n ? v.toString() : `0x${v.toString(16)}`;
}

/** The path behind a descriptor argument: strace -y's, or without -y a stand-in name; undefined for a descriptor that -y shows unopened. */
function pathOf(fd: { fd: number; path: string | undefined }, withPaths: boolean): string | undefined {
  return fd.path ?? (withPaths ? undefined : standInPath(fd.fd));
}

function standInPath(fd: number): string {
  return `fd ${fd} (no path: record with strace -y)`;
}

const MAP_TYPE = 0x0f;
const PROT_WRITE = PROT.get('PROT_WRITE')!;
const MAP_ANONYMOUS = MAP.get('MAP_ANONYMOUS')!;

/**
 * One identity per path: device and inode from initial.maps, else final.maps; a path that
 * neither shows gets a stand-in (device 00:00, an inode of its own) so that two mappings of it
 * are still one file. Writable when the trace maps it shared with PROT_WRITE.
 */
function fileIdentities(initial: readonly MapsEntry[], final: readonly MapsEntry[], calls: readonly TraceCall[], withPaths: boolean, notes: string[]): Map<string, FileIdentity> {
  const files = new Map<string, FileIdentity>();
  const writable = new Set<string>();
  const extent = new Map<string, bigint>();
  const reach = (path: string, end: bigint) => {
    if (end > (extent.get(path) ?? 0n)) extent.set(path, end);
  };
  for (const e of [...initial, ...final]) if (e.path.startsWith('/')) reach(e.path, e.offset + (e.end - e.start));
  for (const c of calls) {
    if (c.name !== 'mmap' || !c.fd || c.fd.fd < 0) continue;
    const path = pathOf(c.fd, withPaths);
    if (path === undefined) continue;
    if (c.args[1] < 1n << 62n && c.args[5] >= 0n && c.args[5] < 1n << 62n) reach(path, c.args[5] + c.args[1]);
    const prot = Number(c.args[2] & 0xffffffffn);
    const flags = Number(c.args[3] & 0xffffffffn);
    // Only a shared writable mapping that succeeded shows an O_RDWR open (one refused with EACCES shows the opposite).
    if (c.result.kind === 'value' && (flags & MAP_ANONYMOUS) === 0 && (flags & MAP_TYPE) !== 0x02 && (prot & PROT_WRITE) !== 0) writable.add(path);
  }
  for (const [entries, source] of [[initial, 'initial.maps'], [final, 'final.maps']] as const) {
    for (const e of entries) {
      if (!e.path.startsWith('/')) continue;
      const known = files.get(e.path);
      if (known) {
        if (known.inode !== e.inode || known.major !== e.major || known.minor !== e.minor) {
          notes.push(`${e.path}: ${source} line ${e.line} shows device ${e.major}:${e.minor} inode ${e.inode}, another file than ${known.source}'s (${known.major}:${known.minor} ${known.inode}); the replay keeps ${known.source}'s`);
        }
        continue;
      }
      files.set(e.path, { path: e.path, major: e.major, minor: e.minor, inode: e.inode, size: pageUp(extent.get(e.path) ?? 0n), writable: writable.has(e.path), source });
    }
  }
  let standIn = 0n;
  for (const c of calls) {
    if (!c.fd || c.fd.fd < 0) continue;
    const path = pathOf(c.fd, withPaths);
    if (path === undefined || files.has(path)) continue;
    standIn++;
    files.set(path, { path, major: 0, minor: 0, inode: standIn, size: pageUp(extent.get(path) ?? 0n), writable: writable.has(path), source: 'stand-in' });
    notes.push(`${path}: not in initial.maps or final.maps; a stand-in identity (device 00:00, inode ${standIn})`);
  }
  for (const path of writable) notes.push(`${path}: opened for writing (the trace maps it shared and writable)`);
  return files;
}

function pageUp(v: bigint): bigint {
  return (v + 4095n) & ~4095n;
}

/**
 * mm->start_brk and mm->brk of the first state. A [heap] line gives both. Without one (no brk
 * grown yet), load_elf_binary() set both to the page-aligned end of the executable's bss: the
 * end of the last mapping of the first file-backed path (the executable), or of the anonymous
 * mapping that directly follows it (its bss).
 */
export function initialBrk(entries: readonly MapsEntry[]): { start: bigint; end: bigint; source: string } {
  const heap = entries.find((e) => e.path === '[heap]');
  if (heap) return { start: heap.start, end: heap.end, source: `initial.maps line ${heap.line}: [heap]` };
  const first = entries.findIndex((e) => e.path.startsWith('/'));
  if (first < 0) return { start: 0n, end: 0n, source: 'no executable in initial.maps: unknown' };
  const exe = entries[first].path;
  let lastIndex = first;
  for (let i = first; i < entries.length; i++) if (entries[i].path === exe) lastIndex = i;
  let last = entries[lastIndex];
  const next = entries[lastIndex + 1];
  const bss = next !== undefined && next.path === '' && next.start === last.end;
  if (bss) last = next;
  return { start: last.end, end: last.end, source: `the end of ${exe}${bss ? "'s bss" : ''}, initial.maps line ${last.line}` };
}

/** What the replay does to continue from the recording kernel's state after an explained difference. */
interface Follow {
  /** The replay's mapping to move, and the call that puts it at the recorded address. */
  readonly unmap: readonly [bigint, bigint];
  readonly map: readonly bigint[];
  readonly at: bigint;
}

/** Apply `f`; undefined when the model now holds the recorded state, else what went wrong. */
function follow(target: ReplayTarget, f: Follow): string | undefined {
  try {
    const u = target.call('munmap', f.unmap);
    if (u !== 0n) return `munmap: ${u === undefined ? 'not modelled' : showResult(u)}`;
    const m = target.call('mmap', f.map);
    if (m !== f.at) return `mmap: ${m === undefined ? 'not modelled' : showResult(m)}`;
    return undefined;
  } catch (e) {
    return messageOf(e);
  }
}

const PMD_SIZE = 2n * 1024n * 1024n;
const MAP_FIXED = BigInt(MAP.get('MAP_FIXED')!);
const MAP_FIXED_NOREPLACE = BigInt(MAP.get('MAP_FIXED_NOREPLACE')!);

const THP_ALIGNED_ANON: ReplayRule = {
  id: 'thp-aligned-anonymous-mmap',
  why:
    'Linux 6.7 and later place a private anonymous mmap() without a hint on a 2 MiB boundary (mm: align larger anonymous mappings on THP boundaries, ' +
    'https://github.com/torvalds/linux/commit/efa7df3e3bb5), since 6.12 only when its length is a multiple of 2 MiB ' +
    '(mm, mmap: limit THP alignment of anonymous mappings to PMD-aligned sizes, https://github.com/torvalds/linux/commit/d4148aeab412); ' +
    "4.17's get_unmapped_area() takes the highest gap that fits, so the replay moves its mapping to the recorded address and goes on from there",
};

/** Rules for answers of a newer kernel that 4.17 gives differently on purpose. */
function ruleFor(call: TraceCall, got: bigint, expected: bigint): { rule: ReplayRule; follow?: Follow } | undefined {
  if (call.newerFlags.length > 0 && got === -22n) {
    return {
      rule: {
        id: 'newer-flag',
        why: `${call.newerFlags.map((f) => `${f} (${NEWER_THAN_4_17.get(f) ?? 'a newer kernel'})`).join(', ')} ${call.newerFlags.length === 1 ? 'is' : 'are'} unknown to Linux 4.17, which answers EINVAL`,
      },
    };
  }
  if (call.name === 'mmap') {
    const [addr, len, prot, flags, fd, off] = call.args as [bigint, bigint, bigint, bigint, bigint, bigint];
    const privateAnon = (flags & BigInt(MAP_TYPE)) === 0x02n && (flags & BigInt(MAP_ANONYMOUS)) !== 0n && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) === 0n;
    if (privateAnon && addr === 0n && len > 0n && len % PMD_SIZE === 0n && expected > 0n && expected % PMD_SIZE === 0n && got > 0n && got % PMD_SIZE !== 0n) {
      return { rule: THP_ALIGNED_ANON, follow: { unmap: [got, len], map: [expected, len, prot, flags | MAP_FIXED, fd, off], at: expected } };
    }
  }
  return undefined;
}

/**
 * /proc/zoneinfo (mm/vmstat.c zoneinfo_show_print(), 4.x): read a real machine's file, and
 * build a machine with exactly its zones.
 */
import {
  I386_ZONES,
  X86_64_ZONES,
  type MemoryLayout,
  type NodeLayout,
  type PfnRange,
  type ZoneLayout,
  type ZoneLayoutConfig,
} from '@mmkit/core';
import { MachineSpecError, checkLineLength, quoteLine } from './errors.js';
import { findUsableZoneForMovable, normalizeRanges } from '@mmkit/core';

export interface ZoneinfoZone {
  nid: number;
  name: string;
  free: number;
  min: number;
  low: number;
  high: number;
  spanned: number;
  present: number;
  managed: number;
  /** lowmem_reserve[]: one entry per zone of the configuration. */
  protection: number[];
  /** start_pfn: printed for populated zones only. */
  startPfn?: number;
  pagesets: { cpu: number; count: number; high: number; batch: number }[];
}

export interface ZoneinfoFile {
  zones: ZoneinfoZone[];
}

const HEADER_RE = /^Node\s+(\d+),\s+zone\s+(\S+)$/;
const FREE_RE = /^pages free\s+(\d+)$/;
const FIELD_RE = /^(min|low|high|spanned|present|managed)\s+(\d+)$/;
const PROTECTION_RE = /^protection:\s*\(([^)]*)\)$/;
const CPU_RE = /^cpu:\s+(\d+)$/;
const PCP_RE = /^(count|high|batch):\s+(-?\d+)$/;
const START_PFN_RE = /^start_pfn:\s+(\d+)$/;
/** Everything else a 4.x file prints: "nr_free_pages 3977", "node_unreclaimable:  0", ... */
const STAT_RE = /^[A-Za-z_][A-Za-z0-9_ ]*:?\s+-?\d+$/;
const IGNORED_RE = /^(per-node stats|pagesets)$/;

/** MAX_NUMNODES of x86-64 at its largest (CONFIG_NODES_SHIFT 10): node ids of a real file are below it. */
export const ZONEINFO_MAX_NUMNODES = 1024;
/** NR_CPUS of x86-64 at its largest (CONFIG_MAXSMP: 8192): cpu ids of a real file's pagesets are below it. */
export const ZONEINFO_NR_CPUS = 8192;
/** The pfns each arch addresses (MAX_PHYSMEM_BITS 46 on x86-64 with 4-level paging; 36 on i386 with PAE). */
const MAX_PHYSMEM_PFN_BITS = { x86_64: 46 - 12, i386: 36 - 12 } as const;
const MAX_PHYSMEM_BITS = { x86_64: 46, i386: 36 } as const;

/** A decimal count of the file as a number, or a MachineSpecError when no machine has that many. */
function count(text: string, what: string, lineNo: number): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v)) throw new MachineSpecError(`line ${lineNo}: ${what} ${text} is too large`);
  return v;
}

type Field = 'free' | 'min' | 'low' | 'high' | 'spanned' | 'present' | 'managed';
const REQUIRED: Field[] = ['free', 'min', 'low', 'high', 'spanned', 'present', 'managed'];

interface Partial {
  zone: ZoneinfoZone;
  line: number;
  seen: Set<string>;
  cpu?: { cpu: number; count?: number; high?: number; batch?: number };
}

/**
 * Parse a 4.x /proc/zoneinfo: "Node N, zone NAME" headers, "pages free", min/low/high,
 * spanned/present/managed, "protection: (a, b, ...)", the pagesets (cpu/count/high/batch)
 * and start_pfn. The per-node and per-zone statistics lines are skipped. Anything else, a
 * zone missing one of its counts, or counts that contradict each other (managed > present >
 * spanned) is a MachineSpecError with the line number.
 */
export function parseZoneinfo(text: string): ZoneinfoFile {
  if (typeof text !== 'string') throw new MachineSpecError('zoneinfo must be a string');
  const zones: ZoneinfoZone[] = [];
  let cur: Partial | undefined;
  const seenZones = new Map<string, number>();

  const finishCpu = (p: Partial, lineNo: number) => {
    if (!p.cpu) return;
    const { cpu, count, high, batch } = p.cpu;
    if (count === undefined || high === undefined || batch === undefined) {
      throw new MachineSpecError(`line ${lineNo}: pageset of cpu ${cpu} lacks ${[count === undefined && 'count', high === undefined && 'high', batch === undefined && 'batch'].filter(Boolean).join(', ')}`);
    }
    p.zone.pagesets.push({ cpu, count, high, batch });
    p.cpu = undefined;
  };
  const finish = (p: Partial, lineNo: number) => {
    finishCpu(p, lineNo);
    const z = p.zone;
    const missing = REQUIRED.filter((f) => !p.seen.has(f));
    if (missing.length) {
      throw new MachineSpecError(`line ${p.line}: zone Node ${z.nid} ${z.name} lacks ${missing.map((f) => (f === 'free' ? 'pages free' : f)).join(', ')}`);
    }
    if (z.present > z.spanned) {
      throw new MachineSpecError(`line ${p.line}: zone Node ${z.nid} ${z.name} has present ${z.present} > spanned ${z.spanned}`);
    }
    if (z.managed > z.present) {
      throw new MachineSpecError(`line ${p.line}: zone Node ${z.nid} ${z.name} has managed ${z.managed} > present ${z.present}`);
    }
    zones.push(z);
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    checkLineLength(lines[i], lineNo);
    const line = lines[i].trim();
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = HEADER_RE.exec(line))) {
      if (cur) finish(cur, lineNo);
      const nid = Number(m[1]);
      if (!(nid < ZONEINFO_MAX_NUMNODES)) throw new MachineSpecError(`line ${lineNo}: node ${m[1]} is beyond MAX_NUMNODES (${ZONEINFO_MAX_NUMNODES})`);
      const key = `${nid}/${m[2]}`;
      if (seenZones.has(key)) {
        throw new MachineSpecError(`line ${lineNo}: zone Node ${nid} ${m[2]} appears twice (first on line ${seenZones.get(key)})`);
      }
      seenZones.set(key, lineNo);
      cur = {
        zone: { nid, name: m[2], free: 0, min: 0, low: 0, high: 0, spanned: 0, present: 0, managed: 0, protection: [], pagesets: [] },
        line: lineNo,
        seen: new Set(),
      };
      continue;
    }
    if (!cur) throw new MachineSpecError(`line ${lineNo}: expected a "Node N, zone NAME" header, got ${quoteLine(line)}`);
    const set = (field: string, value: number) => {
      if (cur!.seen.has(field)) throw new MachineSpecError(`line ${lineNo}: '${field}' given twice for zone Node ${cur!.zone.nid} ${cur!.zone.name}`);
      cur!.seen.add(field);
      if (field === 'start_pfn') cur!.zone.startPfn = value;
      else cur!.zone[field as Field] = value;
    };
    if ((m = FREE_RE.exec(line))) set('free', count(m[1], 'pages free', lineNo));
    else if ((m = FIELD_RE.exec(line))) set(m[1], count(m[2], m[1], lineNo));
    else if ((m = PROTECTION_RE.exec(line))) {
      const parts = m[1].split(',').map((s) => s.trim());
      if (parts.some((p) => !/^-?\d+$/.test(p))) throw new MachineSpecError(`line ${lineNo}: malformed protection list ${quoteLine(line)}`);
      cur.zone.protection = parts.map(Number);
    } else if ((m = CPU_RE.exec(line))) {
      finishCpu(cur, lineNo);
      const cpu = Number(m[1]);
      if (!(cpu < ZONEINFO_NR_CPUS)) throw new MachineSpecError(`line ${lineNo}: cpu ${m[1]} is beyond NR_CPUS (${ZONEINFO_NR_CPUS})`);
      cur.cpu = { cpu };
    } else if ((m = PCP_RE.exec(line))) {
      if (!cur.cpu) throw new MachineSpecError(`line ${lineNo}: ${quoteLine(line)} outside a "cpu: N" pageset`);
      const k = m[1] as 'count' | 'high' | 'batch';
      if (cur.cpu[k] !== undefined) throw new MachineSpecError(`line ${lineNo}: pageset of cpu ${cur.cpu.cpu} gives '${k}' twice`);
      cur.cpu[k] = count(m[2], k, lineNo);
    } else if ((m = START_PFN_RE.exec(line))) {
      finishCpu(cur, lineNo);
      set('start_pfn', count(m[1], 'start_pfn', lineNo));
    } else if (IGNORED_RE.test(line)) {
      continue;
    } else if (STAT_RE.test(line)) {
      // A statistics line ends the pageset being read ("vm stats threshold: 4").
      if (cur.cpu && cur.cpu.batch !== undefined) finishCpu(cur, lineNo);
    } else {
      throw new MachineSpecError(`line ${lineNo}: not a zoneinfo line: ${quoteLine(line)}`);
    }
  }
  if (cur) finish(cur, lines.length);
  if (zones.length === 0) throw new MachineSpecError('no zones found: a zoneinfo file starts with "Node 0, zone      DMA"');
  return { zones };
}

/** The zone configuration a file's zone names belong to. */
function configFor(file: ZoneinfoFile): ZoneLayoutConfig {
  const names = new Set(file.zones.map((z) => z.name));
  const config = names.has('HighMem') ? I386_ZONES : X86_64_ZONES;
  for (const z of file.zones) {
    if (!config.names.includes(z.name)) {
      throw new MachineSpecError(
        `zone '${z.name}' of node ${z.nid} is not a zone of ${config.arch} (${config.names.join(', ')})${names.has('HighMem') ? ', and the file has HighMem' : ''}`,
      );
    }
  }
  return config;
}

/**
 * A machine like the file's: the zone configuration from the zone names (HighMem: i386,
 * else x86_64), each zone spanning `spanned` pages from its start_pfn (zones without one are
 * packed after the previous zone), memory = the first `present` pages of the span and, of
 * those, the first present - managed reserved. Every zone then has exactly the file's
 * spanned, present and managed pages.
 */
export function layoutFromZoneinfo(file: ZoneinfoFile): MemoryLayout {
  if (!file || !Array.isArray(file.zones) || file.zones.length === 0) throw new MachineSpecError('zoneinfo file has no zones');
  const config = configFor(file);
  let maxNid = 0;
  for (const z of file.zones) {
    if (!Number.isInteger(z.nid) || z.nid < 0 || z.nid >= ZONEINFO_MAX_NUMNODES) {
      throw new MachineSpecError(`zone Node ${z.nid} ${z.name}: node ${z.nid} is beyond MAX_NUMNODES (${ZONEINFO_MAX_NUMNODES})`);
    }
    maxNid = Math.max(maxNid, z.nid);
  }
  const nrNodes = maxNid + 1; // no spread: any number of zones
  const maxPfnBits = MAX_PHYSMEM_PFN_BITS[config.arch];
  const zoneGrid: (ZoneLayout | undefined)[][] = Array.from({ length: nrNodes }, () =>
    new Array<ZoneLayout | undefined>(config.nrZones).fill(undefined),
  );
  const memory: PfnRange[] = [];
  const reserved: PfnRange[] = [];
  const owners: { range: PfnRange; what: string }[] = [];
  let cursor = 0;
  for (const z of file.zones) {
    for (const [k, v] of Object.entries({ spanned: z.spanned, present: z.present, managed: z.managed })) {
      if (!Number.isSafeInteger(v) || v < 0) throw new MachineSpecError(`zone Node ${z.nid} ${z.name}: ${k} must be a whole number >= 0`);
    }
    if (z.present > z.spanned || z.managed > z.present) {
      throw new MachineSpecError(`zone Node ${z.nid} ${z.name}: needs managed <= present <= spanned`);
    }
    const idx = config.names.indexOf(z.name);
    const start = z.startPfn ?? cursor;
    const populated = z.spanned > 0;
    if (populated && start + z.spanned > 2 ** maxPfnBits) {
      throw new MachineSpecError(
        `zone Node ${z.nid} ${z.name} ends at pfn ${start + z.spanned}, beyond the 2^${maxPfnBits} pfns ${config.arch} addresses (MAX_PHYSMEM_BITS ${MAX_PHYSMEM_BITS[config.arch]})`,
      );
    }
    if (populated) {
      // free_area_init_core(): a node's zones follow each other in address order.
      const row = zoneGrid[z.nid];
      for (let other = 0; other < config.nrZones; other++) {
        const o = row[other];
        if (!o || o.spanned === 0 || other === idx) continue;
        if ((other < idx && o.startPfn > start) || (other > idx && o.startPfn < start)) {
          const [lo, hi] = other < idx ? [o, { nid: z.nid, zoneIdx: idx, startPfn: start }] : [{ nid: z.nid, zoneIdx: idx, startPfn: start }, o];
          throw new MachineSpecError(
            `zone Node ${lo.nid} ${config.names[lo.zoneIdx]} starts at pfn ${lo.startPfn}, above Node ${hi.nid} ${config.names[hi.zoneIdx]} (pfn ${hi.startPfn}): zones of a node are in address order`,
          );
        }
      }
    }
    zoneGrid[z.nid][idx] = { nid: z.nid, zoneIdx: idx, startPfn: populated ? start : 0, spanned: z.spanned, present: z.present };
    if (populated) cursor = Math.max(cursor, start + z.spanned);
    if (z.present > 0) {
      const mem = { start, end: start + z.present };
      for (const o of owners) {
        if (mem.start < o.range.end && o.range.start < mem.end) {
          throw new MachineSpecError(
            `zone Node ${z.nid} ${z.name}: its present pages [${mem.start}, ${mem.end}) would overlap those of ${o.what}; the file's zones cannot be laid out`,
          );
        }
      }
      owners.push({ range: mem, what: `Node ${z.nid} ${z.name}` });
      memory.push(mem);
      if (z.present > z.managed) reserved.push({ start, end: start + z.present - z.managed });
    }
  }
  const nodes: NodeLayout[] = zoneGrid.map((row, nid) => {
    const zl = row.map((z, idx) => z ?? { nid, zoneIdx: idx, startPfn: 0, spanned: 0, present: 0 });
    const populated = zl.filter((z) => z.spanned > 0);
    const startPfn = populated.length ? populated.reduce((min, z) => Math.min(min, z.startPfn), Infinity) : 0;
    const end = populated.length ? populated.reduce((max, z) => Math.max(max, z.startPfn + z.spanned), -Infinity) : 0;
    return { nid, startPfn, spanned: end - startPfn, present: zl.reduce((n, z) => n + z.present, 0), zones: zl };
  });
  const mem = normalizeRanges(memory);
  const distance: number[] = [];
  for (let a = 0; a < nrNodes; a++) for (let b = 0; b < nrNodes; b++) distance.push(a === b ? 10 : 20);
  return {
    zones: config,
    nodes,
    maxPfn: mem.length ? mem[mem.length - 1].end : 0,
    memory: mem,
    reserved: normalizeRanges(reserved),
    distance,
    cma: [],
    movableZone: findUsableZoneForMovable(config, nodes),
  };
}

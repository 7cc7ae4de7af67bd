/**
 * createAddressSpaces(): the AddressSpaces and VmaLookup contracts of core over the mechanisms of
 * this package. It keeps the mms by id, turns the syscalls' 64-bit arguments into what the
 * mechanisms judge (syscall-args.ts), builds mms from descriptions and /proc/PID/maps texts,
 * and lists an mm's VMAs as /proc/PID/maps data (show_map_vma()).
 */
import {
  ERRNO, MLOCK_ONFAULT, VM_LOCKONFAULT, NO_SLOT, PAGE_MAPPING_ANON, PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G, PG_LEVEL_512G, PG_dirty, PG_referenced, PG_swapbacked, MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS, MADV_HWPOISON, MADV_SOFT_OFFLINE, NO_PAGE, O_RDONLY, O_RDWR, O_WRONLY, PROT_GROWSDOWN, PROT_GROWSUP, PROT_EXEC, PROT_READ, PROT_SEM,
  PROT_WRITE, MREMAP_FIXED, MREMAP_MAYMOVE, VM_ACCOUNT, VM_DONTDUMP, VM_DONTEXPAND, VM_EXEC,
  VM_IO, VM_LOCKED, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_PFNMAP, VM_READ, VM_SHARED, VM_SOFTDIRTY, VM_STACK_FLAGS, VM_WRITE,
  parseMaps, vaHigh, vaLow,
} from '@mmkit/core';
import type {
  AddressSpaces, FileIdentity, MapsEntry, SmapsEntry, MmDescription, MmId, MmInfo, MmParams, MmServices, VmaInfo, VmaLookup, VmaSpec, VirtAddr,
} from '@mmkit/core';
import { archOf, type MmapContext, type MmapHooks } from './context.js';
import { madviseBehaviorValid, sysMadvise } from './madvise.js';
import { MmStruct, type MmLimits } from './mm.js';
import { doMunmap, exitMmap, fixedNoreplaceCheck, ksysMmapPgoff, sysBrk } from './mmap.js';
import { doMprotect } from './mprotect.js';
import { sysMremap } from './mremap.js';
import { clampAddr, clampLen, hasHighBits, intArg, isSmallUlong, pageAlignU64, toU64 } from './syscall-args.js';
import { doUserFault } from './fault.js';
import { doMlock, doMunlock } from './mlock.js';
import { mmPopulate } from './populate.js';
import { PMD_SIZE, firstSlotOf, nextBoundary, walkUserPtes } from './memory.js';
import { mmCounter } from './rmap.js';
import { TASK_RSS_EVENTS_THRESH, getMmCounter, syncMmRss } from './rss.js';
import { dupMmap } from './fork.js';
import { DEFAULT_MERGE_HOOKS, anonVmaPrepare, isDataMapping, isExecMapping, isStackMapping, vmStatAccount } from './vma.js';

const PAGE_SIZE = 4096;
/** The default layout: x86-64's TASK_SIZE when no arch is bound yet. */
const TASK_SIZE_X86_64 = 2 ** 47 - PAGE_SIZE;
/** RLIMIT_NOFILE's default hard limit (fs.nr_open): the fds fdInstall() takes. */
export const NR_OPEN = 1 << 20;

/** The 4.17 hooks. */
export const DEFAULT_MMAP_HOOKS: MmapHooks = {
  fixedNoreplaceCheck,
  noreplaceIsFixed: true,
  ...DEFAULT_MERGE_HOOKS,
  stackGuardGap: (configured) => configured,
  readFaultZeroPage: true,
  populate: true,
  splitRssCounting: true,
};

export interface AddressSpacesOptions {
  /** Hooks to override (a variant or a mutant); unknown names are a TypeError. */
  readonly hooks?: Partial<MmapHooks>;
  /** totalram_pages + total_swap_pages (default: the machine's memory in pages). */
  readonly commitLimitPages?: number;
  /** CONFIG_COMPAT_BRK (default false, as distributions build): brk may go down to end_data. */
  readonly compatBrk?: boolean;
}

/** The implementation's own API beyond the contract (tests, replay, the kernel). */
export interface MmapImplementation extends AddressSpaces, VmaLookup {
  /** The mm_struct of an id (the mechanisms' state), for tests and invariant checks. */
  mmStruct(mm: MmId): MmStruct | undefined;
  /**
   * mmap(2) for callers that hold addresses as int32 halves (core's vaHigh()/vaLow()): addr, len
   * and the offset in pages (vm_pgoff, below 2^52) as halves, prot and flags as C ints, fd as an
   * int. 0 with the address in mmStruct(mm).vmas.addrOut[0], or -errno. It allocates nothing;
   * mmap() makes one HeapNumber, its return value, when the address is above 2^31.
   */
  mmapHalves(mm: MmId, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, prot: number, flags: number, fd: number, pgoffHigh: number, pgoffLow: number): number;
  /** anon_vma_prepare() of the VMA at addr (what a first write fault does): 0, or -EFAULT when no VMA covers addr. */
  anonVmaPrepare(mm: MmId, addr: number): number;
  /**
   * Invariants of mm: the VMA structures (sorted, disjoint, the tree agreeing with the list, the
   * vm_stat counters) and the page tables (every entry inside a VMA and no more writable than it,
   * every mapped page allocated and mapped, the rss counters and pgtables_bytes equal to what
   * the tables hold): a list of what is wrong (empty when all holds).
   */
  checkMm(mm: MmId): string[];
  /** Every present user PTE of mm that maps a struct page (not the zero page): visit(addr, pfn). */
  forEachMappedPage(mm: MmId, visit: (addr: number, pfn: number) => void): void;
  /** The ids of the live mms. */
  mms(): MmId[];
}

/** An int32 (a (() | 0) half). */
function isInt32(x: number): boolean {
  return typeof x === 'number' && (x | 0) === x;
}

/** A ((() * 2.3283064365386963e-10) | 0) half of an integer below 2^52. */
function isHigh52(x: number): boolean {
  return typeof x === 'number' && (x | 0) === x && x >= 0 && x < 0x100000;
}

/** PAGE_ALIGN() of a length below 2^53. */
function pageAlignNumber(x: number): number {
  const r = x % PAGE_SIZE;
  return r === 0 ? x : x - r + PAGE_SIZE;
}

function checkedInt(name: string, v: number | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(Number.isInteger(v) || v === Infinity) || v < min || v > max) throw new TypeError(`${name}: ${String(v)} is not an integer in [${min}, ${max}]`);
  return v;
}

function checkedRlimit(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(v === Infinity || (Number.isInteger(v) && v >= 0))) throw new TypeError(`${name}: ${String(v)} is not a byte count or Infinity (RLIM_INFINITY)`);
  return v;
}

const FILE_KINDS: ReadonlySet<string> = new Set(['reg', 'blk', 'chr']);

function checkFile(file: FileIdentity, what: string): FileIdentity {
  if (typeof file !== 'object' || file === null) throw new TypeError(`${what}: a file identity is an object`);
  if (typeof file.path !== 'string' || file.path.length === 0 || file.path.length > 4096) throw new TypeError(`${what}: path must be a string of 1..4096 characters (PATH_MAX)`);
  checkedInt(`${what}.major`, file.major, 0, 0, 4095);
  checkedInt(`${what}.minor`, file.minor, 0, 0, 0xfffff);
  checkedInt(`${what}.inode`, file.inode, 0);
  checkedInt(`${what}.size`, file.size, 0);
  if (file.accessMode !== O_RDONLY && file.accessMode !== O_WRONLY && file.accessMode !== O_RDWR) throw new TypeError(`${what}.accessMode: O_RDONLY (0), O_WRONLY (1) or O_RDWR (2), got ${String(file.accessMode)}`);
  if (file.kind !== undefined && !FILE_KINDS.has(file.kind)) throw new TypeError(`${what}.kind: 'reg', 'blk' or 'chr', got ${String(file.kind)}`);
  return { ...file };
}

/** The key under which VMAs of a described layout share one struct file. */
function fileKey(f: FileIdentity): string {
  return `${f.major}:${f.minor}:${f.inode}:${f.path}`;
}

export function createAddressSpaces(services: MmServices, options: AddressSpacesOptions = {}): MmapImplementation {
  const hooks: MmapHooks = { ...DEFAULT_MMAP_HOOKS };
  for (const [name, fn] of Object.entries(options.hooks ?? {})) {
    if (!Object.hasOwn(DEFAULT_MMAP_HOOKS, name)) throw new TypeError(`createAddressSpaces: unknown hook ${name}; hooks: ${Object.keys(DEFAULT_MMAP_HOOKS).join(', ')}`);
    (hooks as unknown as Record<string, unknown>)[name] = fn;
  }
  const machinePages = services.layout.memory.reduce((n, r) => n + (r.end - r.start), 0);
  const commitLimit = checkedInt('commitLimitPages', options.commitLimitPages, machinePages);
  const compatBrk = options.compatBrk ?? false;
  const ctx: MmapContext = { services, hooks, commitLimitPages: () => commitLimit, nextAnonVma: 1, nextShmemIno: 1, zeroPfn: -1 };
  const mms = new Map<number, MmStruct>();
  let nextMmId = 1;

  function mmOf(mm: MmId): MmStruct {
    const s = typeof mm === 'number' ? mms.get(mm) : undefined;
    if (!s) throw new TypeError(`no mm ${String(mm)} (created and not destroyed)`);
    return s;
  }

  function limitsOf(p: MmParams, taskSizeDefault: number): MmLimits {
    const taskSize = checkedInt('taskSize', p.taskSize, taskSizeDefault, PAGE_SIZE, 2 ** 47);
    if (taskSize % PAGE_SIZE !== 0) throw new TypeError(`taskSize: ${taskSize} is not page-aligned`);
    return {
      taskSize,
      stackGuardGap: hooks.stackGuardGap(checkedInt('stackGuardGap', p.stackGuardGap, 256 * PAGE_SIZE, 0, 2 ** 47)),
      mmapMinAddr: checkedInt('mmapMinAddr', p.mmapMinAddr, 65536, 0, taskSize),
      maxMapCount: checkedInt('maxMapCount', p.maxMapCount, 65530, 0, 2 ** 31 - 1),
      randomizeVaSpace: checkedInt('randomizeVaSpace', p.randomizeVaSpace, 2, 0, 2),
      overcommitMemory: checkedInt('overcommitMemory', p.overcommitMemory, 0, 0, 2),
      rlimitData: checkedRlimit('rlimitData', p.rlimitData, Infinity),
      rlimitStack: checkedRlimit('rlimitStack', p.rlimitStack, 8 * 2 ** 20),
      rlimitAs: checkedRlimit('rlimitAs', p.rlimitAs, Infinity),
      rlimitMemlock: checkedRlimit('rlimitMemlock', p.rlimitMemlock, 64 * 1024),
      capIpcLock: p.capIpcLock === true,
      capSysRawio: p.capSysRawio === true,
    };
  }

  /** mm_alloc() + mm_init() + arch_pick_mmap_layout(). */
  function mmCreate(params: MmParams = {}): MmId {
    if (typeof params !== 'object' || params === null) throw new TypeError('mmCreate: params must be an object');
    const arch = archOf(ctx);
    const limits = limitsOf(params, arch.taskSize ?? TASK_SIZE_X86_64);
    const id = nextMmId++;
    const pgd = arch.pgdAlloc(id);
    if (pgd === NO_PAGE) return -ERRNO.ENOMEM;
    const mm = new MmStruct(id, limits, pgd);
    const layout = arch.pickMmapLayout({ rlimitStack: limits.rlimitStack, legacy: params.legacyLayout === true, stackGuardGap: limits.stackGuardGap });
    mm.topDown = layout.topDown;
    mm.mmapLegacyBase = layout.mmapLegacyBase;
    mm.mmapBase = checkedInt('mmapBase', params.mmapBase, layout.mmapBase, 0, limits.taskSize);
    if (params.mmapBase !== undefined && params.legacyLayout === true) mm.mmapLegacyBase = mm.mmapBase;
    mm.startBrk = checkedInt('startBrk', params.startBrk, 0, 0, limits.taskSize);
    mm.brk = checkedInt('brk', params.brk, mm.startBrk, 0, limits.taskSize);
    mm.startData = checkedInt('startData', params.startData, 0, 0, limits.taskSize);
    mm.endData = checkedInt('endData', params.endData, mm.startData, 0, limits.taskSize);
    mm.startStack = checkedInt('startStack', params.startStack, 0, 0, limits.taskSize);
    mm.startCode = checkedInt('startCode', params.startCode, 0, 0, limits.taskSize);
    mm.endCode = checkedInt('endCode', params.endCode, mm.startCode, 0, limits.taskSize);
    mms.set(id, mm);
    return id;
  }

  /** dup_mm(): memcpy() of the mm's layout and limits, mm_init(), dup_mmap(); the high watermarks start at the copy's. */
  function fork(mmId: MmId): MmId {
    const old = mmOf(mmId);
    const arch = archOf(ctx);
    const id = nextMmId++;
    const pgd = arch.pgdAlloc(id);
    if (pgd === NO_PAGE) return -ERRNO.ENOMEM;
    const mm = new MmStruct(id, { ...old.limits }, pgd);
    mm.specialNames.push(...old.specialNames);
    mm.gate = old.gate;
    mm.mmapBase = old.mmapBase;
    mm.mmapLegacyBase = old.mmapLegacyBase;
    mm.topDown = old.topDown;
    mm.startBrk = old.startBrk;
    mm.brk = old.brk;
    mm.startData = old.startData;
    mm.endData = old.endData;
    mm.startStack = old.startStack;
    mm.startCode = old.startCode;
    mm.endCode = old.endCode;
    mm.brkRandomized = old.brkRandomized;
    mm.defFlags = old.defFlags;
    mms.set(id, mm);
    if (dupMmap(ctx, mm, old) !== 0) {
      mmDestroy(id); // dup_mm()'s mmput() of the half-copied mm
      return -ERRNO.ENOMEM;
    }
    mm.hiwaterRss = mm.getRss();
    mm.hiwaterVm = mm.totalVm;
    return id;
  }

  function mlock(mmId: MmId, addr: number | bigint, len: number | bigint, flags = 0): number {
    const mm = mmOf(mmId);
    const f = intArg(flags, 'mlock2 flags');
    if (hasHighBits(flags) || (f & ~MLOCK_ONFAULT) !== 0) return -ERRNO.EINVAL;
    return doMlock(ctx, mm, toU64(addr, 'mlock addr'), toU64(len, 'mlock len'), (f & MLOCK_ONFAULT) !== 0 ? VM_LOCKED | VM_LOCKONFAULT : VM_LOCKED);
  }

  function munlock(mmId: MmId, addr: number | bigint, len: number | bigint): number {
    const mm = mmOf(mmId);
    return doMunlock(ctx, mm, toU64(addr, 'munlock addr'), toU64(len, 'munlock len'));
  }

  function pageFault(mmId: MmId, addrHigh: number, addrLow: number, flags: number): number {
    const mm = mmOf(mmId);
    if (!((addrHigh | 0) === addrHigh && (addrLow | 0) === addrLow)) throw new TypeError(`pageFault: the address halves ${String(addrHigh)}, ${String(addrLow)} are not int32s (core's vaHigh(), vaLow())`);
    return doUserFault(ctx, mm, addrHigh, addrLow, flags | 0);
  }

  /** Link a described VMA (exec's and _install_special_mapping()'s result). */
  function addVma(mm: MmStruct, spec: VmaSpec, fileOf: (f: FileIdentity) => number, anonOf: (n: number) => number, i: number): void {
    const what = `vmas[${i}]`;
    const t = mm.vmas;
    const gate = spec.special === '[vsyscall]';
    // The gate area lies above 2^63 (0xffffffffff600000): exact as a double, being page-aligned.
    const start = checkedInt(`${what}.start`, spec.start, 0, 0, gate ? 2 ** 64 : Number.MAX_SAFE_INTEGER);
    const end = checkedInt(`${what}.end`, spec.end, 0, 0, gate ? 2 ** 64 : Number.MAX_SAFE_INTEGER);
    if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0 || end <= start) throw new TypeError(`${what}: [${start}, ${end}) is not a page-aligned non-empty range`);
    const flags = checkedInt(`${what}.flags`, spec.flags, 0, 0, 0xffffffff);
    if (gate) {
      // The gate area: not a VMA (get_gate_vma()), shown last.
      mm.gate = { start, end, read: (flags & VM_READ) !== 0, write: (flags & VM_WRITE) !== 0, exec: (flags & VM_EXEC) !== 0, mayshare: false, offset: 0, major: 0, minor: 0, inode: 0, name: spec.special };
      return;
    }
    if (end > mm.limits.taskSize) throw new TypeError(`${what}: ends above TASK_SIZE`);
    const prev = t.findVmaLinks(vaHigh(start), vaLow(start), vaHigh(end), vaLow(end));
    if (prev < 0) throw new TypeError(`${what}: [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps another VMA`);
    const v = t.alloc();
    t.vmStart[v] = start;
    t.vmEnd[v] = end;
    t.vmFlags[v] = flags >>> 0;
    if (spec.file !== undefined) {
      t.vmFile[v] = fileOf(checkFile(spec.file, `${what}.file`));
      t.vmPgoff[v] = checkedInt(`${what}.pgoff`, spec.pgoff, 0, 0, 2 ** 52 - 1);
    } else {
      t.vmPgoff[v] = checkedInt(`${what}.pgoff`, spec.pgoff, (flags & VM_SHARED) ? 0 : start / PAGE_SIZE, 0, 2 ** 52 - 1);
    }
    if (spec.special !== undefined) {
      if (typeof spec.special !== 'string' || spec.special.length === 0 || spec.special.length > 4096) throw new TypeError(`${what}.special: a name such as [vdso]`);
      t.special[v] = mm.specialOf(spec.special);
    }
    const anon = checkedInt(`${what}.anonVma`, spec.anonVma, 0, 0, 2 ** 31 - 1);
    if (anon !== 0) {
      t.anonVma[v] = anonOf(anon);
      t.anonChain[v] = 1;
    }
    t.link(v, prev);
    vmStatAccount(mm, flags, (end - start) / PAGE_SIZE);
    if ((flags & VM_LOCKED) !== 0) mm.lockedVm += (end - start) / PAGE_SIZE;
  }

  function mmCreateWith(description: MmDescription): MmId {
    if (typeof description !== 'object' || description === null || !Array.isArray(description.vmas)) throw new TypeError('mmCreateWith: a description has a vmas array');
    if (description.vmas.length > 2 ** 24) throw new TypeError('mmCreateWith: more than 2^24 VMAs');
    const id = mmCreate(description);
    if (id < 0) return id;
    const mm = mmOf(id);
    const files = new Map<string, number>();
    const anons = new Map<number, number>();
    try {
      const fileOf = (f: FileIdentity) => {
        const key = fileKey(f);
        let n = files.get(key);
        if (n === undefined) {
          n = mm.files.open(f);
          files.set(key, n);
        } else {
          mm.files.get(n);
        }
        return n;
      };
      const anonOf = (n: number) => {
        let a = anons.get(n);
        if (a === undefined) {
          a = ctx.nextAnonVma++;
          anons.set(n, a);
        }
        return a;
      };
      const specs: readonly VmaSpec[] = description.vmas;
      // Each VMA holds one reference to its struct file: open() gave the first, get() the others.
      specs.forEach((spec, i) => addVma(mm, spec, fileOf, anonOf, i));
    } catch (e) {
      mmDestroy(id);
      throw e;
    }
    return id;
  }

  /** The VMAs a /proc/PID/maps text describes, with exec's flags for what the text does not show. */
  function describeMaps(entries: MapsEntry[], params: MmParams): MmDescription {
    const vmas: VmaSpec[] = [];
    let heap: MapsEntry | undefined;
    let stack: MapsEntry | undefined;
    for (const e of entries) {
      const rwx = (e.read ? VM_READ : 0) | (e.write ? VM_WRITE : 0) | (e.exec ? VM_EXEC : 0);
      const isFile = e.inode !== 0 || (e.name.startsWith('/') && (e.major !== 0 || e.minor !== 0));
      if (isFile) {
        // A private file mapping may become writable (VM_MAY*); a shared one was opened read-only unless it is writable.
        let flags = rwx | VM_MAYREAD | VM_MAYEXEC | VM_SOFTDIRTY;
        if (e.mayshare) flags |= VM_MAYSHARE | (e.write ? VM_SHARED | VM_MAYWRITE : 0);
        else flags |= VM_MAYWRITE | (e.write ? VM_ACCOUNT : 0);
        const file: FileIdentity = { path: e.name, major: e.major, minor: e.minor, inode: e.inode, size: 0, accessMode: e.mayshare && e.write ? O_RDWR : O_RDONLY };
        vmas.push({ start: e.start, end: e.end, flags, pgoff: e.offset / PAGE_SIZE, file });
      } else if (e.name === '[stack]') {
        stack = e;
        vmas.push({ start: e.start, end: e.end, flags: (VM_STACK_FLAGS & ~(VM_READ | VM_WRITE)) | rwx | VM_SOFTDIRTY, anonVma: 1 });
      } else if (e.name === '[vdso]') {
        vmas.push({ start: e.start, end: e.end, flags: rwx | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_DONTEXPAND | VM_SOFTDIRTY, special: e.name });
      } else if (e.name === '[vvar]' || (e.name.startsWith('[vvar') && e.name.endsWith(']'))) {
        vmas.push({ start: e.start, end: e.end, flags: rwx | VM_MAYREAD | VM_IO | VM_DONTDUMP | VM_PFNMAP | VM_DONTEXPAND | VM_SOFTDIRTY, special: e.name });
      } else if (e.name.startsWith('[') && e.name !== '[heap]') {
        // [vsyscall] (the gate area) and other special mappings.
        vmas.push({ start: e.start, end: e.end, flags: rwx | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_DONTEXPAND | VM_SOFTDIRTY, special: e.name });
      } else {
        if (e.name === '[heap]') heap = e;
        const shared = e.mayshare;
        let flags = rwx | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_SOFTDIRTY;
        if (shared) flags |= VM_SHARED | VM_MAYSHARE;
        else if (e.write) flags |= VM_ACCOUNT;
        vmas.push({ start: e.start, end: e.end, flags });
      }
    }
    // The break: [heap], else the end of the bss after the executable (the first file mapped).
    let startBrk = 0;
    let brk = 0;
    let startData = 0;
    let endData = 0;
    let startCode = 0;
    let endCode = 0;
    if (heap) {
      startBrk = heap.start;
      brk = heap.end;
    }
    const exe = entries.find((e) => e.inode !== 0);
    if (exe) {
      let lastExe = -1;
      entries.forEach((e, i) => {
        if (e.inode === exe.inode && e.major === exe.major && e.minor === exe.minor && e.name === exe.name) lastExe = i;
      });
      const data = entries.find((e) => e.inode === exe.inode && e.name === exe.name && e.write && !e.mayshare);
      // start_code: the lowest PT_LOAD (the first mapping of the executable); end_code: the end of its text.
      startCode = exe.start;
      const text = entries.filter((e) => e.inode === exe.inode && e.name === exe.name && e.exec);
      endCode = text.length > 0 ? text[text.length - 1].end : exe.start;
      if (data) {
        startData = data.start;
        endData = data.end;
      }
      if (!heap) {
        const last = entries[lastExe];
        const after = entries[lastExe + 1];
        brk = after && after.start === last.end && after.inode === 0 && after.name === '' ? after.end : last.end;
        startBrk = brk;
      }
    }
    return {
      startBrk, brk, startData, endData, startCode, endCode,
      startStack: stack ? stack.end - PAGE_SIZE : 0,
      ...params,
      vmas,
    };
  }

  function mmCreateFromMaps(maps: string, params: MmParams = {}): MmId {
    return mmCreateWith(describeMaps(parseMaps(maps), params));
  }

  function mmDestroy(mmId: MmId): void {
    const mm = mmOf(mmId);
    // do_exit() ("sync mm's RSS info before statistics gathering") and exit_mm(): the task's rss cache goes to the mm
    // before exit_mmap() zaps, so the counters end at 0 (check_mm()'s "Bad rss-counter state" otherwise).
    syncMmRss(mm);
    exitMmap(ctx, mm);
    // free_pgtables() covered every VMA; the pgd goes with the mm (mmdrop() -> pgd_free()).
    archOf(ctx).pgdFree(mm.pgd);
    mms.delete(mmId);
  }

  function mmInfo(mmId: MmId): MmInfo | undefined {
    const mm = typeof mmId === 'number' ? mms.get(mmId) : undefined;
    if (!mm) return undefined;
    return {
      mapCount: mm.vmas.mapCount, totalVm: mm.totalVm, dataVm: mm.dataVm, stackVm: mm.stackVm, execVm: mm.execVm, lockedVm: mm.lockedVm,
      startBrk: mm.startBrk, brk: mm.brk, mmapBase: mm.mmapBase, topDown: mm.topDown, highestVmEnd: mm.vmas.highestVmEnd, pgd: mm.pgd,
      fileRss: getMmCounter(mm, MM_FILEPAGES), anonRss: getMmCounter(mm, MM_ANONPAGES), swapEnts: getMmCounter(mm, MM_SWAPENTS), shmemRss: getMmCounter(mm, MM_SHMEMPAGES),
      taskRss: { fileRss: mm.taskRss[MM_FILEPAGES], anonRss: mm.taskRss[MM_ANONPAGES], swapEnts: mm.taskRss[MM_SWAPENTS], shmemRss: mm.taskRss[MM_SHMEMPAGES], events: mm.taskRssEvents },
      hiwaterRss: mm.hiwaterRss, hiwaterVm: mm.hiwaterVm, pinnedVm: mm.pinnedVm, pgtablesBytes: archOf(ctx).pgtablesBytes(mm.pgd),
      startCode: mm.startCode, endCode: mm.endCode,
    };
  }

  function fdInstall(mmId: MmId, fd: number, file: FileIdentity): number {
    const mm = mmOf(mmId);
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd >= NR_OPEN) return -ERRNO.EBADF;
    const identity = checkFile(file, 'fdInstall file');
    const old = mm.files.fds.get(fd);
    if (old !== undefined) mm.files.put(old);
    mm.files.fds.set(fd, mm.files.open(identity));
    return 0;
  }

  function fdClose(mmId: MmId, fd: number): number {
    const mm = mmOf(mmId);
    const f = typeof fd === 'number' ? mm.files.fds.get(fd) : undefined;
    if (f === undefined) return -ERRNO.EBADF;
    mm.files.fds.delete(fd);
    mm.files.put(f);
    return 0;
  }

  function mmap(mmId: MmId, addr: number | bigint, len: number | bigint, prot: number, flags: number, fd: number, off: number | bigint): number {
    const mm = mmOf(mmId);
    const p = intArg(prot, 'mmap prot');
    const f = intArg(flags, 'mmap flags');
    const high = hasHighBits(flags);
    const fdNum = intArg(fd, 'mmap fd');
    let error: number;
    // The mechanisms take addresses, lengths and page offsets as int32 halves, and answer the address in vmas.addrOut[0]:
    // the one HeapNumber an mmap() makes is its return value (an address above 2^31, at this boundary).
    if (isSmallUlong(addr) && isSmallUlong(len) && isSmallUlong(off)) {
      if (off % PAGE_SIZE !== 0) return -ERRNO.EINVAL;
      const pgoff = off / PAGE_SIZE;
      error = ksysMmapPgoff(ctx, mm, ((addr * 2.3283064365386963e-10) | 0), (addr | 0), ((len * 2.3283064365386963e-10) | 0), (len | 0), p, f, fdNum, ((pgoff * 2.3283064365386963e-10) | 0), (pgoff | 0), high);
    } else {
      const o = toU64(off, 'mmap off');
      if ((o & 0xfffn) !== 0n) return -ERRNO.EINVAL;
      const a = clampAddr(toU64(addr, 'mmap addr'));
      const l = clampLen(toU64(len, 'mmap len'));
      const pgoff = Number(o >> 12n);
      error = ksysMmapPgoff(ctx, mm, ((a * 2.3283064365386963e-10) | 0), (a | 0), ((l * 2.3283064365386963e-10) | 0), (l | 0), p, f, fdNum, ((pgoff * 2.3283064365386963e-10) | 0), (pgoff | 0), high);
    }
    return error < 0 ? error : mm.vmas.addrOut[0];
  }

  function mmapHalves(mmId: MmId, addrHigh: number, addrLow: number, lenHigh: number, lenLow: number, prot: number, flags: number, fd: number, pgoffHigh: number, pgoffLow: number): number {
    const mm = mmOf(mmId);
    // Halves of numbers below 2^52, as mmap() gives the mechanisms (syscall-args.ts).
    if (!isHigh52(addrHigh) || !isInt32(addrLow) || !isHigh52(lenHigh) || !isInt32(lenLow) || !isHigh52(pgoffHigh) || !isInt32(pgoffLow)) {
      throw new TypeError(`mmapHalves: addr, len and pgoff must be vaHigh()/vaLow() halves of integers below 2^52, got ${[addrHigh, addrLow, lenHigh, lenLow, pgoffHigh, pgoffLow].map(String).join(', ')}`);
    }
    return ksysMmapPgoff(ctx, mm, addrHigh, addrLow, lenHigh, lenLow, intArg(prot, 'mmap prot'), intArg(flags, 'mmap flags'), intArg(fd, 'mmap fd'), pgoffHigh, pgoffLow, false);
  }

  function munmap(mmId: MmId, addr: number | bigint, len: number | bigint): number {
    const mm = mmOf(mmId);
    if (isSmallUlong(addr) && isSmallUlong(len)) return doMunmap(ctx, mm, ((addr * 2.3283064365386963e-10) | 0), (addr | 0), ((len * 2.3283064365386963e-10) | 0), (len | 0));
    const a = clampAddr(toU64(addr, 'munmap addr'));
    const l = clampLen(toU64(len, 'munmap len'));
    return doMunmap(ctx, mm, ((a * 2.3283064365386963e-10) | 0), (a | 0), ((l * 2.3283064365386963e-10) | 0), (l | 0));
  }

  function mprotect(mmId: MmId, addr: number | bigint, len: number | bigint, prot: number): number {
    const mm = mmOf(mmId);
    const p = intArg(prot, 'mprotect prot');
    if (isSmallUlong(addr) && isSmallUlong(len)) return doMprotect(ctx, mm, addr, len, p);
    const start = toU64(addr, 'mprotect addr');
    const l = toU64(len, 'mprotect len');
    const grows = p & (PROT_GROWSDOWN | PROT_GROWSUP);
    if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return -ERRNO.EINVAL;
    if ((start & 0xfffn) !== 0n) return -ERRNO.EINVAL;
    if (l === 0n) return 0;
    const end = BigInt.asUintN(64, start + pageAlignU64(l));
    if (end <= start) return -ERRNO.ENOMEM;
    if ((p & ~(PROT_GROWSDOWN | PROT_GROWSUP) & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) !== 0) return -ERRNO.EINVAL;
    return doMprotect(ctx, mm, clampAddr(start), clampLen(pageAlignU64(l)), p);
  }

  function mremap(mmId: MmId, addr: number | bigint, oldLen: number | bigint, newLen: number | bigint, flags: number, newAddr: number | bigint = 0): number {
    const mm = mmOf(mmId);
    const f = intArg(flags, 'mremap flags');
    if (hasHighBits(flags)) return -ERRNO.EINVAL;
    if (isSmallUlong(addr) && isSmallUlong(oldLen) && isSmallUlong(newLen) && isSmallUlong(newAddr)) {
      // sys_mremap()'s `locked`: a VM_LOCKED VMA that grew has its new part populated.
      const v = mm.vmas.findVma(addr);
      const locked = v !== 0 && mm.vmas.vmStart[v] <= addr && (mm.vmas.vmFlags[v] & VM_LOCKED) !== 0;
      const ret = sysMremap(ctx, mm, addr, oldLen, newLen, f, newAddr);
      if (locked && ret >= 0 && newLen > oldLen) mmPopulate(ctx, mm, ret + pageAlignNumber(oldLen), pageAlignNumber(newLen) - pageAlignNumber(oldLen));
      return ret;
    }
    const a = toU64(addr, 'mremap addr');
    if (f & ~(MREMAP_FIXED | MREMAP_MAYMOVE)) return -ERRNO.EINVAL;
    if ((f & MREMAP_FIXED) && !(f & MREMAP_MAYMOVE)) return -ERRNO.EINVAL;
    if ((a & 0xfffn) !== 0n) return -ERRNO.EINVAL;
    const o = pageAlignU64(toU64(oldLen, 'mremap old_len'));
    const n = pageAlignU64(toU64(newLen, 'mremap new_len'));
    if (n === 0n) return -ERRNO.EINVAL;
    return sysMremap(ctx, mm, clampAddr(a), clampLen(o), clampLen(n), f, clampAddr(toU64(newAddr, 'mremap new_addr')));
  }

  function brk(mmId: MmId, value: number | bigint): number {
    const mm = mmOf(mmId);
    return sysBrk(ctx, mm, isSmallUlong(value) ? value : clampLen(toU64(value, 'brk')), compatBrk);
  }

  function madvise(mmId: MmId, addr: number | bigint, len: number | bigint, advice: number): number {
    const mm = mmOf(mmId);
    const behavior = intArg(advice, 'madvise advice');
    if (isSmallUlong(addr) && isSmallUlong(len)) return sysMadvise(ctx, mm, addr, len, behavior);
    const start = toU64(addr, 'madvise addr');
    const lenIn = toU64(len, 'madvise len');
    if (!madviseBehaviorValid(behavior)) return -ERRNO.EINVAL;
    if ((start & 0xfffn) !== 0n) return -ERRNO.EINVAL;
    const l = pageAlignU64(lenIn);
    // Rounded up from a small negative length to zero, or wrapping past the top.
    if (lenIn !== 0n && l === 0n) return -ERRNO.EINVAL;
    const end = BigInt.asUintN(64, start + l);
    if (end < start) return -ERRNO.EINVAL;
    if (end === start) return 0;
    if (behavior === MADV_HWPOISON || behavior === MADV_SOFT_OFFLINE) return -ERRNO.EPERM;
    return sysMadvise(ctx, mm, clampAddr(start), clampLen(l), behavior);
  }

  function entryOf(mm: MmStruct, v: number): MapsEntry {
    const t = mm.vmas;
    const flags = t.vmFlags[v];
    const start = t.vmStart[v];
    const end = t.vmEnd[v];
    let name = '';
    let major = 0;
    let minor = 0;
    let inode = 0;
    let offset = 0;
    if (t.vmFile[v] !== 0) {
      const f = mm.files.identity(t.vmFile[v]);
      name = f.path;
      major = f.major;
      minor = f.minor;
      inode = f.inode;
      offset = t.vmPgoff[v] * PAGE_SIZE;
    } else if (t.special[v] !== 0) {
      name = mm.specialNames[t.special[v] - 1];
    } else if (start <= mm.brk && end >= mm.startBrk) {
      name = '[heap]';
    } else if (start <= mm.startStack && end >= mm.startStack) {
      name = '[stack]';
    }
    return { start, end, read: (flags & VM_READ) !== 0, write: (flags & VM_WRITE) !== 0, exec: (flags & VM_EXEC) !== 0, mayshare: (flags & VM_MAYSHARE) !== 0, offset, major, minor, inode, name };
  }

  function maps(mmId: MmId): MapsEntry[] {
    const mm = mmOf(mmId);
    const out: MapsEntry[] = [];
    for (let v = mm.vmas.head; v !== 0; v = mm.vmas.vmNext[v]) out.push(entryOf(mm, v));
    if (mm.gate) out.push(mm.gate);
    return out;
  }

  function infoOf(mm: MmStruct, v: number): VmaInfo {
    const t = mm.vmas;
    return {
      start: t.vmStart[v], end: t.vmEnd[v], flags: t.vmFlags[v], pgoff: t.vmPgoff[v],
      anonymous: t.vmFile[v] === 0 && t.special[v] === 0,
      path: t.vmFile[v] !== 0 ? mm.files.identity(t.vmFile[v]).path : '',
      anonVma: t.anonVma[v],
    };
  }

  function findVma(mmId: MmId, addr: VirtAddr): VmaInfo | undefined {
    const mm = mmOf(mmId);
    const v = mm.vmas.findVma(addr);
    return v === 0 ? undefined : infoOf(mm, v);
  }

  function forEachVma(mmId: MmId, start: VirtAddr, end: VirtAddr, visit: (vma: VmaInfo) => void): void {
    const mm = mmOf(mmId);
    const t = mm.vmas;
    for (let v = t.findVma(start); v !== 0 && t.vmStart[v] < end; v = t.vmNext[v]) visit(infoOf(mm, v));
  }

  function anonVmaPrepareAt(mmId: MmId, addr: number): number {
    const mm = mmOf(mmId);
    const t = mm.vmas;
    const v = t.findVma(addr);
    if (v === 0 || t.vmStart[v] > addr) return -ERRNO.EFAULT;
    anonVmaPrepare(ctx, mm, v);
    return 0;
  }

  function checkMm(mmId: MmId): string[] {
    const mm = mmOf(mmId);
    const t = mm.vmas;
    const bad: string[] = [];
    let n = 0;
    let prevEnd = 0;
    let prev = 0;
    let total = 0;
    let data = 0;
    let stack = 0;
    let exec = 0;
    let locked = 0;
    for (let v = t.head; v !== 0; v = t.vmNext[v]) {
      if (++n > t.mapCount + 1) {
        bad.push('the VMA list is longer than map_count (a cycle?)');
        break;
      }
      if (t.vmPrev[v] !== prev) bad.push(`VMA ${v}: vm_prev is ${t.vmPrev[v]}, not ${prev}`);
      if (t.vmStart[v] >= t.vmEnd[v] || t.vmStart[v] % PAGE_SIZE !== 0 || t.vmEnd[v] % PAGE_SIZE !== 0) bad.push(`VMA ${v}: bad bounds [${t.vmStart[v]}, ${t.vmEnd[v]})`);
      if (t.vmStart[v] < prevEnd) bad.push(`VMA ${v} at 0x${t.vmStart[v].toString(16)} overlaps or precedes the previous one (end 0x${prevEnd.toString(16)})`);
      if (t.findVma(t.vmStart[v]) !== v) bad.push(`VMA ${v}: find_vma(its start) does not find it (the tree disagrees with the list)`);
      const pages = (t.vmEnd[v] - t.vmStart[v]) / PAGE_SIZE;
      const fl = t.vmFlags[v];
      total += pages;
      if (fl & VM_LOCKED) locked += pages;
      if (isExecMapping(fl)) exec += pages;
      else if (isStackMapping(fl)) stack += pages;
      else if (isDataMapping(fl)) data += pages;
      prevEnd = t.vmEnd[v];
      prev = v;
    }
    if (n !== t.mapCount) bad.push(`map_count is ${t.mapCount}, the list has ${n}`);
    if (t.tail !== prev) bad.push('the list tail is wrong');
    if (t.highestVmEnd !== prevEnd) bad.push(`highest_vm_end is ${t.highestVmEnd}, the last VMA ends at ${prevEnd}`);
    if (total !== mm.totalVm || data !== mm.dataVm || stack !== mm.stackVm || exec !== mm.execVm) {
      bad.push(`vm_stat counters total/data/stack/exec ${mm.totalVm}/${mm.dataVm}/${mm.stackVm}/${mm.execVm}, the VMAs give ${total}/${data}/${stack}/${exec}`);
    }
    if (locked !== mm.lockedVm) bad.push(`locked_vm is ${mm.lockedVm}, the VM_LOCKED VMAs have ${locked} pages`);
    checkPageTables(mm, bad);
    return bad;
  }

  /** The page tables of mm against its VMAs and counters. */
  function checkPageTables(mm: MmStruct, bad: string[]): void {
    const arch = archOf(ctx);
    const t = mm.vmas;
    const pages = services.pages;
    const rss = new Float64Array(4);
    let tables = 0;
    let v = t.head;
    walkUserPtes(arch, mm.pgd, (addr, pte, high) => {
      if (bad.length > 20) return;
      while (v !== 0 && t.vmEnd[v] <= addr) v = t.vmNext[v];
      if (v === 0 || t.vmStart[v] > addr) {
        bad.push(`a PTE maps 0x${addr.toString(16)}, which no VMA covers`);
        return;
      }
      if (!arch.ptePresent(pte)) return;
      if (arch.pteWrite(pte) && !(t.vmFlags[v] & VM_WRITE)) bad.push(`the PTE of 0x${addr.toString(16)} is writable in a VMA without VM_WRITE`);
      if (arch.pteSpecial(pte)) return;
      const pfn = arch.ptePfn(pte, high);
      if (!pages.validPfn(pfn) || pages.isBuddy(pfn) || pages.refcount[pfn] <= 0) {
        bad.push(`0x${addr.toString(16)} maps pfn ${pfn}, which is free (refcount ${pages.validPfn(pfn) ? pages.refcount[pfn] : 'n/a'})`);
        return;
      }
      if (pages.getMapcount(pfn) < 0) bad.push(`0x${addr.toString(16)} maps pfn ${pfn}, whose mapcount says unmapped`);
      // A private anonymous page is writable through a PTE only while that PTE is its one mapping (copy on write).
      if (arch.pteWrite(pte) && (pages.getMapping(pfn) & PAGE_MAPPING_ANON) !== 0 && pages.getMapcount(pfn) > 0) {
        bad.push(`0x${addr.toString(16)}: a writable PTE maps anonymous pfn ${pfn}, which ${pages.getMapcount(pfn) + 1} PTEs map (copy on write broken)`);
      }
      rss[mmCounter(pages, pfn)]++;
    });
    // Tables below the pgd: count them by walking the upper levels.
    const noneAt = (slot: number) => arch.pteNone(arch.readEntryLow(slot), arch.readEntryHigh(slot));
    const pgdSlot = firstSlotOf(arch, mm.pgd, 0, PG_LEVEL_512G);
    for (let i = 0; i < 256; i++) {
      if (noneAt(pgdSlot + i)) continue;
      tables++;
      const pud = firstSlotOf(arch, mm.pgd, i * 2 ** 39, PG_LEVEL_1G);
      for (let j = 0; j < 512; j++) {
        if (noneAt(pud + j)) continue;
        tables++;
        const pmd = firstSlotOf(arch, mm.pgd, i * 2 ** 39 + j * 2 ** 30, PG_LEVEL_2M);
        if (pmd === NO_SLOT) continue;
        for (let k = 0; k < 512; k++) {
          const s2 = pmd + k;
          if (!noneAt(s2) && !arch.pmdLarge(arch.readEntryLow(s2))) tables++;
        }
      }
    }
    if (tables * 4096 !== arch.pgtablesBytes(mm.pgd)) bad.push(`pgtables_bytes is ${arch.pgtablesBytes(mm.pgd)}, the tables below the pgd are ${tables} pages`);
    // SPLIT_RSS_COUNTING: the mm's counter plus its task's cache (rss.ts) is what the tables map.
    for (let c = 0; c < 4; c++) {
      const counted = mm.rss[c] + mm.taskRss[c];
      if (c !== MM_SWAPENTS && rss[c] !== counted) bad.push(`rss counter ${c} is ${mm.rss[c]} + ${mm.taskRss[c]} in the task's cache, the page tables map ${rss[c]} such pages`);
    }
    if (!ctx.hooks.splitRssCounting && (mm.taskRss.some((x) => x !== 0) || mm.taskRssEvents !== 0)) bad.push('the task caches rss counts without SPLIT_RSS_COUNTING');
    if (!(mm.taskRssEvents >= 0 && mm.taskRssEvents <= TASK_RSS_EVENTS_THRESH + 1)) bad.push(`the task's rss_stat.events is ${mm.taskRssEvents}, past TASK_RSS_EVENTS_THRESH + 1`);
  }

  /** show_smap(): smaps_pte_range() over each VMA, smaps_account() of each page. */
  function smaps(mmId: MmId): SmapsEntry[] {
    const mm = mmOf(mmId);
    const arch = archOf(ctx);
    const pages = services.pages;
    const t = mm.vmas;
    const out: SmapsEntry[] = [];
    for (let v = t.head; v !== 0; v = t.vmNext[v]) {
      let resident = 0, pss = 0, sharedClean = 0, sharedDirty = 0, privateClean = 0, privateDirty = 0, referenced = 0, anonymous = 0, lazyFree = 0;
      const end = t.vmEnd[v];
      for (let addr = t.vmStart[v]; addr < end;) {
        const pmdEnd = nextBoundary(addr, PMD_SIZE, end);
        let slot = arch.lookup(mm.pgd, vaHigh(addr), vaLow(addr), PG_LEVEL_4K); // one walk: NO_SLOT when the PMD has no PTE table
        if (slot === NO_SLOT) {
          addr = pmdEnd;
          continue;
        }
        for (; addr < pmdEnd; addr += PAGE_SIZE, slot++) {
          const pte = arch.readEntryLow(slot);
          if (!arch.ptePresent(pte) || arch.pteSpecial(pte)) continue; // no page (swap entries: none are made yet)
          const pfn = arch.ptePfn(pte, arch.readEntryHigh(slot));
          const dirty = arch.pteDirty(pte) || pages.testFlag(pfn, PG_dirty);
          if ((pages.getMapping(pfn) & PAGE_MAPPING_ANON) !== 0) {
            anonymous += PAGE_SIZE;
            if (!pages.testFlag(pfn, PG_swapbacked) && !dirty) lazyFree += PAGE_SIZE;
          }
          resident += PAGE_SIZE;
          if (arch.pteYoung(pte) || pages.testFlag(pfn, PG_referenced)) referenced += PAGE_SIZE;
          const mapcount = pages.getMapcount(pfn) + 1;
          if (pages.refcount[pfn] === 1 || mapcount < 2) {
            if (dirty) privateDirty += PAGE_SIZE;
            else privateClean += PAGE_SIZE;
            pss += PAGE_SIZE * 4096;
          } else {
            if (dirty) sharedDirty += PAGE_SIZE;
            else sharedClean += PAGE_SIZE;
            pss += Math.floor((PAGE_SIZE * 4096) / mapcount);
          }
        }
      }
      out.push({ maps: entryOf(mm, v), vmFlags: t.vmFlags[v], resident, pss, sharedClean, sharedDirty, privateClean, privateDirty, referenced, anonymous, lazyFree, swap: 0, swapPss: 0 });
    }
    return out;
  }

  function forEachMappedPage(mmId: MmId, visit: (addr: number, pfn: number) => void): void {
    const mm = mmOf(mmId);
    const arch = archOf(ctx);
    walkUserPtes(arch, mm.pgd, (addr, pte, high) => {
      if (arch.ptePresent(pte) && !arch.pteSpecial(pte)) visit(addr, arch.ptePfn(pte, high));
    });
  }

  return {
    name: 'mmap',
    supports: { mremap: true, madvise: true, faults: true },
    mmCreate, fork, pageFault, smaps, mlock, munlock, mmCreateWith, mmCreateFromMaps, mmDestroy, mmInfo, fdInstall, fdClose,
    mmap, mmapHalves, munmap, mprotect, mremap, brk, madvise, maps, findVma, forEachVma,
    mmStruct: (mmId) => (typeof mmId === 'number' ? mms.get(mmId) : undefined),
    anonVmaPrepare: anonVmaPrepareAt, checkMm, forEachMappedPage,
    mms: () => [...mms.keys()],
  };
}


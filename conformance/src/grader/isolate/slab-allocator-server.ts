/**
 * The submission's thread of an isolated object-allocator grade: it serves the grader's calls of
 * the slab-allocator protocol (protocol.ts, OP_S_*) on a CallChannel with the submission's
 * factory. Each kernel the suite boots is one OP_S_CREATE: the factory gets services over the
 * kernel's own memory (a PageStore and a PageContents attached to its SharedArrayBuffers, so the
 * objects' bytes and SLUB's free pointers are read and written here directly) and, for the rest,
 * services that cross back to the grader's thread: the page allocator (the kernel's, counting
 * the pages this allocator holds), printk, the misuse reports, failslab, KASAN's hooks, the
 * constructors of the suite's caches, the work queues (SLAB's cache_reap), and the page
 * contents' bookkeeping (a page materialised or cleared, whose slot the grader's pool hands out).
 */
import {
  PhysMemory, Scheduler, type DelayedWork, type KasanHooks, type KmemCache, type ObjAddr, type PageContents,
  type SlabAllocator, type SlabAllocatorFactory, type SlabAllocatorServices, type SlabErrorKind, type Subsystems, type WorkStruct,
} from '@mmkit/core';
import { PAYLOAD_BYTES, type CallChannel, type IncomingCall, type ServerOptions } from './call-channel.js';
import { KernelMemoryServer, type MemorySetup } from './kernel-memory.js';
import {
  CB_S_CANCEL_WORK, CB_S_CTOR, CB_S_KASAN_ALLOC, CB_S_KASAN_FREE, CB_S_KASAN_SHUTDOWN, CB_S_QUEUE_WORK, CB_S_SHOULD_FAIL, CB_S_SLAB_ERROR, CORRUPTION_KINDS, CTOR_KINDS, CTX_ARGS,
  CTX_CPU, CTX_FAIL_ARMED, CTX_HANDLE, CTX_JIFFIES, NAME_KINDS, OP_S_ALLOC_BULK, OP_S_BATCH, OP_S_BOOTSTRAP, OP_S_CACHES,
  OP_S_CACHE_ALLOC, OP_S_CACHE_CREATE, OP_S_CACHE_DESC, OP_S_CACHE_FREE, OP_S_CREATE, OP_S_DESTROY, OP_S_FREE_BULK, OP_S_GET, OP_S_KFREE,
  OP_S_KMALLOC, OP_S_KSIZE, OP_S_QUARANTINE_RELEASE, OP_S_REAP_RUNS, OP_S_RELEASE, OP_S_RUN_WORK, OP_S_SHRINK, OP_S_SLABINFO, OP_S_VALIDATE,
  SLABINFO_FIELDS, SLAB_ERROR_KINDS, SLAB_METHODS, SLAB_PROPS,
} from './protocol.js';

/** What the grader posts before OP_S_CREATE (type 'slab-setup'); the pool's new chunks follow as the kernel adds them (kernel-memory.ts). */
export interface SlabAllocatorSetup extends MemorySetup {
  readonly type: 'slab-setup';
  /** The kernel runs with KASAN (services.kasan). */
  readonly kasan: boolean;
}

/** The most addresses one frame carries (bulk calls, batches). */
export const ADDRS_PER_FRAME = PAYLOAD_BYTES / 8;

interface Instance {
  readonly impl: SlabAllocator;
  readonly sched: CrossingScheduler;
  readonly failSlabArmed: Uint8Array;
  readonly contents: PageContents;
  /** The caches handed to the grader, by id and back. */
  readonly cacheIds: Map<object, number>;
  readonly caches: Map<number, KmemCache>;
  /** The work items queued through the kernel, by id and back. */
  readonly workIds: Map<object, number>;
  readonly works: Map<number, WorkStruct>;
}

/**
 * The kernel's Scheduler as the allocator sees it: its own clock and CPU (the kernel's context,
 * set on every call), its pure helpers (roundJiffiesRelative(), onCpu()), and work queued on the
 * kernel's queues across the channel. The kernel's timers are the kernel's: nothing here runs them.
 */
export class CrossingScheduler extends Scheduler {
  constructor(
    nrCpus: number,
    hz: number,
    private readonly queue: (cpu: number, work: WorkStruct, delay: number) => boolean,
    private readonly cancel: (work: WorkStruct) => boolean,
  ) {
    super({ nrCpus, hz });
  }

  override queueWorkOn(cpu: number, work: WorkStruct): boolean {
    return this.queue(cpu, work, -1);
  }

  override queueDelayedWorkOn(cpu: number, dwork: DelayedWork, delay: number): boolean {
    if (typeof delay !== 'number' || Number.isNaN(delay)) throw new RangeError(`queue_delayed_work_on: delay must be a number of jiffies, got ${String(delay)}`);
    return this.queue(cpu, dwork, Math.max(0, delay));
  }

  override cancelDelayedWork(dwork: DelayedWork): boolean {
    return this.cancel(dwork);
  }

  override addTimerOn(): number {
    throw new Error("mmkit: the kernel's timers are not reachable from the submission's thread (queue a delayed work instead)");
  }

  override runUntil(): void {
    throw new Error("mmkit: the kernel's clock runs in the kernel, not in the submission's thread");
  }

  override runPendingWork(): void {
    throw new Error("mmkit: the kernel's work queues run in the kernel, not in the submission's thread");
  }
}

/** The handler of the grader's calls (the channel's handler in the submission's thread). */
export function slabAllocatorServer(o: ServerOptions<SlabAllocatorFactory>): (call: IncomingCall, channel: CallChannel) => void {
  const ch = o.channel;
  const instances = new Map<number, Instance>();
  const memory = new KernelMemoryServer<SlabAllocatorSetup>(ch, o.setupPort, 'slab-setup', o.collect);
  const crossBack = memory.crossBack;
  const out = new Float64Array(ADDRS_PER_FRAME);

  function create(call: IncomingCall): void {
    const handle = call.arg(CTX_HANDLE);
    const setup = memory.takeSetup(handle);
    const cacheIds = new Map<object, number>();
    const caches = new Map<number, KmemCache>();
    const workIds = new Map<object, number>();
    const works = new Map<number, WorkStruct>();
    const idOf = (cache: unknown): number => cacheId(cacheIds, caches, cache);
    const workIdOf = (work: WorkStruct): number => {
      let id = workIds.get(work);
      if (id === undefined) {
        id = workIds.size + 1;
        workIds.set(work, id);
        works.set(id, work);
      }
      return id;
    };
    // Struct page, the page contents and the page allocator (counting what it holds there), printk: kernel-memory.ts.
    const { pages, contents, pageAllocator, log } = memory.attach(setup, 4);
    const sched = new CrossingScheduler(
      setup.nrCpus,
      setup.hz,
      (cpu, work, delay) => {
        ch.setNum(1, workIdOf(work));
        ch.setNum(2, Number(cpu));
        ch.setNum(3, delay);
        ch.setPayloadString(String(work.name));
        crossBack(CB_S_QUEUE_WORK, 4);
        const queued = ch.num(0) === 1;
        if (queued) work.pending = true;
        return queued;
      },
      (work) => {
        ch.setNum(1, workIdOf(work));
        crossBack(CB_S_CANCEL_WORK, 2);
        const cancelled = ch.num(0) === 1;
        if (cancelled) work.pending = false;
        return cancelled;
      },
    );
    const failSlabArmed = new Uint8Array(1);
    const cpuNode = setup.cpuNode;
    const kasan: KasanHooks | undefined = setup.kasan
      ? Object.freeze({
          slabFree(cache: KmemCache, addr: ObjAddr): boolean {
            ch.setNum(1, idOf(cache));
            ch.setNum(2, Number(addr));
            crossBack(CB_S_KASAN_FREE, 3);
            return ch.num(0) === 1;
          },
          slabAlloc(cache: KmemCache, addr: ObjAddr): void {
            ch.setNum(1, idOf(cache));
            ch.setNum(2, Number(addr));
            crossBack(CB_S_KASAN_ALLOC, 3);
          },
          cacheShutdown(cache: KmemCache): void {
            ch.setNum(1, idOf(cache));
            crossBack(CB_S_KASAN_SHUTDOWN, 2);
          },
        })
      : undefined;
    const subsystems = Object.freeze({ pageAllocator }) as unknown as Subsystems;
    const services: SlabAllocatorServices = {
      layout: setup.layout,
      pages,
      contents,
      sched,
      subsystems,
      pageAllocator,
      phys: new PhysMemory(contents),
      cpuToNode: (cpu) => cpuNode[cpu] ?? 0,
      debug: setup.debug,
      ...(kasan ? { kasan } : {}),
      log,
      shouldFailSlab: (cache, gfp) => {
        ch.setNum(1, idOf(cache));
        ch.setNum(2, Number(gfp));
        crossBack(CB_S_SHOULD_FAIL, 3);
        return ch.num(0) === 1;
      },
      failSlabArmed,
      slabError: (kind: SlabErrorKind, cache, addr, message) => {
        ch.setNum(1, SLAB_ERROR_KINDS.indexOf(kind));
        ch.setNum(2, idOf(cache));
        ch.setNum(3, Number(addr));
        ch.setPayloadString(String(message));
        crossBack(CB_S_SLAB_ERROR, 4);
      },
    };
    // The instance is known before the factory runs: what it allocates while it is made crosses back already.
    const partial = { sched, failSlabArmed, contents, cacheIds, caches, workIds, works } as Omit<Instance, 'impl'>;
    instances.set(handle, partial as Instance);
    setContextOf(partial, call);
    let impl: unknown;
    try {
      impl = (setup.which === 'reference' ? o.reference : o.factory)(services);
    } catch (err) {
      instances.delete(handle);
      memory.forget(handle);
      throw err;
    }
    const isObject = typeof impl === 'object' && impl !== null;
    if (!isObject) {
      instances.delete(handle);
      memory.forget(handle);
      ch.setNum(0, 0);
      ch.setNum(1, 0);
      return;
    }
    (partial as unknown as { impl: SlabAllocator }).impl = impl as SlabAllocator;
    let methods = 0;
    SLAB_METHODS.forEach((m, i) => {
      if (typeof (impl as Record<string, unknown>)[m] === 'function') methods |= 1 << i;
    });
    ch.setNum(0, 1);
    ch.setNum(1, methods);
  }

  function setContextOf(inst: Pick<Instance, 'sched' | 'failSlabArmed'>, call: IncomingCall): void {
    inst.sched.currentCpu = call.arg(CTX_CPU);
    inst.sched.jiffies = call.arg(CTX_JIFFIES);
    inst.failSlabArmed[0] = call.arg(CTX_FAIL_ARMED);
  }

  /** The cache the grader names by id (0: none, as the grader passed it). */
  function cacheOf(inst: Instance, id: number): KmemCache {
    if (id === 0) return undefined as unknown as KmemCache;
    const c = inst.caches.get(id);
    if (!c) throw new RangeError(`mmkit: no cache ${id} in the submission's thread`);
    return c;
  }

  function describe(c: KmemCache, at: number): void {
    ch.setNum(at, Number(c.objectSize));
    ch.setNum(at + 1, Number(c.size));
    ch.setNum(at + 2, Number(c.align));
    ch.setNum(at + 3, Number(c.flags));
    ch.setPayloadString(String(c.name));
  }

  function ctorOf(kind: number, arg: number, handle: number): unknown {
    switch (CTOR_KINDS[kind]) {
      case 'undefined':
        return undefined;
      case 'function':
        return (addr: ObjAddr): void => {
          if (memory.active !== handle) throw new Error("mmkit: a cache's constructor runs only while the kernel calls its allocator");
          ch.setNum(1, arg);
          ch.setNum(2, Number(addr));
          crossBack(CB_S_CTOR, 3);
        };
      case 'null':
        return null;
      case 'number':
        return arg;
      case 'string':
        return 'not a function';
      case 'object':
        return {};
      case 'array':
        return [];
      case 'boolean':
        return arg !== 0;
      default:
        throw new RangeError(`mmkit: constructor kind ${kind}`);
    }
  }

  return (call: IncomingCall): void => {
    if (memory.lifecycle(call, OP_S_CREATE, OP_S_RELEASE, () => create(call), (handle) => instances.delete(handle))) return;
    const op = call.op;
    const handle = call.arg(CTX_HANDLE);
    const inst = instances.get(handle);
    if (!inst) throw new Error(`mmkit: no object allocator ${handle} in the submission's thread`);
    setContextOf(inst, call);
    memory.syncChunks(handle);
    const impl = inst.impl;
    const a = (i: number): number => call.arg(CTX_ARGS + i);
    const previous = memory.active;
    memory.active = handle;
    try {
      switch (op) {
        case OP_S_GET:
          get(inst, a(0));
          return;
        case OP_S_CACHE_CREATE: {
          const [size, align, flags, nameKind, ctorKind, ctorArg] = [a(0), a(1), a(2), a(3), a(4), a(5)];
          const nk = NAME_KINDS[nameKind];
          const name = nk === 'string' ? ch.payloadString() : nk === 'null' ? null : undefined;
          const ctor = ctorOf(ctorKind, ctorArg, handle);
          const c = impl.kmemCacheCreate(name as string, size, align, flags, ctor as (addr: ObjAddr) => void);
          const id = idOf(inst, c);
          ch.setNum(0, id);
          if (id !== 0) describe(c!, 1);
          return;
        }
        case OP_S_CACHE_DESC:
          describe(cacheOf(inst, a(0)), 0);
          return;
        case OP_S_CACHE_ALLOC:
          ch.setNum(0, impl.kmemCacheAlloc(cacheOf(inst, a(0)), a(1)));
          return;
        case OP_S_CACHE_FREE:
          impl.kmemCacheFree(cacheOf(inst, a(0)), a(1));
          return;
        case OP_S_ALLOC_BULK: {
          const cache = cacheOf(inst, a(0));
          const n = a(2);
          const addrs = new Float64Array(Math.max(0, Math.min(ADDRS_PER_FRAME, n | 0)));
          // The caller's array as it was (what the allocator leaves alone stays so).
          addrs.set(ch.payloadF64.subarray(0, Math.min(addrs.length, ch.payloadLength / 8)));
          const got = impl.kmemCacheAllocBulk(cache, a(1), n, addrs);
          ch.payloadF64.set(addrs);
          ch.setPayloadLength(addrs.length * 8);
          ch.setNum(0, got);
          return;
        }
        case OP_S_FREE_BULK: {
          const n = a(1);
          const addrs = ch.payloadF64.slice(0, Math.max(0, Math.min(ADDRS_PER_FRAME, n | 0)));
          impl.kmemCacheFreeBulk(cacheOf(inst, a(0)), n, addrs);
          return;
        }
        case OP_S_SHRINK:
          ch.setNum(0, impl.kmemCacheShrink(cacheOf(inst, a(0))));
          return;
        case OP_S_DESTROY:
          impl.kmemCacheDestroy(cacheOf(inst, a(0)));
          return;
        case OP_S_KMALLOC:
          ch.setNum(0, impl.kmalloc(a(0), a(1)));
          return;
        case OP_S_KFREE:
          impl.kfree(a(0));
          return;
        case OP_S_KSIZE:
          ch.setNum(0, impl.ksize(a(0)));
          return;
        case OP_S_BOOTSTRAP:
          impl.bootstrap?.();
          return;
        case OP_S_QUARANTINE_RELEASE:
          impl.quarantineRelease(cacheOf(inst, a(0)), a(1));
          return;
        case OP_S_CACHES: {
          const list = Array.from(impl.caches() as Iterable<KmemCache>);
          const n = Math.min(list.length, Math.floor(ADDRS_PER_FRAME / 5));
          for (let i = 0; i < n; i++) {
            const c = list[i];
            const at = i * 5;
            out[at] = idOf(inst, c);
            out[at + 1] = Number(c?.objectSize);
            out[at + 2] = Number(c?.size);
            out[at + 3] = Number(c?.align);
            out[at + 4] = Number(c?.flags);
          }
          ch.payloadF64.set(out.subarray(0, n * 5));
          ch.setPayloadLength(n * 5 * 8);
          ch.setNum(0, n);
          return;
        }
        case OP_S_SLABINFO: {
          const info = impl.slabinfo(cacheOf(inst, a(0))) as unknown as Record<string, unknown>;
          SLABINFO_FIELDS.forEach((f, i) => ch.setNum(i, Number(info?.[f])));
          return;
        }
        case OP_S_REAP_RUNS:
          ch.setNum(0, impl.cacheReapRuns!(a(0)));
          return;
        case OP_S_VALIDATE: {
          const found = Array.from(impl.validateFreelists!(a(0)) as Iterable<Record<string, unknown>>);
          const n = Math.min(found.length, Math.floor(ADDRS_PER_FRAME / 7));
          for (let i = 0; i < n; i++) {
            const c = found[i];
            const at = i * 7;
            out[at] = idOf(inst, c?.cache);
            out[at + 1] = CORRUPTION_KINDS.indexOf(c?.kind as (typeof CORRUPTION_KINDS)[number]);
            out[at + 2] = Number(c?.slab);
            out[at + 3] = Number(c?.addr);
            out[at + 4] = c?.inuse === undefined ? NaN : Number(c.inuse);
            out[at + 5] = c?.free === undefined ? NaN : Number(c.free);
            out[at + 6] = c?.objects === undefined ? NaN : Number(c.objects);
          }
          ch.payloadF64.set(out.subarray(0, n * 7));
          ch.setPayloadLength(n * 7 * 8);
          ch.setNum(0, n);
          return;
        }
        case OP_S_RUN_WORK: {
          const work = inst.works.get(a(0));
          if (!work) throw new RangeError(`mmkit: no work ${a(0)} in the submission's thread`);
          // As the kernel's worker runs it (process_one_work()): no longer pending, on this CPU.
          work.pending = false;
          work.lastCpu = inst.sched.currentCpu;
          work.func(work);
          return;
        }
        case OP_S_BATCH: {
          // As the bench's batches in the grader's thread: allocate `count`, then free them.
          const count = Math.max(0, Math.min(ADDRS_PER_FRAME, a(1) | 0));
          const gfp = a(2);
          const nsizes = Math.max(0, Math.min(count, a(3) | 0));
          if (nsizes === 0) {
            const cache = cacheOf(inst, a(0));
            for (let i = 0; i < count; i++) out[i] = impl.kmemCacheAlloc(cache, gfp);
            for (let i = 0; i < count; i++) impl.kmemCacheFree(cache, out[i]);
          } else {
            const sizes = ch.payloadF64.slice(0, nsizes);
            for (let i = 0; i < count; i++) out[i] = impl.kmalloc(sizes[i % nsizes], gfp);
            for (let i = 0; i < count; i++) impl.kfree(out[i]);
          }
          return;
        }
        default:
          throw new RangeError(`mmkit: unknown op ${op}`);
      }
    } finally {
      memory.active = previous;
    }
  };

  function idOf(inst: Instance, cache: unknown): number {
    return cacheId(inst.cacheIds, inst.caches, cache);
  }

  function get(inst: Instance, prop: number): void {
    const impl = inst.impl;
    switch (SLAB_PROPS[prop]) {
      case 'name':
        ch.setPayloadString(String(impl.name));
        return;
      case 'supports': {
        const s = impl.supports as Partial<SlabAllocator['supports']> | undefined;
        ch.setNum(0, s?.bulk ? 1 : 0);
        ch.setNum(1, s?.kasan ? 1 : 0);
        ch.setNum(2, s?.hardenedFreelist === undefined ? -1 : s.hardenedFreelist ? 1 : 0);
        return;
      }
      case 'kmallocSizes': {
        const sizes = Array.from(impl.kmallocSizes as Iterable<number>, Number).slice(0, ADDRS_PER_FRAME);
        ch.payloadF64.set(sizes);
        ch.setPayloadLength(sizes.length * 8);
        ch.setNum(0, sizes.length);
        return;
      }
      case 'kmallocMaxCacheSize':
        ch.setNum(0, Number(impl.kmallocMaxCacheSize));
        return;
      case 'kmallocMaxSize':
        ch.setNum(0, Number(impl.kmallocMaxSize));
        return;
      default:
        throw new RangeError(`mmkit: unknown property ${prop}`);
    }
  }
}

/** The id a cache crosses as (given on first sight; 0: no cache). */
function cacheId(ids: Map<object, number>, caches: Map<number, KmemCache>, cache: unknown): number {
  if (typeof cache !== 'object' || cache === null) return 0;
  let id = ids.get(cache);
  if (id === undefined) {
    id = ids.size + 1;
    ids.set(cache, id);
    caches.set(id, cache as KmemCache);
  }
  return id;
}

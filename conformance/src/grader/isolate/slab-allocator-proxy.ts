/**
 * The grader's side of an isolated object allocator: a SlabAllocatorFactory whose allocators
 * live in the submission's thread (slab-allocator-server.ts) and whose every call crosses the
 * CallChannel as numbers. The kernel keeps struct page and the page contents on
 * SharedArrayBuffers for it (NEEDS_SHARED_MEMORY); the factory posts them to the submission's
 * thread, and then each chunk the page contents' pool adds (before the call that may need it);
 * it answers the calls the allocator makes back into the kernel (page allocator, printk, misuse
 * reports, failslab, KASAN, the caches' constructors, work queues, the pool's bookkeeping).
 *
 * A cache is, on this side, an object of the grader's (name, objectSize, size, align, flags as
 * the submission's thread last described it), one per cache id: the suite compares, keeps and
 * passes back these.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  initDelayedWork, type DelayedWork, type FreelistCorruption, type KmemCache, type ObjAddr,
  type SlabAllocator, type SlabAllocatorFactory, type SlabAllocatorServices,
} from '@mmkit/core';
import type { CallChannel, IncomingCall } from './call-channel.js';
import { answerMemoryCall, chunkSender, createAcross, kernelSetupOf, onSharedMemory, type SharedKernel } from './kernel-memory.js';
import { ADDRS_PER_FRAME, type SlabAllocatorSetup } from './slab-allocator-server.js';
import {
  CB_S_CANCEL_WORK, CB_S_CTOR, CB_S_KASAN_ALLOC, CB_S_KASAN_FREE, CB_S_KASAN_SHUTDOWN, CB_S_QUEUE_WORK, CB_S_SHOULD_FAIL, CB_S_SLAB_ERROR,
  CORRUPTION_KINDS, CTOR_KINDS, CTX_ARGS, CTX_CPU, CTX_FAIL_ARMED, CTX_HANDLE, CTX_JIFFIES, NAME_KINDS, OP_S_ALLOC_BULK, OP_S_BATCH, OP_S_BOOTSTRAP, OP_S_CACHES,
  OP_S_CACHE_ALLOC, OP_S_CACHE_CREATE, OP_S_CACHE_DESC, OP_S_CACHE_FREE, OP_S_CREATE, OP_S_DESTROY, OP_S_FREE_BULK, OP_S_GET, OP_S_KFREE,
  OP_S_KMALLOC, OP_S_KSIZE, OP_S_QUARANTINE_RELEASE, OP_S_REAP_RUNS, OP_S_RELEASE, OP_S_RUN_WORK, OP_S_SHRINK, OP_S_SLABINFO, OP_S_VALIDATE,
  SLABINFO_FIELDS, SLAB_ERROR_KINDS, SLAB_METHODS, SLAB_PROPS,
} from './protocol.js';

/** The handle of an isolated allocator, on the object the grader's side hands the kernel. */
const HANDLE = Symbol('mmkit.isolatedSlabHandle');

/** A cache on the grader's side: the grader's own object, brought up to date from the submission's thread. */
type CacheObject = { -readonly [K in keyof KmemCache]: KmemCache[K] };

interface Kernelside extends SharedKernel {
  readonly services: SlabAllocatorServices;
  /** The caches by the submission's ids, and back. */
  readonly caches: Map<number, CacheObject>;
  readonly ids: WeakMap<object, number>;
  /** The constructors of the caches created (id - 1). */
  readonly ctors: unknown[];
  /** The kernel's mirror of each work item the allocator queued. */
  readonly works: Map<number, DelayedWork>;
}

export interface IsolatedSlabAllocators {
  /** The submission's factory, run in its thread. */
  readonly factory: SlabAllocatorFactory;
  /** SLUB behind the same crossing (the bench's reference). */
  readonly reference: SlabAllocatorFactory;
  /** The bench's batch in the submission's thread: `count` allocations then their frees, of `cache` (sizes empty) or kmalloc()s of `sizes` in turn. */
  batch(slab: SlabAllocator, cache: KmemCache | undefined, sizes: readonly number[], count: number, gfp: number): void;
  /** Drop every allocator instance created so far (their kernels are gone). */
  releaseAll(): void;
}

export function isolatedSlabAllocators(channel: CallChannel, setupPort: MessagePort): IsolatedSlabAllocators {
  const kernels = new Map<number, Kernelside>();
  let nextHandle = 1;
  const ch = channel;

  /** Post the chunks the pool added since the last call: the submission's thread attaches them before it reads their slots. */
  const sendChunks = chunkSender(setupPort);

  /** A call of allocator k: the kernel's context, then the arguments (the payload set before). */
  function call(k: Kernelside, op: number, ...args: number[]): void {
    sendChunks(k);
    const s = k.services;
    ch.setNum(CTX_HANDLE, k.handle);
    ch.setNum(CTX_CPU, s.sched.currentCpu);
    ch.setNum(CTX_JIFFIES, s.sched.jiffies);
    ch.setNum(CTX_FAIL_ARMED, s.failSlabArmed?.[0] ?? 1);
    for (let i = 0; i < args.length; i++) ch.setNum(CTX_ARGS + i, args[i]);
    ch.call(op, CTX_ARGS + args.length);
  }

  /** The grader's object for cache `id`, made or brought up to date with what the submission's thread says of it. */
  function cacheObject(k: Kernelside, id: number, objectSize: number, size: number, align: number, flags: number, name: string | undefined): KmemCache {
    let c = k.caches.get(id);
    if (!c) {
      c = { name: name ?? '', objectSize, size, align, flags };
      k.caches.set(id, c);
      k.ids.set(c, id);
    } else {
      if (name !== undefined) c.name = name;
      c.objectSize = objectSize;
      c.size = size;
      c.align = align;
      c.flags = flags;
    }
    return c;
  }

  /** The cache of id (undefined for 0), described by the submission's thread the first time. */
  function cacheOf(k: Kernelside, id: number): KmemCache | undefined {
    if (id === 0) return undefined;
    const known = k.caches.get(id);
    if (known) return known;
    call(k, OP_S_CACHE_DESC, id);
    return cacheObject(k, id, ch.num(0), ch.num(1), ch.num(2), ch.num(3), ch.payloadString());
  }

  const idOf = (k: Kernelside, cache: unknown): number => (typeof cache === 'object' && cache !== null ? k.ids.get(cache) ?? 0 : 0);

  ch.handler = (c: IncomingCall) => {
    const k = kernels.get(c.arg(0));
    if (!k) throw new Error('no such allocator');
    if (answerMemoryCall(k, c, ch)) {
      // What the kernel did here may have grown the page contents' pool: the submission's thread gets the chunks on its way back.
      sendChunks(k);
      return;
    }
    const s = k.services;
    // Every argument is read before anything here calls across again (which rewrites the frame).
    const a1 = c.arg(1);
    const a2 = c.arg(2);
    const a3 = c.arg(3);
    switch (c.op) {
      case CB_S_SLAB_ERROR: {
        const message = ch.payloadString();
        const kind = SLAB_ERROR_KINDS[a1];
        if (kind === undefined) throw new RangeError(`no misuse kind ${a1}`);
        s.slabError(kind, cacheOf(k, a2), a3, message);
        break;
      }
      case CB_S_SHOULD_FAIL:
        ch.setNum(0, s.shouldFailSlab(cacheOf(k, a1)!, a2) ? 1 : 0);
        break;
      case CB_S_KASAN_FREE:
        if (!s.kasan) throw new Error('the kernel runs without KASAN');
        ch.setNum(0, s.kasan.slabFree(cacheOf(k, a1)!, a2) ? 1 : 0);
        break;
      case CB_S_KASAN_ALLOC:
        if (!s.kasan) throw new Error('the kernel runs without KASAN');
        s.kasan.slabAlloc(cacheOf(k, a1)!, a2);
        break;
      case CB_S_KASAN_SHUTDOWN:
        if (!s.kasan) throw new Error('the kernel runs without KASAN');
        s.kasan.cacheShutdown(cacheOf(k, a1)!);
        break;
      case CB_S_CTOR: {
        const ctor = k.ctors[a1 - 1];
        if (typeof ctor !== 'function') throw new RangeError(`no constructor ${a1}`);
        (ctor as (addr: ObjAddr) => void)(a2);
        break;
      }
      case CB_S_QUEUE_WORK: {
        const name = ch.payloadString();
        let work = k.works.get(a1);
        if (!work) {
          const id = a1;
          if (!Number.isInteger(id) || id <= 0) throw new RangeError(`no work id ${id}`);
          work = initDelayedWork(name, () => call(k, OP_S_RUN_WORK, id));
          k.works.set(id, work);
        }
        ch.setNum(0, (a3 < 0 ? s.sched.queueWorkOn(a2, work) : s.sched.queueDelayedWorkOn(a2, work, a3)) ? 1 : 0);
        break;
      }
      case CB_S_CANCEL_WORK: {
        const work = k.works.get(a1);
        ch.setNum(0, work && s.sched.cancelDelayedWork(work) ? 1 : 0);
        break;
      }
      default:
        throw new RangeError(`unknown callback ${c.op}`);
    }
    // What the kernel did here may have grown the page contents' pool: the submission's thread gets the chunks on its way back.
    sendChunks(k);
  };

  function makeFactory(which: SlabAllocatorSetup['which']): SlabAllocatorFactory {
    const factory = (services: SlabAllocatorServices): SlabAllocator => {
      const handle = nextHandle++;
      const contents = services.phys.contents;
      const setup: SlabAllocatorSetup = { type: 'slab-setup', handle, which, ...kernelSetupOf(services, contents), kasan: services.kasan !== undefined };
      const k: Kernelside = { handle, services, contents, sentChunks: setup.contents.chunks.length, caches: new Map(), ids: new WeakMap(), ctors: [], works: new Map() };
      // No object from the factory: the kernel says so.
      if (!createAcross(ch, setupPort, kernels, k, setup, () => call(k, OP_S_CREATE))) return undefined as unknown as SlabAllocator;
      const methods = ch.num(1);
      const has = (m: (typeof SLAB_METHODS)[number]): boolean => (methods & (1 << SLAB_METHODS.indexOf(m))) !== 0;
      const num = (op: number, ...args: number[]): number => {
        call(k, op, ...args);
        return ch.num(0);
      };
      const prop = (name: (typeof SLAB_PROPS)[number]): void => call(k, OP_S_GET, SLAB_PROPS.indexOf(name));
      const impl: Record<string, unknown> = {
        get name() {
          prop('name');
          return ch.payloadString();
        },
        get supports() {
          prop('supports');
          const hardened = ch.num(2);
          return { bulk: ch.num(0) === 1, kasan: ch.num(1) === 1, ...(hardened >= 0 ? { hardenedFreelist: hardened === 1 } : {}) };
        },
        get kmallocSizes() {
          prop('kmallocSizes');
          const n = Math.max(0, Math.min(ADDRS_PER_FRAME, ch.num(0) | 0, ch.payloadLength / 8));
          return Array.from(ch.payloadF64.subarray(0, n));
        },
        get kmallocMaxCacheSize() {
          prop('kmallocMaxCacheSize');
          return ch.num(0);
        },
        get kmallocMaxSize() {
          prop('kmallocMaxSize');
          return ch.num(0);
        },
      };
      const methodsImpl: Record<(typeof SLAB_METHODS)[number], (...a: never[]) => unknown> = {
        kmemCacheCreate: (name: unknown, size: number, align: number, flags: number, ctor?: unknown) => {
          const nameKind = name === undefined ? NAME_KINDS.indexOf('undefined') : name === null ? NAME_KINDS.indexOf('null') : NAME_KINDS.indexOf('string');
          ch.setPayloadString(typeof name === 'string' ? name : typeof name === 'number' || typeof name === 'boolean' ? String(name) : '');
          let ctorKind: number;
          let ctorArg = 0;
          if (typeof ctor === 'function') {
            k.ctors.push(ctor);
            ctorKind = CTOR_KINDS.indexOf('function');
            ctorArg = k.ctors.length;
          } else if (ctor === undefined || ctor === null) ctorKind = CTOR_KINDS.indexOf(ctor === null ? 'null' : 'undefined');
          else if (Array.isArray(ctor)) ctorKind = CTOR_KINDS.indexOf('array');
          else if (typeof ctor === 'number' || typeof ctor === 'boolean') {
            ctorKind = CTOR_KINDS.indexOf(typeof ctor === 'number' ? 'number' : 'boolean');
            ctorArg = Number(ctor);
          } else ctorKind = CTOR_KINDS.indexOf(typeof ctor === 'string' ? 'string' : 'object');
          call(k, OP_S_CACHE_CREATE, Number(size), Number(align), Number(flags), nameKind, ctorKind, ctorArg);
          const id = ch.num(0);
          if (id === 0) return null;
          return cacheObject(k, id, ch.num(1), ch.num(2), ch.num(3), ch.num(4), ch.payloadString());
        },
        kmemCacheAlloc: (cache: KmemCache, gfp: number) => num(OP_S_CACHE_ALLOC, idOf(k, cache), Number(gfp)),
        kmemCacheFree: (cache: KmemCache, addr: ObjAddr) => void num(OP_S_CACHE_FREE, idOf(k, cache), Number(addr)),
        kmemCacheAllocBulk: (cache: KmemCache, gfp: number, n: number, out: Float64Array) => {
          if (Number(n) > ADDRS_PER_FRAME) throw new RangeError(`kmem_cache_alloc_bulk() of ${n} objects crosses no thread (at most ${ADDRS_PER_FRAME})`);
          const m = Math.max(0, Math.min(ADDRS_PER_FRAME, Number(n) | 0, out.length));
          ch.payloadF64.set(out.subarray(0, m));
          ch.setPayloadLength(m * 8);
          const got = num(OP_S_ALLOC_BULK, idOf(k, cache), Number(gfp), Number(n));
          out.set(ch.payloadF64.subarray(0, Math.min(m, ch.payloadLength / 8)));
          return got;
        },
        kmemCacheFreeBulk: (cache: KmemCache, n: number, addrs: Float64Array) => {
          if (Number(n) > ADDRS_PER_FRAME) throw new RangeError(`kmem_cache_free_bulk() of ${n} objects crosses no thread (at most ${ADDRS_PER_FRAME})`);
          const m = Math.max(0, Math.min(Number(n) | 0, addrs.length));
          ch.payloadF64.set(addrs.subarray(0, m));
          ch.setPayloadLength(m * 8);
          call(k, OP_S_FREE_BULK, idOf(k, cache), Number(n));
        },
        kmemCacheShrink: (cache: KmemCache) => num(OP_S_SHRINK, idOf(k, cache)),
        kmemCacheDestroy: (cache: KmemCache) => void num(OP_S_DESTROY, idOf(k, cache)),
        kmalloc: (size: number, gfp: number) => num(OP_S_KMALLOC, Number(size), Number(gfp)),
        kfree: (addr: ObjAddr) => void num(OP_S_KFREE, Number(addr)),
        ksize: (addr: ObjAddr) => num(OP_S_KSIZE, Number(addr)),
        bootstrap: () => void num(OP_S_BOOTSTRAP),
        quarantineRelease: (cache: KmemCache, addr: ObjAddr) => void num(OP_S_QUARANTINE_RELEASE, idOf(k, cache), Number(addr)),
        caches: () => {
          const n = Math.max(0, Math.min(num(OP_S_CACHES) | 0, Math.floor(ch.payloadLength / 40)));
          const recs = ch.payloadF64.slice(0, n * 5);
          const out: KmemCache[] = [];
          for (let i = 0; i < n; i++) {
            const at = i * 5;
            const id = recs[at];
            if (id === 0) continue;
            const known = k.caches.has(id);
            out.push(known ? cacheObject(k, id, recs[at + 1], recs[at + 2], recs[at + 3], recs[at + 4], undefined) : cacheOf(k, id)!);
          }
          return out;
        },
        slabinfo: (cache: KmemCache) => {
          call(k, OP_S_SLABINFO, idOf(k, cache));
          const info: Record<string, number> = {};
          SLABINFO_FIELDS.forEach((f, i) => (info[f] = ch.num(i)));
          return info;
        },
        cacheReapRuns: (cpu: number) => num(OP_S_REAP_RUNS, Number(cpu)),
        validateFreelists: (max: number) => {
          const n = Math.max(0, Math.min(num(OP_S_VALIDATE, Number(max)) | 0, Math.floor(ch.payloadLength / 56)));
          const recs = ch.payloadF64.slice(0, n * 7);
          const out: FreelistCorruption[] = [];
          for (let i = 0; i < n; i++) {
            const at = i * 7;
            const kind = CORRUPTION_KINDS[recs[at + 1]] ?? 'count';
            const opt = (v: number, key: string) => (Number.isNaN(v) ? {} : { [key]: v });
            out.push({ cache: cacheOf(k, recs[at])!, kind, slab: recs[at + 2], addr: recs[at + 3], ...opt(recs[at + 4], 'inuse'), ...opt(recs[at + 5], 'free'), ...opt(recs[at + 6], 'objects') });
          }
          return out;
        },
      };
      for (const m of SLAB_METHODS) if (has(m)) impl[m] = methodsImpl[m];
      Object.defineProperty(impl, HANDLE, { value: handle });
      return impl as unknown as SlabAllocator;
    };
    return onSharedMemory(factory);
  }

  return {
    factory: makeFactory('submission'),
    reference: makeFactory('reference'),
    batch(slab, cache, sizes, count, gfp) {
      const handle = (slab as unknown as Record<symbol, unknown>)[HANDLE];
      const k = typeof handle === 'number' ? kernels.get(handle) : undefined;
      if (typeof handle !== 'number' || !k) throw new Error('batch(): not an isolated object allocator');
      ch.payloadF64.set(sizes);
      ch.setPayloadLength(sizes.length * 8);
      call(k, OP_S_BATCH, cache ? idOf(k, cache) : 0, count, gfp, sizes.length);
    },
    releaseAll() {
      for (const [handle, k] of kernels) {
        call(k, OP_S_RELEASE);
        kernels.delete(handle);
      }
    },
  };
}

/**
 * The grader's side of an isolated page allocator: a PageAllocatorFactory whose allocators live
 * in the submission's thread (page-allocator-server.ts) and whose every call crosses the
 * CallChannel as numbers. The kernel keeps its state on SharedArrayBuffers for it
 * (NEEDS_SHARED_MEMORY); the factory posts that state to the submission's thread, and answers
 * the calls the allocator makes back into the kernel's services (printk, bad_page,
 * should_fail_alloc_page, page contents) and the batches of its free-list walks.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  NEEDS_SHARED_MEMORY, type MigrateType, type PageAllocator, type PageAllocatorFactory, type PageAllocatorServices, type Pfn, type Zone,
} from '@mmkit/core';
import { MAX_ARGS, type CallChannel, type IncomingCall } from './call-channel.js';
import type { AllocatorSetup } from './page-allocator-server.js';
import {
  ALLOCATOR_METHODS, CB_BAD_PAGE, CB_CONTENTS, CB_FREE_BLOCKS, CB_LOG, CB_PCP_PAGES, CB_SHOULD_FAIL, CONTENTS_METHODS, CTX_ARGS, CTX_CPU,
  CTX_FAIL_ARMED, CTX_HANDLE, CTX_JIFFIES, LOG_LEVELS, OP_ALLOC, OP_CREATE, OP_DRAIN, OP_FOR_EACH_FREE, OP_FOR_EACH_PCP, OP_FREE,
  OP_FREE_BOOTMEM, OP_GET_LRR, OP_GET_MIN_FREE, OP_GET_WSF, OP_INIT_WATERMARKS, OP_BATCH, OP_RELEASE, OP_SET_LRR, OP_SET_MIN_FREE,
  OP_SET_WSF, OP_TOTALRESERVE, OP_WATERMARK_OK,
} from './protocol.js';

/** The handle of an isolated allocator, on the object the grader's side hands the kernel. */
const HANDLE = Symbol('mmkit.isolatedAllocatorHandle');

/** What the grader's side keeps of one allocator instance (one kernel). */
interface Kernelside {
  readonly services: PageAllocatorServices;
  /** The visitor of the walk in progress, and what it threw. */
  visitFree?: (zone: Zone, pfn: Pfn, order: number, mt: MigrateType) => void;
  visitPcp?: (zone: Zone, cpu: number, pfn: Pfn) => void;
  visitError?: { error: unknown };
}

export interface IsolatedAllocators {
  /** The submission's factory, run in its thread. */
  readonly factory: PageAllocatorFactory;
  /** The kernel's default allocator behind the same crossing (the bench's reference). */
  readonly reference: PageAllocatorFactory;
  /** The bench's batch run in the submission's thread (`count` allocations of `order`, then their frees), timed by the caller. */
  batch(pa: PageAllocator, count: number, order: number, gfp: number): void;
  /** Drop every allocator instance created so far (their kernels are gone). */
  releaseAll(): void;
}

/**
 * The factories of an isolated grade over `channel` to the submission's thread, whose setup
 * messages go on `setupPort` (received there with receiveMessageOnPort() when OP_CREATE arrives).
 */
export function isolatedAllocators(channel: CallChannel, setupPort: MessagePort): IsolatedAllocators {
  const kernels = new Map<number, Kernelside>();
  let nextHandle = 1;
  const ch = channel;

  ch.handler = (call: IncomingCall) => {
    const k = kernels.get(call.arg(0));
    if (!k) throw new Error('no such allocator');
    const s = k.services;
    switch (call.op) {
      case CB_LOG:
        s.log(LOG_LEVELS[call.arg(1)] ?? 'info', ch.payloadString());
        return;
      case CB_BAD_PAGE:
        s.badPage(call.arg(1), ch.payloadString());
        return;
      case CB_SHOULD_FAIL:
        ch.setNum(0, s.shouldFailAlloc(call.arg(1), call.arg(2)) ? 1 : 0);
        return;
      case CB_FREE_BLOCKS:
      case CB_PCP_PAGES:
        ch.setNum(0, visitBatch(k, call) ? 0 : 1);
        return;
      case CB_CONTENTS:
        contentsCall(k, call);
        return;
      default:
        throw new RangeError(`unknown callback ${call.op}`);
    }
  };

  /** Hand a batch of records to the walk's visitor; false when the visitor threw (kept, the walk stops). */
  function visitBatch(k: Kernelside, call: IncomingCall): boolean {
    const width = call.op === CB_FREE_BLOCKS ? 4 : 3;
    const n = Math.max(0, Math.min(call.arg(1) | 0, Math.floor(ch.payloadLength / 8 / width)));
    const recs = ch.payloadF64.slice(0, n * width);
    const zones = k.services.zones;
    const zoneOf = (num: number): Zone => zones[num];
    try {
      for (let i = 0; i < n; i++) {
        const at = i * width;
        if (width === 4) k.visitFree?.(zoneOf(recs[at]), recs[at + 1], recs[at + 2], recs[at + 3]);
        else k.visitPcp?.(zoneOf(recs[at]), recs[at + 1], recs[at + 2]);
      }
      return true;
    } catch (error) {
      k.visitError = { error };
      return false;
    }
  }

  function contentsCall(k: Kernelside, call: IncomingCall): void {
    const c = k.services.contents;
    const name = CONTENTS_METHODS[call.arg(1)];
    const a = (i: number): number => call.arg(2 + i);
    let r = 0;
    switch (name) {
      case 'has':
        r = c.has(a(0)) ? 1 : 0;
        break;
      case 'read': {
        const len = Math.max(0, Math.min(a(2) | 0, ch.payload.length));
        const buf = new Uint8Array(len);
        c.read(a(0), a(1), buf);
        ch.payload.set(buf);
        ch.setPayloadLength(len);
        break;
      }
      case 'write':
        c.write(a(0), a(1), ch.payload.slice(0, Math.min(ch.payloadLength, a(2) | 0)));
        break;
      case 'fill':
        c.fill(a(0), a(1), a(2), a(3));
        break;
      case 'readByte':
        r = c.readByte(a(0), a(1));
        break;
      case 'readU64':
        r = c.readU64(a(0), a(1));
        break;
      case 'writeU64':
        c.writeU64(a(0), a(1), a(2));
        break;
      case 'readU32':
        r = c.readU32(a(0), a(1));
        break;
      case 'writeU32':
        c.writeU32(a(0), a(1), a(2));
        break;
      case 'clear':
        c.clear(a(0));
        break;
      case 'copy':
        c.copy(a(0), a(1));
        break;
      case 'prepareWrite':
        c.prepareWrite(a(0), a(1));
        break;
      case 'checkPfns':
        c.checkPfns(a(0), a(1));
        break;
      case 'materialised':
        r = c.materialised;
        break;
      case 'maxPages':
        r = c.maxPages;
        break;
      default:
        throw new RangeError('unknown page contents method');
    }
    ch.setNum(0, r);
  }

  /** A call of allocator `handle`: the kernel's context, then the arguments. */
  function call(handle: number, k: Kernelside, op: number, ...args: number[]): void {
    ch.setNum(CTX_HANDLE, handle);
    ch.setNum(CTX_CPU, k.services.sched.currentCpu);
    ch.setNum(CTX_JIFFIES, k.services.sched.jiffies);
    ch.setNum(CTX_FAIL_ARMED, k.services.failAllocArmed?.[0] ?? 1);
    for (let i = 0; i < args.length; i++) ch.setNum(CTX_ARGS + i, args[i]);
    ch.call(op, CTX_ARGS + args.length);
  }

  function makeFactory(which: AllocatorSetup['which']): PageAllocatorFactory {
    const factory = (services: PageAllocatorServices): PageAllocator => {
      const handle = nextHandle++;
      const k: Kernelside = { services };
      const setup: AllocatorSetup = {
        handle,
        which,
        pages: services.pages.sharedState(),
        zones: services.zones.map((z) => {
          if (!(z.storage instanceof SharedArrayBuffer)) throw new Error('the kernel did not put its zones on shared memory (NEEDS_SHARED_MEMORY)');
          return { layout: { nid: z.nid, zoneIdx: z.idx, startPfn: z.zoneStartPfn, spanned: z.spannedPages, present: z.presentPages }, storage: z.storage };
        }),
        layout: services.layout,
        config: { ...services.config },
        debug: services.debug,
        nrCpus: services.sched.nrCpus,
        hz: services.sched.hz,
        cpuNode: Array.from({ length: services.sched.nrCpus }, (_, cpu) => services.cpuToNode(cpu)),
      };
      setupPort.postMessage(setup);
      kernels.set(handle, k);
      try {
        call(handle, k, OP_CREATE);
      } catch (err) {
        kernels.delete(handle);
        throw err;
      }
      if (ch.num(0) !== 1) {
        kernels.delete(handle);
        return undefined as unknown as PageAllocator; // the factory returned no object: the kernel says so
      }
      const supports = { pcp: ch.num(1) === 1, highatomic: ch.num(2) === 1 };
      const methods = ch.num(3);
      const name = ch.payloadString();
      const has = (m: (typeof ALLOCATOR_METHODS)[number]): boolean => (methods & (1 << ALLOCATOR_METHODS.indexOf(m))) !== 0;
      const num = (op: number, ...args: number[]): number => {
        call(handle, k, op, ...args);
        return ch.num(0);
      };
      const walk = (op: number): void => {
        k.visitError = undefined;
        try {
          call(handle, k, op);
        } catch (err) {
          const thrown = k.visitError as { error: unknown } | undefined;
          if (thrown) throw thrown.error;
          throw err;
        } finally {
          k.visitFree = undefined;
          k.visitPcp = undefined;
        }
      };
      const impl: Record<string, unknown> = {
        name,
        supports,
        get minFreeKbytes() {
          return num(OP_GET_MIN_FREE);
        },
        get watermarkScaleFactor() {
          return num(OP_GET_WSF);
        },
        get lowmemReserveRatio() {
          call(handle, k, OP_GET_LRR);
          const n = Math.max(0, Math.min(MAX_ARGS - 1, ch.num(0) | 0));
          return Array.from({ length: n }, (_, i) => ch.num(1 + i));
        },
      };
      const methodsImpl: Record<(typeof ALLOCATOR_METHODS)[number], (...a: never[]) => unknown> = {
        allocPages: (gfp: number, order: number, nid?: number) => (nid === undefined ? num(OP_ALLOC, gfp, order) : num(OP_ALLOC, gfp, order, nid)),
        freePages: (pfn: number, order: number) => void num(OP_FREE, pfn, order),
        freeBootmem: (start: number, n: number) => void num(OP_FREE_BOOTMEM, start, n),
        initWatermarks: () => void num(OP_INIT_WATERMARKS),
        drainAllPages: () => void num(OP_DRAIN),
        setMinFreeKbytes: (kb: number) => num(OP_SET_MIN_FREE, Number(kb)),
        setWatermarkScaleFactor: (f: number) => num(OP_SET_WSF, Number(f)),
        setLowmemReserveRatio: (ratios: readonly number[]) => {
          const r = Array.from(ratios, Number);
          if (r.length > MAX_ARGS - CTX_ARGS - 1) throw new RangeError(`lowmem_reserve_ratio of ${r.length} values crosses no thread`);
          return num(OP_SET_LRR, r.length, ...r);
        },
        zoneWatermarkOk: (zone: Zone, order: number, mark: number, classzoneIdx: number, allocFlags: number) => num(OP_WATERMARK_OK, zone.zoneNum, order, mark, classzoneIdx, allocFlags) === 1,
        forEachFreeBlock: (visit: (zone: Zone, pfn: Pfn, order: number, mt: MigrateType) => void) => {
          k.visitFree = visit;
          walk(OP_FOR_EACH_FREE);
        },
        forEachPcpPage: (visit: (zone: Zone, cpu: number, pfn: Pfn) => void) => {
          k.visitPcp = visit;
          walk(OP_FOR_EACH_PCP);
        },
        totalreservePages: () => num(OP_TOTALRESERVE),
      };
      for (const m of ALLOCATOR_METHODS) if (has(m)) impl[m] = methodsImpl[m];
      Object.defineProperty(impl, HANDLE, { value: handle });
      return impl as unknown as PageAllocator;
    };
    Object.defineProperty(factory, NEEDS_SHARED_MEMORY, { value: true });
    return factory;
  }

  return {
    factory: makeFactory('submission'),
    reference: makeFactory('reference'),
    batch(pa, count, order, gfp) {
      const handle = (pa as unknown as Record<symbol, unknown>)[HANDLE];
      const k = typeof handle === 'number' ? kernels.get(handle) : undefined;
      if (typeof handle !== 'number' || !k) throw new Error('batch(): not an isolated allocator');
      call(handle, k, OP_BATCH, count, order, gfp);
    },
    releaseAll() {
      for (const [handle, k] of kernels) {
        call(handle, k, OP_RELEASE);
        kernels.delete(handle);
      }
    },
  };
}

/**
 * The submission's thread of an isolated grade: it serves the grader's calls of the page
 * allocator protocol (protocol.ts) on a CallChannel with the submission's factory. Each kernel
 * the suite boots is one OP_CREATE: the factory gets services over the kernel's own memory
 * (PageStore and Zones attached to its SharedArrayBuffers) and, for what is not shared memory,
 * services that cross back to the grader's thread (printk, bad_page, should_fail_alloc_page,
 * page contents). The suite, the kernel and the verdict stay in the grader's thread: nothing the
 * submission does here reaches their objects or their realm's built-ins.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import {
  NO_PAGE, PageStore, Zone, type DebugConfig, type MemoryLayout, type PageAllocator, type PageAllocatorConfig, type PageAllocatorFactory,
  type PageAllocatorServices, type PageStoreSharedState, type ZoneLayout,
} from '@mmkit/core';
import { MAX_ARGS, PAYLOAD_BYTES, type CallChannel, type IncomingCall, releasedBytesCollector, type ServerOptions } from './call-channel.js';
import {
  ALLOCATOR_METHODS, CB_BAD_PAGE, CB_CONTENTS, CB_FREE_BLOCKS, CB_LOG, CB_PCP_PAGES, CB_SHOULD_FAIL, CONTENTS_METHODS, CTX_ARGS, CTX_CPU,
  CTX_FAIL_ARMED, CTX_HANDLE, CTX_JIFFIES, LOG_LEVELS, OP_ALLOC, OP_CREATE, OP_DRAIN, OP_FOR_EACH_FREE, OP_FOR_EACH_PCP, OP_FREE,
  OP_FREE_BOOTMEM, OP_GET_LRR, OP_GET_MIN_FREE, OP_GET_WSF, OP_INIT_WATERMARKS, OP_BATCH, OP_RELEASE, OP_SET_LRR, OP_SET_MIN_FREE,
  OP_SET_WSF, OP_TOTALRESERVE, OP_WATERMARK_OK,
} from './protocol.js';

/** What the grader posts on the setup port before OP_CREATE: the kernel's state and its data. */
export interface AllocatorSetup {
  readonly handle: number;
  readonly pages: PageStoreSharedState;
  readonly zones: readonly { readonly layout: ZoneLayout; readonly storage: SharedArrayBuffer }[];
  readonly layout: MemoryLayout;
  readonly config: PageAllocatorConfig;
  readonly debug: DebugConfig;
  readonly nrCpus: number;
  readonly hz: number;
  /** cpu_to_node() of every CPU. */
  readonly cpuNode: readonly number[];
  /** 'reference': the kernel's default allocator (the bench's reference, behind the same crossing). */
  readonly which: 'submission' | 'reference';
}

/** One allocator instance and the context its services read. */
interface Instance {
  impl: PageAllocator;
  /** services.sched as the allocator sees it: the kernel's current CPU and jiffies, set on every call. */
  readonly sched: { readonly nrCpus: number; readonly hz: number; currentCpu: number; jiffies: number };
  readonly failAllocArmed: Uint8Array;
  readonly zones: readonly Zone[];
  readonly zoneByNum: Map<number, Zone>;
  /** About what of the kernel's shared memory this instance's views keep alive (struct page). */
  readonly bytes: number;
}

const RECORDS_PER_BATCH_4 = Math.floor(PAYLOAD_BYTES / 8 / 4);
const RECORDS_PER_BATCH_3 = Math.floor(PAYLOAD_BYTES / 8 / 3);

/** The visitor of the grader threw: stop the walk (the grader rethrows its own error). */
class VisitAborted extends Error {}

/** The handler of the grader's calls (the channel's handler in the submission's thread). */
export function pageAllocatorServer(o: ServerOptions<PageAllocatorFactory>): (call: IncomingCall, channel: CallChannel) => void {
  const instances = new Map<number, Instance>();
  const batchPfns = new Int32Array(4096);
  /** The handle of the grader's call in progress (the services cross back only inside one). */
  let active = 0;
  const noteReleased = releasedBytesCollector(o.collect);
  const ch = o.channel;

  const crossBack = (op: number, argc: number): void => {
    if (active === 0) throw new Error('mmkit: the kernel\'s services can only be called while the kernel is calling the allocator');
    ch.setNum(0, active);
    ch.call(op, argc);
  };

  function create(call: IncomingCall): void {
    const handle = call.arg(CTX_HANDLE);
    const message = receiveMessageOnPort(o.setupPort);
    const setup = message?.message as AllocatorSetup | undefined;
    if (!setup || setup.handle !== handle) throw new Error(`mmkit: the setup of allocator ${handle} did not arrive`);
    const pages = new PageStore(setup.pages.maxPfn, { attach: setup.pages });
    const zones = setup.zones.map((z) => new Zone(z.layout, setup.layout.zones, setup.nrCpus, { storage: z.storage }));
    const sched = { nrCpus: setup.nrCpus, hz: setup.hz, currentCpu: 0, jiffies: 0 };
    const failAllocArmed = new Uint8Array(1);
    const cpuNode = setup.cpuNode;
    const contents = contentsProxy(ch, crossBack);
    const services: PageAllocatorServices = {
      layout: setup.layout,
      zoneConfig: setup.layout.zones,
      zones,
      pages,
      contents: contents as unknown as PageAllocatorServices['contents'],
      sched: sched as unknown as PageAllocatorServices['sched'],
      config: setup.config,
      debug: setup.debug,
      cpuToNode: (cpu) => cpuNode[cpu] ?? 0,
      failAllocArmed,
      shouldFailAlloc: (gfp, order) => {
        ch.setNum(1, Number(gfp));
        ch.setNum(2, Number(order));
        crossBack(CB_SHOULD_FAIL, 3);
        return ch.num(0) === 1;
      },
      badPage: (pfn, reason) => {
        ch.setNum(1, Number(pfn));
        ch.setPayloadString(String(reason));
        crossBack(CB_BAD_PAGE, 2);
      },
      log: (level, message) => {
        ch.setNum(1, Math.max(0, LOG_LEVELS.indexOf(level)));
        ch.setPayloadString(String(message));
        crossBack(CB_LOG, 2);
      },
    };
    const factory = setup.which === 'reference' ? o.reference : o.factory;
    const impl = factory(services) as unknown;
    const isObject = typeof impl === 'object' && impl !== null;
    let methods = 0;
    if (isObject) {
      ALLOCATOR_METHODS.forEach((m, i) => {
        if (typeof (impl as Record<string, unknown>)[m] === 'function') methods |= 1 << i;
      });
      instances.set(handle, { impl: impl as PageAllocator, sched, failAllocArmed, zones, zoneByNum: new Map(zones.map((z) => [z.zoneNum, z])), bytes: pages.maxPfn * PageStore.BYTES_PER_PAGE });
    }
    const a = isObject ? (impl as PageAllocator) : undefined;
    const supports = a?.supports as Partial<PageAllocator['supports']> | undefined;
    ch.setNum(0, isObject ? 1 : 0);
    ch.setNum(1, supports?.pcp ? 1 : 0);
    ch.setNum(2, supports?.highatomic ? 1 : 0);
    ch.setNum(3, methods);
    ch.setPayloadString(isObject ? String(a!.name) : '');
  }

  return (call: IncomingCall): void => {
    const op = call.op;
    if (op === OP_CREATE) {
      active = call.arg(CTX_HANDLE);
      try {
        setContext(undefined, call);
        create(call);
      } finally {
        active = 0;
      }
      return;
    }
    const handle = call.arg(CTX_HANDLE);
    if (op === OP_RELEASE) {
      noteReleased(instances.get(handle)?.bytes ?? 0);
      instances.delete(handle);
      return;
    }
    const inst = instances.get(handle);
    if (!inst) throw new Error(`mmkit: no allocator ${handle} in the submission's thread`);
    setContext(inst, call);
    const impl = inst.impl;
    const a = (i: number): number => call.arg(CTX_ARGS + i);
    const previous = active;
    active = handle;
    try {
      switch (op) {
        case OP_ALLOC:
          ch.setNum(0, call.argc > CTX_ARGS + 2 ? impl.allocPages(a(0), a(1), a(2)) : impl.allocPages(a(0), a(1)));
          return;
        case OP_FREE:
          impl.freePages(a(0), a(1));
          return;
        case OP_FREE_BOOTMEM:
          impl.freeBootmem(a(0), a(1));
          return;
        case OP_INIT_WATERMARKS:
          impl.initWatermarks();
          return;
        case OP_DRAIN:
          impl.drainAllPages();
          return;
        case OP_GET_MIN_FREE:
          ch.setNum(0, Number(impl.minFreeKbytes));
          return;
        case OP_GET_WSF:
          ch.setNum(0, Number(impl.watermarkScaleFactor));
          return;
        case OP_GET_LRR: {
          const r = Array.from(impl.lowmemReserveRatio ?? [], Number).slice(0, MAX_ARGS - 1);
          ch.setNum(0, r.length);
          r.forEach((v, i) => ch.setNum(1 + i, v));
          return;
        }
        case OP_SET_MIN_FREE:
          ch.setNum(0, impl.setMinFreeKbytes(a(0)));
          return;
        case OP_SET_WSF:
          ch.setNum(0, impl.setWatermarkScaleFactor(a(0)));
          return;
        case OP_SET_LRR: {
          const n = Math.max(0, Math.min(MAX_ARGS - CTX_ARGS - 1, a(0) | 0));
          const ratios: number[] = [];
          for (let i = 0; i < n; i++) ratios.push(a(1 + i));
          ch.setNum(0, impl.setLowmemReserveRatio(ratios));
          return;
        }
        case OP_WATERMARK_OK: {
          const zone = inst.zoneByNum.get(a(0));
          if (!zone) throw new RangeError(`mmkit: no zone ${a(0)}`);
          ch.setNum(0, impl.zoneWatermarkOk(zone, a(1), a(2), a(3), a(4)) ? 1 : 0);
          return;
        }
        case OP_FOR_EACH_FREE:
          walk(4, RECORDS_PER_BATCH_4, CB_FREE_BLOCKS, (push) => impl.forEachFreeBlock((z, pfn, order, mt) => push(zoneNumOf(z), pfn, order, mt)));
          return;
        case OP_FOR_EACH_PCP:
          walk(3, RECORDS_PER_BATCH_3, CB_PCP_PAGES, (push) => impl.forEachPcpPage((z, cpu, pfn) => push(zoneNumOf(z), cpu, pfn, 0)));
          return;
        case OP_TOTALRESERVE:
          ch.setNum(0, impl.totalreservePages());
          return;
        case OP_BATCH: {
          // As the bench's pageBatch() in the grader's thread: allocate, then free what was given.
          const count = Math.max(0, Math.min(batchPfns.length, a(0) | 0));
          const order = a(1);
          const gfp = a(2);
          for (let i = 0; i < count; i++) batchPfns[i] = impl.allocPages(gfp, order);
          for (let i = 0; i < count; i++) if (batchPfns[i] !== NO_PAGE) impl.freePages(batchPfns[i], order);
          return;
        }
        default:
          throw new RangeError(`mmkit: unknown op ${op}`);
      }
    } finally {
      active = previous;
    }
  };

  function setContext(inst: Instance | undefined, call: IncomingCall): void {
    if (!inst) return;
    inst.sched.currentCpu = call.arg(CTX_CPU);
    inst.sched.jiffies = call.arg(CTX_JIFFIES);
    inst.failAllocArmed[0] = call.arg(CTX_FAIL_ARMED);
  }

  /** Run a visitor walk, handing the records to the grader in batches (CB_FREE_BLOCKS / CB_PCP_PAGES). */
  function walk(width: number, perBatch: number, cb: number, run: (push: (a: number, b: number, c: number, d: number) => void) => void): void {
    const out = new Float64Array(perBatch * width);
    let n = 0;
    const flush = (): void => {
      ch.payloadF64.set(out.subarray(0, n * width));
      ch.setNum(1, n);
      ch.setPayloadLength(n * width * 8);
      crossBack(cb, 2);
      n = 0;
      if (ch.num(0) !== 0) throw new VisitAborted('the visitor stopped the walk');
    };
    run((a, b, c, d) => {
      const at = n * width;
      out[at] = a;
      out[at + 1] = b;
      out[at + 2] = c;
      if (width > 3) out[at + 3] = d;
      if (++n === perBatch) flush();
    });
    if (n > 0) flush();
  }
}

function zoneNumOf(z: unknown): number {
  const n = typeof z === 'object' && z !== null ? (z as { zoneNum?: unknown }).zoneNum : undefined;
  return typeof n === 'number' ? n : -1;
}

/** services.contents for the submission: each method crosses back to the kernel's PageContents. */
function contentsProxy(ch: CallChannel, crossBack: (op: number, argc: number) => void): Record<string, unknown> {
  const method = (name: (typeof CONTENTS_METHODS)[number]): number => CONTENTS_METHODS.indexOf(name);
  const callNums = (name: (typeof CONTENTS_METHODS)[number], ...args: number[]): number => {
    ch.setNum(1, method(name));
    args.forEach((v, i) => ch.setNum(2 + i, Number(v)));
    crossBack(CB_CONTENTS, 2 + args.length);
    return ch.num(0);
  };
  return {
    has: (pfn: number) => callNums('has', pfn) === 1,
    read: (pfn: number, offset: number, dst: Uint8Array) => {
      callNums('read', pfn, offset, dst.length);
      dst.set(ch.payload.subarray(0, Math.min(dst.length, ch.payloadLength)));
    },
    write: (pfn: number, offset: number, src: Uint8Array) => {
      if (src.length > PAYLOAD_BYTES) throw new RangeError(`page access of ${src.length} bytes`);
      ch.payload.set(src);
      ch.setPayloadLength(src.length);
      callNums('write', pfn, offset, src.length);
    },
    fill: (pfn: number, offset: number, length: number, byte: number) => void callNums('fill', pfn, offset, length, byte),
    readByte: (pfn: number, offset: number) => callNums('readByte', pfn, offset),
    readU64: (pfn: number, offset: number) => callNums('readU64', pfn, offset),
    writeU64: (pfn: number, offset: number, value: number) => void callNums('writeU64', pfn, offset, value),
    readU32: (pfn: number, offset: number) => callNums('readU32', pfn, offset),
    writeU32: (pfn: number, offset: number, value: number) => void callNums('writeU32', pfn, offset, value),
    clear: (pfn: number) => void callNums('clear', pfn),
    copy: (dst: number, src: number) => void callNums('copy', dst, src),
    prepareWrite: (first: number, last: number) => void callNums('prepareWrite', first, last),
    checkPfns: (first: number, last: number) => void callNums('checkPfns', first, last),
    get materialised() {
      return callNums('materialised');
    },
    get maxPages() {
      return callNums('maxPages');
    },
    shared: false,
  };
}


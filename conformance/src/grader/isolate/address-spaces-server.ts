/**
 * The submission's thread of an isolated address-spaces grade: it serves the grader's calls of
 * the address-spaces protocol (protocol.ts, OP_M_*) on a CallChannel with the submission's
 * factory. Each kernel the suite boots is one OP_M_CREATE: the factory gets services over the
 * kernel's own memory (kernel-memory.ts: struct page and the page contents attached to its
 * SharedArrayBuffers, so _mapcount, _refcount, page->mapping and the bytes of pages and page
 * tables are read and written here directly) and, for the rest, services that cross back to the
 * grader's thread: the page allocator, printk, the page contents' bookkeeping, and the kernel's
 * page tables where they change (a table allocated or freed, a pgd, pgtables_bytes). The
 * pte_*() helpers, lookup() and the entries' reads and writes are x86-64's own code
 * (@mmkit/hw-x86, as the kernel runs it) over the shared contents, here.
 */
import { type AddressSpaces, type AddressSpacesFactory, type ArchPageTables, type DebugConfig, type MemoryLayout, type MmServices, type Subsystems } from '@mmkit/core';
import { defaultArchPageTables } from '@mmkit/kernel';
import { MAX_ARGS, type CallChannel, type IncomingCall, type ServerOptions } from './call-channel.js';
import { KernelMemoryServer, type AttachedMemory, type MemorySetup } from './kernel-memory.js';
import { CrossingScheduler } from './slab-allocator-server.js';
import {
  CB_M_FREE_PGD_RANGE, CB_M_PGD_ALLOC, CB_M_PGD_FREE, CB_M_PGTABLES_BYTES, CB_M_PT_ALLOC, CTX_ARGS, CTX_CPU, CTX_HANDLE, CTX_JIFFIES, MM_METHODS, MM_PROPS,
  MM_RESULT_NUMBER, MM_RESULT_VALUE, MM_RESULT_VISITS, OP_M_CALL, OP_M_CREATE, OP_M_GET, OP_M_RELEASE,
} from './protocol.js';
import { payloadValue, setPayloadValue } from './value-codec.js';

/** What the grader posts before OP_M_CREATE. */
export interface AddressSpacesSetup extends MemorySetup {
  readonly type: 'mmap-setup';
  /** The kernel has page tables (subsystems.archPageTables: an x86_64 machine). */
  readonly arch: boolean;
}

/** The numbers of a call that fit in the frame; further arguments go in the payload. */
export const MM_FRAME_ARGS = MAX_ARGS - CTX_ARGS - 3;

interface Instance {
  impl: AddressSpaces;
  readonly sched: CrossingScheduler;
}

/** The services the kernel has that are not reachable from the submission's thread: a clear error on first use. */
function unreachable(name: string): never {
  throw new Error(`mmkit: ${name} is not reachable from an address-spaces submission's thread (it runs apart from the kernel)`);
}

const SUBSYSTEMS_APART = ['pageIsolation', 'slab', 'hypervisor', 'cma', 'memcg', 'swap', 'addressSpaces', 'vmas', 'currentMm', 'mmuNotifiers', 'rmap', 'lru', 'gup', 'hmm', 'migrate'] as const;

/** The kernel's page tables as the submission's thread sees them: x86-64's code on the shared contents, the changes of tables crossing back. */
function archOf(memory: AttachedMemory, ch: CallChannel, crossBack: (op: number, argc: number) => void): ArchPageTables {
  // The tables this copy would allocate or count are the kernel's: those calls cross, so it is given no allocator and no zones.
  const local = defaultArchPageTables({
    layout: undefined as unknown as MemoryLayout,
    pages: memory.pages,
    contents: memory.contents,
    sched: undefined as unknown as MmServices['sched'],
    cpuToNode: () => 0,
    log: memory.log,
    debug: undefined as unknown as DebugConfig,
    get pageAllocator(): never {
      return unreachable("the page tables' page allocator");
    },
    subsystems: undefined as unknown as Subsystems,
    zones: [],
  });
  const cross = (op: number, ...args: number[]): number => {
    for (let i = 0; i < args.length; i++) ch.setNum(1 + i, Number(args[i]));
    crossBack(op, 1 + args.length);
    return ch.num(0);
  };
  return Object.freeze({
    ...local,
    alloc: (pgd: number, addrHigh: number, addrLow: number, level: number) => cross(CB_M_PT_ALLOC, pgd, addrHigh, addrLow, level),
    pgdAlloc: (mm: number) => cross(CB_M_PGD_ALLOC, mm),
    pgdFree: (pgd: number) => void cross(CB_M_PGD_FREE, pgd),
    freePgdRange: (pgd: number, addr: number, end: number, floor: number, ceiling: number) => void cross(CB_M_FREE_PGD_RANGE, pgd, addr, end, floor, ceiling),
    pgtablesBytes: (pgd: number) => cross(CB_M_PGTABLES_BYTES, pgd),
  });
}

/** The handler of the grader's calls (the channel's handler in the submission's thread). */
export function addressSpacesServer(o: ServerOptions<AddressSpacesFactory>): (call: IncomingCall, channel: CallChannel) => void {
  const ch = o.channel;
  const instances = new Map<number, Instance>();
  const memory = new KernelMemoryServer<AddressSpacesSetup>(ch, o.setupPort, 'mmap-setup', o.collect);
  const crossBack = memory.crossBack;

  function create(handle: number): void {
    const setup = memory.takeSetup(handle);
    const attached = memory.attach(setup);
    const { pages, contents, pageAllocator, log } = attached;
    // The kernel's clock and CPU as of each call; its work queues are the kernel's, which address spaces do not use: no work crosses.
    const noWork = (): never => unreachable("the kernel's work queues");
    const sched = new CrossingScheduler(setup.nrCpus, setup.hz, noWork, noWork);
    const arch = setup.arch ? archOf(attached, ch, crossBack) : undefined;
    const subsystems: Record<string, unknown> = { pageAllocator, archPageTables: arch };
    for (const name of SUBSYSTEMS_APART) Object.defineProperty(subsystems, name, { enumerable: true, get: () => unreachable(`subsystems.${name}`) });
    const cpuNode = setup.cpuNode;
    const services: MmServices = {
      layout: setup.layout,
      pages,
      contents,
      sched,
      cpuToNode: (cpu) => cpuNode[cpu] ?? 0,
      log,
      debug: setup.debug,
      pageAllocator,
      subsystems: Object.freeze(subsystems) as unknown as Subsystems,
    };
    let impl: unknown;
    try {
      impl = (setup.which === 'reference' ? o.reference : o.factory)(services);
    } catch (err) {
      memory.forget(handle);
      throw err;
    }
    if (typeof impl !== 'object' || impl === null) {
      memory.forget(handle);
      ch.setNum(0, 0);
      ch.setNum(1, 0);
      return;
    }
    instances.set(handle, { impl: impl as AddressSpaces, sched });
    let methods = 0;
    MM_METHODS.forEach((m, i) => {
      if (typeof (impl as Record<string, unknown>)[m] === 'function') methods |= 1 << i;
    });
    ch.setNum(0, 1);
    ch.setNum(1, methods);
  }

  /** A method of the contract: its arguments from the frame and the payload, its result back the same way. */
  function callMethod(inst: Instance, call: IncomingCall): void {
    const name = MM_METHODS[call.arg(CTX_ARGS)];
    if (name === undefined) throw new RangeError(`mmkit: no address-spaces method ${call.arg(CTX_ARGS)}`);
    const argc = Math.max(0, Math.min(64, call.arg(CTX_ARGS + 1) | 0));
    const mask = call.arg(CTX_ARGS + 2);
    // A visitor (forEachVma()'s) records its calls, [which visitor, its arguments], for the grader's thread to make after the walk.
    let visits: unknown[] | undefined;
    let visitors = 0;
    const fromPayload = mask !== 0 ? (payloadValue(ch, () => {
      const calls: unknown[] = (visits ??= []);
      const which = visitors++;
      return (...args: unknown[]) => void calls.push([which, args]);
    }) as unknown[]) : [];
    const args: unknown[] = [];
    for (let i = 0, p = 0; i < argc; i++) args.push(i < MM_FRAME_ARGS && (mask & (2 ** i)) === 0 ? call.arg(CTX_ARGS + 3 + i) : fromPayload[p++]);
    const method = (inst.impl as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const result = method.apply(inst.impl, args);
    if (visits) {
      setPayloadValue(ch, [result, visits], `${name}()'s result and visits`);
      ch.setNum(1, MM_RESULT_VISITS);
    } else if (typeof result === 'number') {
      ch.setNum(0, result);
      ch.setNum(1, MM_RESULT_NUMBER);
    } else {
      setPayloadValue(ch, result, `${name}()'s result`);
      ch.setNum(1, MM_RESULT_VALUE);
    }
  }

  return (call: IncomingCall): void => {
    if (memory.lifecycle(call, OP_M_CREATE, OP_M_RELEASE, create, (handle) => instances.delete(handle))) return;
    const op = call.op;
    const handle = call.arg(CTX_HANDLE);
    const inst = instances.get(handle);
    if (!inst) throw new Error(`mmkit: no address spaces ${handle} in the submission's thread`);
    inst.sched.currentCpu = call.arg(CTX_CPU);
    inst.sched.jiffies = call.arg(CTX_JIFFIES);
    memory.syncChunks(handle);
    memory.within(handle, () => {
      if (op === OP_M_CALL) return callMethod(inst, call);
      if (op === OP_M_GET) {
        const prop = MM_PROPS[call.arg(CTX_ARGS)];
        if (prop === undefined) throw new RangeError(`mmkit: unknown property ${call.arg(CTX_ARGS)}`);
        return setPayloadValue(ch, inst.impl[prop], prop);
      }
      throw new RangeError(`mmkit: unknown op ${op}`);
    });
  };
}

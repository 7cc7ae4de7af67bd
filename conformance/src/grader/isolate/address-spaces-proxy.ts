/**
 * The grader's side of isolated address spaces: an AddressSpacesFactory whose implementations
 * live in the submission's thread (address-spaces-server.ts) and whose every call crosses the
 * CallChannel: numbers in the frame, anything else (a bigint, an mm's parameters, a maps text;
 * what maps(), smaps(), mmInfo() return) as data (value-codec.ts). The kernel keeps struct page
 * and the page contents, page tables included, on SharedArrayBuffers for it (NEEDS_SHARED_MEMORY);
 * the factory posts them to the submission's thread, then each chunk the page contents' pool
 * adds; it answers the calls the implementation makes back into the kernel (kernel-memory.ts:
 * the page allocator, printk, the pool's bookkeeping; and the kernel's page tables where they
 * change: a table or a pgd allocated or freed, pgtables_bytes).
 *
 * The object the kernel gets has the methods the submission's object has (of the contract, of
 * VmaLookup, and the invariant checks the kernel looks for), and `name` and `supports` read
 * across each time. A visitor (forEachVma()'s) is called after the walk, in order, with what
 * the walk handed it.
 */
import type { MessagePort } from 'node:worker_threads';
import { type AddressSpaces, type AddressSpacesFactory, type MmServices } from '@mmkit/core';
import type { CallChannel, IncomingCall } from './call-channel.js';
import { MM_FRAME_ARGS, type AddressSpacesSetup } from './address-spaces-server.js';
import { answerMemoryCall, chunkSender, createAcross, kernelSetupOf, onSharedMemory, type SharedKernel } from './kernel-memory.js';
import {
  CB_M_FREE_PGD_RANGE, CB_M_PGD_ALLOC, CB_M_PGD_FREE, CB_M_PGTABLES_BYTES, CB_M_PT_ALLOC, CTX_ARGS, CTX_CPU, CTX_FAIL_ARMED, CTX_HANDLE, CTX_JIFFIES,
  MM_METHODS, MM_PROPS, MM_RESULT_NUMBER, MM_RESULT_VALUE, MM_RESULT_VISITS, OP_M_CALL, OP_M_CREATE, OP_M_GET, OP_M_RELEASE,
} from './protocol.js';
import { payloadValue, setPayloadValue } from './value-codec.js';

interface Kernelside extends SharedKernel {
  readonly services: MmServices;
}

export interface IsolatedAddressSpaces {
  /** The submission's factory, run in its thread. */
  readonly factory: AddressSpacesFactory;
  /** @mmkit/mmap behind the same crossing. */
  readonly reference: AddressSpacesFactory;
  /** Drop every instance created so far (their kernels are gone). */
  releaseAll(): void;
}

const PAGE_FAULT = MM_METHODS.indexOf('pageFault');

export function isolatedAddressSpaces(channel: CallChannel, setupPort: MessagePort): IsolatedAddressSpaces {
  const kernels = new Map<number, Kernelside>();
  let nextHandle = 1;
  const ch = channel;
  const sendChunks = chunkSender(setupPort);

  /** Open a call of instance k: the kernel's context; the arguments follow from CTX_ARGS. */
  function context(k: Kernelside): void {
    sendChunks(k);
    const s = k.services;
    ch.setNum(CTX_HANDLE, k.handle);
    ch.setNum(CTX_CPU, s.sched.currentCpu);
    ch.setNum(CTX_JIFFIES, s.sched.jiffies);
    ch.setNum(CTX_FAIL_ARMED, 0);
  }

  ch.handler = (c: IncomingCall) => {
    const k = kernels.get(c.arg(0));
    if (!k) throw new Error('no such address spaces');
    if (!answerMemoryCall(k, c, ch)) {
      const arch = k.services.subsystems.archPageTables;
      if (!arch) throw new Error('the kernel has no page tables');
      const [a1, a2, a3, a4, a5] = [c.arg(1), c.arg(2), c.arg(3), c.arg(4), c.arg(5)];
      switch (c.op) {
        case CB_M_PT_ALLOC:
          ch.setNum(0, arch.alloc(a1, a2, a3, a4));
          break;
        case CB_M_PGD_ALLOC:
          ch.setNum(0, arch.pgdAlloc(a1));
          break;
        case CB_M_PGD_FREE:
          arch.pgdFree(a1);
          break;
        case CB_M_FREE_PGD_RANGE:
          arch.freePgdRange(a1, a2, a3, a4, a5);
          break;
        case CB_M_PGTABLES_BYTES:
          ch.setNum(0, arch.pgtablesBytes(a1));
          break;
        default:
          throw new RangeError(`unknown callback ${c.op}`);
      }
    }
    // What the kernel did here may have grown the page contents' pool: the submission's thread gets the chunks on its way back.
    sendChunks(k);
  };

  /** The result of the call just made: a number, or data; visits are made on `visitors`. */
  function result(name: string, visitors: readonly unknown[]): unknown {
    const kind = ch.num(1);
    if (kind === MM_RESULT_NUMBER) return ch.num(0);
    if (kind === MM_RESULT_VALUE) return payloadValue(ch);
    if (kind !== MM_RESULT_VISITS) throw new RangeError(`${name}(): a result of unknown kind ${kind} on the channel`);
    const both = payloadValue(ch);
    if (!Array.isArray(both) || both.length !== 2 || !Array.isArray(both[1])) throw new RangeError(`${name}(): malformed visits on the channel`);
    for (const v of both[1] as unknown[]) {
      const visit = Array.isArray(v) ? (v as unknown[]) : [];
      const visitor = typeof visit[0] === 'number' ? visitors[visit[0]] : undefined;
      if (typeof visitor !== 'function' || !Array.isArray(visit[1])) throw new RangeError(`${name}(): a malformed visit on the channel`);
      (visitor as (...a: unknown[]) => void)(...(visit[1] as unknown[]));
    }
    return both[0];
  }

  /** Call method `index` of instance k with args. */
  function invoke(k: Kernelside, index: number, args: readonly unknown[]): unknown {
    const rest: unknown[] = [];
    const visitors: unknown[] = [];
    let mask = 0;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === 'number' && i < MM_FRAME_ARGS) {
        ch.setNum(CTX_ARGS + 3 + i, a);
        continue;
      }
      mask |= 2 ** Math.min(i, MM_FRAME_ARGS);
      rest.push(a);
      if (typeof a === 'function') visitors.push(a);
    }
    const name = MM_METHODS[index];
    if (rest.length) setPayloadValue(ch, rest, `the arguments of ${name}()`);
    context(k);
    ch.setNum(CTX_ARGS, index);
    ch.setNum(CTX_ARGS + 1, args.length);
    ch.setNum(CTX_ARGS + 2, mask);
    ch.call(OP_M_CALL, CTX_ARGS + 3 + Math.min(args.length, MM_FRAME_ARGS));
    return result(name, visitors);
  }

  function makeFactory(which: AddressSpacesSetup['which']): AddressSpacesFactory {
    const factory = (services: MmServices): AddressSpaces => {
      const handle = nextHandle++;
      const contents = services.contents;
      // The kernel makes address spaces only over page tables, which only x86_64 machines have.
      const setup: AddressSpacesSetup = { type: 'mmap-setup', handle, which, ...kernelSetupOf(services, contents), arch: services.layout.zones.arch === 'x86_64' };
      const k: Kernelside = { handle, services, contents, sentChunks: setup.contents.chunks.length };
      const create = (): void => {
        context(k);
        ch.call(OP_M_CREATE, CTX_ARGS);
      };
      // No object from the factory: the kernel says so.
      if (!createAcross(ch, setupPort, kernels, k, setup, create)) return undefined as unknown as AddressSpaces;
      const methods = ch.num(1);
      const prop = (p: (typeof MM_PROPS)[number]) => (): unknown => {
        context(k);
        ch.setNum(CTX_ARGS, MM_PROPS.indexOf(p));
        ch.call(OP_M_GET, CTX_ARGS + 1);
        return payloadValue(ch);
      };
      const impl: Record<string, unknown> = {};
      for (const p of MM_PROPS) Object.defineProperty(impl, p, { enumerable: true, get: prop(p) });
      MM_METHODS.forEach((m, i) => {
        if ((methods & (1 << i)) !== 0) impl[m] = (...args: unknown[]) => invoke(k, i, args);
      });
      if ((methods & (1 << PAGE_FAULT)) !== 0) {
        // The hot path (every page a process touches): four numbers in the frame, no array.
        impl.pageFault = (mm: unknown, addrHigh: unknown, addrLow: unknown, flags: unknown): unknown => {
          if (typeof mm !== 'number' || typeof addrHigh !== 'number' || typeof addrLow !== 'number' || typeof flags !== 'number') return invoke(k, PAGE_FAULT, [mm, addrHigh, addrLow, flags]);
          context(k);
          ch.setNum(CTX_ARGS, PAGE_FAULT);
          ch.setNum(CTX_ARGS + 1, 4);
          ch.setNum(CTX_ARGS + 2, 0);
          ch.setNum(CTX_ARGS + 3, mm);
          ch.setNum(CTX_ARGS + 4, addrHigh);
          ch.setNum(CTX_ARGS + 5, addrLow);
          ch.setNum(CTX_ARGS + 6, flags);
          ch.call(OP_M_CALL, CTX_ARGS + 7);
          return ch.num(1) === MM_RESULT_NUMBER ? ch.num(0) : result('pageFault', []);
        };
      }
      return impl as unknown as AddressSpaces;
    };
    return onSharedMemory(factory);
  }

  const release = (k: Kernelside): void => {
    context(k);
    ch.call(OP_M_RELEASE, CTX_ARGS);
    kernels.delete(k.handle);
  };
  return { factory: makeFactory('submission'), reference: makeFactory('reference'), releaseAll: () => kernels.forEach(release) };
}

/**
 * The kernel's memory as a submission's thread shares it, for the protocols whose submissions
 * work on it directly (the object allocator's, slab-allocator-*.ts; the address spaces',
 * address-spaces-*.ts): struct page (a PageStore) and the page contents (a PageContents) are
 * attached to the kernel's SharedArrayBuffers, and what is not shared memory crosses back to the
 * grader's thread (protocol.ts, CB_K_*): the page allocator, printk, and the page contents'
 * bookkeeping (a page materialised or cleared: the grader's pool hands out the slots, and posts
 * the chunks it adds on the setup port, which the thread attaches before it reads their slots).
 *
 * Both ends are here: the grader's (chunkSender(), answerMemoryCall()) and the thread's
 * (KernelMemoryServer).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  NEEDS_SHARED_MEMORY, PAGE_CHUNK_BYTES, PageContents, PageStore, type DebugConfig, type Gfp, type KernelServices, type LogLevel, type MemoryLayout,
  type PageAllocatorApi, type PageContentsSharedState, type PageStoreSharedState,
} from '@mmkit/core';
import { releasedBytesCollector, type CallChannel, type IncomingCall } from './call-channel.js';
import { CB_K_CLEAR, CB_K_LOG, CB_K_MATERIALISE, CB_K_MATERIALISED, CB_K_PAGES_HELD, CB_K_PAGE_ALLOC, CB_K_PAGE_FREE, CTX_HANDLE, LOG_LEVELS } from './protocol.js';

/** What the kernel's side of a setup (posted before its OP_*_CREATE) carries: its memory, its machine and configuration. */
export interface KernelSetup {
  readonly pages: PageStoreSharedState;
  readonly contents: PageContentsSharedState;
  readonly layout: MemoryLayout;
  readonly debug: DebugConfig;
  readonly nrCpus: number;
  readonly hz: number;
  /** cpu_to_node() of every CPU. */
  readonly cpuNode: readonly number[];
}

/** A setup: the kernel's side, which instance it is for, and what the protocol adds. */
export interface MemorySetup extends KernelSetup {
  readonly type: string;
  readonly handle: number;
  /** 'reference': the kernel's default implementation behind the same crossing (the bench's reference). */
  readonly which: 'submission' | 'reference';
}

/** The chunks the grader's pool added, posted for the thread's PageContents of kernel `handle`. */
export interface ChunksMessage {
  readonly type: 'chunks';
  readonly handle: number;
  /** The index of the first chunk. */
  readonly first: number;
  readonly buffers: readonly SharedArrayBuffer[];
}

// --- the grader's side ---

/** What the grader keeps of a kernel whose memory the submission's thread shares. */
export interface SharedKernel {
  readonly handle: number;
  readonly contents: PageContents;
  /** The pool's chunks the submission's thread has been sent. */
  sentChunks: number;
  readonly services: { readonly pageAllocator: PageAllocatorApi; log(level: LogLevel, message: string): void };
}

/** The kernel's side of a setup, from the services it hands the factory (and the page contents it shares). */
export function kernelSetupOf(services: KernelServices, contents: PageContents): KernelSetup {
  return {
    pages: services.pages.sharedState(),
    contents: contents.sharedState(),
    layout: services.layout,
    debug: services.debug,
    nrCpus: services.sched.nrCpus,
    hz: services.sched.hz,
    cpuNode: Array.from({ length: services.sched.nrCpus }, (_, cpu) => services.cpuToNode(cpu)),
  };
}

/**
 * Create instance k in the submission's thread: post its setup, then `create()` (the protocol's
 * create call, whose first result is 1 when the factory returned an object): true when it did;
 * k is known to `kernels` from before the call (what it allocates crosses back already) and
 * forgotten unless it was made.
 */
export function createAcross<K extends SharedKernel>(ch: CallChannel, setupPort: MessagePort, kernels: Map<number, K>, k: K, setup: MemorySetup, create: () => void): boolean {
  setupPort.postMessage(setup);
  kernels.set(k.handle, k);
  try {
    create();
  } catch (err) {
    kernels.delete(k.handle);
    throw err;
  }
  if (ch.num(0) === 1) return true;
  kernels.delete(k.handle);
  return false;
}

/** The factory, marked as one whose kernel must keep its state on shared memory (NEEDS_SHARED_MEMORY). */
export function onSharedMemory<F extends object>(factory: F): F {
  Object.defineProperty(factory, NEEDS_SHARED_MEMORY, { value: true });
  return factory;
}

/** Post the chunks the kernel's pool added since the last call (before the call that may read their slots). */
export function chunkSender(setupPort: MessagePort): (k: SharedKernel) => void {
  return (k) => {
    const n = k.contents.chunkCount;
    if (n <= k.sentChunks) return;
    const buffers: SharedArrayBuffer[] = [];
    for (let i = k.sentChunks; i < n; i++) buffers.push(k.contents.chunkBuffer(i) as SharedArrayBuffer);
    setupPort.postMessage({ type: 'chunks', handle: k.handle, first: k.sentChunks, buffers } satisfies ChunksMessage);
    k.sentChunks = n;
  };
}

/** Answer a call of the submission's thread into the kernel's memory or printk (CB_K_*): false when `c` is none of them. */
export function answerMemoryCall(k: SharedKernel, c: IncomingCall, ch: CallChannel): boolean {
  const s = k.services;
  const a1 = c.arg(1);
  const a2 = c.arg(2);
  switch (c.op) {
    case CB_K_LOG:
      s.log(LOG_LEVELS[a1] ?? 'info', ch.payloadString());
      return true;
    case CB_K_PAGE_ALLOC:
      ch.setNum(0, c.argc > 3 ? s.pageAllocator.allocPages(a1, a2, c.arg(3)) : s.pageAllocator.allocPages(a1, a2));
      return true;
    case CB_K_PAGE_FREE:
      s.pageAllocator.freePages(a1, a2);
      return true;
    case CB_K_PAGES_HELD:
      ch.setNum(0, Number((s.pageAllocator as { held?: unknown }).held));
      return true;
    case CB_K_MATERIALISE:
      k.contents.materialiseRange(a1, a2);
      return true;
    case CB_K_CLEAR:
      k.contents.clear(a1);
      return true;
    case CB_K_MATERIALISED:
      ch.setNum(0, k.contents.materialised);
      return true;
    default:
      return false;
  }
}

// --- the submission's thread ---

/** A kernel's memory attached in the submission's thread, and the services over it that cross back. */
export interface AttachedMemory {
  readonly pages: PageStore;
  readonly contents: PageContents;
  /** The kernel's page allocator (for the object allocator, counting what it holds there: `held`); frozen, nothing to rewrite here. */
  readonly pageAllocator: PageAllocatorApi & { readonly held: number };
  readonly log: (level: LogLevel, message: string) => void;
}

/**
 * The thread's side: the setups and chunks the grader posts, the kernels' memory attached, the
 * handle of the grader's call in progress (`active`: the services cross back only inside one),
 * and the collection of released kernels' memory (ServerOptions.collect).
 */
export class KernelMemoryServer<S extends MemorySetup> {
  /** The handle of the grader's call in progress, 0 outside one. */
  active = 0;
  private readonly setups = new Map<number, S>();
  private readonly pendingChunks = new Map<number, ChunksMessage[]>();
  private readonly attached = new Map<number, { readonly contents: PageContents; readonly bytes: number }>();
  private readonly noteReleased: (bytes: number) => void;

  constructor(
    private readonly ch: CallChannel,
    private readonly port: MessagePort,
    private readonly setupType: S['type'],
    collect: (() => void) | undefined,
  ) {
    this.noteReleased = releasedBytesCollector(collect);
  }

  /** Take what the grader posted: setups, and chunks for the pools of the kernels here. */
  private drainPort(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as S | ChunksMessage;
      if (msg?.type === this.setupType) this.setups.set(msg.handle, msg as S);
      else if (msg?.type === 'chunks') {
        const list = this.pendingChunks.get(msg.handle) ?? [];
        list.push(msg as ChunksMessage);
        this.pendingChunks.set(msg.handle, list);
      }
    }
  }

  /** The setup of kernel `handle` (posted before its create call). */
  takeSetup(handle: number): S {
    this.drainPort();
    const setup = this.setups.get(handle);
    this.setups.delete(handle);
    if (!setup) throw new Error(`mmkit: the setup of instance ${handle} did not arrive`);
    return setup;
  }

  /** Attach the chunks the grader's pool added since (before this thread reads their slots). */
  syncChunks(handle: number): void {
    const contents = this.attached.get(handle)?.contents;
    if (!contents || contents.chunksMissing <= 0) return;
    this.drainPort();
    const list = this.pendingChunks.get(handle);
    if (!list) return;
    for (const msg of list) {
      const skip = contents.chunkCount - msg.first;
      if (skip < 0) throw new Error(`mmkit: chunk ${contents.chunkCount} of the page contents did not arrive`);
      if (skip < msg.buffers.length) contents.attachChunks(msg.buffers.slice(skip));
    }
    this.pendingChunks.delete(handle);
  }

  /** A call back into the kernel, made from inside one of the kernel's calls (the services cross only then): op with argc numbers (set from 1 on). */
  readonly crossBack = (op: number, argc: number): void => {
    const handle = this.active;
    if (handle === 0) throw new Error("mmkit: the kernel's services can only be called while the kernel is calling the submission");
    this.ch.setNum(0, handle);
    this.ch.call(op, argc);
    this.syncChunks(handle);
  };

  /**
   * The grader's create and release calls (createOp: `create()` runs as the kernel's call;
   * releaseOp: the instance's memory is let go and `dropped()` forgets the rest): true when `call`
   * was one of them.
   */
  lifecycle(call: IncomingCall, createOp: number, releaseOp: number, create: (handle: number) => void, dropped: (handle: number) => void): boolean {
    const handle = call.arg(CTX_HANDLE);
    if (call.op === createOp) {
      this.within(handle, () => create(handle));
      return true;
    }
    if (call.op !== releaseOp) return false;
    this.release(handle);
    dropped(handle);
    return true;
  }

  /** Run fn as kernel `handle`'s call (its services cross back meanwhile). */
  within<T>(handle: number, fn: () => T): T {
    const previous = this.active;
    this.active = handle;
    try {
      return fn();
    } finally {
      this.active = previous;
    }
  }

  /** Attach to the memory of the kernel `setup` describes; `extraBytes` per page is what else of the kernel's shared memory the instance's views keep alive. */
  attach(setup: S, extraBytesPerPage = 0): AttachedMemory {
    const ch = this.ch;
    const crossBack = this.crossBack;
    const pages = new PageStore(setup.pages.maxPfn, { attach: setup.pages });
    const contents = new PageContents({
      attach: setup.contents,
      remote: {
        materialise: (first, last) => {
          ch.setNum(1, first);
          ch.setNum(2, last);
          crossBack(CB_K_MATERIALISE, 3);
        },
        clear: (pfn) => {
          ch.setNum(1, pfn);
          crossBack(CB_K_CLEAR, 2);
        },
        materialised: () => {
          crossBack(CB_K_MATERIALISED, 1);
          return ch.num(0);
        },
      },
    });
    this.attached.set(setup.handle, { contents, bytes: pages.maxPfn * (PageStore.BYTES_PER_PAGE + extraBytesPerPage) });
    const pageAllocator: PageAllocatorApi & { readonly held: number } = Object.freeze({
      allocPages(gfp: Gfp, order: number, preferredNid?: number): number {
        ch.setNum(1, Number(gfp));
        ch.setNum(2, Number(order));
        if (preferredNid !== undefined) ch.setNum(3, Number(preferredNid));
        crossBack(CB_K_PAGE_ALLOC, preferredNid === undefined ? 3 : 4);
        return ch.num(0);
      },
      freePages(pfn: number, order: number): void {
        ch.setNum(1, Number(pfn));
        ch.setNum(2, Number(order));
        crossBack(CB_K_PAGE_FREE, 3);
      },
      get held(): number {
        crossBack(CB_K_PAGES_HELD, 1);
        return ch.num(0);
      },
    });
    const log = (level: LogLevel, message: string): void => {
      ch.setNum(1, Math.max(0, LOG_LEVELS.indexOf(level)));
      ch.setPayloadString(String(message));
      crossBack(CB_K_LOG, 2);
    };
    return { pages, contents, pageAllocator, log };
  }

  /** The instance `handle` is gone (its kernel released): forget its memory, and collect once enough is released. */
  release(handle: number): void {
    const gone = this.attached.get(handle);
    // Its struct page, and the page contents it attached to (slotOf, the pins, the chunks).
    if (gone) this.noteReleased(gone.bytes + gone.contents.chunkCount * PAGE_CHUNK_BYTES + gone.contents.maxPages);
    this.attached.delete(handle);
    this.pendingChunks.delete(handle);
    this.setups.delete(handle);
  }

  /** Forget an instance whose creation failed. */
  forget(handle: number): void {
    this.attached.delete(handle);
    this.pendingChunks.delete(handle);
  }
}

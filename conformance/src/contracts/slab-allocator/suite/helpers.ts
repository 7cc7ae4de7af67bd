/**
 * What the slab-allocator cases share: booting a kernel around the implementation under test,
 * object helpers, scripted KASAN answers.
 */
import {
  GFP_KERNEL, PG_tail, type KasanHooks, type KmemCache, type ObjAddr, type SlabAllocatorFactory, type SlabInfo,
} from '@mmkit/core';
import { createKernel, type Kernel, type KernelConfig } from '@mmkit/kernel';
import * as assert from '../../../assert.js';
import type { CaseContext } from '../../../suite.js';

export type SlabAllocatorUnderTest = SlabAllocatorFactory | undefined;
export type Ctx = CaseContext<SlabAllocatorUnderTest>;

export const MiB = 2 ** 20;
export const KMALLOC_MAX_SIZE = 4 * MiB;

/** Boot a kernel around the implementation under test (256 MiB, 2 CPUs, THP off unless told). */
/** Boot a kernel around the implementation under test, with the debugging configuration of the case's rules (ctx.debug). */
export function boot(ctx: Ctx, config: Omit<KernelConfig, 'slab'> = {}): Kernel {
  return createKernel({ machine: { mem: 256 * MiB }, nrCpus: 2, thp: 'never', ...(ctx.debug ? { debug: ctx.debug } : {}), ...config, slab: ctx.factory ?? 'slub' });
}

export function create(k: Kernel, name: string, size: number, align = 0, flags = 0, ctor?: (addr: ObjAddr) => void): KmemCache {
  const c = k.slab.kmemCacheCreate(name, size, align, flags, ctor);
  if (!c) assert.fail(`kmem_cache_create('${name}', ${size}, ${align}, 0x${flags.toString(16)}) failed`);
  return c;
}

export function alloc(k: Kernel, cache: KmemCache, gfp = GFP_KERNEL): ObjAddr {
  const a = k.slab.kmemCacheAlloc(cache, gfp);
  if (a === 0) assert.fail(`kmem_cache_alloc(${cache.name}) returned NULL on a machine with free memory`);
  return a;
}

export function kmalloc(k: Kernel, size: number, gfp = GFP_KERNEL): ObjAddr {
  const a = k.slab.kmalloc(size, gfp);
  if (a === 0) assert.fail(`kmalloc(${size}) returned NULL on a machine with free memory`);
  return a;
}

export function totalFree(k: Kernel): number {
  k.pageAllocator.drainAllPages();
  return k.zones.reduce((n, z) => n + z.freePages, 0);
}

/** A byte pattern that depends on the object's identity, so that a mixed-up object shows. */
export function pattern(id: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (id * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function readBytes(k: Kernel, addr: ObjAddr, len: number): Uint8Array {
  const out = new Uint8Array(len);
  k.phys.read(addr, out);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export function reportsOf(k: Kernel, kind: string, since = 0): number {
  return k.slabReports.slice(since).filter((r) => r.kind === kind).length;
}

/** Allocate until `target` comes back (or `limit` allocations); the objects taken are returned for freeing. */
export function allocUntil(k: Kernel, cache: KmemCache, target: ObjAddr, limit: number): { found: boolean; taken: ObjAddr[] } {
  const taken: ObjAddr[] = [];
  for (let i = 0; i < limit; i++) {
    const a = alloc(k, cache);
    taken.push(a);
    if (a === target) return { found: true, taken };
  }
  return { found: false, taken };
}

/** The kernel's invariant checker, slab pages against PG_slab included. */
export function checkKernel(k: Kernel, when: string): void {
  const v = k.checkInvariants();
  if (v.length) assert.fail(`${when}: ${v.map((x) => `[${x.invariant}] ${x.message}`).join('; ')}`);
}

export function info(k: Kernel, cache: KmemCache): SlabInfo {
  return k.slab.slabinfo(cache);
}

/** KASAN with scripted answers: kasan_slab_free() says "delay" for the objects in `delay`. */
export class ScriptedKasan implements KasanHooks {
  readonly delay = new Set<ObjAddr>();
  /** Objects whose free was delayed and not yet released, as a quarantine would hold them. */
  readonly held: { cache: KmemCache; addr: ObjAddr }[] = [];
  readonly freeCalls: ObjAddr[] = [];
  readonly shutdownCalls: string[] = [];
  kernel: Kernel | undefined;

  slabFree(cache: KmemCache, addr: ObjAddr): boolean {
    this.freeCalls.push(addr);
    if (!this.delay.has(addr)) return false;
    this.held.push({ cache, addr });
    return true;
  }

  slabAlloc(): void {}

  cacheShutdown(cache: KmemCache): void {
    this.shutdownCalls.push(cache.name);
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i].cache !== cache) continue;
      const { addr } = this.held.splice(i, 1)[0];
      this.kernel?.slab.quarantineRelease(cache, addr);
    }
  }

  release(addr: ObjAddr): void {
    const i = this.held.findIndex((h) => h.addr === addr);
    if (i < 0) assert.fail(`scripted KASAN holds no object 0x${addr.toString(16)}`);
    const { cache } = this.held.splice(i, 1)[0];
    this.kernel?.slab.quarantineRelease(cache, addr);
  }
}

export function bootWithScriptedKasan(ctx: Ctx): { k: Kernel; kasan: ScriptedKasan } {
  const kasan = new ScriptedKasan();
  const k = boot(ctx, { kasanHooks: kasan });
  kasan.kernel = k;
  return { k, kasan };
}

/** The smallest kmalloc class of at least n bytes. */
export function classFor(sizes: readonly number[], n: number): number {
  for (const s of sizes) if (s >= n) return s;
  return -1;
}

/** The head page of a compound page (compound_head()): walk back over PG_tail pages. */
export function headOf(k: Kernel, pfn: number): number {
  let p = pfn;
  while (p > 0 && k.pages.testFlag(p, PG_tail)) p--;
  return p;
}

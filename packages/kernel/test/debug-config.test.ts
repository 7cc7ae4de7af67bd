import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE } from '@mmkit/core';
import { KernelConfigError, createKernel } from '../src/index.js';

const small = { machine: { mem: 128 * 2 ** 20 } };

describe('createKernel({ debug })', () => {
  it("runs under 4.17's defaults (every debug option off) unless told otherwise, and says so", () => {
    const k = createKernel(small);
    expect(k.debug.vm).toBe(false);
    expect(k.debug.slubDebug.flags).toBe(0);
    expect(k.summary()).toMatch(/^debug: none \(4\.17 defaults\)$/m);
  });

  it('takes CONFIG_DEBUG_VM and slub_debug, and shows them in the summary', () => {
    const k = createKernel({ ...small, debug: { vm: true, slubDebug: 'FZ,kmalloc-64' } });
    expect(k.debug.vm).toBe(true);
    expect(k.debug.slubDebug).toEqual({ flags: SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE, slabs: 'kmalloc-64' });
    expect(k.summary()).toMatch(/^debug: CONFIG_DEBUG_VM=y slub_debug=FZ,kmalloc-64$/m);
  });

  it('refuses a bad debug configuration with a KernelConfigError of one line', () => {
    for (const debug of [{ vm: 'yes' }, { slubDebug: 'FX' }, { slubDebug: 3 }, { nosuch: true }, { constructor: 1 }, 7, null]) {
      let err: unknown;
      try {
        createKernel({ ...small, debug: debug as never });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(debug)).toBeInstanceOf(KernelConfigError);
      expect((err as Error).message).not.toMatch(/\n/);
    }
  });
});

describe('misuse the default configuration does not check shows later, in the invariant checker', () => {
  it('SLUB: a double free and an interior pointer leave freelists the checker reports (and it never loops)', () => {
    const k = createKernel({ ...small, slab: 'slub' });
    const a = k.slab.kmalloc(64, GFP_KERNEL);
    const b = k.slab.kmalloc(64, GFP_KERNEL);
    expect(k.checkInvariants()).toEqual([]);
    k.slab.kfree(a);
    k.slab.kfree(a); // 4.17 without slub_debug: the per-cpu freelist now points to itself
    k.slab.kfree(b + 16);
    const found = k.checkInvariants();
    expect(found.map((v) => v.invariant)).toEqual(['slab-freelist']);
    expect(found[0].message).toMatch(/kmalloc-64.*is no object start|kmalloc-64.*twice/);
  });

  it('SLUB with slub_debug=F refuses the same misuse at free time, and the freelists stay sound', () => {
    const k = createKernel({ ...small, slab: 'slub', debug: { slubDebug: 'F' } });
    const a = k.slab.kmalloc(64, GFP_KERNEL);
    const b = k.slab.kmalloc(64, GFP_KERNEL);
    k.slab.kfree(a);
    k.slab.kfree(a);
    k.slab.kfree(b + 16);
    expect(k.checkInvariants()).toEqual([]);
  });
});

describe('CONFIG_DEBUG_SLAB (debug.debugSlab)', () => {
  it('is off by default, taken as a boolean only, and shown in the summary', () => {
    expect(createKernel({ ...small, slab: 'slab' }).debug.debugSlab).toBe(false);
    const k = createKernel({ ...small, slab: 'slab', debug: { debugSlab: true } });
    expect(k.debug.debugSlab).toBe(true);
    expect(k.summary()).toMatch(/^debug: CONFIG_DEBUG_SLAB=y$/m);
    expect(() => createKernel({ ...small, debug: { debugSlab: 'y' } as never })).toThrow(KernelConfigError);
  });

  it('SLAB without it: a double free shows in the invariant checker; with it, it is refused at free time', () => {
    const plain = createKernel({ ...small, slab: 'slab' });
    const a = plain.slab.kmalloc(64, GFP_KERNEL);
    plain.slab.kfree(a);
    plain.slab.kfree(a);
    expect(plain.slabReports).toEqual([]);
    expect(plain.checkInvariants().map((v) => v.invariant)).toEqual(['slab-freelist']);
    const debug = createKernel({ ...small, slab: 'slab', debug: { debugSlab: true } });
    const b = debug.slab.kmalloc(64, GFP_KERNEL);
    debug.slab.kfree(b);
    debug.slab.kfree(b);
    expect(debug.slabReports.map((r) => r.kind)).toEqual(['double-free']);
    expect(debug.checkInvariants()).toEqual([]);
  });
});

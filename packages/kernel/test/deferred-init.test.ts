import { describe, expect, it } from 'vitest';
import { KernelConfigError, createKernel, type KernelConfig } from '../src/index.js';

/** The free counts of a zoneinfo text: "Node N, zone NAME" and its "pages free", "managed" lines. */
function zoneinfoFreeCounts(text: string): string[] {
  const out: string[] = [];
  let zone = '';
  for (const line of text.split('\n')) {
    const m = /^Node (\d+), zone\s+(\S+)/.exec(line);
    if (m) zone = `${m[1]}/${m[2]}`;
    const c = /^\s+(pages free|managed|nr_free_pages)\s+(\d+)/.exec(line);
    if (c) out.push(`${zone} ${c[1]} ${c[2]}`);
  }
  return out;
}

function boot(config: KernelConfig) {
  const k = createKernel(config);
  return {
    buddyinfo: k.readFile('/proc/buddyinfo'),
    zoneinfo: zoneinfoFreeCounts(k.readFile('/proc/zoneinfo')),
    memfree: /MemFree:\s+(\d+)/.exec(k.readFile('/proc/meminfo'))?.[1],
    dmesg: k.dmesg(),
    invariants: k.checkInvariants(),
  };
}

describe('CONFIG_DEFERRED_STRUCT_PAGE_INIT (deferredStructPageInit)', () => {
  for (const machine of [{ mem: 6 * 2 ** 30 }, { mem: 3 * 2 ** 30, nodes: 2 }, { mem: 5 * 2 ** 30, cma: [{ size: 64 * 2 ** 20 }] }]) {
    it(`boots to the same free counts off and on (${JSON.stringify(machine)})`, () => {
      const off = boot({ machine });
      const on = boot({ machine, deferredStructPageInit: true });
      expect(on.zoneinfo.length).toBeGreaterThan(0);
      expect(on.buddyinfo).toBe(off.buddyinfo);
      expect(on.zoneinfo).toEqual(off.zoneinfo);
      expect(on.memfree).toBe(off.memfree);
      expect(on.invariants).toEqual([]);
      expect(off.dmesg.some((l) => / initialised, \d+ pages in \d+ms/.test(l))).toBe(false);
    });
  }

  it('logs what page_alloc_init_late() initialised, per node, after mem_init() freed the first part', () => {
    const on = boot({ machine: { mem: 3 * 2 ** 30, nodes: 2 }, deferredStructPageInit: true });
    const memory = on.dmesg.findIndex((l) => l.includes('Memory: '));
    const nodes = on.dmesg.filter((l) => / node \d initialised, \d+ pages in \d+ms$/.test(l));
    expect(nodes).toHaveLength(2);
    expect(on.dmesg.indexOf(nodes[0])).toBeGreaterThan(memory);
    const off = boot({ machine: { mem: 3 * 2 ** 30, nodes: 2 } });
    const kb = (lines: readonly string[]) => Number(/Memory: (\d+)K/.exec(lines.find((l) => l.includes('Memory: '))!)![1]);
    const deferredPages = nodes.reduce((n, l) => n + Number(/initialised, (\d+) pages/.exec(l)![1]), 0);
    expect(deferredPages).toBeGreaterThan(0);
    expect(kb(on.dmesg) + deferredPages * 4).toBe(kb(off.dmesg));
  });

  it('is refused where the memory model is FLATMEM (i386), and must be a boolean', () => {
    expect(() => createKernel({ machine: { mem: 2 ** 30, arch: 'i386' }, deferredStructPageInit: true })).toThrow(/FLATMEM/);
    expect(() => createKernel({ deferredStructPageInit: 'yes' as unknown as boolean })).toThrow(KernelConfigError);
  });
});

/** Issue 10, item 8: names a user gives are keys, never properties of Object.prototype. */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '@mmkit/core';
import { KernelConfigError, createKernel } from '../src/index.js';

const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

describe('createKernel: prototype names', () => {
  it.each(PROTO_NAMES)("slab: '%s' is refused", (name) => {
    expect(() => createKernel({ machine: { mem: 64 * 2 ** 20 }, slab: name as 'slub' })).toThrow(KernelConfigError);
  });
  it.each(PROTO_NAMES)("preset: '%s' is an unknown preset", (name) => {
    expect(() => createKernel({ preset: name })).toThrow(new KernelConfigError(`unknown preset '${name}'; presets: default, seed-22g, numa-2x8g, i386-highmem-2g, movable-4g`));
  });
  it.each(PROTO_NAMES)("sysctl: { '%s': 1 } is no such sysctl", (name) => {
    const sysctl = JSON.parse(`{"${name}": 1}`) as Record<string, number>;
    expect(() => createKernel({ machine: { mem: 64 * 2 ** 20 }, sysctl })).toThrow(/no such sysctl/);
  });
});

describe('a kernel: prototype names of files and sysctls', () => {
  const k = createKernel({ machine: { mem: 64 * 2 ** 20 } });
  it.each(PROTO_NAMES)("readFile('%s') is ENOENT, writeFile is -ENOENT", (name) => {
    expect(() => k.readFile(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }) as Error);
    expect(k.writeFile(name, '1')).toBe(-ERRNO.ENOENT);
    expect(() => k.sysctl(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }) as Error);
    expect(k.sysctl(name, 1)).toBe(-ERRNO.ENOENT);
    expect(k.listFiles()).not.toContain(name);
  });
});

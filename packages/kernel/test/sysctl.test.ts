import { describe, expect, it } from 'vitest';
import { ERRNO } from '@mmkit/core';
import { createKernel } from '../src/index.js';
import { commitLimitKb } from '../src/proc/meminfo.js';
import { dointvecConv, dointvecMinmaxConv, procDointvecWrite } from '../src/proc-dointvec.js';

const EINVAL = -ERRNO.EINVAL;

describe('proc_dointvec writes (kernel/sysctl.c, 4.17)', () => {
  it('stores each value as it parses, stops at the first bad one, ignores what the table cannot hold', () => {
    const write = (text: string, table = [7, 7, 7], conv = dointvecConv) => [procDointvecWrite(text, table, conv), ...table];
    expect(write('1 2 3 4')).toEqual([0, 1, 2, 3]);
    expect(write('1 2')).toEqual([0, 1, 2, 7]);
    expect(write('1 x 3')).toEqual([EINVAL, 1, 7, 7]);
    expect(write('x 2 3')).toEqual([EINVAL, 7, 7, 7]);
    expect(write('1,2')).toEqual([EINVAL, 7, 7, 7]);
    expect(write('')).toEqual([0, 7, 7, 7]);
    expect(write(' \n')).toEqual([EINVAL, 7, 7, 7]);
    expect(write('-')).toEqual([EINVAL, 7, 7, 7]);
    expect(write('-0x10 0X1f 017')).toEqual([0, -16, 31, 15]);
    expect(write('0x 1')).toEqual([EINVAL, 7, 7, 7]);
    expect(write('2147483647 -2147483648 2147483648')).toEqual([EINVAL, 2147483647, -2147483648, 7]);
    // minmax (4.17): the int conversion wraps before the bounds are checked
    expect(write('4294967297 -4294967295 4294967296', [7, 7, 7], dointvecMinmaxConv(0))).toEqual([0, 1, 1, 0]);
    expect(write('5 -1', [7, 7, 7], dointvecMinmaxConv(0))).toEqual([EINVAL, 5, 7, 7]);
    // only the first PAGE_SIZE - 1 bytes are looked at
    expect(write(`${' '.repeat(4094)}12`)).toEqual([0, 1, 7, 7]);
    // _parse_integer() wraps modulo 2^64, then unsigned long is 32 bits on i386
    expect(write('18446744073709551617', [7], dointvecConv)).toEqual([0, 1]);
    const t = [7];
    expect(procDointvecWrite('4294967301', t, dointvecConv, 32)).toBe(0);
    expect(t).toEqual([5]);
  });

  it('vm.overcommit_ratio takes any int as proc_dointvec does, and CommitLimit wraps as unsigned long', () => {
    const k = createKernel();
    const path = '/proc/sys/vm/overcommit_ratio';
    expect(k.writeFile(path, '-5\n')).toBe(0);
    expect(k.readFile(path)).toBe('-5\n');
    expect(k.writeFile(path, '2147483648\n')).toBe(EINVAL);
    expect(k.writeFile(path, '75 junk\n')).toBe(0);
    expect(k.readFile(path)).toBe('75\n');
    const managed = k.zones.reduce((n, z) => n + z.managedPages, 0);
    expect(k.readFile('/proc/meminfo')).toContain(`CommitLimit:    ${String(Math.floor((managed * 75) / 100) * 4).padStart(8)} kB\n`);
    // (totalram * (unsigned long)-5) / 100, modulo 2^64, in kB
    expect(commitLimitKb(1000, -5, 0, 64)).toBe(String(BigInt.asUintN(64, (BigInt.asUintN(64, 1000n * (2n ** 64n - 5n)) / 100n) * 4n)));
    expect(commitLimitKb(1000, 50, 10, 32)).toBe(String((500 + 10) * 4));
  });

  it('an i386 kernel parses with a 32-bit unsigned long', () => {
    const k = createKernel({ machine: { arch: 'i386', mem: 256 << 20 } });
    expect(k.writeFile('/proc/sys/vm/overcommit_ratio', '4294967306\n')).toBe(0);
    expect(k.readFile('/proc/sys/vm/overcommit_ratio')).toBe('10\n');
  });
});

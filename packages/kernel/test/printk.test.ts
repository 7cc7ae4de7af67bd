/** Issue 10, item 14: the kernel log is log_buf, a ring of 1 << CONFIG_LOG_BUF_SHIFT bytes. */
import { describe, expect, it } from 'vitest';
import { GFP_KERNEL, NO_PAGE } from '@mmkit/core';
import { createKernel, type KernelConfig } from '../src/index.js';
import { DEFAULT_LOG_BUF_SHIFT, LogBuffer, msgUsedSize } from '../src/printk.js';

describe('LogBuffer (log_buf)', () => {
  it('charges header + text padded to 8 bytes, and drops the oldest records when full', () => {
    expect(msgUsedSize(0)).toBe(16);
    expect(msgUsedSize(1)).toBe(24);
    expect(msgUsedSize(40)).toBe(56);
    const log = new LogBuffer(12);
    for (let i = 0; i < 1000; i++) log.store(i / 1000, `line ${String(i).padStart(35, '0')}`); // 40 characters
    expect(log.length).toBe(Math.floor(4096 / 56)); // 73 records of 56 bytes
    expect(log.bytesUsed).toBeLessThanOrEqual(4096);
    expect(log.dropped).toBe(1000 - 73);
    const lines = log.lines();
    expect(lines[0]).toBe(`[    0.927000] line ${String(927).padStart(35, '0')}`);
    expect(lines[lines.length - 1]).toBe(`[    0.999000] line ${String(999).padStart(35, '0')}`);
    expect(log.kmsg().split('\n')[0]).toBe(`6,927,927000,-;line ${String(927).padStart(35, '0')}`);
  });
  it('cuts a record too big for the empty buffer to a quarter of it, with <truncated>', () => {
    const log = new LogBuffer(12);
    log.store(0, 'x'.repeat(10_000));
    expect(log.lines()[0]).toBe(`[    0.000000] ${'x'.repeat(1024)}<truncated>`);
  });
});

describe("the kernel's log", () => {
  const warnings = (k: ReturnType<typeof createKernel>, n: number) => {
    for (let i = 0; i < n; i++) expect(k.allocPages(GFP_KERNEL, 11)).toBe(NO_PAGE); // WARN: order >= MAX_ORDER
  };
  it('holds at most 1 << CONFIG_LOG_BUF_SHIFT (18, x86_64_defconfig) bytes, newest kept, oldest first', () => {
    expect(DEFAULT_LOG_BUF_SHIFT).toBe(18);
    const k = createKernel({ machine: { mem: 64 * 2 ** 20 } });
    expect(k.dmesg()[0]).toMatch(/Linux version 4.17.0-mmkit/);
    warnings(k, 5000);
    const lines = k.dmesg();
    expect(lines.length).toBeLessThan(5000);
    const bytes = lines.reduce((n, l) => n + msgUsedSize(l.length - '[    0.000000] '.length), 0);
    expect(bytes).toBeLessThanOrEqual(2 ** 18);
    expect(bytes).toBeGreaterThan(2 ** 18 - 200);
    expect(lines[0]).not.toMatch(/Linux version/);
    expect(lines[lines.length - 1]).toMatch(/order:11 is not below MAX_ORDER/);
  });
  it('takes logBufShift in [12, 25] and shows itself as /dev/kmsg', () => {
    const k = createKernel({ machine: { mem: 64 * 2 ** 20 }, logBufShift: 12 });
    warnings(k, 200);
    expect(k.dmesg().length).toBeLessThan(60);
    expect(k.readFile('/dev/kmsg').split('\n')[0]).toMatch(/^6,\d+,\d+,-;WARNING: __alloc_pages_nodemask: order:11/);
    for (const v of [11, 26, 1.5, NaN, '18']) {
      expect(() => createKernel({ machine: { mem: 64 * 2 ** 20 }, logBufShift: v } as KernelConfig)).toThrow(/logBufShift must be an integer in \[12, 25\]/);
    }
  });
});

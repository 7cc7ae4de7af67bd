/** mmap(2): MAP_FIXED_NOREPLACE, MAP_FIXED and every error of the man page 4.17 can give. */
import {
  ERRNO, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC,
  O_RDWR, O_WRONLY, PROT_EXEC, PROT_READ, PROT_WRITE,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { BASE, PAGE, boot, file, lines, mapAt, type AddressSpacesUnderTest } from './helpers.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const { EACCES, EAGAIN, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM } = ERRNO;

export const mmapCases: readonly SuiteCase<AddressSpacesUnderTest>[] = [
  {
    name: 'MAP_FIXED_NOREPLACE maps a free range at exactly addr, also inside a stack guard gap; an unaligned addr is EINVAL',
    rules: ['mmap.fixed-noreplace.exact'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), BASE, 'a free range');
      // A stack-like mapping: the 256 pages below it are its guard gap, where a hint is not taken.
      mapAt(as, mm, BASE + 1024 * PAGE, 16 * PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
      assert.equal(as.mmap(mm, BASE + 1023 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), BASE + 1023 * PAGE, 'inside the guard gap');
      assert.equal(as.mmap(mm, BASE + 64 * PAGE + 1, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), -EINVAL, 'an address that is not page-aligned');
    },
  },
  {
    name: 'MAP_FIXED_NOREPLACE over a mapped address is EEXIST and changes nothing',
    rules: ['mmap.fixed-noreplace.eexist'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE);
      const before = lines(as, mm);
      assert.equal(as.mmap(mm, BASE + 2 * PAGE, 4 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST, 'a range whose start is mapped');
      assert.equal(as.mmap(mm, BASE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE | MAP_FIXED, -1, 0), -EEXIST, 'with MAP_FIXED too');
      assert.equal(as.mmap(mm, BASE - PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST, 'a range whose start is free but whose end runs into a mapping');
      assert.deepEqual(lines(as, mm), before, 'the mappings after the refusals');
    },
  },
  {
    name: 'MAP_FIXED replaces the overlapped part of the mappings under it',
    rules: ['mmap.mmap.fixed-replaces'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED);
      mapAt(as, mm, BASE + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED);
      assert.deepEqual(lines(as, mm), ['400000000-400001000 rw-p 0', '400001000-400002000 r--p 0', '400002000-400004000 rw-p 0']);
    },
  },
  {
    name: 'mmap EINVAL: length 0, an unaligned offset or MAP_FIXED address, no mapping type',
    rules: ['mmap.mmap.einval'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, 0, 0, PROT_READ, ANON, -1, 0), -EINVAL, 'length 0');
      assert.equal(as.fdInstall(mm, 3, file()), 0);
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 100), -EINVAL, 'offset 100');
      assert.equal(as.mmap(mm, BASE + 1, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0), -EINVAL, 'MAP_FIXED at an unaligned address');
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), -EINVAL, 'MAP_ANONYMOUS alone');
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, 0, 3, 0), -EINVAL, 'flags 0 on a file');
    },
  },
  {
    name: 'mmap EBADF: no MAP_ANONYMOUS and fd not open',
    rules: ['mmap.mmap.ebadf'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 5, 0), -EBADF, 'fd 5');
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), -EBADF, 'fd -1');
      assert.equal(as.fdInstall(mm, 5, file()), 0);
      assert.equal(as.fdClose(mm, 5), 0);
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 5, 0), -EBADF, 'fd 5 after close()');
    },
  },
  {
    name: 'mmap EACCES: a write-only file, MAP_SHARED|PROT_WRITE without O_RDWR',
    rules: ['mmap.mmap.eacces'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file({ accessMode: O_WRONLY }));
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0), -EACCES, 'O_WRONLY');
      as.fdInstall(mm, 3, file());
      assert.equal(as.mmap(mm, 0, PAGE, RW, MAP_SHARED, 3, 0), -EACCES, 'MAP_SHARED|PROT_WRITE of O_RDONLY');
      assert.ok(as.mmap(mm, 0, PAGE, RW, MAP_PRIVATE, 3, 0) > 0, 'MAP_PRIVATE|PROT_WRITE of O_RDONLY is copy on write');
      as.fdInstall(mm, 3, file({ accessMode: O_RDWR }));
      assert.ok(as.mmap(mm, 0, PAGE, RW, MAP_SHARED, 3, 0) > 0, 'MAP_SHARED|PROT_WRITE of O_RDWR');
    },
  },
  {
    name: 'mmap ENOMEM: past TASK_SIZE, RLIMIT_AS, RLIMIT_DATA, vm.max_map_count',
    rules: ['mmap.mmap.enomem'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, 0x7ffffffff000, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM, 'across TASK_SIZE');
      assert.equal(as.mmap(mm, 0, 2 ** 47, RW, ANON, -1, 0), -ENOMEM, 'larger than the address space');
      const a = boot(ctx, { rlimitAs: 8 * PAGE });
      assert.ok(a.as.mmap(a.mm, 0, 8 * PAGE, PROT_READ, ANON, -1, 0) > 0, 'up to RLIMIT_AS');
      assert.equal(a.as.mmap(a.mm, 0, PAGE, PROT_READ, ANON, -1, 0), -ENOMEM, 'past RLIMIT_AS');
      const d = boot(ctx, { rlimitData: 4 * PAGE });
      assert.ok(d.as.mmap(d.mm, 0, 8 * PAGE, PROT_READ, ANON, -1, 0) > 0, 'read-only memory is no data');
      assert.equal(d.as.mmap(d.mm, 0, 8 * PAGE, RW, ANON, -1, 0), -ENOMEM, 'private writable memory past RLIMIT_DATA');
      const few = boot(ctx, { maxMapCount: 3 });
      for (let i = 0; i < 4; i++) mapAt(few.as, few.mm, BASE + 2 * i * PAGE, PAGE, RW, ANON | MAP_FIXED);
      assert.equal(few.as.mmap(few.mm, 0, PAGE, RW, ANON, -1, 0), -ENOMEM, 'map_count 4 > vm.max_map_count 3');
    },
  },
  {
    name: 'mmap EPERM: PROT_EXEC on a noexec mount, MAP_FIXED below vm.mmap_min_addr',
    rules: ['mmap.mmap.eperm'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file({ noexec: true }));
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, 3, 0), -EPERM, 'PROT_EXEC, noexec');
      assert.ok(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0) > 0, 'PROT_READ, noexec');
      assert.equal(as.mmap(mm, 0, PAGE, RW, ANON | MAP_FIXED, -1, 0), -EPERM, 'MAP_FIXED at 0');
      assert.equal(as.mmap(mm, 0x8000, PAGE, RW, ANON | MAP_FIXED, -1, 0), -EPERM, 'MAP_FIXED below 64 KiB');
    },
  },
  {
    name: 'mmap EAGAIN: MAP_LOCKED past RLIMIT_MEMLOCK',
    rules: ['mmap.mmap.eagain'],
    run(ctx) {
      const { as, mm } = boot(ctx, { rlimitMemlock: 4 * PAGE });
      assert.ok(as.mmap(mm, 0, 4 * PAGE, RW, ANON | MAP_LOCKED, -1, 0) > 0, 'up to the limit');
      assert.equal(as.mmap(mm, 0, PAGE, RW, ANON | MAP_LOCKED, -1, 0), -EAGAIN, 'one page more');
    },
  },
  {
    name: 'mmap EOVERFLOW: an offset the file cannot have',
    rules: ['mmap.mmap.eoverflow'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file());
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 2n ** 63n - 4096n), -EOVERFLOW, 'the last page ends past LLONG_MAX');
      assert.ok(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 2n ** 63n - 8192n) > 0, 'the last page that fits');
    },
  },
  {
    name: 'mmap EOPNOTSUPP: MAP_SHARED_VALIDATE with MAP_SYNC on an ordinary file',
    rules: ['mmap.mmap.eopnotsupp'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file({ accessMode: O_RDWR }));
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, 3, 0), -EOPNOTSUPP, 'MAP_SHARED_VALIDATE|MAP_SYNC');
      assert.ok(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED | MAP_SYNC, 3, 0) > 0, 'MAP_SHARED ignores MAP_SYNC');
      assert.ok(as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE, 3, 0) > 0, 'MAP_SHARED_VALIDATE alone');
    },
  },
  {
    name: 'mmap ENODEV: a file without mmap',
    rules: ['mmap.mmap.enodev'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file({ mmapable: false }));
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 3, 0), -ENODEV);
    },
  },
  {
    name: 'unsigned long arguments are taken modulo 2^64',
    rules: ['mmap.mmap.ulong-args'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, 0, -1, PROT_READ, ANON, -1, 0), -ENOMEM, 'mmap length -1');
      assert.equal(as.mmap(mm, 0xfffffffffffff000n, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0), -ENOMEM, 'MAP_FIXED at 2^64 - 4096');
      assert.equal(as.munmap(mm, 2n ** 64n - 4096n, PAGE), -EINVAL, 'munmap at 2^64 - 4096');
      mapAt(as, mm, BASE, PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mprotect(mm, BASE, -1, PROT_READ), -ENOMEM, 'mprotect length -1 (its end wraps to its start)');
      assert.equal(as.mprotect(mm, BASE, 2n ** 63n, PROT_READ), -ENOMEM, 'mprotect length 2^63 (past the last mapping)');
    },
  },
];

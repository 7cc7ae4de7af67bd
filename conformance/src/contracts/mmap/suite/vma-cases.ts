/** get_unmapped_area(), vma_merge() and split_vma(), munmap, mprotect, mremap, brk, madvise and /proc/PID/maps. */
import {
  ERRNO, MADV_DONTFORK, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED,
  MREMAP_MAYMOVE, O_RDONLY, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, VM_ACCOUNT, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE,
  formatMaps,
} from '@mmkit/core';
import * as assert from '../../../assert.js';
import type { SuiteCase } from '../../../suite.js';
import { BASE, PAGE, boot, file, lines, mapAt, vmaCount, type AddressSpacesUnderTest } from './helpers.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const { EACCES, EFAULT, EINVAL, ENOMEM } = ERRNO;
const GAP = 256 * PAGE;

export const vmaCases: readonly SuiteCase<AddressSpacesUnderTest>[] = [
  {
    name: 'the search puts a mapping at the top of the free space below mmap_base',
    rules: ['mmap.unmapped-area.topdown'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      // TASK_SIZE 0x7ffffffff000 minus the 128 MiB gap (8 MiB of RLIMIT_STACK and the guard gap are less).
      const a = as.mmap(mm, 0, 2 * PAGE, RW, ANON, -1, 0);
      assert.equal(a, 0x7ffff7fff000 - 2 * PAGE, 'the first mapping');
      assert.equal(as.mmap(mm, 0, PAGE, PROT_READ, ANON, -1, 0), a - PAGE, 'the next one below it');
    },
  },
  {
    name: 'a free hint is taken, an occupied one ignored',
    rules: ['mmap.unmapped-area.hint'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.mmap(mm, BASE, PAGE, RW, ANON, -1, 0), BASE, 'a free hint');
      const b = as.mmap(mm, BASE, PAGE, PROT_READ, ANON, -1, 0);
      assert.ok(b > 0 && b !== BASE, `an occupied hint gives another address, got ${b}`);
    },
  },
  {
    name: 'the stack guard gap below a MAP_GROWSDOWN mapping stays free, for hints and the search',
    rules: ['mmap.unmapped-area.stack-guard-gap'],
    run(ctx) {
      const stack = 0x7fff00000000;
      const { as, mm } = boot(ctx);
      mapAt(as, mm, stack, 16 * PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
      assert.notEqual(as.mmap(mm, stack - PAGE, PAGE, RW, ANON, -1, 0), stack - PAGE, 'a hint inside the gap');
      assert.equal(as.mmap(mm, stack - GAP - PAGE, PAGE, RW, ANON, -1, 0), stack - GAP - PAGE, 'a hint right below the gap');
      const low = boot(ctx, { mmapBase: BASE + 512 * PAGE });
      mapAt(low.as, low.mm, BASE + 500 * PAGE, 12 * PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
      assert.equal(low.as.mmap(low.mm, 0, PAGE, RW, ANON, -1, 0), BASE + 500 * PAGE - GAP - PAGE, 'the search below a stack under mmap_base');
    },
  },
  {
    name: 'adjacent anonymous mappings merge: into a hole, after prev, before next; not with other flags',
    rules: ['mmap.merge.anonymous'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, PAGE, RW, ANON | MAP_FIXED);
      mapAt(as, mm, BASE + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED);
      mapAt(as, mm, BASE + PAGE, PAGE, RW, ANON | MAP_FIXED);
      mapAt(as, mm, BASE + 3 * PAGE, PAGE, RW, ANON | MAP_FIXED);
      mapAt(as, mm, BASE - PAGE, PAGE, RW, ANON | MAP_FIXED);
      assert.deepEqual(lines(as, mm), ['3fffff000-400004000 rw-p 0']);
      mapAt(as, mm, BASE + 4 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED);
      assert.equal(vmaCount(as, mm), 2, 'other protection: no merge');
    },
  },
  {
    name: 'file mappings merge when their offsets follow each other, only then, and only for one open file',
    rules: ['mmap.merge.file-offset'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      as.fdInstall(mm, 3, file());
      mapAt(as, mm, BASE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, PAGE);
      mapAt(as, mm, BASE + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 2 * PAGE);
      mapAt(as, mm, BASE + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 5 * PAGE);
      mapAt(as, mm, BASE - PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 7 * PAGE);
      assert.deepEqual(lines(as, mm), ['3fffff000-400000000 r--p 7000 /data/file', '400000000-400002000 r--p 1000 /data/file', '400002000-400003000 r--p 5000 /data/file']);
      as.fdInstall(mm, 3, file());
      mapAt(as, mm, BASE + 3 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 6 * PAGE);
      assert.equal(vmaCount(as, mm), 4, 'the same path opened again is another struct file');
    },
  },
  {
    name: 'VMAs with different anon_vmas stay apart when their flags become equal',
    rules: ['mmap.merge.anon-vma'],
    run(ctx) {
      const k = boot(ctx);
      const flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;
      const mm = k.as.mmCreateWith({
        vmas: [
          { start: BASE, end: BASE + 2 * PAGE, flags, anonVma: 1 },
          { start: BASE + 2 * PAGE, end: BASE + 4 * PAGE, flags: flags & ~VM_WRITE, pgoff: BASE / PAGE + 2, anonVma: 2 },
          { start: BASE + 4 * PAGE, end: BASE + 6 * PAGE, flags: flags & ~VM_WRITE, pgoff: BASE / PAGE + 4 },
        ],
      });
      assert.ok(mm > 0, 'mmCreateWith()');
      assert.equal(k.as.mprotect(mm, BASE + 2 * PAGE, 4 * PAGE, RW), 0);
      // The second joins nothing (another anon_vma); the third, with none yet, joins the second.
      assert.deepEqual(lines(k.as, mm), ['400000000-400002000 rw-p 0', '400002000-400006000 rw-p 0']);
    },
  },
  {
    name: 'mprotect splits a VMA and merges the pieces back (vma_merge cases 4 to 8)',
    rules: ['mmap.merge.mprotect'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      const step = (addr: number, len: number, prot: number, want: string[], what: string) => {
        assert.equal(as.mprotect(mm, BASE + addr * PAGE, len * PAGE, prot), 0, what);
        assert.deepEqual(lines(as, mm), want, what);
      };
      mapAt(as, mm, BASE, 8 * PAGE, RW, ANON | MAP_FIXED);
      step(2, 2, PROT_READ, ['400000000-400002000 rw-p 0', '400002000-400004000 r--p 0', '400004000-400008000 rw-p 0'], 'split in three');
      step(1, 1, PROT_READ, ['400000000-400001000 rw-p 0', '400001000-400004000 r--p 0', '400004000-400008000 rw-p 0'], 'case 4');
      step(4, 1, PROT_READ, ['400000000-400001000 rw-p 0', '400001000-400005000 r--p 0', '400005000-400008000 rw-p 0'], 'case 5');
      step(1, 4, RW, ['400000000-400008000 rw-p 0'], 'case 6');
      step(4, 4, PROT_READ, ['400000000-400004000 rw-p 0', '400004000-400008000 r--p 0'], 'split in two');
      step(2, 2, PROT_NONE, ['400000000-400002000 rw-p 0', '400002000-400004000 ---p 0', '400004000-400008000 r--p 0'], 'split again');
      step(2, 2, RW, ['400000000-400004000 rw-p 0', '400004000-400008000 r--p 0'], 'case 7');
      step(2, 2, PROT_NONE, ['400000000-400002000 rw-p 0', '400002000-400004000 ---p 0', '400004000-400008000 r--p 0'], 'split once more');
      step(2, 2, PROT_READ, ['400000000-400002000 rw-p 0', '400002000-400008000 r--p 0'], 'case 8');
    },
  },
  {
    name: 'munmap EINVAL, and unmapping nothing',
    rules: ['mmap.munmap.einval'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      assert.equal(as.munmap(mm, BASE + 3, PAGE), -EINVAL, 'an unaligned address');
      assert.equal(as.munmap(mm, BASE, 0), -EINVAL, 'length 0');
      assert.equal(as.munmap(mm, 0x7ffffffff000, 2 * PAGE), -EINVAL, 'past TASK_SIZE');
      assert.equal(as.munmap(mm, BASE, PAGE), 0, 'nothing mapped');
    },
  },
  {
    name: 'munmap of the middle splits, and refuses at vm.max_map_count',
    rules: ['mmap.munmap.split'],
    run(ctx) {
      const { as, mm } = boot(ctx, { maxMapCount: 2 });
      mapAt(as, mm, BASE, 8 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.munmap(mm, BASE + 2 * PAGE, PAGE), 0);
      assert.deepEqual(lines(as, mm), ['400000000-400002000 rw-p 0', '400003000-400008000 rw-p 0']);
      assert.equal(as.munmap(mm, BASE + 4 * PAGE, PAGE), -ENOMEM, 'a third VMA past vm.max_map_count 2');
      assert.equal(as.munmap(mm, BASE, PAGE), 0, 'an end needs no new VMA');
    },
  },
  {
    name: 'mprotect EINVAL, ENOMEM, EACCES',
    rules: ['mmap.mprotect.errors'],
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mprotect(mm, BASE + 1, PAGE, PROT_READ), -EINVAL, 'an unaligned address');
      assert.equal(as.mprotect(mm, BASE, PAGE, 0x10), -EINVAL, 'unknown protection bits');
      assert.equal(as.mprotect(mm, BASE, 8 * PAGE, PROT_READ), -ENOMEM, 'past the end of the mapping');
      assert.deepEqual(lines(as, mm), ['400000000-400004000 r--p 0'], 'the mapped part changed first');
      assert.equal(as.mprotect(mm, BASE - PAGE, 2 * PAGE, PROT_READ), -ENOMEM, 'starting in a hole');
      as.fdInstall(mm, 3, file({ accessMode: O_RDONLY }));
      const a = as.mmap(mm, 0, PAGE, PROT_READ, MAP_SHARED, 3, 0);
      assert.equal(as.mprotect(mm, a, PAGE, RW), -EACCES, 'PROT_WRITE on a shared read-only file');
      as.fdInstall(mm, 4, file({ noexec: true }));
      const b = as.mmap(mm, 0, PAGE, PROT_READ, MAP_PRIVATE, 4, 0);
      assert.equal(as.mprotect(mm, b, PAGE, PROT_READ | PROT_EXEC), -EACCES, 'PROT_EXEC on noexec');
    },
  },
  {
    name: 'mremap shrinks, grows in place, moves with MREMAP_MAYMOVE and MREMAP_FIXED',
    rules: ['mmap.mremap.resize'],
    requires: 'mremap',
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 4 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mremap(mm, BASE, 4 * PAGE, 2 * PAGE, 0), BASE, 'shrink');
      assert.equal(as.mremap(mm, BASE, 2 * PAGE, 4 * PAGE, 0), BASE, 'grow in place');
      assert.deepEqual(lines(as, mm), ['400000000-400004000 rw-p 0']);
      mapAt(as, mm, BASE + 5 * PAGE, PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mremap(mm, BASE, 4 * PAGE, 8 * PAGE, 0), -ENOMEM, 'no room, no MREMAP_MAYMOVE');
      const moved = as.mremap(mm, BASE, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
      assert.ok(moved > 0 && moved !== BASE, `moved, to ${moved}`);
      assert.equal(as.mremap(mm, moved, 8 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 16 * PAGE), BASE + 16 * PAGE, 'MREMAP_FIXED');
      assert.deepEqual(lines(as, mm), ['400005000-400006000 rw-p 0', '400010000-400011000 rw-p 0']);
    },
  },
  {
    name: 'mremap EFAULT and EINVAL',
    rules: ['mmap.mremap.errors'],
    requires: 'mremap',
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.mremap(mm, BASE + 32 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE), -EFAULT, 'nothing mapped');
      assert.equal(as.mremap(mm, BASE, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE), -EFAULT, 'past the VMA');
      assert.equal(as.mremap(mm, BASE + 1, PAGE, PAGE, 0), -EINVAL, 'an unaligned address');
      assert.equal(as.mremap(mm, BASE, PAGE, PAGE, 4), -EINVAL, 'unknown flags');
      assert.equal(as.mremap(mm, BASE, PAGE, PAGE, MREMAP_FIXED, BASE + 8 * PAGE), -EINVAL, 'MREMAP_FIXED without MREMAP_MAYMOVE');
      assert.equal(as.mremap(mm, BASE, PAGE, 0, 0), -EINVAL, 'new size 0');
      assert.equal(as.mremap(mm, BASE, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, BASE - PAGE), -EINVAL, 'an overlapping target');
    },
  },
  {
    name: 'brk grows and shrinks, and returns the current break when it cannot move',
    rules: ['mmap.brk.old-break'],
    run(ctx) {
      const start = 0x555555560000;
      const { as, mm } = boot(ctx, { startBrk: start, brk: start, rlimitData: 64 * PAGE });
      assert.equal(as.brk(mm, 0), start, 'brk(0)');
      assert.equal(as.brk(mm, start + 5000), start + 5000, 'an unaligned break');
      assert.equal(as.brk(mm, start + 100 * PAGE), start + 5000, 'past RLIMIT_DATA');
      assert.equal(as.brk(mm, start - PAGE), start + 5000, 'below start_brk');
      mapAt(as, mm, start + 10 * PAGE, PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.brk(mm, start + 10 * PAGE), start + 5000, 'into the next mapping (a page must stay free)');
      assert.equal(as.brk(mm, start + 9 * PAGE), start + 9 * PAGE, 'up to a page below it');
      assert.equal(as.brk(mm, start + PAGE), start + PAGE, 'shrinking');
      assert.deepEqual(lines(as, mm), ['555555560000-555555561000 rw-p 0 [heap]', '55555556a000-55555556b000 rw-p 0']);
    },
  },
  {
    name: 'madvise flag advice splits and merges VMAs',
    rules: ['mmap.madvise.behavior'],
    requires: 'madvise',
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 8 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.madvise(mm, BASE + 2 * PAGE, 2 * PAGE, MADV_RANDOM), 0);
      assert.equal(vmaCount(as, mm), 3, 'MADV_RANDOM in the middle');
      assert.equal(as.madvise(mm, BASE + 2 * PAGE, 2 * PAGE, MADV_SEQUENTIAL), 0);
      assert.equal(vmaCount(as, mm), 3, 'MADV_SEQUENTIAL on the same pages');
      assert.equal(as.madvise(mm, BASE, 8 * PAGE, MADV_NORMAL), 0);
      assert.equal(vmaCount(as, mm), 1, 'MADV_NORMAL over all: one VMA again');
      assert.equal(as.madvise(mm, BASE + 7 * PAGE, PAGE, MADV_DONTFORK), 0);
      assert.equal(vmaCount(as, mm), 2, 'MADV_DONTFORK on the last page');
    },
  },
  {
    name: 'madvise EINVAL and ENOMEM',
    rules: ['mmap.madvise.errors'],
    requires: 'madvise',
    run(ctx) {
      const { as, mm } = boot(ctx);
      mapAt(as, mm, BASE, 8 * PAGE, RW, ANON | MAP_FIXED);
      assert.equal(as.madvise(mm, BASE + 1, PAGE, MADV_NORMAL), -EINVAL, 'an unaligned address');
      assert.equal(as.madvise(mm, BASE, PAGE, 1234), -EINVAL, 'unknown advice');
      assert.equal(as.madvise(mm, BASE + 6 * PAGE, 4 * PAGE, MADV_RANDOM), -ENOMEM, 'past the mapping');
      assert.equal(vmaCount(as, mm), 2, 'the mapped part was advised');
      assert.equal(as.madvise(mm, BASE + 32 * PAGE, PAGE, MADV_NORMAL), -ENOMEM, 'nothing mapped');
    },
  },
  {
    name: '/proc/PID/maps lines in Linux format, from a maps text and back',
    rules: ['mmap.maps.format'],
    run(ctx) {
      const { as } = boot(ctx);
      const text = '555555554000-555555558000 r--p 00000000 fe:00 260638                     /usr/bin/mawk\n'
        + '555555558000-555555571000 r-xp 00004000 fe:00 260638                     /usr/bin/mawk\n'
        + '7ffff7fb9000-7ffff7fc0000 r--s 00000000 fe:00 338846                     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\n'
        + '7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0 \n'
        + '7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n';
      const mm = as.mmCreateFromMaps(text, { startBrk: 0x555555600000, brk: 0x555555600000 });
      assert.equal(formatMaps(as.maps(mm)), text);
      as.fdInstall(mm, 3, file());
      mapAt(as, mm, 0x100000000, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 3, 0x10000);
      // The path starts at column 73.
      assert.equal(formatMaps(as.maps(mm)).split('\n')[0], `100000000-100002000 r--p 00010000 08:01 1234${' '.repeat(29)}/data/file`);
    },
  },
];

import { describe, expect, it } from 'vitest';
import { MapsParseError, formatMaps, formatMapsLine, parseMaps } from './proc-maps.js';

// /proc/PID/maps of mawk on x86-64 (setarch -R), as Linux printed it.
const MAWK = `555555554000-555555558000 r--p 00000000 fe:00 260638                     /usr/bin/mawk
55555557c000-55555558f000 rw-p 00000000 00:00 0 
7ffff7fb9000-7ffff7fc0000 r--s 00000000 fe:00 338846                     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache
7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]
7ffff7ffb000-7ffff7ffd000 r--p 00031000 fe:00 338944                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;

describe('/proc/PID/maps lines', () => {
  it('parses and prints back Linux text byte for byte', () => {
    const entries = parseMaps(MAWK);
    expect(entries).toHaveLength(7);
    expect(entries[0]).toEqual({ start: 0x555555554000, end: 0x555555558000, read: true, write: false, exec: false, mayshare: false, offset: 0, major: 0xfe, minor: 0, inode: 260638, name: '/usr/bin/mawk' });
    expect(entries[2].mayshare).toBe(true);
    expect(entries[4].offset).toBe(0x31000);
    expect(entries[6].start).toBe(0xffffffffff600000);
    expect(formatMaps(entries)).toBe(MAWK);
  });

  it('pads the name to column 73 and ends a nameless line with the space after the inode', () => {
    const line = formatMapsLine({ start: 0x1000, end: 0x2000, read: true, write: true, exec: false, mayshare: false, offset: 0x10000, major: 8, minor: 1, inode: 42, name: '/a' });
    expect(line).toBe(`00001000-00002000 rw-p 00010000 08:01 42${' '.repeat(73 - 40)}/a\n`);
    expect(line.indexOf('/a')).toBe(73);
    expect(formatMapsLine({ start: 0x1000, end: 0x2000, read: false, write: false, exec: false, mayshare: true, offset: 0, major: 0, minor: 0, inode: 0, name: '' })).toBe('00001000-00002000 ---s 00000000 00:00 0 \n');
  });

  it('names the line of a malformed text', () => {
    expect(() => parseMaps('00001000-00002000 rw-p 00000000 00:00 0 \nnonsense\n')).toThrow(new MapsParseError(2, 'not a /proc/PID/maps line: "nonsense"'));
    expect(() => parseMaps('00002000-00001000 rw-p 00000000 00:00 0 \n')).toThrow(/line 1: end 00001000 is not above start/);
    expect(() => parseMaps('00001001-00002000 rw-p 00000000 00:00 0 \n')).toThrow(/page-aligned/);
  });
});

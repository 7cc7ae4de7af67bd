/**
 * Linux errno values (include/uapi/asm-generic/errno-base.h and errno.h, x86-64).
 * Kernel functions that return -errno in Linux return the negative of these values.
 */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, EIDRM: 43, ENOSTR: 60, ENODATA: 61, ETIME: 62, ENOSR: 63, EOVERFLOW: 75,
  EBADFD: 77, EILSEQ: 84, EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ETIMEDOUT: 110,
  EALREADY: 114, EINPROGRESS: 115, EDQUOT: 122, ECANCELED: 125, EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131, EHWPOISON: 133,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** strerror(3) texts, as glibc prints them (strace shows these). */
const MESSAGES: Partial<Record<ErrnoName, string>> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', ESRCH: 'No such process',
  EINTR: 'Interrupted system call', EIO: 'Input/output error', ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long', ENOEXEC: 'Exec format error', EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied', EFAULT: 'Bad address', EBUSY: 'Device or resource busy',
  EEXIST: 'File exists', ENODEV: 'No such device', ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory', EINVAL: 'Invalid argument', ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files', EFBIG: 'File too large', ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system', ERANGE: 'Numerical result out of range',
  ENOSYS: 'Function not implemented', ELOOP: 'Too many levels of symbolic links',
  EOVERFLOW: 'Value too large for defined data type', EOPNOTSUPP: 'Operation not supported',
  ETIMEDOUT: 'Connection timed out', EHWPOISON: 'Memory page has hardware error',
};

const BY_VALUE = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, value]) => [value, name]),
);

/** The name of an errno value (positive or negative), or undefined when Linux has none. */
export function errnoName(value: number): ErrnoName | undefined {
  return BY_VALUE.get(Math.abs(value));
}

export function strerror(value: number): string {
  const name = errnoName(value);
  return (name && MESSAGES[name]) ?? (name ? name : `Unknown error ${Math.abs(value)}`);
}

/** True when a kernel-style return value is an error (-4095..-1), as IS_ERR_VALUE(). */
export function isErrorValue(ret: number): boolean {
  return ret < 0 && ret >= -4095;
}

/** The error shape the user-facing process API throws: like Node's system errors. */
export interface SyscallError extends Error {
  code: ErrnoName;
  errno: number;
  syscall: string;
}

export function syscallError(syscall: string, ret: number): SyscallError {
  const code = errnoName(ret);
  if (!code) throw new Error(`kernel bug: ${syscall} returned ${ret}, which is not an errno`);
  const err = new Error(`${code}: ${strerror(ret)}, ${syscall}`) as SyscallError;
  err.code = code;
  err.errno = -Math.abs(ret);
  err.syscall = syscall;
  return err;
}

/**
 * /proc/PID/status of 4.17 (fs/proc/array.c: proc_pid_status()): task_name(), the lines of
 * task_state() this simulator knows (the pid, the parent, one thread), then task_mem() of
 * fs/proc/task_mmu.c line for line (VmPeak ... VmSwap, each "%8lu kB") and
 * hugetlb_report_usage(). Credentials, signals, capabilities, seccomp and CPU lists are not
 * modelled and not shown.
 */
import type { MmInfo } from '@mmkit/core';

const PAGE_SIZE = 4096;

/** seq_put_decimal_ull_width(m, delimiter, num, 8). */
function width8(n: number): string {
  return String(n).padStart(8, ' ');
}

/** task_mem() (fs/proc/task_mmu.c of 4.17). */
export function renderTaskMem(mm: MmInfo): string {
  const anon = mm.anonRss;
  const file = mm.fileRss;
  const shmem = mm.shmemRss;
  // hiwater_vm and hiwater_rss are raised only before they would drop: the max with now.
  const totalVm = mm.totalVm;
  const hiwaterVm = Math.max(totalVm, mm.hiwaterVm);
  const totalRss = anon + file + shmem;
  const hiwaterRss = Math.max(totalRss, mm.hiwaterRss);
  // Split executable areas between text and lib.
  const endCodeAligned = Math.ceil(mm.endCode / PAGE_SIZE) * PAGE_SIZE;
  let text = Math.max(0, endCodeAligned - (mm.startCode - (mm.startCode % PAGE_SIZE)));
  text = Math.min(text, mm.execVm * PAGE_SIZE);
  const lib = mm.execVm * PAGE_SIZE - text;
  const kb = (pages: number) => width8(pages * 4);
  return (
    `VmPeak:\t${kb(hiwaterVm)} kB\n`
    + `VmSize:\t${kb(totalVm)} kB\n`
    + `VmLck:\t${kb(mm.lockedVm)} kB\n`
    + `VmPin:\t${kb(mm.pinnedVm)} kB\n`
    + `VmHWM:\t${kb(hiwaterRss)} kB\n`
    + `VmRSS:\t${kb(totalRss)} kB\n`
    + `RssAnon:\t${kb(anon)} kB\n`
    + `RssFile:\t${kb(file)} kB\n`
    + `RssShmem:\t${kb(shmem)} kB\n`
    + `VmData:\t${kb(mm.dataVm)} kB\n`
    + `VmStk:\t${kb(mm.stackVm)} kB\n`
    + `VmExe:\t${width8(Math.floor(text / 1024))} kB\n`
    + `VmLib:\t${width8(Math.floor(lib / 1024))} kB\n`
    + `VmPTE:\t${width8(Math.floor(mm.pgtablesBytes / 1024))} kB\n`
    + `VmSwap:\t${kb(mm.swapEnts)} kB\n`
  );
}

export interface TaskStatus {
  readonly name: string;
  readonly pid: number;
  readonly ppid: number;
}

/** proc_pid_status() as far as it is modelled. */
export function renderPidStatus(task: TaskStatus, mm: MmInfo): string {
  return (
    `Name:\t${task.name.slice(0, 15)}\n` // comm: TASK_COMM_LEN - 1
    + 'State:\tR (running)\n'
    + `Tgid:\t${task.pid}\n`
    + `Pid:\t${task.pid}\n`
    + `PPid:\t${task.ppid}\n`
    + renderTaskMem(mm)
    + `HugetlbPages:\t${width8(0)} kB\n`
    + 'Threads:\t1\n'
  );
}

/**
 * Simulated time, CPUs, timers and work queues (kernel/time/timer.c, kernel/workqueue.c).
 *
 * Time is jiffies; nothing happens between events. Events run in a deterministic order
 * (expiry, then the order they were armed). A work item runs on a CPU, and while it runs
 * that CPU is "current" (smp_processor_id()).
 */
export const WORK_CPU_UNBOUND = -1;

/** CONFIG_HZ: 250 as most x86-64 distribution kernels. */
export const DEFAULT_HZ = 250;

export interface WorkStruct {
  readonly name: string;
  readonly func: (work: WorkStruct) => void;
  /** WORK_STRUCT_PENDING. */
  pending: boolean;
  /** The CPU it last ran on (-1 before it ran). */
  lastCpu: number;
}

export interface DelayedWork extends WorkStruct {
  /** dwork->cpu: the CPU given to queue_delayed_work_on(), or WORK_CPU_UNBOUND. */
  cpu: number;
  /** The armed timer's id, or 0. */
  timer: number;
}

export function initWork(name: string, func: (work: WorkStruct) => void): WorkStruct {
  return { name, func, pending: false, lastCpu: -1 };
}

export function initDelayedWork(name: string, func: (work: WorkStruct) => void): DelayedWork {
  return { name, func, pending: false, lastCpu: -1, cpu: WORK_CPU_UNBOUND, timer: 0 };
}

interface Timer {
  id: number;
  expires: number;
  seq: number;
  cpu: number;
  fn: () => void;
}

export interface SchedulerOptions {
  nrCpus: number;
  hz?: number;
  /** /sys/devices/virtual/workqueue/cpumask: CPUs unbound work may run on (default: all). */
  unboundCpumask?: readonly number[];
  /** workqueue.debug_force_rr_cpu: unbound work goes round-robin instead of staying local. */
  debugForceRrCpu?: boolean;
}

export class Scheduler {
  readonly nrCpus: number;
  readonly hz: number;
  jiffies = 0;
  /** smp_processor_id() of whatever runs now. */
  currentCpu = 0;
  debugForceRrCpu: boolean;
  unboundCpumask: boolean[];
  readonly online: boolean[];
  private readonly timers: Timer[] = [];
  private nextTimerId = 1;
  private seq = 0;
  private readonly pendingWork: WorkStruct[][];
  /** wq_rr_cpu_last, per CPU. */
  private readonly rrCpuLast: Int32Array;

  constructor(options: SchedulerOptions) {
    if (!Number.isInteger(options.nrCpus) || options.nrCpus < 1 || options.nrCpus > 4096) {
      throw new RangeError(`nrCpus must be an integer in [1, 4096], got ${options.nrCpus}`);
    }
    this.nrCpus = options.nrCpus;
    this.hz = options.hz ?? DEFAULT_HZ;
    if (!Number.isInteger(this.hz) || this.hz < 1 || this.hz > 10000) throw new RangeError(`hz must be an integer in [1, 10000], got ${String(options.hz)}`);
    const mask = options.unboundCpumask;
    if (mask !== undefined && (!Array.isArray(mask) || !mask.every((c) => this.validCpu(c)))) {
      throw new RangeError(`unboundCpumask must list CPUs in [0, ${this.nrCpus - 1}], got ${JSON.stringify(mask)}`);
    }
    this.debugForceRrCpu = options.debugForceRrCpu ?? false;
    this.online = new Array<boolean>(this.nrCpus).fill(true);
    this.unboundCpumask = new Array<boolean>(this.nrCpus).fill(options.unboundCpumask === undefined);
    for (const cpu of options.unboundCpumask ?? []) this.unboundCpumask[cpu] = true;
    this.pendingWork = Array.from({ length: this.nrCpus }, () => []);
    this.rrCpuLast = new Int32Array(this.nrCpus); // per-cpu wq_rr_cpu_last starts at 0
  }

  msecsToJiffies(ms: number): number {
    return Math.ceil((ms * this.hz) / 1000);
  }

  /**
   * __round_jiffies_relative(j, cpu) (kernel/time/timer.c): round a relative timeout so that it
   * expires on a whole second, skewed by 3 jiffies per CPU; a timeout that would then expire
   * now or earlier is returned unchanged. Rounds down when less than a quarter second past.
   */
  roundJiffiesRelative(j: number, cpu: number = this.currentCpu): number {
    const now = this.jiffies;
    const original = j + now;
    let abs = original + cpu * 3;
    const rem = abs % this.hz;
    abs = rem < Math.floor(this.hz / 4) ? abs - rem : abs - rem + this.hz;
    abs -= cpu * 3;
    return (abs > now ? abs : original) - now;
  }

  /** True when `cpu` is a CPU of this machine (an integer in [0, nrCpus)). */
  validCpu(cpu: unknown): cpu is number {
    return typeof cpu === 'number' && Number.isInteger(cpu) && cpu >= 0 && cpu < this.nrCpus;
  }

  /** The RangeError for a CPU that does not exist, naming the CPUs that do (cold). */
  private noSuchCpu(fn: string, cpu: unknown): RangeError {
    const cpus = this.nrCpus === 1 ? 'CPU 0' : `CPUs 0-${this.nrCpus - 1}`;
    return new RangeError(`${fn}: CPU ${typeof cpu === 'number' ? String(cpu) : typeof cpu} does not exist (${cpus})`);
  }

  /** Run fn with `cpu` as the current CPU (a CPU that exists: per-cpu state is indexed by it). */
  onCpu<T>(cpu: number, fn: () => T): T {
    if (!this.validCpu(cpu)) throw this.noSuchCpu('onCpu', cpu);
    const saved = this.currentCpu;
    this.currentCpu = cpu;
    try {
      return fn();
    } finally {
      this.currentCpu = saved;
    }
  }

  /** add_timer_on(); add_timer() is addTimerOn(currentCpu, ...). Returns the timer id. */
  addTimerOn(cpu: number, expires: number, fn: () => void): number {
    if (!this.validCpu(cpu)) throw this.noSuchCpu('add_timer_on', cpu);
    if (typeof expires !== 'number' || Number.isNaN(expires)) throw new RangeError(`add_timer_on: expires must be a number of jiffies, got ${String(expires)}`);
    const timer: Timer = { id: this.nextTimerId++, expires, seq: this.seq++, cpu, fn };
    this.timers.push(timer);
    return timer.id;
  }

  delTimer(id: number): boolean {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** wq_select_unbound_cpu(). */
  selectUnboundCpu(cpu: number): number {
    if (!this.debugForceRrCpu && this.unboundCpumask[cpu]) return cpu;
    if (!this.unboundCpumask.some(Boolean)) return cpu;
    let next = -1;
    for (let c = this.rrCpuLast[cpu] + 1; c < this.nrCpus; c++) {
      if (this.unboundCpumask[c] && this.online[c]) {
        next = c;
        break;
      }
    }
    if (next < 0) next = this.unboundCpumask.findIndex((m, c) => m && this.online[c]);
    if (next < 0) return cpu;
    this.rrCpuLast[cpu] = next;
    return next;
  }

  /** __queue_work(): false when the work was already pending. */
  queueWorkOn(cpu: number, work: WorkStruct): boolean {
    if (cpu !== WORK_CPU_UNBOUND && !this.validCpu(cpu)) throw this.noSuchCpu('queue_work_on', cpu);
    if (work.pending) return false;
    work.pending = true;
    this.enqueue(cpu, work);
    return true;
  }

  /** queue_work() / schedule_work(): WORK_CPU_UNBOUND. */
  queueWork(work: WorkStruct): boolean {
    return this.queueWorkOn(WORK_CPU_UNBOUND, work);
  }

  private enqueue(cpu: number, work: WorkStruct): void {
    const target = cpu === WORK_CPU_UNBOUND ? this.selectUnboundCpu(this.currentCpu) : cpu;
    if (target < 0 || target >= this.nrCpus) throw new RangeError(`work ${work.name} queued on CPU ${target}, which does not exist`);
    this.pendingWork[target].push(work);
  }

  /** queue_delayed_work_on() / schedule_delayed_work_on(). */
  queueDelayedWorkOn(cpu: number, dwork: DelayedWork, delay: number): boolean {
    if (cpu !== WORK_CPU_UNBOUND && !this.validCpu(cpu)) throw this.noSuchCpu('queue_delayed_work_on', cpu);
    if (typeof delay !== 'number' || Number.isNaN(delay)) throw new RangeError(`queue_delayed_work_on: delay must be a number of jiffies, got ${String(delay)}`);
    if (dwork.pending) return false;
    dwork.pending = true;
    dwork.cpu = cpu;
    if (delay <= 0) {
      this.enqueue(cpu, dwork);
      return true;
    }
    // add_timer_on(timer, cpu) for a bound work, add_timer() (the local CPU) for unbound.
    const timerCpu = cpu === WORK_CPU_UNBOUND ? this.currentCpu : cpu;
    dwork.timer = this.addTimerOn(timerCpu, this.jiffies + delay, () => {
      dwork.timer = 0;
      this.enqueue(dwork.cpu, dwork); // delayed_work_timer_fn() on the timer's CPU
    });
    return true;
  }

  /** queue_delayed_work() / schedule_delayed_work(): WORK_CPU_UNBOUND. */
  queueDelayedWork(dwork: DelayedWork, delay: number): boolean {
    return this.queueDelayedWorkOn(WORK_CPU_UNBOUND, dwork, delay);
  }

  cancelDelayedWork(dwork: DelayedWork): boolean {
    if (!dwork.pending) return false;
    if (dwork.timer) this.delTimer(dwork.timer);
    dwork.timer = 0;
    for (const queue of this.pendingWork) {
      const i = queue.indexOf(dwork);
      if (i >= 0) queue.splice(i, 1);
    }
    dwork.pending = false;
    return true;
  }

  /** Run every queued work item, CPU by CPU, until none is left. */
  runPendingWork(): void {
    for (let guard = 0; ; guard++) {
      let ran = false;
      for (let cpu = 0; cpu < this.nrCpus; cpu++) {
        const queue = this.pendingWork[cpu];
        while (queue.length > 0) {
          const work = queue.shift()!;
          work.pending = false;
          work.lastCpu = cpu;
          this.onCpu(cpu, () => work.func(work));
          ran = true;
        }
      }
      if (!ran) return;
      if (guard > 1_000_000) throw new Error('kernel bug: work items requeue themselves without end');
    }
  }

  /** Advance time to `until` (jiffies), firing timers and running work in order. */
  runUntil(until: number): void {
    if (typeof until !== 'number' || !Number.isFinite(until)) throw new RangeError(`runUntil: until must be a finite number of jiffies, got ${String(until)}`);
    this.runPendingWork();
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.timers.length; i++) {
        const t = this.timers[i];
        if (t.expires > until) continue;
        if (best < 0 || t.expires < this.timers[best].expires || (t.expires === this.timers[best].expires && t.seq < this.timers[best].seq)) best = i;
      }
      if (best < 0) break;
      const timer = this.timers.splice(best, 1)[0];
      this.jiffies = Math.max(this.jiffies, timer.expires);
      this.onCpu(timer.cpu, timer.fn);
      this.runPendingWork();
    }
    this.jiffies = Math.max(this.jiffies, until);
  }

  /** Advance time by `ticks` jiffies. */
  advance(ticks: number): void {
    this.runUntil(this.jiffies + ticks);
  }
}

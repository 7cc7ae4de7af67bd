import { describe, expect, it } from 'vitest';
import { Scheduler, WORK_CPU_UNBOUND, initDelayedWork, initWork } from './sched.js';

describe('work queues (kernel/workqueue.c)', () => {
  it('unbound work runs on the local CPU when it is in the unbound cpumask', () => {
    const s = new Scheduler({ nrCpus: 4 });
    const ran: number[] = [];
    const w = initWork('w', () => ran.push(s.currentCpu));
    s.onCpu(2, () => s.queueWork(w));
    s.runPendingWork();
    expect(ran).toEqual([2]);
  });

  it('debug_force_rr_cpu sends unbound work round-robin (wq_select_unbound_cpu)', () => {
    const s = new Scheduler({ nrCpus: 4, debugForceRrCpu: true });
    const ran: number[] = [];
    const w = initWork('w', () => ran.push(s.currentCpu));
    for (let i = 0; i < 6; i++) {
      s.onCpu(0, () => s.queueWork(w));
      s.runPendingWork();
    }
    expect(ran).toEqual([1, 2, 3, 0, 1, 2]);
  });

  it('a CPU outside the unbound cpumask hands unbound work to one inside it', () => {
    const s = new Scheduler({ nrCpus: 4, unboundCpumask: [2, 3] });
    const ran: number[] = [];
    const w = initWork('w', () => ran.push(s.currentCpu));
    s.onCpu(0, () => s.queueWork(w));
    s.runPendingWork();
    expect(ran).toEqual([2]);
  });

  it('queueing pending work again returns false', () => {
    const s = new Scheduler({ nrCpus: 1 });
    const w = initWork('w', () => undefined);
    expect(s.queueWorkOn(0, w)).toBe(true);
    expect(s.queueWorkOn(0, w)).toBe(false);
    s.runPendingWork();
    expect(s.queueWorkOn(0, w)).toBe(true);
  });

  it('delayed work fires after its delay on the CPU it was bound to', () => {
    const s = new Scheduler({ nrCpus: 2, hz: 100 });
    const runs: [number, number][] = [];
    const dw = initDelayedWork('reap', () => {
      runs.push([s.jiffies, s.currentCpu]);
      s.queueDelayedWorkOn(s.currentCpu, dw, 200);
    });
    s.queueDelayedWorkOn(1, dw, 200);
    s.runUntil(1000);
    expect(runs).toEqual([[200, 1], [400, 1], [600, 1], [800, 1], [1000, 1]]);
  });

  it('re-armed unbound delayed work wanders under debug_force_rr_cpu', () => {
    const s = new Scheduler({ nrCpus: 4, hz: 100, debugForceRrCpu: true });
    const cpus: number[] = [];
    const dw = initDelayedWork('reap', () => {
      cpus.push(s.currentCpu);
      s.queueDelayedWork(dw, 200);
    });
    s.queueDelayedWorkOn(0, dw, 200);
    s.runUntil(2000);
    expect(new Set(cpus).size).toBeGreaterThan(1);
    expect(dw.cpu).toBe(WORK_CPU_UNBOUND);
  });

  it('cancelDelayedWork stops a pending timer', () => {
    const s = new Scheduler({ nrCpus: 1 });
    let n = 0;
    const dw = initDelayedWork('x', () => n++);
    s.queueDelayedWork(dw, 10);
    expect(s.cancelDelayedWork(dw)).toBe(true);
    s.runUntil(100);
    expect(n).toBe(0);
  });

  it('refuses a CPU count out of range', () => {
    expect(() => new Scheduler({ nrCpus: 0 })).toThrow(/nrCpus/);
  });
});

describe('round_jiffies_relative (kernel/time/timer.c)', () => {
  it('expires on a whole second, 3 jiffies earlier per CPU', () => {
    const s = new Scheduler({ nrCpus: 4, hz: 250 });
    expect(s.roundJiffiesRelative(250, 0)).toBe(250);
    expect(s.roundJiffiesRelative(250, 1)).toBe(247);
    s.runUntil(247);
    expect(s.roundJiffiesRelative(500, 1)).toBe(500); // 747 = 3 s - 3 jiffies
  });

  it('rounds down within a quarter second, up beyond it', () => {
    const s = new Scheduler({ nrCpus: 1, hz: 250 });
    s.runUntil(40);
    expect(s.roundJiffiesRelative(500, 0)).toBe(460); // 540 → 500
    s.runUntil(100);
    expect(s.roundJiffiesRelative(500, 0)).toBe(650); // 600 → 750
  });

  it('keeps a timeout that rounding would make expire now', () => {
    const s = new Scheduler({ nrCpus: 1, hz: 250 });
    s.runUntil(10);
    expect(s.roundJiffiesRelative(20, 0)).toBe(20); // 30 would round to 0
  });
});

describe('CPU numbers are checked (issue 10 item 10)', () => {
  it('onCpu, queue_work_on, queue_delayed_work_on and add_timer_on take a CPU that exists', () => {
    const s = new Scheduler({ nrCpus: 2 });
    const w = initWork('w', () => undefined);
    for (const cpu of [-1, 1.5, 2, 99, NaN]) {
      expect(() => s.onCpu(cpu, () => 0)).toThrow(new RangeError(`onCpu: CPU ${cpu} does not exist (CPUs 0-1)`));
      expect(() => s.addTimerOn(cpu, 1, () => undefined)).toThrow(/add_timer_on: CPU .* does not exist \(CPUs 0-1\)/);
    }
    expect(s.currentCpu).toBe(0);
    expect(() => s.queueWorkOn(5, w)).toThrow(/queue_work_on: CPU 5 does not exist/);
    expect(w.pending).toBe(false);
    expect(() => s.queueDelayedWorkOn(-2, initDelayedWork('d', () => undefined), 1)).toThrow(/queue_delayed_work_on: CPU -2/);
    expect(() => s.queueDelayedWorkOn(WORK_CPU_UNBOUND, initDelayedWork('d', () => undefined), NaN)).toThrow(/delay must be a number/);
    expect(() => s.runUntil(NaN)).toThrow(/runUntil: until must be a finite number/);
    expect(() => new Scheduler({ nrCpus: 1 }).onCpu(1, () => 0)).toThrow('onCpu: CPU 1 does not exist (CPU 0)');
    expect(() => new Scheduler({ nrCpus: 2, unboundCpumask: [0, 2] })).toThrow(/unboundCpumask must list CPUs in \[0, 1\]/);
    expect(() => new Scheduler({ nrCpus: 2, hz: NaN })).toThrow(/hz must be an integer/);
  });
});

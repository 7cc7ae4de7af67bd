/** The measured figures of a report (throughput, fragmentation) as sentences, shared by the text and HTML formats. */
import type { GradeReport, HostMachine, ThroughputMethod } from '../grader/types.js';
import { hostLabel } from '../grader/bench.js';

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1.20× the reference" (or '' without a reference). */
export function ratioText(value: number, reference: number | undefined): string {
  if (reference === undefined || !(reference > 0)) return '';
  return `${(value / reference).toFixed(2)}× the reference`;
}

/** "1 GiB, 1 node, 1 CPU; median of 5 rounds of 30 ms after 100 ms warm-up; AMD EPYC ×2, node v20.20.2, linux x64". */
export function measuredOn(machine: string, method: ThroughputMethod | undefined, host: HostMachine | undefined): string {
  const parts = [machine];
  if (method) parts.push(`median of ${method.rounds} rounds of ${method.roundMs} ms after ${method.warmupMs} ms warm-up`);
  if (host) parts.push(hostLabel(host));
  return parts.join('; ');
}

/** One line per figure the report carries. */
export function figureLines(report: GradeReport): string[] {
  const lines: string[] = [];
  const pair = (name: string, value: number, ref: number | undefined) => {
    const r = ratioText(value, ref);
    return `${name} ${count(value)} alloc+free/s${r ? ` (${r})` : ''}`;
  };
  const how = (method: ThroughputMethod | undefined, host: HostMachine | undefined, reference: boolean) => {
    const parts = [host ? `measured on ${hostLabel(host)}` : 'measured'];
    if (method) parts.push(`the median of ${method.rounds} rounds of ${method.roundMs} ms after ${method.warmupMs} ms warm-up${reference ? ", the reference's rounds interleaved" : ''}`);
    return `  ${parts.join(': ')}`;
  };
  if (report.throughput) {
    const t = report.throughput;
    lines.push(`throughput (${t.machine}): ${pair('order-0', t.order0OpsPerSec, t.reference?.order0OpsPerSec)}, ${pair('order-3', t.order3OpsPerSec, t.reference?.order3OpsPerSec)}`);
    if (t.method || t.host) lines.push(how(t.method, t.host, !!t.reference));
  }
  if (report.slabThroughput) {
    const t = report.slabThroughput;
    lines.push(`throughput (${t.machine}): ${pair('kmem_cache', t.cacheOpsPerSec, t.reference?.cacheOpsPerSec)}, ${pair('kmalloc', t.kmallocOpsPerSec, t.reference?.kmallocOpsPerSec)}`);
    if (t.method || t.host) lines.push(how(t.method, t.host, !!t.reference));
  }
  if (report.fragmentation) {
    const f = report.fragmentation;
    const ref = f.reference ? ` (reference ${f.reference.unusableFreeIndex.value.toFixed(3)}${f.reference.allocationHash && f.reference.allocationHash === f.allocationHash ? ', the same allocations as the reference' : ''})` : '';
    lines.push(
      `fragmentation (${f.machine}, ${f.steps} random steps, seed ${f.seed}): ${f.freePages} free pages, largest free order ${f.largestFreeOrder}, unusable free space index (order ${f.unusableFreeIndex.order}) ${f.unusableFreeIndex.value.toFixed(3)}${ref}`,
    );
  }
  if (report.slabFragmentation) {
    const f = report.slabFragmentation;
    const full = (s: { activeObjs: number; numObjs: number }) => (s.numObjs ? `${((s.activeObjs / s.numObjs) * 100).toFixed(1)}%` : '-');
    const refs = (f.references ?? []).map((r) => `${r.implementation} ${full(r)} in ${count(r.slabPages)} pages${r.allocationHash === f.allocationHash && r.stateHash === f.stateHash ? ', the same allocations' : ''}`);
    lines.push(
      `object workload (${f.machine}, ${f.steps} random steps, seed ${f.seed}): ${count(f.activeObjs)} of ${count(f.numObjs)} objects in use (${full(f)}) in ${count(f.slabPages)} slab pages${refs.length ? ` (${refs.join('; ')})` : ''}`,
    );
  }
  return lines;
}

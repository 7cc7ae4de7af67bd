/** Messages between the grader and its worker. */
import type { CaseResult } from '../suite.js';
import type { ContractId, Fragmentation, SlabThroughput, Throughput } from './types.js';

export interface WorkerInput {
  readonly contract: ContractId;
  readonly module?: string;
  readonly mutant?: string;
  readonly cwd: string;
  readonly bench: boolean;
  readonly propertyRuns?: number;
  readonly seed?: number;
  readonly replayPath?: string;
  readonly filter?: string;
}

export type FromWorker =
  | { type: 'start'; implementation: string; supports: Record<string, boolean> }
  | { type: 'case'; result: CaseResult }
  | { type: 'bench'; throughput?: Throughput; fragmentation?: Fragmentation; slabThroughput?: SlabThroughput }
  | { type: 'done' }
  | { type: 'fatal'; message: string; load?: boolean };

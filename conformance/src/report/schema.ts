/**
 * The JSON report's schema (`mmkit grade --json`, formatJson()): a GradeReport with a
 * `schemaVersion`. The version changes when a field is removed, renamed or changes meaning;
 * new optional fields keep it. Published as conformance/schema/grade-report.schema.json
 * (generated from this file and checked by a test).
 */
import type { JsonSchema } from './json-schema.js';

export const REPORT_SCHEMA_VERSION = 1;

const int = (minimum = 0): JsonSchema => ({ type: 'integer', minimum });
const num = (minimum = 0): JsonSchema => ({ type: 'number', minimum });
const str: JsonSchema = { type: 'string' };
const ints: JsonSchema = { type: 'array', items: { type: 'integer' } };
const object = (properties: Record<string, JsonSchema>, required: string[], description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required,
  additionalProperties: false,
});

const host = object(
  {
    cpuModel: { type: 'string', description: "os.cpus()[0].model ('unknown CPU' when hidden)" },
    cpus: int(1),
    node: { type: 'string', description: 'process.version' },
    platform: str,
    arch: str,
  },
  ['cpuModel', 'cpus', 'node', 'platform', 'arch'],
  'The host the figures were measured on.',
);

const method = object({ warmupMs: num(), rounds: int(1), roundMs: num() }, ['warmupMs', 'rounds', 'roundMs'], 'Warm-up, then the median of `rounds` rounds of `roundMs`.');

const pageblocks = object(
  {
    startPfn: int(),
    pagesPerBlock: int(1),
    migratetype: { type: 'array', items: { type: 'integer', minimum: -1 }, description: 'MIGRATE_* of each pageblock (0 unmovable, 1 movable, 2 reclaimable, 3 highatomic, 4 CMA, 5 isolate; -1 in no zone)' },
    freePages: ints,
    mixed: { type: 'array', items: { enum: [0, 1] }, description: '1: the block holds an allocation of another migratetype' },
  },
  ['startPfn', 'pagesPerBlock', 'migratetype', 'freePages', 'mixed'],
  'The pageblocks after the fragmentation workload.',
);

const fragmentationState: Record<string, JsonSchema> = {
  freePages: int(),
  largestFreeOrder: int(-1),
  freeBlocksPerOrder: ints,
  unusableFreeIndex: object({ order: int(), value: { type: 'number', minimum: 0, maximum: 1 } }, ['order', 'value']),
  allocationHash: { type: 'string', pattern: '^[0-9a-f]{8}$', description: 'FNV-1a of every pfn the workload was given, in order' },
  pageblocks: { $ref: '#/$defs/pageblocks' },
};
const fragmentationRequired = ['freePages', 'largestFreeOrder', 'freeBlocksPerOrder', 'unusableFreeIndex'];

const hash = (description: string): JsonSchema => ({ type: 'string', pattern: '^[0-9a-f]{8}$', description });
const slabFragmentationState: Record<string, JsonSchema> = {
  activeObjs: int(),
  numObjs: int(),
  slabPages: int(),
  allocationHash: hash('FNV-1a of every object address the workload was given, in order'),
  stateHash: hash("FNV-1a of every cache's slabinfo and each zone's free pages after the workload"),
};
const slabFragmentationRequired = Object.keys(slabFragmentationState);

export const GRADE_REPORT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'grade-report.schema.json',
  title: 'mmkit grade report',
  description: 'The report of `mmkit grade --json` (formatJson() of @mmkit/conformance): verdicts per rule, a score, the cases run and the figures measured.',
  type: 'object',
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    contract: { type: 'string', description: "The contract's id (page-allocator, slab-allocator, ...)" },
    implementation: { type: 'string', description: "The implementation's name or what was asked for" },
    mutant: str,
    supports: { type: 'object', additionalProperties: { type: 'boolean' }, description: 'The optional features the implementation declares' },
    rules: { type: 'array', items: { $ref: '#/$defs/rule' } },
    score: { $ref: '#/$defs/score' },
    cases: { type: 'array', items: { $ref: '#/$defs/case' } },
    throughput: { $ref: '#/$defs/throughput' },
    fragmentation: { $ref: '#/$defs/fragmentation' },
    slabThroughput: { $ref: '#/$defs/slabThroughput' },
    slabFragmentation: { $ref: '#/$defs/slabFragmentation' },
    error: { type: 'string', description: 'A run-level problem: load failure, timeout, crash' },
    loadError: { type: 'string', description: 'The module could not be loaded: what is wrong and how to fix it (the CLI exits 2)' },
    fingerprint: object(
      { allocationHash: str, referenceAllocationHash: str, reference: { type: 'string', description: 'The reference implementation compared: the one matched, else the default' }, sameAsReference: { type: 'boolean' } },
      ['allocationHash', 'referenceAllocationHash', 'sameAsReference'],
      "A module's allocation decisions against the reference's under the fragmentation workload (page allocators) or the object workload (slab allocators): sameAsReference flags delegation to (or a copy of) a reference",
    ),
    sandbox: object(
      {
        layer: { enum: ['bwrap', 'permission'], description: 'bwrap (namespaces) or permission (Node\'s permission model), each under rlimits in a process group killed at the end' },
        limits: object({ memoryMb: int(1), addressSpaceMb: int(1), cpuSeconds: int(1), wallMs: num(), fileMb: int(1) }, ['memoryMb', 'addressSpaceMb', 'cpuSeconds', 'wallMs', 'fileMb']),
        violations: { type: 'array', items: str, description: 'What the submission tried that the grader ignored and counts against it (forged report lines, changed built-ins); any voids the run' },
        stdout: { type: 'string', description: 'What the submission printed on stdout (16 KiB at most), never read as a report' },
        stderr: { type: 'string', description: 'What the submission printed on stderr (16 KiB at most)' },
      },
      ['layer', 'limits', 'violations', 'stdout', 'stderr'],
      'How the submission was isolated (conformance/README.md, "The sandbox")',
    ),
    durationMs: num(),
  },
  required: ['schemaVersion', 'contract', 'implementation', 'rules', 'score', 'cases', 'durationMs'],
  additionalProperties: false,
  $defs: {
    rule: {
      type: 'object',
      properties: {
        id: str,
        text: str,
        source: {
          type: 'object',
          properties: { kind: { enum: ['changelog', 'man', 'doc', 'source', 'commit'] }, ref: str, entry: str, hash: str, release: str },
          required: ['kind', 'ref'],
          additionalProperties: false,
        },
        status: { enum: ['pass', 'fail', 'not-provided'] },
        failures: {
          type: 'array',
          items: { type: 'object', properties: { case: str, message: str, failure: { $ref: '#/$defs/failure' } }, required: ['case', 'message'], description: 'May carry further detail fields.' },
        },
        config: { type: 'object', description: 'The kernel configuration the rule holds under' },
      },
      required: ['id', 'text', 'source', 'status', 'failures'],
      additionalProperties: false,
    },
    score: object({ passed: int(), failed: int(), notProvided: int(), total: int(), percent: { type: 'number', minimum: 0, maximum: 100 } }, ['passed', 'failed', 'notProvided', 'total', 'percent']),
    case: {
      type: 'object',
      description: 'One case of the suite; a failed case may carry further detail fields.',
      properties: {
        name: str,
        rules: { type: 'array', items: str },
        status: { enum: ['pass', 'fail', 'not-provided'] },
        message: str,
        failure: { $ref: '#/$defs/failure' },
        ms: num(),
        notes: { type: 'array', items: str },
      },
      required: ['name', 'rules', 'status', 'message', 'ms'],
    },
    throughput: object(
      {
        machine: str,
        order0OpsPerSec: num(),
        order3OpsPerSec: num(),
        ms: num(),
        host: { $ref: '#/$defs/host' },
        method: { $ref: '#/$defs/method' },
        order0Rounds: { type: 'array', items: num() },
        order3Rounds: { type: 'array', items: num() },
        reference: object({ order0OpsPerSec: num(), order3OpsPerSec: num() }, ['order0OpsPerSec', 'order3OpsPerSec']),
      },
      ['machine', 'order0OpsPerSec', 'order3OpsPerSec', 'ms'],
      'Page-allocator alloc+free pairs per second.',
    ),
    slabThroughput: object(
      {
        machine: str,
        cacheOpsPerSec: num(),
        kmallocOpsPerSec: num(),
        ms: num(),
        host: { $ref: '#/$defs/host' },
        method: { $ref: '#/$defs/method' },
        cacheRounds: { type: 'array', items: num() },
        kmallocRounds: { type: 'array', items: num() },
        reference: object({ cacheOpsPerSec: num(), kmallocOpsPerSec: num() }, ['cacheOpsPerSec', 'kmallocOpsPerSec']),
      },
      ['machine', 'cacheOpsPerSec', 'kmallocOpsPerSec', 'ms'],
      'Object-allocator alloc+free pairs per second.',
    ),
    fragmentation: object(
      {
        machine: str,
        seed: { type: 'integer' },
        steps: int(),
        allocatedPages: int(),
        ...fragmentationState,
        reference: object(fragmentationState, fragmentationRequired),
      },
      ['machine', 'seed', 'steps', 'allocatedPages', ...fragmentationRequired],
      'The free lists and pageblocks after a seeded random workload.',
    ),
    slabFragmentation: object(
      {
        machine: str,
        seed: { type: 'integer' },
        steps: int(),
        ...slabFragmentationState,
        references: {
          type: 'array',
          items: object({ implementation: str, ...slabFragmentationState }, ['implementation', ...slabFragmentationRequired]),
          description: 'Each reference implementation (SLUB, then SLAB) under the same workload and seed',
        },
      },
      ['machine', 'seed', 'steps', ...slabFragmentationRequired],
      "The caches' slabinfo after a seeded random object workload (kmem_cache and kmalloc).",
    ),
    failure: {
      type: 'object',
      description: 'What a failing case carries beyond its message: the assertion (expected and actual in full) and a property\'s shrunk counterexample.',
      properties: {
        assertion: {
          type: 'object',
          properties: { operator: str, expected: str, actual: str, difference: str },
          required: ['operator'],
          additionalProperties: false,
        },
        property: {
          type: 'object',
          description: 'The shrunk input as the calls the suite made, with the seed and path that replay it',
          properties: { operations: { type: 'array', items: str }, seed: { type: 'integer' }, path: str, propertyRuns: int(), runs: int(), shrinks: int(), reproduced: { type: 'boolean' } },
          required: ['operations', 'seed', 'path'],
        },
      },
    },
    host,
    method,
    pageblocks,
  },
};

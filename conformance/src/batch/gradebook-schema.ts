/**
 * The gradebook's schema (`mmkit grade-batch`, `mmkit merge-reports`), published as
 * conformance/schema/gradebook.schema.json (generated from this file, checked by a test).
 * merge-reports checks every shard file against it before reading it.
 */
import type { JsonSchema } from '../report/json-schema.js';
import { GRADEBOOK_SCHEMA_VERSION } from './gradebook.js';

const int = (minimum = 0): JsonSchema => ({ type: 'integer', minimum });
const str: JsonSchema = { type: 'string' };

export const GRADEBOOK_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'gradebook.schema.json',
  title: 'mmkit gradebook',
  description: 'A row per submission of a batch (mmkit grade-batch), or the merge of shards (mmkit merge-reports).',
  type: 'object',
  properties: {
    schemaVersion: { const: GRADEBOOK_SCHEMA_VERSION },
    kind: { const: 'mmkit-gradebook' },
    contract: str,
    settings: {
      type: 'object',
      properties: { filter: str, propertyRuns: int(1), seed: { type: 'integer' }, bench: { type: 'boolean' }, timeoutMs: int(1), memoryMb: int(1) },
      required: ['bench', 'timeoutMs', 'memoryMb'],
      additionalProperties: false,
    },
    submissions: {
      type: 'object',
      properties: { count: int(), namesHash: { type: 'string', pattern: '^[0-9a-f]{16}$' } },
      required: ['count', 'namesHash'],
      additionalProperties: false,
    },
    shards: {
      type: 'array',
      items: { type: 'object', properties: { index: int(1), count: int(1) }, required: ['index', 'count'], additionalProperties: false },
    },
    complete: { type: 'boolean' },
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        properties: { cpuModel: str, cpus: int(1), node: str, platform: str, arch: str },
        required: ['cpuModel', 'cpus', 'node', 'platform', 'arch'],
        additionalProperties: false,
      },
    },
    entries: { type: 'array', items: { $ref: '#/$defs/entry' } },
  },
  required: ['schemaVersion', 'kind', 'contract', 'settings', 'submissions', 'shards', 'complete', 'hosts', 'entries'],
  additionalProperties: false,
  $defs: {
    entry: {
      type: 'object',
      properties: {
        student: str,
        module: str,
        implementation: str,
        score: {
          type: 'object',
          properties: { passed: int(), failed: int(), notProvided: int(), total: int(), percent: { type: 'number', minimum: 0, maximum: 100 } },
          required: ['passed', 'failed', 'notProvided', 'total', 'percent'],
          additionalProperties: false,
        },
        rulesFailed: { type: 'array', items: str },
        throughput: { type: 'number', minimum: 0 },
        throughputVsReference: { type: 'number', minimum: 0 },
        fingerprint: { type: 'string', pattern: '^[0-9a-f]{8}$' },
        sameAsReference: { type: 'boolean' },
        error: str,
        durationMs: { type: 'number', minimum: 0 },
      },
      required: ['student', 'score', 'rulesFailed', 'durationMs'],
      additionalProperties: false,
    },
  },
};

/**
 * A validator for the part of JSON Schema (draft 2020-12) the report schemas use: type,
 * properties, required, additionalProperties, items, enum, const, minimum, maximum, pattern,
 * anyOf and local $ref (#/$defs/NAME). It checks a report before a tool relies on it (merge-reports
 * refuses a shard file that is not a gradebook) and in the tests, against the published files.
 */

export interface JsonSchema {
  readonly $schema?: string;
  readonly $id?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly title?: string;
  readonly description?: string;
  readonly type?: JsonType | readonly JsonType[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly anyOf?: readonly JsonSchema[];
}

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

function typeMatches(v: unknown, t: JsonType): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function pathText(path: string): string {
  return path || '(the document)';
}

/** Every place `value` breaks `schema`, as "path: problem" ('' paths name the document itself). */
export function validateJson(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = ''): string[] {
  if (schema.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m && root.$defs && Object.hasOwn(root.$defs, m[1]) ? root.$defs[m[1]] : undefined;
    if (!target) return [`${pathText(path)}: the schema's $ref ${schema.$ref} names nothing`];
    return validateJson(value, target, root, path);
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => typeMatches(value, t))) return [`${pathText(path)}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
  }
  if (schema.const !== undefined && value !== schema.const) errors.push(`${pathText(path)}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${pathText(path)}: expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${pathText(path)}: ${value} is below the minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${pathText(path)}: ${value} is above the maximum ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${pathText(path)}: ${JSON.stringify(value)} does not match /${schema.pattern}/`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => validateJson(value, s, root, path).length === 0)) {
    errors.push(`${pathText(path)}: matches none of the alternatives`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...validateJson(item, schema.items!, root, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!Object.hasOwn(obj, key)) errors.push(`${pathText(path)}: the property '${key}' is missing`);
    const props = schema.properties ?? {};
    for (const [key, v] of Object.entries(obj)) {
      const sub = `${path}.${key}`;
      if (Object.hasOwn(props, key)) errors.push(...validateJson(v, props[key], root, sub));
      else if (schema.additionalProperties === false) errors.push(`${sub}: a property the schema does not define`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validateJson(v, schema.additionalProperties, root, sub));
    }
  }
  return errors;
}

/**
 * What a submission sharing the grader's JavaScript realm could change to sway a verdict: the
 * suite's own objects (frozen before the submission loads) and the built-ins every piece of code
 * shares (Object.prototype, Array.prototype, Math, JSON, ...: recorded before it loads and
 * compared after every case; freezing them would break ordinary code that assigns inherited
 * names, such as an Error subclass setting `this.name`).
 */

// The functions the comparison uses, taken before any submission code runs.
const ownKeys = Reflect.ownKeys;
const getDescriptor = Reflect.getOwnPropertyDescriptor;
const getPrototypeOf = Reflect.getPrototypeOf;
const isExtensible = Reflect.isExtensible;
const freeze = Object.freeze;
const isFrozen = Object.isFrozen;
const isArray = Array.isArray;
const same = Object.is;

/** Freeze plain data and arrays reachable from `value` (not functions' insides, regexps, maps, sets or typed arrays). */
export function deepFreeze(value: unknown, seen = new Set<object>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  if (value instanceof RegExp || value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) return;
  seen.add(value);
  const keys = ownKeys(value);
  for (let i = 0; i < keys.length; i++) {
    const d = getDescriptor(value, keys[i]);
    if (d && 'value' in d) deepFreeze(d.value, seen);
  }
  if (!isFrozen(value)) freeze(value);
  if (isArray(value)) return;
}

interface Recorded {
  readonly name: string;
  readonly target: object;
  readonly proto: object | null;
  readonly extensible: boolean;
  readonly props: Map<PropertyKey, PropertyDescriptor>;
}

function builtinObjects(): [string, object][] {
  const typedArray = getPrototypeOf(Uint8Array) as { prototype: object };
  const iteratorProto = getPrototypeOf(getPrototypeOf([][Symbol.iterator]()) as object) as object;
  const list: [string, object][] = [
    ['globalThis', globalThis],
    ['Object', Object], ['Object.prototype', Object.prototype],
    ['Function.prototype', Function.prototype],
    ['Array', Array], ['Array.prototype', Array.prototype],
    ['Array Iterator.prototype', getPrototypeOf([][Symbol.iterator]()) as object], ['Iterator.prototype', iteratorProto],
    ['String', String], ['String.prototype', String.prototype],
    ['Number', Number], ['Number.prototype', Number.prototype],
    ['Boolean.prototype', Boolean.prototype], ['BigInt.prototype', BigInt.prototype], ['Symbol', Symbol], ['Symbol.prototype', Symbol.prototype],
    ['Math', Math], ['JSON', JSON], ['Reflect', Reflect], ['Atomics', Atomics],
    ['Promise', Promise], ['Promise.prototype', Promise.prototype],
    ['Map.prototype', Map.prototype], ['Set.prototype', Set.prototype], ['WeakMap.prototype', WeakMap.prototype], ['WeakSet.prototype', WeakSet.prototype],
    ['Error', Error], ['Error.prototype', Error.prototype], ['RangeError.prototype', RangeError.prototype], ['TypeError.prototype', TypeError.prototype],
    ['RegExp.prototype', RegExp.prototype], ['Date', Date], ['Date.prototype', Date.prototype],
    ['ArrayBuffer.prototype', ArrayBuffer.prototype], ['SharedArrayBuffer.prototype', SharedArrayBuffer.prototype],
    ['TypedArray', typedArray], ['TypedArray.prototype', typedArray.prototype],
  ];
  for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
    list.push([T.name, T], [`${T.name}.prototype`, T.prototype]);
  }
  return list;
}

/**
 * The global object's properties that are checked: the language's own constructors and
 * namespaces. Node's other globals (TextEncoder, fetch, ...) are lazy accessors that replace
 * themselves on first use, and a submission's own globals are its business.
 */
const GLOBALS: readonly string[] = [
  'Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Math', 'JSON', 'Reflect', 'Proxy', 'Atomics', 'Promise',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Error', 'RangeError', 'TypeError', 'RegExp', 'Date', 'ArrayBuffer', 'SharedArrayBuffer',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array', 'NaN', 'Infinity', 'undefined', 'isNaN', 'isFinite', 'parseInt', 'parseFloat',
];

function record(name: string, target: object): Recorded {
  const props = new Map<PropertyKey, PropertyDescriptor>();
  const keys = target === globalThis ? GLOBALS.filter((k) => getDescriptor(target, k) !== undefined) : ownKeys(target);
  for (let i = 0; i < keys.length; i++) props.set(keys[i], getDescriptor(target, keys[i])!);
  return { name, target, proto: getPrototypeOf(target), extensible: isExtensible(target), props };
}

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  same(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;

export interface BuiltinsSnapshot {
  /** What changed since the snapshot ("Array.prototype.push", "Object.prototype.toJSON (added)"), empty when nothing did. */
  changes(): string[];
}

/** Record the built-ins now; changes() lists what differs later. */
export function snapshotBuiltins(): BuiltinsSnapshot {
  const recorded = builtinObjects().map(([name, target]) => record(name, target));
  return {
    changes(): string[] {
      const out: string[] = [];
      for (const r of recorded) {
        if (getPrototypeOf(r.target) !== r.proto) out.push(`${r.name} (its prototype)`);
        if (isExtensible(r.target) !== r.extensible) out.push(`${r.name} (made non-extensible)`);
        const keys = r.target === globalThis ? [...r.props.keys()] : ownKeys(r.target);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          const before = r.props.get(k);
          const now = getDescriptor(r.target, k);
          if (!before) out.push(`${r.name}.${String(k)} (added)`);
          else if (!now) continue; // deleted: listed below
          else if (!sameDescriptor(before, now)) out.push(`${r.name}.${String(k)}`);
        }
        for (const k of r.props.keys()) if (getDescriptor(r.target, k) === undefined) out.push(`${r.name}.${String(k)} (deleted)`);
      }
      return out;
    },
  };
}

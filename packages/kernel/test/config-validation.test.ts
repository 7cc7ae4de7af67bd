import { describe, expect, it } from 'vitest';
import { KernelConfigError, configBool, configInt, configNumber, configObject, configOneOf, ownEntry } from '../src/index.js';

describe('config validation helpers', () => {
  it('configInt takes safe integers in range and names the field', () => {
    expect(configInt('x', 3, { min: 0 })).toBe(3);
    expect(configInt('x', undefined)).toBeUndefined();
    for (const bad of [NaN, Infinity, -Infinity, 1.5, -1, 2 ** 53, '3', null, {}, 10n]) {
      expect(() => configInt('x', bad, { min: 0, max: 9 })).toThrow(KernelConfigError);
    }
    expect(() => configInt('nrCpus', NaN, { min: 1, max: 256 })).toThrow("nrCpus must be an integer in [1, 256], got NaN");
  });
  it('configNumber takes finite numbers', () => {
    expect(configNumber('x', 1.5, { min: 0 })).toBe(1.5);
    for (const bad of [NaN, Infinity, -1, '1']) expect(() => configNumber('x', bad, { min: 0 })).toThrow(/x must be/);
  });
  it('configBool, configOneOf', () => {
    expect(configBool('b', false)).toBe(false);
    expect(() => configBool('b', 1)).toThrow('b must be true or false, got 1');
    expect(configOneOf('m', 'a', ['a', 'b'])).toBe('a');
    expect(() => configOneOf('m', 'constructor', ['a', 'b'])).toThrow("m must be 'a', 'b', got 'constructor'");
  });
  it('configObject refuses non-objects and unknown keys, own keys only', () => {
    expect(configObject('o', { a: 1 }, ['a'])).toEqual({ a: 1 });
    expect(() => configObject('o', [], [])).toThrow('o must be an object, got an array');
    expect(() => configObject<{ a?: number }>('o', { a: 1, b: 2 } as { a?: number }, ['a'])).toThrow("o: unknown field 'b' (known: a)");
    expect(() => configObject('o', JSON.parse('{"__proto__": 1}') as object, [])).toThrow("unknown field '__proto__'");
  });
  it('ownEntry never reaches Object.prototype', () => {
    const r: Record<string, number> = { a: 1 };
    expect(ownEntry(r, 'a')).toBe(1);
    for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(ownEntry(r, k)).toBeUndefined();
  });
});

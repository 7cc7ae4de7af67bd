import { describe, expect, it } from 'vitest';
import { AssertionFailure, assert } from '../src/index.js';

describe('assertions', () => {
  it('equal passes on Object.is and fails with expected and actual', () => {
    assert.equal(3, 3);
    const err = (() => {
      try {
        assert.equal(2, 3, 'pages');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(AssertionFailure);
    expect((err as AssertionFailure).expected).toBe(3);
    expect((err as AssertionFailure).actual).toBe(2);
    expect((err as AssertionFailure).message).toBe('pages: expected 3, got 2');
  });

  it('deepEqual compares structure', () => {
    assert.deepEqual([1, { a: 2 }], [1, { a: 2 }]);
    expect(() => assert.deepEqual([1, 2], [1, 3])).toThrow(AssertionFailure);
  });

  it('ok, atMost, atLeast, inRange, match, notEqual', () => {
    expect(() => assert.ok(0, 'zero')).toThrow('zero: expected a truthy value, got 0');
    expect(() => assert.atMost(5, 4)).toThrow('expected at most 4, got 5');
    expect(() => assert.atLeast(3, 4)).toThrow('expected at least 4, got 3');
    expect(() => assert.inRange(9, 1, 8)).toThrow('expected a value in [1, 8], got 9');
    expect(() => assert.match('abc', /^b/)).toThrow(AssertionFailure);
    expect(() => assert.notEqual(1, 1)).toThrow(AssertionFailure);
    assert.ok(1);
    assert.atMost(4, 4);
    assert.inRange(1, 1, 8);
  });

  it('throws checks that an exception happened and what it is', () => {
    class Boom extends Error {
      override name = 'Boom';
    }
    expect(() => assert.throws(() => undefined)).toThrow('expected an exception, none was thrown');
    expect(assert.throws(() => { throw new Boom('x'); }, Boom)).toBeInstanceOf(Boom);
    assert.throws(() => { throw new Boom('x'); }, 'Boom');
    assert.throws(() => { throw new Boom('x'); }, (e) => e instanceof Boom);
    expect(() => assert.throws(() => { throw new TypeError('t'); }, 'Boom')).toThrow(/is not the expected Boom/);
    expect(() => assert.throws(() => { throw new TypeError('t'); }, (e) => e instanceof Boom)).toThrow(AssertionFailure);
  });
});

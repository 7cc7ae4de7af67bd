import { describe, expect, it } from 'vitest';
import { NEEDS_SHARED_MEMORY, needsSharedMemory, wrappingFactory } from './page-allocator.js';

describe('NEEDS_SHARED_MEMORY through wrappers', () => {
  it('a wrapper made with wrappingFactory() asks for shared memory exactly when the factory it wraps does', () => {
    const isolated = Object.defineProperty(() => undefined, NEEDS_SHARED_MEMORY, { value: true });
    const plain = () => undefined;
    const wrapOf = (f: () => unknown) => wrappingFactory(() => f(), f);
    expect(needsSharedMemory(wrapOf(isolated))).toBe(true);
    expect(needsSharedMemory(wrapOf(wrapOf(isolated)))).toBe(true); // a wrapper of a wrapper
    expect(needsSharedMemory(wrapOf(plain))).toBe(false);
    expect(needsSharedMemory(() => isolated())).toBe(false); // a bare wrapper loses it: hence the helper
    const w = () => 1;
    expect(wrappingFactory(w, isolated)).toBe(w);
  });
});

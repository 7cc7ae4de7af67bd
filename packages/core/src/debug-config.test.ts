import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEBUG_CONFIG, SLUB_DEBUG_DEFAULT_FLAGS, SlubDebugError, describeDebugConfig, formatSlubDebug, parseSlubDebug,
  resolveDebugConfig, slubDebugFlagsFor,
} from './debug-config.js';
import { SLAB_CONSISTENCY_CHECKS, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TRACE } from './slab-flags.js';
import { cacheFromObjChecks, kmemCacheSanityCheck, wrongSlabCacheWarning } from './slab-common.js';

describe('DebugConfig: 4.17 defaults', () => {
  it('has every debug option off', () => {
    expect(DEFAULT_DEBUG_CONFIG.vm).toBe(false);
    expect(DEFAULT_DEBUG_CONFIG.freelistHardened).toBe(false);
    expect(DEFAULT_DEBUG_CONFIG.slubDebug).toEqual({ flags: 0, slabs: undefined });
    expect(resolveDebugConfig(undefined)).toBe(DEFAULT_DEBUG_CONFIG);
    expect(describeDebugConfig(DEFAULT_DEBUG_CONFIG)).toMatch(/^none/);
  });
});

describe('parseSlubDebug (setup_slub_debug(), Documentation/vm/slub.txt)', () => {
  it('reads the option letters, case-insensitive, for every cache or one name prefix', () => {
    expect(parseSlubDebug('FZ')).toEqual({ flags: SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE, slabs: undefined });
    expect(parseSlubDebug('fzput')).toEqual({ flags: SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE, slabs: undefined });
    expect(parseSlubDebug('FZ,kmalloc-64')).toEqual({ flags: SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE, slabs: 'kmalloc-64' });
  });
  it('plain slub_debug and an empty option list are full debugging (DEBUG_DEFAULT_FLAGS)', () => {
    expect(parseSlubDebug('')).toEqual({ flags: SLUB_DEBUG_DEFAULT_FLAGS, slabs: undefined });
    expect(parseSlubDebug(',dentry')).toEqual({ flags: SLUB_DEBUG_DEFAULT_FLAGS, slabs: 'dentry' });
    expect(SLUB_DEBUG_DEFAULT_FLAGS).toBe(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER);
  });
  it("'-' switches everything given before it off", () => {
    expect(parseSlubDebug('FZ-')).toEqual({ flags: 0, slabs: undefined });
    expect(parseSlubDebug('Z-P')).toEqual({ flags: SLAB_POISON, slabs: undefined });
  });
  it('refuses what it cannot read with one line', () => {
    for (const bad of ['X', 'FZ,', 'F,a,b', 'F,a b', 'A', 'O', 'F'.repeat(3000)]) {
      expect(() => parseSlubDebug(bad)).toThrow(SlubDebugError);
      try {
        parseSlubDebug(bad);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/\n/);
      }
    }
    expect(() => parseSlubDebug('FQ')).toThrow(/option "Q" unknown/);
  });
  it('kmem_cache_flags(): the flags apply to every cache, or to the names starting with the given one', () => {
    const all = parseSlubDebug('P');
    expect(slubDebugFlagsFor(all, 'dentry')).toBe(SLAB_POISON);
    const one = parseSlubDebug('FZ,kmalloc-6');
    expect(slubDebugFlagsFor(one, 'kmalloc-64')).toBe(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
    expect(slubDebugFlagsFor(one, 'kmalloc-8')).toBe(0);
    expect(formatSlubDebug(one)).toBe('FZ,kmalloc-6');
  });
});

describe('resolveDebugConfig', () => {
  it('takes the options and refuses wrong types and unknown names', () => {
    const d = resolveDebugConfig({ vm: true, slubDebug: 'F', freelistHardened: true });
    expect(d.vm).toBe(true);
    expect(d.slubDebug.flags).toBe(SLAB_CONSISTENCY_CHECKS);
    expect(describeDebugConfig(d)).toBe('CONFIG_DEBUG_VM=y CONFIG_SLAB_FREELIST_HARDENED=y slub_debug=F');
    expect(() => resolveDebugConfig({ vm: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => resolveDebugConfig({ slubDebug: 7 as unknown as string })).toThrow(TypeError);
    expect(() => resolveDebugConfig({ constructor: true } as unknown as object)).toThrow(/no option 'constructor'/);
    expect(() => resolveDebugConfig(null as unknown as object)).toThrow(TypeError);
  });

  it('takes CONFIG_DEBUG_SLAB (debugSlab, default off) as a boolean only', () => {
    expect(DEFAULT_DEBUG_CONFIG.debugSlab).toBe(false);
    expect(resolveDebugConfig({}).debugSlab).toBe(false);
    const d = resolveDebugConfig({ debugSlab: true });
    expect(d.debugSlab).toBe(true);
    expect(describeDebugConfig(d)).toBe('CONFIG_DEBUG_SLAB=y');
    expect(() => resolveDebugConfig({ debugSlab: 'y' as unknown as boolean })).toThrow(/debug.debugSlab must be a boolean/);
  });
});

describe('the slab_common checks that depend on the configuration', () => {
  it('kmem_cache_sanity_check() refuses only with CONFIG_DEBUG_VM', () => {
    const vm = resolveDebugConfig({ vm: true });
    const max = 4 << 20;
    for (const [name, size] of [['', 64], ['small', 7], ['big', max + 1], ['frac', 8.5]] as const) {
      expect(kmemCacheSanityCheck(vm, name, size, max), `${name} ${size}`).toBe(false);
      expect(kmemCacheSanityCheck(DEFAULT_DEBUG_CONFIG, name, size, max), `${name} ${size}`).toBe(true);
    }
    expect(kmemCacheSanityCheck(vm, 'ok', 8, max)).toBe(true);
  });

  it('cache_from_obj() checks with CONFIG_SLAB_FREELIST_HARDENED or SLAB_CONSISTENCY_CHECKS on the cache', () => {
    expect(cacheFromObjChecks(DEFAULT_DEBUG_CONFIG, 0)).toBe(false);
    expect(cacheFromObjChecks(DEFAULT_DEBUG_CONFIG, SLAB_CONSISTENCY_CHECKS)).toBe(true);
    expect(cacheFromObjChecks(resolveDebugConfig({ freelistHardened: true }), 0)).toBe(true);
    expect(wrongSlabCacheWarning('a', 'b')).toBe('WARNING: cache_from_obj: Wrong slab cache. a but object is from b');
  });
});

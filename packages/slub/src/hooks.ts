/**
 * The variation points of SLUB: the places where a historical (or experimental) SLUB differs
 * from 4.17, as an operations table. createSlubAllocator(services, { hooks }) resolves the
 * table once (`{ ...DEFAULT_SLUB_HOOKS, ...hooks }`) into the state (st.hooks); the mechanisms
 * call `st.hooks.<name>(st, ...)` at the point where Linux would differ.
 *
 * Every hook gets the state first, so an override can call the default
 * (`DEFAULT_SLUB_HOOKS.slabFree(st, ...)`) and any mechanism of `@mmkit/slub/internals`
 * (getFreepointer(), doSlabFree(), ...). Hooks are plain functions, taken out of the object
 * they were given in: one that needs its variant's fields is an arrow function (or bound),
 * not a method relying on `this`.
 *
 * A hook is added only where a variant plausibly differs; the table is small on purpose, so
 * the hot paths keep one monomorphic call per hook.
 */
import type { SlubCache } from './cache.js';
import { slabFree } from './free.js';
import type { SlubState } from './state.js';

export interface SlubHooks {
  /**
   * slab_free() with slab_free_freelist_hook() (mm/slub.c): every free — kmem_cache_free(),
   * kfree(), each per-slab group of kmem_cache_free_bulk() — ends here; KASAN's quarantine
   * does not (qlink_free() → ___cache_free() → do_slab_free()).
   *
   * `s` is the cache, `page` the head pfn of the slab, `head`..`tail` a detached freelist of
   * `cnt` objects of that slab chained through their free pointers (getFreepointer(); the
   * tail's pointer is not read). The objects arrive checked (valid, allocated) and marked freed
   * (OBJ_DETACHED); doSlabFree() puts them back on a freelist. An object left out (held by
   * KASAN's quarantine) comes back later through quarantineRelease().
   *
   * 4.17 (the default): run kasan_slab_free() (services.kasan.slabFree) on each object and
   * rebuild the list from the objects whose reuse it does not delay, then do_slab_free() of
   * those (with the rebuilt count). Before 4.17 the answers were ignored and slab_free()
   * hard-coded `if (s->flags & SLAB_KASAN && !(s->flags & SLAB_TYPESAFE_BY_RCU)) return;`.
   */
  readonly slabFree: (st: SlubState, s: SlubCache, page: number, head: number, tail: number, cnt: number) => void;
}

/** The hooks of Linux 4.17. */
export const DEFAULT_SLUB_HOOKS: SlubHooks = Object.freeze({
  slabFree,
});

/**
 * The table a state holds: DEFAULT_SLUB_HOOKS with the overrides given (a member given as
 * undefined keeps its default). A name that is not a hook (looked up as an own property, so
 * 'constructor' is a name like any other) or a value that is not a function is a TypeError.
 */
export function resolveSlubHooks(hooks: Partial<SlubHooks> | undefined): SlubHooks {
  for (const [name, fn] of Object.entries(hooks ?? {})) {
    if (!Object.hasOwn(DEFAULT_SLUB_HOOKS, name)) {
      throw new TypeError(`createSlubAllocator: no hook named '${name}' (hooks: ${Object.keys(DEFAULT_SLUB_HOOKS).join(', ')})`);
    }
    if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`createSlubAllocator: hook '${name}' is not a function`);
  }
  return {
    slabFree: hooks?.slabFree ?? DEFAULT_SLUB_HOOKS.slabFree,
  };
}

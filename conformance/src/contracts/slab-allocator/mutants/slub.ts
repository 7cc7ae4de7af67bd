/**
 * Mutant of SLUB: brings back the code a seed changelog entry replaced, as a hook override of
 * the reference (docs/implementations.md). The slab-allocator suite must fail it on the rule it
 * names in `breaks`.
 */
import { SLAB_KASAN, SLAB_TYPESAFE_BY_RCU } from '@mmkit/core';
import { createSlubAllocator } from '@mmkit/slub';
import { doSlabFree, getFreepointer } from '@mmkit/slub/internals';
import type { Mutant } from '../../../mutants/types.js';
import { changelogSource } from '../../../rules/links.js';

export const SLUB_MUTANTS: readonly Mutant[] = [
  {
    id: 'slub-kasan-hook-ignored',
    contract: 'slab-allocator',
    breaks: 'slab-allocator.kasan.honour-answer',
    description: "SLUB ignores kasan_slab_free()'s answer and hard-codes the SLAB_KASAN / SLAB_TYPESAFE_BY_RCU check: objects KASAN lets go are never freed, objects it refuses in RCU caches are.",
    source: changelogSource('kasan-slub-kasan-slab-free-hook'),
    factory: (services) =>
      createSlubAllocator(services, {
        name: 'slub (mutant: slub-kasan-hook-ignored)',
        hooks: {
          /**
           * Before 4.17, SLUB's slab_free_freelist_hook() ran kasan_slab_free() on every object
           * and ignored its answers; slab_free() then hard-coded "if (s->flags & SLAB_KASAN &&
           * !(s->flags & SLAB_TYPESAFE_BY_RCU)) return;" — so in a quarantined cache nothing
           * KASAN let go was freed, and in an RCU cache an object KASAN refused (an invalid or
           * double free) was freed.
           */
          slabFree(st, s, page, head, tail, cnt) {
            let object = head;
            for (let i = 0; i < cnt; i++) {
              const next = object === tail ? 0 : getFreepointer(st, s, object);
              st.services.kasan?.slabFree(s, object);
              object = next;
            }
            if (s.flags & SLAB_KASAN && !(s.flags & SLAB_TYPESAFE_BY_RCU)) return;
            doSlabFree(st, s, page, head, tail, cnt);
          },
        },
      }),
  },
];

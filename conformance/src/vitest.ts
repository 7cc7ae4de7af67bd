/**
 * Run a conformance suite inside your own vitest: one describe per suite, one `it` per case.
 *
 *   import { describeSuite } from '@mmkit/conformance/vitest';
 *   import { pageAllocatorSuite } from '@mmkit/conformance';
 *   import { createMyAllocator } from '../src/index.js';
 *   describeSuite(pageAllocatorSuite, createMyAllocator);
 *
 * A case whose optional feature the implementation does not declare is skipped.
 */
import { beforeAll, describe, it } from 'vitest';
import { caseConfig, debugOptionsOf, ruleConfigText } from './rules/config.js';
import { defaultPropertyRuns, type CaseContext, type FeatureSet, type Suite } from './suite.js';

export interface DescribeSuiteOptions {
  /** Random runs of property cases (default MMKIT_PROPERTY_RUNS or a few hundred). */
  readonly propertyRuns?: number;
  readonly seed?: number;
  /** Replay a property failure's counterexample (its `path`, with its `seed`). */
  readonly replayPath?: string;
  /** Per-test timeout in ms (default 60 s). */
  readonly timeout?: number;
  /** Names the implementation in the describe title (when one file runs a suite twice). */
  readonly label?: string;
}

export function describeSuite<F>(suite: Suite<F>, factory: F, opts: DescribeSuiteOptions = {}): void {
  describe(`${suite.contract} conformance${opts.label ? ` (${opts.label})` : ''}`, () => {
    let supports: FeatureSet = {};
    beforeAll(async () => {
      if (suite.probe) supports = await suite.probe(factory);
    });
    for (const c of suite.cases) {
      const config = caseConfig(c.rules, suite.rules ?? []);
      const configText = typeof config === 'string' ? '' : ruleConfigText(config);
      it(`${c.name} [${c.rules.join(', ')}]${configText ? ` (${configText})` : ''}`, { timeout: opts.timeout ?? 60_000 }, async (t) => {
        if (typeof config === 'string') throw new Error(`the suite is inconsistent: ${config}`);
        if (c.requires !== undefined && !supports[c.requires]) {
          t.skip(`not provided: the implementation does not declare supports.${c.requires}`);
          return;
        }
        const ctx: CaseContext<F> = {
          factory,
          supports,
          propertyRuns: opts.propertyRuns ?? defaultPropertyRuns(),
          seed: opts.seed ?? 1,
          ...(opts.replayPath ? { replayPath: opts.replayPath } : {}),
          debug: debugOptionsOf(config),
          note: (m) => {
            void t.annotate(m).catch(() => undefined);
          },
        };
        await c.run(ctx);
      });
    }
  });
}

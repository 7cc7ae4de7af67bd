import { describe, expect, it } from 'vitest';
import {
  aggregateRules, assert, checkSuiteCoverage, formatHtml, formatJson, formatJunit, formatText, ruleConfigText, runSuite, type GradeReport, type Rule, type Suite,
} from '../src/index.js';

const rules: Rule[] = [
  { id: 't.a.pass', contract: 't', text: 'A.', source: { kind: 'source', ref: 'mm/x.c: a()' } },
  { id: 't.a.fail', contract: 't', text: 'B.', source: { kind: 'source', ref: 'mm/x.c: b()' } },
  { id: 't.a.optional', contract: 't', text: 'C.', source: { kind: 'source', ref: 'mm/x.c: c()' }, optional: 'pcp' },
  { id: 't.a.uncovered', contract: 't', text: 'D.', source: { kind: 'source', ref: 'mm/x.c: d()' } },
];

type F = { good: boolean; pcp: boolean };

const suite: Suite<F> = {
  contract: 'test',
  probe: (f) => ({ pcp: f.pcp }),
  cases: [
    { name: 'passes', rules: ['t.a.pass', 't.a.fail'], run: () => undefined },
    { name: 'fails', rules: ['t.a.fail'], run: (ctx) => assert.ok(ctx.factory.good, 'the implementation is good') },
    { name: 'throws', rules: ['t.a.fail'], run: async () => { await Promise.resolve(); throw new RangeError('kaboom'); } },
    { name: 'optional', rules: ['t.a.optional'], requires: 'pcp', run: (ctx) => ctx.note('ran') },
  ],
};

describe('runSuite', () => {
  it('runs every case and reports pass, fail and not provided', async () => {
    const seen: string[] = [];
    const results = await runSuite(suite, { good: false, pcp: false }, { onCase: (r) => seen.push(r.name) });
    expect(seen).toEqual(['passes', 'fails', 'throws', 'optional']);
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'fail', 'not-provided']);
    expect(results[1].message).toBe('the implementation is good: expected a truthy value, got false');
    expect(results[2].message).toMatch(/^RangeError: kaboom/);
    expect(results.every((r) => r.ms >= 0)).toBe(true);
  });

  it('aggregates per rule: any failing case fails the rule; undeclared features are not provided', async () => {
    const results = await runSuite(suite, { good: false, pcp: false });
    const verdicts = aggregateRules(rules, results, { pcp: false });
    expect(verdicts.map((v) => [v.id, v.status])).toEqual([
      ['t.a.pass', 'pass'],
      ['t.a.fail', 'fail'],
      ['t.a.optional', 'not-provided'],
      ['t.a.uncovered', 'fail'],
    ]);
    expect(verdicts[1].failures.map((f) => f.case)).toEqual(['fails', 'throws']);
    expect(verdicts[3].failures[0].message).toBe('no case checked this rule');
  });

  it('runs optional cases for an implementation that declares the feature', async () => {
    const results = await runSuite(suite, { good: true, pcp: true });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'fail', 'pass']);
    expect(results[3].notes).toEqual(['ran']);
    expect(aggregateRules(rules, results, { pcp: true })[2].status).toBe('pass');
  });

  it('filters cases by name or rule id', async () => {
    const byRule = await runSuite(suite, { good: true, pcp: true }, { filter: ['t.a.optional'] });
    expect(byRule.map((r) => r.name)).toEqual(['optional']);
    const byName = await runSuite(suite, { good: true, pcp: true }, { filter: /fail/ });
    expect(byName.map((r) => r.name)).toEqual(['passes', 'fails', 'throws']);
  });

  it('fails every case when the implementation cannot even be probed', async () => {
    const broken: Suite<F> = { ...suite, probe: () => { throw new Error('no boot'); } };
    const results = await runSuite(broken, { good: true, pcp: true });
    expect(results.every((r) => r.status === 'fail' && r.message.startsWith('the implementation failed to boot: Error: no boot'))).toBe(true);
  });
});

describe('rule configurations (Rule.config)', () => {
  const cfgRules: Rule[] = [
    { id: 't.c.default', contract: 't', text: 'D.', source: { kind: 'source', ref: 'mm/x.c: d()' } },
    { id: 't.c.vm', contract: 't', text: 'V.', source: { kind: 'source', ref: 'mm/x.c: v()' }, config: { debugVm: true } },
    { id: 't.c.slub', contract: 't', text: 'S.', source: { kind: 'source', ref: 'mm/x.c: s()' }, config: { slubDebug: 'F' } },
  ];
  const seen: Record<string, unknown> = {};
  const cfgSuite: Suite<null> = {
    contract: 't',
    rules: cfgRules,
    cases: [
      { name: 'default', rules: ['t.c.default'], run: (ctx) => void (seen.default = ctx.debug) },
      { name: 'vm', rules: ['t.c.vm'], run: (ctx) => void (seen.vm = ctx.debug) },
      { name: 'slub', rules: ['t.c.slub'], run: (ctx) => void (seen.slub = ctx.debug) },
      { name: 'mixed', rules: ['t.c.vm', 't.c.slub'], run: () => undefined },
    ],
  };

  it('runSuite boots each case under the configuration of its rules, and refuses a case whose rules disagree', async () => {
    const results = await runSuite(cfgSuite, null);
    expect(seen).toEqual({ default: undefined, vm: { vm: true }, slub: { slubDebug: 'F' } });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(results[3].message).toMatch(/need different configurations/);
    expect(checkSuiteCoverage(cfgSuite, cfgRules)).toEqual([expect.stringMatching(/^case 'mixed': rules 't\.c\.vm' \(CONFIG_DEBUG_VM=y\) and 't\.c\.slub' \(slub_debug=F\) need different configurations/)]);
  });

  it('the verdicts carry the configuration, and every report format shows it', async () => {
    const results = await runSuite({ ...cfgSuite, cases: cfgSuite.cases.slice(0, 3) }, null);
    const verdicts = aggregateRules(cfgRules, results);
    expect(verdicts.map((v) => v.config)).toEqual([undefined, { debugVm: true }, { slubDebug: 'F' }]);
    const report: GradeReport = {
      contract: 't', implementation: 'impl', rules: verdicts, cases: results, durationMs: 1,
      score: { passed: 3, failed: 0, notProvided: 0, total: 3, percent: 100 },
    };
    expect(formatText(report)).toMatch(/^PASS +t\.c\.vm +CONFIG_DEBUG_VM=y$/m);
    expect(formatText(report)).toMatch(/^PASS +t\.c\.slub +slub_debug=F$/m);
    expect((JSON.parse(formatJson(report)) as GradeReport).rules[1].config).toEqual({ debugVm: true });
    expect(formatJunit(report)).toContain('<property name="config" value="CONFIG_DEBUG_VM=y"/>');
    expect(formatHtml(report)).toContain('holds under slub_debug=F');
    expect(ruleConfigText({ debugVm: true, slubDebug: 'FZ,kmalloc-64' })).toBe('CONFIG_DEBUG_VM=y slub_debug=FZ,kmalloc-64');
  });
});

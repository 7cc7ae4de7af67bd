/**
 * JUnit XML: one testsuite, one testcase per rule; a rule the implementation does not provide
 * is <skipped/>, a failing one carries the first failure's assertion text as its message and
 * every failure, with its details, in the body.
 */
import type { GradeReport } from '../grader/types.js';
import { ruleConfigText } from '../rules/config.js';
import { casesByName, detailLines, failureDetails } from './details.js';
import { escapeXml, oneLine } from './escape.js';
import { scoreLine, title } from './text.js';

function ruleSeconds(report: GradeReport, id: string): number {
  return report.cases.filter((c) => c.rules.includes(id)).reduce((n, c) => n + c.ms, 0) / 1000;
}

export function formatJunit(report: GradeReport): string {
  const s = report.score;
  const cases = casesByName(report);
  const name = `${report.contract} conformance: ${title(report)}`;
  const time = (report.durationMs / 1000).toFixed(3);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${escapeXml(name)}" tests="${s.total}" failures="${s.failed}" skipped="${s.notProvided}" time="${time}">`);
  out.push(`  <testsuite name="${escapeXml(name)}" tests="${s.total}" failures="${s.failed}" errors="0" skipped="${s.notProvided}" time="${time}">`);
  out.push('    <properties>');
  out.push(`      <property name="implementation" value="${escapeXml(report.implementation)}"/>`);
  if (report.mutant) out.push(`      <property name="mutant" value="${escapeXml(report.mutant)}"/>`);
  out.push(`      <property name="score" value="${escapeXml(scoreLine(report))}"/>`);
  if (report.error) out.push(`      <property name="error" value="${escapeXml(report.error)}"/>`);
  out.push('    </properties>');
  for (const r of report.rules) {
    const head = `    <testcase classname="${escapeXml(`${report.contract}.${r.id.split('.').slice(0, 2).join('.')}`)}" name="${escapeXml(r.id)}" time="${ruleSeconds(report, r.id).toFixed(3)}"`;
    const config = r.config ? `\n      <properties><property name="config" value="${escapeXml(ruleConfigText(r.config))}"/></properties>` : '';
    const configLine = r.config ? `\nconfig: ${ruleConfigText(r.config)}` : '';
    if (r.status === 'pass') {
      out.push(config ? `${head}>${config}\n    </testcase>` : `${head}/>`);
    } else if (r.status === 'not-provided') {
      out.push(`${head}>${config}\n      <skipped message="not provided: the implementation does not declare this optional feature"/>\n    </testcase>`);
    } else {
      const message = r.failures[0]?.message ?? 'failed';
      const body = r.failures
        .map((f) => [`case: ${f.case}`, f.message, ...detailLines(failureDetails(f, cases))].join('\n'))
        .join('\n\n');
      out.push(
        `${head}>${config}\n      <failure message="${escapeXml(oneLine(message))}" type="RuleFailure">${escapeXml(`${r.text}\nsource: ${r.source.kind}: ${r.source.ref}${configLine}\n\n${body}`)}</failure>\n    </testcase>`,
      );
    }
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

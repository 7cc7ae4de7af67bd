/** The JSON report: the GradeReport with its schema's version first. */
import type { GradeReport } from '../grader/types.js';
import { REPORT_SCHEMA_VERSION } from './schema.js';

/** What `mmkit grade --json` prints (conformance/schema/grade-report.schema.json). */
export type GradeReportJson = { readonly schemaVersion: typeof REPORT_SCHEMA_VERSION } & GradeReport;

export function toReportJson(report: GradeReport): GradeReportJson {
  return { schemaVersion: REPORT_SCHEMA_VERSION, ...report };
}

export function formatJson(report: GradeReport): string {
  return `${JSON.stringify(toReportJson(report), null, 2)}\n`;
}

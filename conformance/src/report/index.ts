/**
 * Formatters of a GradeReport: text (a table per rule, then the failures in full), JSON (with
 * its schema), JUnit XML (one testsuite, one testcase per rule) and a single self-contained HTML
 * page with SVG figures.
 */
export { formatText, scoreLine, type TextOptions } from './text.js';
export { failureBlock, failureDetailLines, failureSectionText, wrap, wrapLine } from './failure-text.js';
export { formatJson, toReportJson, type GradeReportJson } from './json.js';
export { formatJunit } from './junit.js';
export { formatHtml } from './html.js';
export { escapeXml, escapeHtml } from './escape.js';
export { GRADE_REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from './schema.js';
export { validateJson, type JsonSchema } from './json-schema.js';
export { barChartSvg, pageblockMapSvg, MIGRATETYPE_NAMES, type BarChart, type PageblockMapChart, type Series } from './svg.js';

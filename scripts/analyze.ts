/**
 * `./analyze-results.sh [REPORT.json] [--json]`: top 3 missing fields overall, per agent and per
 * document type; completeness per agent; a cost breakdown. Reads reports/latest.json by default.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { analyzeReport, formatAnalysis } from '../app/src/reporting/analyze.js';
import type { RunReport } from '../app/src/reporting/run-report.js';
import { REPO_ROOT } from './lib/local-services.js';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const file = args.find((a) => !a.startsWith('--')) ?? path.join(REPO_ROOT, 'reports', 'latest.json');
let report: RunReport;
try {
  report = JSON.parse(await readFile(file, 'utf8')) as RunReport;
} catch (err) {
  console.error(`analyze-results: cannot read ${file}: ${(err as Error).message}\nRun ./run-e2e-test.sh first, or pass a report file.`);
  process.exit(2);
}
if (!Array.isArray(report.per_document)) {
  console.error(`analyze-results: ${file} is not an e2e report (no per_document list)`);
  process.exit(2);
}
const analysis = analyzeReport(report);
console.log(asJson ? JSON.stringify(analysis, null, 2) : `Report: ${file}\n${formatAnalysis(analysis)}`);

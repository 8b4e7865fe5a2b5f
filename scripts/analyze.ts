/**
 * `./analyze-results.sh [REPORT.json] [--json]`: top 3 missing fields overall, per agent and per
 * document type; completeness per agent; a cost breakdown. Reads reports/latest.json by default.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { analyzeReport, formatAnalysis } from '../app/src/reporting/analyze.js';
import type { RunReport } from '../app/src/reporting/run-report.js';
import { REPO_ROOT } from './lib/local-services.js';

const USAGE = 'usage: ./analyze-results.sh [REPORT.json] [--json]   (default: reports/latest.json)';

/** The parts of a run report the analysis reads; anything else is not an e2e report. */
const reportShape = z.object({
  per_document: z.array(
    z.object({
      document_type: z.string(),
      required_fields: z.array(z.string()),
      missing_fields: z.array(z.string()),
      invalid_fields: z.array(z.string()),
      low_confidence_fields: z.array(z.string()),
    }),
  ),
  cost_breakdown: z.record(z.string(), z.record(z.string(), z.object({ calls: z.number(), usd: z.number() }))),
  cost_per_document_usd: z.object({ mean: z.number(), p95: z.number(), max: z.number(), total: z.number() }),
});

function fail(message: string): never {
  console.error(`analyze-results: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.positionals.length > 1) fail(`one report at a time\n${USAGE}`);
const file = path.resolve(parsed.positionals[0] ?? path.join(REPO_ROOT, 'reports', 'latest.json'));
let json: unknown;
try {
  json = JSON.parse(await readFile(file, 'utf8'));
} catch (err) {
  fail(`cannot read ${file}: ${(err as Error).message}\nRun ./run-e2e-test.sh first, or pass a report file.`);
}
const shape = reportShape.safeParse(json);
if (!shape.success) {
  const issue = shape.error.issues[0]!;
  fail(`${file} is not an e2e report: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
const analysis = analyzeReport(json as RunReport);
console.log(parsed.values.json ? JSON.stringify(analysis, null, 2) : `Report: ${file}\n${formatAnalysis(analysis)}`);

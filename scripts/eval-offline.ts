/**
 * Measures the offline (phase-0) provider on a corpus folder of document JSON files:
 *
 *   npx tsx scripts/eval-offline.ts [--corpus DIR] [--misses N]
 *
 * DIR holds `*.json` documents or sub-folders of them (default `../shared/corpus`, i.e. both
 * `sroie/` and `funsd/`). Prints, per sub-folder, per-field coverage (found/total and how many at
 * confidence ≥ 0.7), per-field accuracy against ground truth, the document types assigned and
 * the time per document; then, for every field with ground truth, its calibration: accuracy and
 * count per confidence bucket, accuracy at and below 0.7, and the share of documents whose
 * required fields are all at ≥ 0.7 (the offline auto-approval rate) with how many of those were
 * entirely right. `--misses N` also prints up to N wrong predictions per field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { FIELD_NAMES } from '../app/src/domain/fields.js';
import { parseInputDocument } from '../app/src/domain/input-document.js';
import { calibrationOf, CONFIDENT_AT, evaluateDocuments, type EvalDocument, type EvalReport } from '../app/src/llm/offline/evaluate.js';
import { OfflineProvider } from '../app/src/llm/offline/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Generous: evaluation should see every document the corpus has. */
const MAX_TEXT_BYTES = 10 * 1024 * 1024;

/** Documents of one folder; files `enrich submit` would reject are listed on stderr and skipped. */
function loadFolder(dir: string): EvalDocument[] {
  const docs: EvalDocument[] = [];
  for (const f of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    const parsed = parseInputDocument(readFileSync(path.join(dir, f)), { maxTextBytes: MAX_TEXT_BYTES });
    if (parsed.ok) docs.push(parsed.document);
    else console.error(`skipped ${f}: ${parsed.reason}`);
  }
  return docs;
}

function pct(n: number, d: number): string {
  return d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`;
}

function mean(xs: number[]): string {
  return xs.length === 0 ? '  -  ' : (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2);
}

function bucketLabel(from: number, to: number): string {
  return from === 0 ? `<${to}` : to >= 1 ? `>=${from}` : `${from}-${to}`;
}

/** Accuracy per confidence bucket for each field with ground truth, then the approval figures. */
function printCalibration(r: EvalReport): void {
  const scoredFields = FIELD_NAMES.filter((f) => r.fields[f].predictions.length > 0);
  if (scoredFields.length === 0) return;
  const header = calibrationOf(r.fields[scoredFields[0]!]).buckets.map((b) => bucketLabel(b.from, b.to).padEnd(14)).join('');
  console.log(`   calibration: accuracy (count) per confidence bucket; key_values counts pair share per form`);
  console.log(`   field              ${header}at>=${CONFIDENT_AT}          below ${CONFIDENT_AT}`);
  for (const f of scoredFields) {
    const c = calibrationOf(r.fields[f]);
    const cells = c.buckets.map((b) => (b.count === 0 ? '-' : `${pct(b.correct, b.count).trim()} (${b.count})`).padEnd(14)).join('');
    const side = (x: { count: number; correct: number }) => (x.count === 0 ? '-' : `${pct(x.correct, x.count).trim()} (${x.count})`).padEnd(16);
    console.log(`   ${f.padEnd(18)} ${cells}${side(c.atOrAbove)}${side(c.below)}`);
  }
  console.log(
    `   offline auto-approval (all required fields >= ${CONFIDENT_AT}): ${r.allRequiredConfident}/${r.documents} (${pct(r.allRequiredConfident, r.documents).trim()}); ` +
      `of those with ground truth, every scored field right: ${r.approvedAllCorrect}/${r.approvedScored} (${pct(r.approvedAllCorrect, r.approvedScored).trim()})`,
  );
}

function print(name: string, r: EvalReport, missesPerField: number): void {
  console.log(`\n== ${name}: ${r.documents} documents, ${r.msPerDocument.toFixed(2)} ms/doc (five agent calls each)`);
  console.log(`   document types: ${JSON.stringify(r.documentTypes)}`);
  console.log(`   completeness (required fields of the assigned type found): ${pct(r.meanCompleteness, 1)}; all required at confidence >= 0.7: ${r.allRequiredConfident}/${r.documents}`);
  console.log('   field              found      conf>=0.7   accuracy (n)        mean conf right/wrong');
  for (const f of FIELD_NAMES) {
    const s = r.fields[f];
    const acc = s.scored > 0 ? `${pct(s.correct, s.scored)} (${s.scored})` : '';
    const conf = s.scored > 0 ? `${mean(s.confidenceWhenCorrect)} / ${mean(s.confidenceWhenWrong)}` : '';
    console.log(`   ${f.padEnd(18)} ${`${s.found}/${r.documents}`.padEnd(10)} ${`${s.confident}/${r.documents}`.padEnd(11)} ${acc.padEnd(19)} ${conf}`);
  }
  if (r.pairs.total > 0) {
    console.log(`   key_values pairs: ${r.pairs.matched}/${r.pairs.total} ground-truth pairs found (${pct(r.pairs.matched, r.pairs.total)}), ${r.pairs.predicted} predicted (precision ${pct(r.pairs.matched, r.pairs.predicted)})`);
  }
  printCalibration(r);
  if (missesPerField > 0) {
    const shown = new Map<string, number>();
    for (const m of r.misses) {
      const n = shown.get(m.field) ?? 0;
      if (n >= missesPerField || m.field === 'key_values') continue;
      shown.set(m.field, n + 1);
      console.log(`   miss ${m.id} ${m.field}: expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.predicted)}`);
    }
  }
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--corpus <dir>', 'corpus folder', path.resolve(repoRoot, '..', 'shared', 'corpus'))
    .option('--misses <n>', 'wrong predictions to print per field', '0')
    .parse()
    .opts<{ corpus: string; misses: string }>();
  const root = path.resolve(opts.corpus);
  const subfolders = readdirSync(root).filter((d) => statSync(path.join(root, d)).isDirectory()).sort();
  const folders = subfolders.length > 0 ? subfolders.map((d) => path.join(root, d)) : [root];
  const provider = new OfflineProvider();
  for (const dir of folders) {
    const docs = loadFolder(dir);
    if (docs.length === 0) continue;
    print(path.relative(root, dir) || path.basename(dir), await evaluateDocuments(provider, docs), Number(opts.misses));
  }
}

await main();

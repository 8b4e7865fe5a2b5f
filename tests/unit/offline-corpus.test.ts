/**
 * Accuracy floors of the offline provider on the real corpus (read at run time, never copied).
 * The floors sit a few points under what `scripts/eval-offline.ts` measured, so that a rule
 * change that loses accuracy fails here. Skipped, with a line saying so, when the corpus is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateDocuments, type EvalDocument } from '../../app/src/llm/offline/evaluate.js';
import { OfflineProvider } from '../../app/src/llm/offline/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');
const haveCorpus = existsSync(path.join(corpus, 'sroie')) && existsSync(path.join(corpus, 'funsd'));
if (!haveCorpus) console.log('skipped: ../shared/corpus not found');

function load(folder: string): EvalDocument[] {
  const dir = path.join(corpus, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as EvalDocument);
}

describe('OfflineProvider on the corpus', () => {
  it.skipIf(!haveCorpus)('SROIE receipts: vendor, address, date and total accuracy floors', async () => {
    const report = await evaluateDocuments(new OfflineProvider(), load('sroie'));
    const accuracy = (f: 'vendor_name' | 'vendor_address' | 'document_date' | 'total_amount') => report.fields[f].correct / report.fields[f].scored;
    // Measured: vendor 0.925, address 0.883, date 0.992, total 0.942; 119/120 typed receipt.
    expect(accuracy('vendor_name')).toBeGreaterThanOrEqual(0.88);
    expect(accuracy('vendor_address')).toBeGreaterThanOrEqual(0.84);
    expect(accuracy('document_date')).toBeGreaterThanOrEqual(0.95);
    expect(accuracy('total_amount')).toBeGreaterThanOrEqual(0.9);
    expect(report.documentTypes.receipt ?? 0).toBeGreaterThanOrEqual(0.95 * report.documents);
    expect(report.meanCompleteness).toBeGreaterThanOrEqual(0.97);
  });

  it.skipIf(!haveCorpus)('FUNSD forms: question/answer pair floors', async () => {
    const report = await evaluateDocuments(new OfflineProvider(), load('funsd'));
    const kv = report.fields.key_values;
    // Measured: mean per-form ratio 0.597, 368/823 pairs found, 50/50 typed form.
    expect(kv.correct / kv.scored).toBeGreaterThanOrEqual(0.55);
    expect(report.pairs.matched / report.pairs.total).toBeGreaterThanOrEqual(0.4);
    expect(report.documentTypes.form ?? 0).toBeGreaterThanOrEqual(0.9 * report.documents);
  });
});

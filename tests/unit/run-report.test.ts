import { describe, expect, it } from 'vitest';
import { completenessPerAgent, percentile, type PerDocument, type RunReport } from '../../app/src/reporting/run-report.js';
import { DOCUMENT_TYPE_SCHEMAS } from '../../app/src/domain/document-types.js';
import type { FieldName } from '../../app/src/domain/fields.js';

describe('percentile (nearest rank)', () => {
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

  it('p95 of 1..20 is 19', () => {
    expect(percentile(oneToTwenty, 95)).toBe(19);
  });

  it('p50 of 1..20 is 10, p100 is 20, p0 is the minimum', () => {
    expect(percentile(oneToTwenty, 50)).toBe(10);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(percentile(oneToTwenty, 0)).toBe(1);
  });

  it('p95 of 1..100 is 95 and p99 is 99', () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
  });

  it('rounds the rank up, never to the nearest: p95 of 1..19 is 19 (rank ⌈18.05⌉)', () => {
    const oneToNineteen = Array.from({ length: 19 }, (_, i) => i + 1);
    expect(percentile(oneToNineteen, 95)).toBe(19);
  });

  it('is 0 for an empty list', () => {
    expect(percentile([], 95)).toBe(0);
  });

  it('is the element itself for a single element, whatever p', () => {
    for (const p of [0, 50, 95, 100]) expect(percentile([0.042], p)).toBe(0.042);
  });

  it('sorts numerically without changing its input', () => {
    const costs = [0.3, 0.01, 0.2, 0.1, 0.02];
    // ceil(0.95 × 5) = 5th smallest; ceil(0.5 × 5) = 3rd smallest.
    expect(percentile(costs, 95)).toBe(0.3);
    expect(percentile(costs, 50)).toBe(0.1);
    expect(costs).toEqual([0.3, 0.01, 0.2, 0.1, 0.02]);
    // A string sort would put 10 before 9.
    expect(percentile([10, 9, 8], 50)).toBe(9);
  });
});

function perDocument(documentType: 'receipt' | 'invoice' | 'form' | 'other', gaps: { missing?: FieldName[]; invalid?: FieldName[]; low?: FieldName[] }): PerDocument {
  return {
    document_id: `doc-${documentType}`,
    job_id: `job-${documentType}`,
    document_type: documentType,
    required_fields: [...DOCUMENT_TYPE_SCHEMAS[documentType].required],
    completeness_score: 0,
    approval_status: 'pending_review',
    missing_fields: gaps.missing ?? [],
    invalid_fields: gaps.invalid ?? [],
    low_confidence_fields: gaps.low ?? [],
    fields_by_agent: {},
    phases: ['offline'],
    cost_usd: 0,
    accuracy: [],
  };
}

function reportOf(docs: PerDocument[]): RunReport {
  return {
    schema_version: 1,
    generated_at: '2020-01-01T00:00:00.000Z',
    corpus: 'test',
    provider_mode: 'offline',
    models: {},
    documents: { submitted: docs.length, accepted: docs.length, rejected: 0, completed: docs.length, failed: 0, lost: 0 },
    average_completeness: null,
    auto_approval_rate: null,
    cost_per_document_usd: { mean: 0, p95: 0, max: 0, total: 0 },
    throughput_docs_per_hour: null,
    wall_seconds: 0,
    accuracy: {},
    key_value_pairs: { matched: 0, total: 0, rate: null },
    auto_approved_fully_correct: { correct: 0, total: 0, rate: null },
    cost_breakdown: { by_agent: {}, by_provider: {}, by_model: {}, by_tier: {} },
    price_table_versions: [],
    rejections: [],
    failures: [],
    lost_jobs: [],
    per_document: docs,
  };
}

describe('completenessPerAgent', () => {
  it('is the share of required fields each agent owns that were present and valid', () => {
    const report = reportOf([
      // receipt requires document_type, vendor_name, vendor_address, document_date, total_amount, currency, title, summary
      perDocument('receipt', { missing: ['vendor_address'], invalid: ['currency'], low: ['total_amount'] }),
      // other requires document_type, title, summary
      perDocument('other', { missing: ['title'] }),
    ]);
    expect(completenessPerAgent(report)).toEqual({
      classification: 1, // document_type 2/2
      metadata: 2 / 3, // vendor_name, vendor_address, document_date: 1 missing
      entities: 1 / 2, // total_amount (low confidence still counts), currency invalid
      summary: 3 / 4, // title, summary in each: 1 missing
      structure: null, // owns no required field of a receipt or other
    });
  });

  it('gives structure a score when a form requires key_values', () => {
    const report = reportOf([perDocument('form', { missing: ['key_values'] }), perDocument('form', {})]);
    expect(completenessPerAgent(report).structure).toBe(1 / 2);
  });

  it('is null for every agent with no documents', () => {
    expect(Object.values(completenessPerAgent(reportOf([])))).toEqual([null, null, null, null, null]);
  });
});
